/**
 * What can travel: Maps and Sets round-trip through the frame codec as themselves; checkWire
 * refuses, with the value's path, what would not (class instances, functions, cycles, values
 * deeper than the codec can recurse or bigger than a Buffer); size estimates are bounded and
 * iterative whatever the value.
 */
import t from 'tap';
import { checkWire, decodeFrame, decodeValue, encodeFrame, encodeValue, MAX_WIRE_DEPTH, wireSizeUpTo } from '@gluon/protocol';

t.test('Map, Set and nested collections round-trip as themselves', async (t) => {
  const value = { m: new Map<unknown, unknown>([[1, 2], ['k', new Map([[true, [1, 2]]])]]), s: new Set([1, 'a']), f: new Float32Array([1.5]), o: { 5: 'x' } };
  const [msg] = decodeFrame(encodeFrame([{ op: 'x', value }]));
  const back = msg!.value as typeof value;
  t.ok(back.m instanceof Map, 'a Map (was {"1": 2})');
  t.equal(back.m.get(1), 2, 'a number key stays a number');
  t.ok((back.m.get('k') as Map<boolean, number[]>).get(true));
  t.ok(back.s instanceof Set);
  t.same([...back.s], [1, 'a']);
  t.ok(back.f instanceof Float32Array);
  t.same(back.o, { 5: 'x' }, 'plain objects stay plain objects');
  t.equal(Object.getPrototypeOf(back.o), Object.prototype);
  t.same(decodeValue(encodeValue(new Map([[1, 2]]))), new Map([[1, 2]]));
});

t.test('frames are independent: any frame decodes alone, in any order', async (t) => {
  const a = encodeFrame([{ op: 'a', key: 'x', n: 1 }]);
  const b = encodeFrame([{ op: 'a', key: 'y', n: 2 }, { op: 'b', q: [1] }]);
  t.same(decodeFrame(b), [{ op: 'a', key: 'y', n: 2 }, { op: 'b', q: [1] }]);
  t.same(decodeFrame(a), [{ op: 'a', key: 'x', n: 1 }]);
});

/** `levels` nested `{d}` objects whose innermost `d` is the one at depth `back`. */
function deepCycle(levels: number, back: number): unknown {
  const chain: Array<Record<string, unknown>> = [];
  for (let i = 0; i < levels; i++) chain.push({});
  for (let i = 0; i + 1 < levels; i++) chain[i]!.d = chain[i + 1];
  chain[levels - 1]!.d = chain[back];
  return chain[0];
}

t.test('checkWire: what cannot travel is named with its path', async (t) => {
  class Foo { x = 1; }
  const cyclic: Record<string, unknown> = { a: { list: [] as unknown[] } };
  (cyclic.a as { list: unknown[] }).list.push(cyclic);
  let deep: unknown = 1;
  for (let i = 0; i < 100_000; i++) deep = { d: deep };
  let shared: unknown = [1];
  for (let i = 0; i < 40; i++) shared = [shared, shared];
  const cases: Array<[unknown, RegExp]> = [
    [{ a: { b: [1, 2, 3, new Foo()] } }, /^result\.a\.b\[3\]: class Foo cannot be sent$/],
    [{ f: () => 1 }, /^result\.f: a function cannot be sent$/],
    [[Symbol('s')], /^result\[0\]: a symbol cannot be sent$/],
    [new Map([['k', new Foo()]]), /^result\.<value 0>: class Foo cannot be sent$/],
    [new Set([Promise.resolve()]), /^result\.<item 0>: a Promise cannot be sent$/],
    [new Error('e'), /^result: class Error cannot be sent$/],
    [cyclic, /^result\.a\.list\[0\]: refers back to one of its own parents \(a cycle\)/],
    [deep, new RegExp(`^result(\\.d){10}…\\(${MAX_WIRE_DEPTH - 20} levels\\)…(\\.d){10}: is nested more than ${MAX_WIRE_DEPTH} levels deep`)],
    [shared, /encodes to more than \d+ bytes/],
    [{ a: [JSON.parse('{"__proto__": {"x": 1}}')] }, /^result\.a\[0\]\.__proto__: an own property named "__proto__" cannot be sent: it would arrive renamed "__proto_"/],
    [new Map([[new Foo(), 1]]), /^result\.<key 0>: class Foo cannot be sent$/],
    [{ s: new Set([1, 2, () => 3]) }, /^result\.s\.<item 2>: a function cannot be sent$/],
    [[{ run: 1, event: 2 }, { run: 1, event: Symbol('e') }], /^result\[1\]\.event: a symbol cannot be sent$/],
    // A path of up to 24 segments is named whole; a key over 64 characters is cut, its length said.
    [{ a: Array.from({ length: 22 }).reduce<unknown>((v) => [v], { f: () => 1 }) }, /^result\.a(\[0\]){22}\.f: a function cannot be sent$/],
    [{ [`k${'x'.repeat(99)}`]: () => 1 }, /^result\["kx{63}…\(100 characters\)"\]: a function cannot be sent$/],
    // Past the depth where the path is scanned for cycles, a Set of the deeper containers finds them.
    [deepCycle(100, 60), /^result(\.d){10}…\(80 levels\)…(\.d){10}: refers back to one of its own parents \(a cycle\)/],
    [deepCycle(100, 5), /^result(\.d){10}…\(80 levels\)…(\.d){10}: refers back to one of its own parents \(a cycle\)/],
  ];
  for (const [v, re] of cases) {
    const c = checkWire(v, 'result');
    t.equal(c.ok, false);
    if (!c.ok) t.match(c.message, re);
  }
});

t.test('an own "__proto__" key is what checkWire refuses because the codec renames it', async (t) => {
  const back = decodeValue(encodeValue(JSON.parse('{"__proto__": 1, "b": 2}'))) as object;
  t.same(Object.keys(back), ['__proto_', 'b'], 'renamed on arrival (msgpackr\'s guard against prototype pollution)');
  t.equal(checkWire(new Map([['__proto__', 1]]), 'result').ok, true, 'a Map key of that name travels as it is');
  t.same(decodeValue(encodeValue(new Map([['__proto__', 1]]))), new Map([['__proto__', 1]]));
  t.equal(checkWire({ proto: { x: 1 } }, 'result').ok, true);
});

t.test('checkWire: what can travel passes, with its size', async (t) => {
  const shared = { big: new Float64Array(1000) };
  const c = checkWire({ a: shared, b: shared, m: new Map([[1, new Set([2])]]), d: new Date(0), r: /x/g, n: null, u: undefined, i: 1n }, 'result');
  t.equal(c.ok, true);
  if (c.ok) t.ok(c.nbytes > 16_000 && c.nbytes < 16_200, `a shared value counts once per parent (${c.nbytes})`);
  t.same(checkWire(5, 'result'), { ok: true, nbytes: 9, members: 1 });
  t.same(checkWire([{ a: 1 }, [2, 'x']], 'result'), { ok: true, nbytes: 5 + (5 + 2 + 9) + (5 + 9 + 6), members: 6 }, 'members: the containers and leaves walked, the top included');
  const nearlyDeep = (() => {
    let v: unknown = 1;
    for (let i = 0; i < MAX_WIRE_DEPTH - 1; i++) v = [v];
    return v;
  })();
  t.equal(checkWire(nearlyDeep, 'result').ok, true, 'nesting up to the limit travels');
  // Small containers of leaves are walked again where they are shared, bigger ones remembered:
  // either way a shared value counts once per parent, as the codec encodes it once per parent.
  const rec = { run: 1, event: 2 };
  const row = Array.from({ length: 100 }, (_, i) => i);
  const sharing = { recs: [rec, rec, rec], rows: [row, row], deep: [[rec], [rec]] };
  const s = checkWire(sharing, 'result');
  const unshared = checkWire(JSON.parse(JSON.stringify(sharing)), 'result');
  t.equal(s.ok && unshared.ok && s.nbytes === unshared.nbytes, true, 'the same size as the same value without sharing');
  t.same(decodeValue(encodeValue(sharing)), sharing);
  t.same(decodeValue(encodeValue(nearlyDeep)), nearlyDeep, 'and the codec carries it');
});

t.test('wireSizeUpTo with a member budget is an estimate bounded in work: cyclic, deep and huge values', async (t) => {
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  t.ok(wireSizeUpTo(cyclic, Infinity, 10_000) > 0, 'a cycle is estimated, not walked for ever');
  let deep: unknown = 1;
  for (let i = 0; i < 1_000_000; i++) deep = [deep];
  t.ok(wireSizeUpTo(deep, Infinity, 10_000) > 0, 'a million levels deep, no stack overflow');
  t.equal(wireSizeUpTo(new Float64Array(10), Infinity, 10_000), 86);
  t.equal(wireSizeUpTo('abc', Infinity, 10_000), 8);
  t.equal(wireSizeUpTo([1, 2, 3], Infinity, 3), 5 + 9 + 9, 'past the budget the rest counts as nothing');
  // Looks at no more members than the budget, whatever the value holds: ten million numbers, read
  // through a proxy that counts the elements read.
  let reads = 0;
  const huge = new Proxy(new Array(10_000_000).fill(1), {
    get(target, p, r) {
      if (typeof p === 'string' && /^\d+$/.test(p)) reads++;
      return Reflect.get(target, p, r) as unknown;
    },
  });
  t.ok(wireSizeUpTo(huge, Infinity, 10_000) > 0);
  t.ok(reads <= 10_000, `${reads} of 10,000,000 members read`);
});

t.test('wireSizeUpTo: checkWire\'s size up to its cap, and past it a figure over the cap after a bounded walk', async (t) => {
  const values: unknown[] = [
    7, 'abc', null, undefined, true, new Float64Array(100), [1, [2, [3, 'x']]], { a: 1, bb: { c: [new Uint8Array(10)] } },
    new Map<unknown, unknown>([['k', [1, 2]], [3, new Set(['s'])]]), new Date(0), /re/g, [], {},
  ];
  for (const v of values) {
    const c = checkWire(v, 'v');
    if (!c.ok) throw new Error(c.message);
    t.equal(wireSizeUpTo(v, 1 << 20), c.nbytes, `${Object.prototype.toString.call(v)}: ${c.nbytes}`);
    t.equal(wireSizeUpTo(v, Infinity, 1000), c.nbytes, 'the same with a member budget it stays within');
    if (c.nbytes > 8) t.ok(wireSizeUpTo(v, 8) > 8, `over a cap of 8: ${wireSizeUpTo(v, 8)}`);
  }
  // A decoded value as a peer may send it: its size is not what it said.
  const sent = decodeValue(encodeValue({ big: new Uint8Array(1 << 20) }));
  t.ok(wireSizeUpTo(sent, 16 * 1024) > 16 * 1024, 'a megabyte behind a key is over 16 KiB');

  // The walk looks at no more members than the cap allows, whatever the value holds: an array of
  // ten million empty arrays, read through a proxy that counts the elements read.
  let reads = 0;
  const inner = new Array(10_000_000);
  const huge = new Proxy(inner, {
    get(target, p, r) {
      if (typeof p === 'string' && /^\d+$/.test(p)) {
        reads++;
        return [];
      }
      return Reflect.get(target, p, r) as unknown;
    },
  });
  const measured = wireSizeUpTo(huge, 16 * 1024);
  t.ok(measured > 16 * 1024, `over the cap: ${measured}`);
  t.ok(reads <= 16 * 1024, `${reads} of 10,000,000 members read`);
});
