import t from 'tap';
import { remote, remoteFrom } from '@gluon/client';
import { SerializationError } from '../../src/errors.js';
import { toWire, tokenize } from '../../src/serialize.js';

const none = () => undefined;

t.test('values that cannot travel fail with their path', async (t) => {
  class Point {
    x = 1;
  }
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  let deep: unknown = 1;
  for (let i = 0; i < 5000; i++) deep = [deep];
  const cases: Array<[unknown[], RegExp]> = [
    [[1, { config: { fn: () => 1 } }], /^args\[1\]\.config\.fn is a function/],
    [[Symbol('s')], /^args\[0\] is a symbol/],
    [[[1, 2, new Point()]], /^args\[0\]\[2\] is an instance of class Point/],
    [[{ m: new Map([['k', () => 1]]) }], /^args\[0\]\.m\.<value 0> is a function/],
    [[{ s: new Set([new Point()]) }], /^args\[0\]\.s\.<item 0> is an instance of class Point/],
    [[new Error('e')], /^args\[0\] is an instance of class Error/],
    [[deep], /^args(\[0\]){10}…\(493 levels\)…(\[0\]){10} is nested more than 512 levels deep/],
    [[cyclic], /^args\[0\]\.self refers back to one of its own parents/],
    [[{ 'odd key': Promise.resolve(1) }], /^args\[0\]\["odd key"\] is a Promise/],
    [[JSON.parse('{"rows": [{"__proto__": {"x": 1}}]}')], /^args\[0\]\.rows\[0\]\.__proto__ is an own property named "__proto__": it would arrive renamed "__proto_"/],
  ];
  for (const [args, re] of cases) {
    t.throws(() => toWire(args, none), SerializationError);
    try {
      toWire(args, none);
    } catch (err) {
      t.match((err as Error).message, re);
      t.ok((err as SerializationError).path.startsWith('args['), 'the error carries the path');
    }
  }
});

t.test('plain data passes unchanged; references become key refs and dependencies', async (t) => {
  const data = { n: 1, s: 'x', b: true, nil: null, big: 12n, d: new Date(0), f: new Float64Array([1.5]), arr: [1, [2]], proto: Object.create(null) };
  const { args, deps } = toWire([data], none);
  t.same(args, [data]);
  t.same(deps, []);
  const ref = { isRef: true };
  const wire = toWire([1, { deep: [ref, ref] }], (x) => (x === ref ? 'inc-abc' : undefined));
  t.same(wire.args, [1, { deep: [{ __gluonRef: 'inc-abc' }, { __gluonRef: 'inc-abc' }] }]);
  t.same(wire.deps, ['inc-abc']);
  const coll = [new Map<unknown, unknown>([[1, 'a'], ['k', new Set([2])]]), new Set(['x'])];
  t.equal(toWire(coll, none).args[0], coll[0], 'Maps and Sets pass unchanged');
  const inMap = toWire([new Map([['r', ref]]), new Set([ref])], (x) => (x === ref ? 'inc-abc' : undefined));
  t.same(inMap.args, [new Map([['r', { __gluonRef: 'inc-abc' }]]), new Set([{ __gluonRef: 'inc-abc' }])], 'references inside Maps and Sets too');
  t.ok(inMap.args[0] instanceof Map);
});

t.test('keys are deterministic: same call, same key; different call, different key', async (t) => {
  const fn = { module: '@gluon/examples/tasks', export: 'inc' };
  const k1 = tokenize('inc', fn, [1]);
  t.equal(k1, tokenize('inc', fn, [1]));
  t.not(k1, tokenize('inc', fn, [2]));
  t.not(k1, tokenize('inc', { ...fn, module: 'other' }, [1]));
  t.match(k1, /^inc-[^-]+$/, 'one dash: the group is everything before it');
  t.not(tokenize('h', fn, [new Float64Array([1, 2])]), tokenize('h', fn, [new Float64Array([1, 3])]), 'typed array contents count');
  t.not(tokenize('h', fn, [new Map([[1, 2]])]), tokenize('h', fn, [new Map([[1, 3]])]), 'Map contents count');
  t.not(tokenize('h', fn, [new Map([[1, 2]])]), tokenize('h', fn, [{ 1: 2 }]), 'a Map is not an object');
  t.not(tokenize('h', fn, [new Set([1])]), tokenize('h', fn, [new Set([2])]), 'Set contents count');
  t.not(tokenize('h', fn, [/a/]), tokenize('h', fn, [/b/]), 'RegExp contents count');
});

t.test('the function part of a key kept from the last call is its own: functions, groups and exports taking turns', async (t) => {
  const a = { module: '@gluon/examples/tasks', export: 'inc' };
  const b = { module: '@gluon/examples/other', export: 'inc' };
  const first = [tokenize('inc', a, [1]), tokenize('inc', b, [1]), tokenize('g', a, [1]), tokenize('inc', { ...a, export: 'dec' }, [1])];
  t.equal(new Set(first).size, 4, 'four different keys');
  // Asked again in the opposite order, each is what it was (nothing carried over from the call before).
  t.same([tokenize('inc', { ...a, export: 'dec' }, [1]), tokenize('g', a, [1]), tokenize('inc', b, [1]), tokenize('inc', a, [1])], [...first].reverse());
  t.match(first[2]!, /^g-/, 'the group leads the key');
});

t.test('remote() refuses what a worker could not import', async (t) => {
  t.throws(() => remote('./tasks.js', 'inc'), /relative; workers cannot know/);
  // The way out is spelt for both module systems: import.meta.url does not exist in CommonJS.
  t.throws(() => remote('./tasks.cjs', 'inc'), {
    name: 'TypeError',
    message: `remote(): "./tasks.cjs" is relative; workers cannot know what it is relative to. Use a package name, or new URL('./tasks.cjs', import.meta.url) in an ES module (in CommonJS: pathToFileURL(require.resolve('./tasks.cjs')), with pathToFileURL from node:url)`,
  });
  t.throws(() => remote('', 'inc'), /non-empty/);
  t.throws(() => remote('@gluon/examples/tasks', ''), /export name/);
  const inc = remote<(x: number) => number>('@gluon/examples/tasks', 'inc');
  t.same(inc.fn, { module: '@gluon/examples/tasks', export: 'inc' });
  t.same(inc.with({ priority: 3 }).options, { priority: 3 });
  t.same(inc.options, {}, 'with() leaves the original alone');
  const { add } = remoteFrom<typeof import('@gluon/examples/tasks')>('@gluon/examples/tasks');
  t.same(add.fn, { module: '@gluon/examples/tasks', export: 'add' });
});

t.test('remoteFrom() refuses at the call what a worker could not import, naming remoteFrom()', async (t) => {
  // It checked nothing itself: remoteFrom('./tasks.mjs') returned, and the error came only at the
  // destructuring, as remote()'s; a bad option (retries: -1) likewise.
  t.throws(() => remoteFrom('./tasks.mjs'), {
    name: 'TypeError',
    message: `remoteFrom(): "./tasks.mjs" is relative; workers cannot know what it is relative to. Use a package name, or new URL('./tasks.mjs', import.meta.url) in an ES module (in CommonJS: pathToFileURL(require.resolve('./tasks.mjs')), with pathToFileURL from node:url)`,
  });
  t.throws(() => remoteFrom(''), { name: 'TypeError', message: 'remoteFrom(): the module specifier must be a non-empty string or URL' });
  t.throws(() => remoteFrom(5 as unknown as string), { name: 'TypeError', message: 'remoteFrom(): the module specifier must be a non-empty string or URL' });
  t.throws(() => remoteFrom('@gluon/examples/tasks', { retries: -1 }), { name: 'RangeError', message: /^remoteFrom\(\): retries of @gluon\/examples\/tasks must be an integer ≥ 0, got -1$/ });
  t.throws(() => remoteFrom('@gluon/examples/tasks', { retry: 1 } as never), { name: 'TypeError', message: /unknown task option "retry" \(did you mean "retries"\?\)/ });
});

t.test('remoteFrom(import.meta.url) names a TypeScript file that exists under tsx', async (t) => {
  const self = remoteFrom<Record<string, () => void>>(new URL('./serialize.js', import.meta.url));
  t.match(self.anything!.fn.module, /serialize\.ts$/, '.js that does not exist resolves to the .ts beside it');
});
