/**
 * The schemas' checks against their shapes: every op of every direction, and every hello and
 * welcome, is checked by compiled code (schema.ts, compiledObjectCheck). Here an independent
 * reading of the same declaration (the `Shape` data, interpreted below) is the oracle: on valid
 * values and on broken ones (a field removed, a value of the wrong type, an unknown field), the
 * check must accept exactly what the shape admits, and name a problem for everything else.
 */
import { spawnSync } from 'node:child_process';
import t from 'tap';
import fc from 'fast-check';
import { checkInbound, CLIENT_TO_SCHEDULER, MAX_KEY_LENGTH, MAX_NAME_TEXT, DIRECTIONS, HELLO, overLongKeyText, PEER_TO_WORKER, SCHEDULER_TO_CLIENT, SCHEDULER_TO_WORKER, WELCOME, WORKER_TO_SCHEDULER, nestedAtMost, obj, opt, str, num, type Schema, type Shape } from '../../src/index.js';
import { valid } from '../shape-values.js';

/** Does `v` fit `shape`? Written from the Shape's meaning, not from schema.ts. */
function fits(shape: Shape, v: unknown): boolean {
  switch (shape.type) {
    case 'any': return true;
    case 'string': return typeof v === 'string' && (!shape.nonEmpty || v !== '') && v.length <= (shape.maxLength ?? Infinity)
      && (!shape.plain || ![...v].some((c) => isControl(c.codePointAt(0)!)));
    case 'number': return typeof v === 'number' && (shape.int ? Number.isInteger(v) : Number.isFinite(v)) &&
      v >= (shape.min ?? -Infinity) && v <= (shape.max ?? Infinity);
    case 'boolean': return typeof v === 'boolean';
    case 'literal': return shape.values.includes(v as string);
    case 'array': return Array.isArray(v) && v.length >= shape.min && Array.from(v).every((x) => fits(shape.item, x)); // holes read as undefined
    case 'record': return plain(v) && Object.keys(v).every((k) => k.length <= (shape.maxKeyLength ?? Infinity)) && Object.values(v).every((x) => fits(shape.value, x));
    case 'object': {
      if (!plain(v)) return false;
      for (const [name, f] of Object.entries(shape.fields)) {
        const x = v[name];
        if (x === undefined ? !f.optional : !fits(f.shape, x)) return false;
      }
      return Object.keys(v).every((k) => Object.hasOwn(shape.fields, k));
    }
  }
}

/** C0, DEL, C1, the Unicode line and paragraph separators, the bidirectional controls. */
function isControl(cp: number): boolean {
  return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp === 0x2028 || cp === 0x2029 || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

function plain(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false;
  const p = Object.getPrototypeOf(v);
  return p === Object.prototype || p === null;
}

const WRONG: unknown[] = [null, undefined, 0, -1, 1.5, 'x', '', true, [], {}, [1, 'a'], { a: 1 }, new Uint8Array(2), NaN, Object.create(null)];

/** Every object and array inside `v` (itself included), to break one of them. */
function containers(v: unknown, out: Array<Record<string, unknown> | unknown[]> = []): Array<Record<string, unknown> | unknown[]> {
  if (Array.isArray(v)) {
    out.push(v);
    for (const x of v) containers(x, out);
  } else if (plain(v)) {
    out.push(v);
    for (const x of Object.values(v)) containers(x, out);
  }
  return out;
}

/** `v`, or a copy of it broken in one place (`pick` chooses where and how). */
function broken(v: unknown, pick: [number, number, number]): unknown {
  const copy = structuredClone(v);
  const all = containers(copy);
  if (all.length === 0) return WRONG[pick[2] % WRONG.length];
  const c = all[pick[0] % all.length]!;
  const keys = Object.keys(c);
  const how = pick[1] % 3;
  if (how === 0 && keys.length) delete (c as Record<string, unknown>)[keys[pick[2] % keys.length]!];
  else if (how === 1 && keys.length) (c as Record<string, unknown>)[keys[pick[2] % keys.length]!] = WRONG[pick[2] % WRONG.length];
  else (c as Record<string, unknown>)[`zz${pick[2] % 7}`] = 1;
  return copy;
}

const schemas: Array<[string, Schema<unknown>]> = [
  ...DIRECTIONS.flatMap((d) => Object.entries(d.ops).map(([op, s]): [string, Schema<unknown>] => [`${d.from} → ${d.to}: ${op}`, s])),
  ...Object.entries(HELLO).map(([role, s]): [string, Schema<unknown>] => [`hello of a ${role}`, s]),
  ...Object.entries(WELCOME).map(([role, s]): [string, Schema<unknown>] => [`welcome of a ${role}`, s]),
];

t.test('every op\'s check accepts exactly what its shape admits, valid or broken', async (t) => {
  for (const [name, s] of schemas) {
    let accepted = 0;
    let refused = 0;
    fc.assert(fc.property(valid(s.shape), fc.boolean(), fc.tuple(fc.nat(), fc.nat(), fc.nat()), (value, breakIt, pick) => {
      const v = breakIt ? broken(value, pick) : value;
      const p = s.check(v);
      const ok = fits(s.shape, v);
      if (ok) accepted++;
      else refused++;
      if (ok !== (p === null)) throw new Error(`${name}: check says ${p ? `"${p.path} ${p.why}"` : 'fits'} for ${JSON.stringify(v)}`);
      if (p && !p.why) throw new Error(`${name}: a problem without a reason`);
    }), { numRuns: 60, seed: 18 });
    t.ok(accepted > 0 && refused > 0, `${name}: ${accepted} accepted, ${refused} refused as the shape says`);
  }
});

t.test('the compiled check gives the reasons the schema always gave', async (t) => {
  const s = obj({ op: str(), key: str({ nonEmpty: true }), n: opt(num({ int: true, min: 0 })) }, { tag: (o) => (typeof o.key === 'string' ? `task ${o.key}` : undefined) });
  t.equal(s.check({ op: 'x', key: 'k' }), null);
  t.equal(s.check({ op: 'x', key: 'k', n: 3 }), null);
  t.equal(s.check({ op: 'x', key: 'k', n: undefined }), null, 'an optional field present as undefined is fine');
  t.same(s.check({ op: 'x' }), { path: '.key', why: 'is missing' });
  t.same(s.check({ op: 'x', key: 'k', n: -1 }), { path: '.n', why: 'must be an integer ≥ 0, got number -1', tag: 'task k' });
  t.same(s.check({ op: 'x', key: 'k', extra: 1 }), { path: '.extra', why: 'is not a known field (expected {op, key, n?})', tag: 'task k' });
  t.same(s.check([1]), { path: '', why: 'must be an object {op, key, n?}, got an array of 1' });
  t.same(s.check(new Map()), { path: '', why: 'must be an object {op, key, n?}, got an object' });
  t.equal(s.check(Object.assign(Object.create(null), { op: 'x', key: 'k' })), null, 'a prototype-less object is a plain object');
});

t.test('without code generation from strings the checks still run (the loop instead of compiled code)', async (t) => {
  const script = `
    const { obj, str, num, checkInbound, WORKER_TO_SCHEDULER } = await import('@gluon/protocol');
    const s = obj({ op: str(), n: num() });
    const out = [s.check({ op: 'a', n: 1 }), s.check({ op: 'a' }), checkInbound(WORKER_TO_SCHEDULER, { op: 'handback', keys: 5 })];
    console.log(JSON.stringify(out));`;
  const r = spawnSync(process.execPath, ['--disallow-code-generation-from-strings', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  t.equal(r.status, 0, r.stderr);
  const [fine, missing, handback] = JSON.parse(r.stdout) as [unknown, { why: string }, string];
  t.equal(fine, null);
  t.equal(missing.why, 'is missing');
  t.match(handback, /^handback: keys must be an array of/);
});

t.test('a worker\'s refusal of a module (protocol 11) is its own op, no longer a task-erred', async (t) => {
  const inbound = (dir: Parameters<typeof checkInbound>[0], msg: object) => checkInbound(dir, msg as { op: string });
  t.equal(inbound(WORKER_TO_SCHEDULER, { op: 'refused', key: 'a-1', module: 'm', reason: 'not listed', mayLift: false }), null);
  t.match(inbound(WORKER_TO_SCHEDULER, { op: 'refused', key: 'a-1', module: '', reason: 'x', mayLift: false }), /^refused: module must be a non-empty string/);
  t.match(inbound(WORKER_TO_SCHEDULER, { op: 'refused', key: 'a-1', module: 'm', reason: 'x' }), /^refused: mayLift is missing/);
  t.equal(inbound(WORKER_TO_SCHEDULER, { op: 'accepts', module: 'm' }), null);
  t.match(inbound(WORKER_TO_SCHEDULER, { op: 'accepts' }), /^accepts: module is missing/);
  const erred = { op: 'task-erred', key: 'a-1', error: { message: 'm', name: 'E', stack: '' }, start: 0, stop: 0, thread: -1 };
  t.match(inbound(WORKER_TO_SCHEDULER, { ...erred, kind: 'not-allowed' }), /^task-erred: kind must be one of/, 'a refusal is not a task failure');
  t.equal(inbound(WORKER_TO_SCHEDULER, { ...erred, kind: 'exception' }), null);
  t.match(inbound(CLIENT_TO_SCHEDULER, { op: 'accepts', module: 'm' }), /op "accepts" is not accepted from a client/);
});

t.test('retirement\'s ops (protocol 8) are refused with the op and the field named', async (t) => {
  // Messages as a peer may send them: untyped, so each is checked as it arrives.
  const inbound = (dir: Parameters<typeof checkInbound>[0], msg: object) => checkInbound(dir, msg as { op: string });
  t.equal(inbound(SCHEDULER_TO_WORKER, { op: 'acquire', from: 'ws://h:1', keys: ['a'] }), null);
  t.match(inbound(SCHEDULER_TO_WORKER, { op: 'acquire', from: '', keys: ['a'] }), /^acquire: from must be a non-empty string/);
  t.match(inbound(SCHEDULER_TO_WORKER, { op: 'acquire', from: 'ws://h:1', keys: [] }), /^acquire: keys must have at least 1 element/);
  t.match(inbound(SCHEDULER_TO_WORKER, { op: 'acquire', from: 'ws://h:1', keys: [''] }), /^acquire: keys\[0\] must be a non-empty string/);
  t.equal(inbound(WORKER_TO_SCHEDULER, { op: 'retire' }), null);
  t.match(inbound(WORKER_TO_SCHEDULER, { op: 'retire', now: true }), /^retire: \.?now is not a known field/);
  t.equal(inbound(WORKER_TO_SCHEDULER, { op: 'retire', lifetime: true }), null, 'protocol 10: retiring at the end of its lifetime');
  t.match(inbound(WORKER_TO_SCHEDULER, { op: 'retire', lifetime: 'yes' }), /^retire: lifetime must be/);
  t.equal(inbound(WORKER_TO_SCHEDULER, { op: 'acquired', keys: { a: 8 }, missing: [] }), null);
  t.match(inbound(WORKER_TO_SCHEDULER, { op: 'acquired', keys: { a: -1 }, missing: [] }), /^acquired: keys\["a"\] must be a finite number ≥ 0, got number -1/);
  t.match(inbound(WORKER_TO_SCHEDULER, { op: 'acquired', keys: {} }), /^acquired: missing is missing/);
  t.match(inbound(CLIENT_TO_SCHEDULER, { op: 'retire' }), /op "retire" is not accepted from a client \(it is sent by a worker to the scheduler\)/);
});

t.test('bounded and plain strings: the reason names the bound, or the control character and where it is', async (t) => {
  const s = str({ maxLength: 8, plain: true });
  t.equal(s.doc, 'a string of at most 8 characters without control characters');
  t.equal(s.check('worker-1'), null);
  t.equal(s.check('wörker ☃'), null, 'any printable character');
  t.same(s.check('worker-12'), { path: '', why: 'must be at most 8 characters, got 9: "worker-12"' });
  t.same(s.check('a\nb'), { path: '', why: 'must have no control characters, got U+000A at character 2 of "a\\nb"' });
  t.same(s.check('\u001b[2J'), { path: '', why: 'must have no control characters, got U+001B at character 1 of "\\u001b[2J"' });
  t.same(s.check('x\u202ey'), { path: '', why: 'must have no control characters, got U+202E at character 2 of "x\u202ey"' });
  t.same(s.check(5), { path: '', why: 'must be a string of at most 8 characters without control characters, got number 5' });
  // The hello's own fields: a worker's name and host, 256 characters at most.
  const long = 'n'.repeat(257);
  const hello = { op: 'hello', role: 'worker', protocol: 1, version: '1', address: 'ws://h:1', nthreads: 1, memoryLimit: 0, pid: 1, host: 'h' };
  t.equal(HELLO.worker.check({ ...hello, name: 'n'.repeat(256) }), null, '256 characters are fine');
  t.match(HELLO.worker.check({ ...hello, name: long }), { path: '.name', why: /^must be at most 256 characters, got 257/ });
  t.match(HELLO.worker.check({ ...hello, host: 'h\r\nX-Forged: 1' }), { path: '.host', why: /U\+000D at character 2/ });
  t.match(HELLO.client.check({ op: 'hello', role: 'client', protocol: 1, version: '1', session: 's'.repeat(300) }), { path: '.session', why: /at most 256 characters/ });
});

t.test('a task\'s group and export name are bounded as a worker\'s address is: the dashboard shows them', async (t) => {
  const graph = CLIENT_TO_SCHEDULER.ops['update-graph'];
  const spec = (group: string, exp = 'inc') => ({ op: 'update-graph', wants: [], tasks: [{ key: 'k-1', fn: { module: 'm', export: exp }, group, args: [], deps: [] }] });
  t.equal(graph.check(spec('g'.repeat(MAX_NAME_TEXT))), null, `${MAX_NAME_TEXT} characters are taken`);
  t.match(graph.check(spec('g'.repeat(MAX_NAME_TEXT + 1))), { path: '.tasks[0].group', why: /^must be at most 512 characters, got 513: "g+…/ });
  t.match(graph.check(spec('g', 'e'.repeat(MAX_NAME_TEXT + 1))), { path: '.tasks[0].fn.export', why: /^must be at most 512 characters, got 513/ });
});

t.test('task keys are bounded between Gluon\'s own processes, the reason naming the length and where; a client\'s keys by the frame alone (protocol 21)', async (t) => {
  // Before, a key of any length was taken: the scheduler stored, indexed, logged and showed it.
  const inbound = (dir: Parameters<typeof checkInbound>[0], msg: object) => checkInbound(dir, msg as { op: string });
  const at = 'k'.repeat(MAX_KEY_LENGTH);
  const over = 'k'.repeat(3_000_000);
  const task = (key: string, deps: string[] = []) => ({ key, fn: { module: 'm', export: 'inc' }, args: [], deps });
  t.equal(inbound(CLIENT_TO_SCHEDULER, { op: 'update-graph', tasks: [task(at)], wants: [at] }), null, `${MAX_KEY_LENGTH} characters are taken`);
  // Protocol 20 closed a client's connection for one over-long key, losing its other work: the
  // scheduler now judges the key and refuses it alone, naming it (scheduler key-refusals.ts).
  t.equal(inbound(CLIENT_TO_SCHEDULER, { op: 'update-graph', tasks: [task('a-1'), task(over, [over])], wants: [over], held: { [over]: ['ws://h:1'] } }), null, 'a client\'s over-long key passes the schema: the scheduler judges it');
  for (const op of ['release-keys', 'received', 'cancel', 'retry']) t.equal(inbound(CLIENT_TO_SCHEDULER, { op, keys: ['a-1', over] }), null, op);
  t.equal(inbound(CLIENT_TO_SCHEDULER, { op: 'who-has', id: 1, keys: [over] }), null, 'who-has');
  t.equal(inbound(PEER_TO_WORKER, { op: 'get-data', id: 1, keys: ['a-1', over] }), null, 'get-data (a worker answers it with an error naming the key)');
  t.equal(overLongKeyText(over), `${'k'.repeat(120)}… (3000000 characters) is over the protocol's bound on a task key, 4096 characters (MAX_KEY_LENGTH)`, 'how a refusal names it');
  t.match(inbound(CLIENT_TO_SCHEDULER, { op: 'release-keys', keys: ['a-1', ''] }), /^release-keys: keys\[1\] must be a non-empty string, got ""/, 'an empty key is still malformed');
  const erred = { op: 'task-erred', key: over, error: { message: 'm', name: 'KeyTooLongError', stack: '', key: over, worker: '', retriesUsed: 0, kind: 'bad-input' } };
  t.equal(inbound(SCHEDULER_TO_CLIENT, erred), null, 'a client is told of an over-long key it sent (task-erred)');
  t.match(inbound(SCHEDULER_TO_CLIENT, { op: 'cancelled', key: over }), /^cancelled: key must be at most 4096 characters, got 3000000/, 'the scheduler keeps no such key, so it names none elsewhere');
  t.match(inbound(SCHEDULER_TO_CLIENT, { op: 'who-has-reply', replyTo: 1, whoHas: { [over]: [] } }), /^who-has-reply: whoHas\["k{40}…"\] is a key of 3000000 characters/);
  const refused = inbound(SCHEDULER_TO_WORKER, { op: 'compute-task', key: over, fn: { module: 'm', export: 'inc' }, args: [], deps: [], priority: [] })!;
  t.equal(refused, `compute-task: key must be at most 4096 characters, got 3000000: "${'k'.repeat(40)}…"`);
  t.ok(Buffer.byteLength(`protocol error: ${refused}`.slice(0, refused.indexOf('got 3000000') + 'got 3000000'.length + 16)) <= 123,
    'the length survives a close reason\'s 123 bytes');
  t.match(inbound(SCHEDULER_TO_WORKER, { op: 'free-keys', keys: ['a-1', over] }), /^free-keys: keys\[1\] must be at most 4096 characters, got 3000000/);
  t.match(inbound(WORKER_TO_SCHEDULER, { op: 'holding', keys: { [over]: 8 } }), /^holding: keys\["k{40}…"\] is a key of 3000000 characters, over the 4096 allowed$/);
  t.equal(inbound(WORKER_TO_SCHEDULER, { op: 'holding', keys: { [at]: 8 } }), null);
  t.match(inbound(WORKER_TO_SCHEDULER, { op: 'holding', keys: {}, running: [over] }), /^holding: running\[0\] must be at most 4096/);
  t.match(inbound(WORKER_TO_SCHEDULER, { op: 'task-finished', key: over, nbytes: 8, typeName: 'number', start: 0, stop: 1, thread: 0 }), /^task-finished: key must be at most 4096 characters, got 3000000/);
  t.match(inbound(WORKER_TO_SCHEDULER, { op: 'missing-data', key: 'a-1', errantWorker: 'ws://h:1', dependent: over }), /^missing-data: dependent must be at most 4096/);
  t.match(inbound(WORKER_TO_SCHEDULER, { op: 'acquired', keys: { [over]: 8 }, missing: [] }), /^acquired: keys\["k{40}…"\] is a key of 3000000 characters/);
});

t.test('nestedAtMost counts containers of every kind, leaves as none, without recursion', async (t) => {
  const s = nestedAtMost(512);
  const wrap = (depth: number, make: (inner: unknown) => unknown) => {
    let v: unknown = new Float64Array(4);
    for (let i = 0; i < depth; i++) v = make(v);
    return v;
  };
  const kinds: Array<[string, (inner: unknown) => unknown]> = [
    ['arrays', (x) => [1, x]], ['objects', (x) => ({ a: 1, b: x })], ['Maps', (x) => new Map([['k', x]])], ['Map keys', (x) => new Map([[x, 1]])], ['Sets', (x) => new Set([x])],
  ];
  for (const [what, make] of kinds) {
    t.equal(s.check(wrap(512, make)), null, `512 levels of ${what} are taken`);
    t.match(s.check(wrap(513, make)), { why: 'is nested more than 512 levels deep' }, `513 levels of ${what} are refused`);
  }
  t.match(s.check(wrap(200_000, (x) => [x])), { why: /more than 512/ }, '200,000 levels: no stack overflow');
  t.equal(s.check(1), null);
  t.equal(s.check(new Uint8Array(10)), null, 'a typed array is a leaf');
});
