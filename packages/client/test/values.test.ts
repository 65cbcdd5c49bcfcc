/**
 * What a task's arguments and results can be: Maps and Sets arrive as Maps and Sets (inline,
 * through a worker's data port, as arguments), and what cannot travel — a class instance, a
 * cycle, a value that would encode to terabytes — fails its task (or the submit) with the path
 * of the value, never the worker process.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import t from 'tap';
import { Client, remoteFrom, SerializationError, TaskError } from '@gluon/client';
import { sharedCluster } from './shared-cluster.js';

const here = dirname(fileURLToPath(import.meta.url));
const fx = remoteFrom<typeof import('./fixtures/values.mjs')>(pathToFileURL(join(here, 'fixtures/values.mjs')));
const { inc } = remoteFrom<typeof import('@gluon/examples/tasks')>('@gluon/examples/tasks');

const { cluster, client } = await sharedCluster(t, { nWorkers: 2, nthreads: 1, dashboard: false, allowModules: [join(here, 'fixtures')] });

const failure = async (p: Promise<unknown>) => (await p.then(() => null, (e: unknown) => e)) as TaskError;

t.test('Map and Set results arrive as themselves, inline and through the data port', async (t) => {
  for (const n of [3, 2000]) {
    const r = (await client.submit(fx.collections, n).result()) as { m: Map<number, { sq: number }>; s: Set<unknown>; nested: Map<string, Map<number, number>> };
    t.ok(r.m instanceof Map, `n=${n}: a Map (was a plain object with string keys)`);
    t.equal(r.m.size, n);
    t.same(r.m.get(2), { sq: 4 }, 'number keys stay numbers');
    t.ok(r.s instanceof Set);
    t.same([...r.s], ['a', 1, 'b']);
    t.ok(r.nested.get('inner') instanceof Map);
    t.equal(r.nested.get('inner')!.get(1), 2);
  }
});

t.test('Maps and Sets as arguments, with futures inside them, and as dependencies', async (t) => {
  const one = client.submit(inc, 0);
  const r = await client.submit(fx.describe, new Map<number, unknown>([[1, one], [2, 'b']]), new Set(['x'])).result();
  t.same(r, { map: true, size: 2, first: 1, set: true, has: true }, 'the future inside the Map was replaced by its value');
  const viaDep = await client.submit(fx.describe, client.submit(fx.mapOnly, 2000), new Set(['x'])).result();
  t.same(viaDep, { map: true, size: 2000, first: 10, set: true, has: true }, 'a large Map dependency (fetched, not inline) is a Map');
  t.throws(() => client.submit(fx.describe, new Map([[1, () => 1]]) as never, new Set()), { message: /^args\[0\]\.<value 0> is a function/ });
  t.throws(() => client.submit(fx.describe, new Map(), new Set([new (class Point { x = 1; })()]) as never), SerializationError);
  t.throws(() => client.submit(fx.describe, new Map(), new Set([new (class Point { x = 1; })()]) as never), { message: /^args\[1\]\.<item 0> is an instance of class Point/ });
});

t.test('a result that cannot travel fails its task with the path of the value', async (t) => {
  const err = await failure(client.submit(fx.classy).result());
  t.type(err, TaskError);
  t.equal(err.kind, 'exception');
  t.match(err.message, /the task's result cannot be sent: result\.a\.b\[3\]: class Foo cannot be sent/);
});

t.test('a result nested deeper than a value may travel fails its task naming the task, the depth and where, in a message that can be read', async (t) => {
  // MAX_WIRE_DEPTH (512) levels travel, to the client and on to a dependent task on either worker.
  for (const kind of ['array', 'object', 'map', 'set'] as const) {
    const ok = client.submit(fx.nested, 512, kind);
    t.equal(await client.submit(fx.depthOf, ok).result(), 512, `${kind}: 512 levels reach a dependent`);
    let v: unknown = await ok.result();
    let d = 0;
    for (; typeof v === 'object' && v !== null; d++) v = Array.isArray(v) ? v[0] : v instanceof Map ? v.get('a') : v instanceof Set ? [...v][0] : (v as { a: unknown }).a;
    t.equal(d, 512, `${kind}: and the client`);
  }
  // Deeper fails the task itself (msgpack would overflow the stack around 2,000 levels, sooner in
  // a frame), and its dependent with it, both naming the task; the path (to where the walk
  // stopped, 512 levels down) is cut in the middle.
  const cases = [
    ['array', 600, /^result(\[0\]){10}…\(492 levels\)…(\[0\]){10}: is nested more than 512 levels deep, which cannot be sent$/],
    ['map', 600, /^result(\.<value 0>){10}…\(492 levels\)…(\.<value 0>){10}: is nested more than 512 levels deep, which cannot be sent$/],
    ['object', 100_000, /^result(\.a){10}…\(492 levels\)…(\.a){10}: is nested more than 512 levels deep, which cannot be sent$/],
  ] as const;
  for (const [kind, depth, path] of cases) {
    const f = client.submit(fx.nested, depth, kind);
    const err = await failure(f.result());
    t.type(err, TaskError);
    t.equal(err.key, f.key);
    t.equal(err.kind, 'exception');
    const why = new RegExp(`^task ${f.key} failed on worker \\S+: ResultError: the task's result cannot be sent: (.*)$`).exec(err.message.split('\n')[0]!);
    t.ok(why, `${kind} ${depth}: names the task: ${err.message.slice(0, 300)}`);
    t.match(why?.[1], path, `${kind} ${depth}: the path, cut, and the bound`);
    t.ok(err.message.split('\n')[0]!.length < 400, `${kind} ${depth}: a line that can be read (${err.message.split('\n')[0]!.length} characters)`);
    const dep = await failure(client.submit(fx.depthOf, f).result());
    t.equal(dep.key, f.key, `${kind} ${depth}: its dependent fails with the task's error`);
  }
  t.same(await client.gather(client.map(inc, [1, 2, 3, 4])), [2, 3, 4, 5], 'both workers still run tasks');
});

t.test('an own "__proto__" key is refused, in a result and in arguments, not renamed on the way', async (t) => {
  // msgpack decoders rename the key "__proto_": the record arrived with a key it never had.
  const err = await failure(client.submit(fx.protoKeyed).result());
  t.type(err, TaskError);
  t.match(err.message, /the task's result cannot be sent: result\.rows\[0\]\.__proto__: an own property named "__proto__" cannot be sent: it would arrive renamed "__proto_"/);
  const parsed = JSON.parse('{"__proto__": 1, "ok": 2}') as Record<string, number>;
  t.throws(() => client.submit(inc, parsed as never), { name: 'SerializationError', message: /^args\[0\]\.__proto__ is an own property named "__proto__": it would arrive renamed "__proto_"/ });
  t.throws(() => client.map(inc, [{ ok: 1 }, parsed] as never[]), { message: /^args\[0\]\.__proto__ is an own property named "__proto__"/ }, 'map() refuses it at the call');
  // A map() longer than a slice is built as it is sent; its arguments are checked at the call all the same.
  const paced = await Client.connect(cluster.localAddress ?? cluster.schedulerAddress, { graphSliceTasks: 2 });
  t.throws(() => paced.map(inc, [{ ok: 1 }, { ok: 2 }, { ok: 3 }, parsed] as never[]), { message: /^map\(\): element 3: args\[0\]\.__proto__ is an own property named "__proto__"/ }, 'a paced map() too');
  await paced.close();
  t.same(await client.submit(fx.describe, new Map([['__proto__', 1]]), new Set(['x'])).result(), { map: true, size: 1, first: undefined, set: true, has: true }, 'as a Map key it travels');
});

t.test('what arrives close to what was sent, as the README lists: a Buffer as a Uint8Array of its bytes, -0 as 0, …', async (t) => {
  // Found by a data engineer's round trip of every kind of value: these are not refused, and
  // arrive as something slightly else; the README's list says which (a task returning readFile's
  // Buffer gave a Uint8Array whose toString() is "104,101,…").
  const r = await client.submit(fx.madeHere).result();
  t.equal(r.buffer.constructor.name, 'Uint8Array', 'a Buffer result arrives as a Uint8Array');
  t.equal(Buffer.from(r.buffer.buffer, r.buffer.byteOffset, r.buffer.byteLength).toString(), 'héllo', 'of its bytes, a Buffer again without a copy');
  t.equal(new TextDecoder().decode(r.buffer), 'héllo');
  t.ok(Object.is(r.negZero, 0), '-0 arrives as 0');
  t.match(r.lone, /^\ufffd{1,3}x$/, `a lone surrogate arrives as U+FFFD, one to three of them (strings travel as UTF-8): ${JSON.stringify(r.lone)}`);
  t.same(r.holes, [1, undefined, 3]);
  t.ok(1 in r.holes, 'a hole arrives as undefined');
  t.equal(Object.getPrototypeOf(r.bare), Object.prototype, 'an object without a prototype arrives as a plain object');
  const asArg = await client.submit(fx.arrived, Buffer.from('abc')).result();
  t.match(asArg, { ctor: 'Uint8Array', buffer: false }, 'a Buffer argument reaches the task as a Uint8Array');
  const viaDep = await client.submit(fx.arrived, client.submit(fx.madeHere)).result();
  t.match(viaDep.value, { buffer: new Uint8Array(Buffer.from('héllo')) }, 'and a Buffer a task made, as a dependency');
  t.match(await client.submit(fx.arrived, -0).result(), { negZero: false }, '-0 as an argument arrives as 0');
  t.match(await client.submit(fx.arrived, new Float64Array([-0])).result(), { ctor: 'Float64Array' }, '-0 in a Float64Array keeps its sign');
  t.ok(Object.is((await client.submit(fx.arrived, new Float64Array([-0])).result()).value[0], -0));
});

t.test('a circular result fails its task (each retry too), the workers stay up', async (t) => {
  const err = await failure(client.submit(fx.circular.with({ retries: 2 })).result());
  t.type(err, TaskError);
  t.match(err.message, /result\.child\.list\[0\]: refers back to one of its own parents \(a cycle\)/);
  t.equal(err.retriesUsed, 2, 'retried as a task exception, not a worker death');
  const big = await failure(client.submit(fx.exponential).result());
  t.match(big.message, /encodes to more than \d+ bytes/);
  const pub = await failure(client.submit(fx.publishCycle).result());
  t.match(pub.message, /publish\("cycle"\): value\.self: refers back/);
  t.same(await client.gather(client.map(inc, [1, 2, 3, 4])), [2, 3, 4, 5], 'both workers still run tasks');
  for (const pid of cluster.workerPids) t.doesNotThrow(() => process.kill(pid, 0), `worker ${pid} is alive`);
});
