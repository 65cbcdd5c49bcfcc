/**
 * What a task's arguments and results can be: Maps and Sets arrive as Maps and Sets (inline,
 * through a worker's data port, as arguments), and what cannot travel — a class instance, a
 * cycle, a value that would encode to terabytes — fails its task (or the submit) with the path
 * of the value, never the worker process.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import t from 'tap';
import { LocalCluster, remoteFrom, SerializationError, TaskError, type Client } from '@gluon/client';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../../..');
const fx = remoteFrom<typeof import('./fixtures/values.mjs')>(pathToFileURL(join(here, 'fixtures/values.mjs')));
const { inc } = remoteFrom<typeof import('@gluon/examples/tasks')>('@gluon/examples/tasks');

let cluster: LocalCluster;
let client: Client;
t.before(async () => {
  cluster = await LocalCluster.start({ nWorkers: 2, nthreads: 1, dashboard: false, cwd: repo, allowModules: [join(here, 'fixtures')] });
  client = await cluster.client();
});
t.teardown(() => cluster?.close());

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
