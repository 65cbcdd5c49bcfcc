/**
 * What a client keeps once it is done with a big run: nothing. After every future of a map is
 * released (or dropped and found by the garbage collector), the client's own tables are empty
 * and its heap is back where it was before the map (bench/client-rss.ts has the figures for 100k
 * and 1M tasks against a real scheduler).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import t, { type Test } from 'tap';
import { Client, remoteFrom, type ClientTableSizes, type Future } from '@gluon/client';
import { fakeScheduler } from './fake-scheduler.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const { noop } = remoteFrom<typeof import('@gluon/examples/tasks')>('@gluon/examples/tasks');
const MiB = 2 ** 20;

/** The tables of a client holding nothing, that heard of no worker and fetched nothing from one. */
const EMPTY: ClientTableSizes = { keys: 0, lineage: 0, releasesQueued: 0, collectedQueued: 0, outbox: 0, unsentTasks: 0, workerLists: 1, knownWorkers: 0, peers: 0 };

/** A client whose scheduler finishes every task it is sent at once, its result (null) inline. */
async function finishing(t: Test): Promise<Client> {
  const server = await fakeScheduler(t, (conn, m) => {
    if (m.op !== 'update-graph') return;
    for (const key of m.wants as string[]) conn.send({ op: 'key-in-memory', key, nbytes: 8, typeName: 'null', workers: ['ws://127.0.0.1:9/w'], value: null });
  });
  const client = await Client.connect(server.address, { reconnectTimeoutMs: 0 });
  t.teardown(() => client.close());
  return client;
}

/** Heap used after full collections, each followed by a turn of the event loop (the registry's callbacks run there). */
async function heapUsed(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
  return process.memoryUsage().heapUsed;
}

/** `n` tasks mapped, every result in, then `done` with their futures. */
async function run(client: Client, n: number, from: number, done: (futures: Array<Future<unknown>>) => void): Promise<void> {
  const futures = client.map(noop, Array.from({ length: n }, (_, i) => from + i));
  await client.wait(futures);
  done(futures);
  await client.whenSent();
}

const N = 200_000;

t.test('every future of a big map released: the client\'s tables are empty and its heap is as before', async (t) => {
  const client = await finishing(t);
  // Warm: the code paths and the encoder's buffer (as large as a frame).
  await run(client, 5000, 0, (f) => client.release(f));
  const before = await heapUsed();
  await run(client, N, 1e6, (f) => client.release(f));
  const kept = (await heapUsed()) - before;
  t.same(client.tableSizes(), EMPTY, 'nothing held, queued or kept for a reconnect');
  // Before, the collector's registry kept a table of every future ever registered at once: 8 MiB here.
  t.ok(kept < 2 * MiB, `heap kept after releasing ${N} futures: ${(kept / MiB).toFixed(2)} MiB`);
});

t.test('every future of a big map dropped unreleased: once collected, the client\'s tables are empty and its heap is as before', async (t) => {
  const client = await finishing(t);
  await run(client, 5000, 0, (f) => client.release(f));
  const before = await heapUsed();
  await run(client, N, 2e6, () => {}); // the futures are unreachable once it returns
  // A collection finds them; their holds are dropped a slice per turn (collected-queue.ts).
  for (let round = 0; round < 50 && client.tableSizes().keys > 0; round++) {
    gc();
    await new Promise((r) => setImmediate(r));
    for (let turn = 0; turn < 100_000 && client.tableSizes().collectedQueued > 0; turn++) await new Promise((r) => setImmediate(r));
  }
  await client.whenSent();
  const kept = (await heapUsed()) - before;
  t.same(client.tableSizes(), EMPTY, 'every collected future\'s hold dropped');
  t.ok(kept < 2 * MiB, `heap kept after ${N} futures were collected: ${(kept / MiB).toFixed(2)} MiB`);
});
