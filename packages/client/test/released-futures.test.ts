/**
 * What a released future says, on a real LocalCluster: `result()`, `gather()` and `exception()`
 * give a `ReleasedFutureError` naming the key and the call that released it (a plain `Error`
 * before), its `status` reads `released`, and the calls that wait on many futures (`wait`,
 * `asCompleted`, `asCompletedBatches`) count it once as done instead of yielding it as
 * `finished` or, released while its task was pending, waiting for ever (the client drops a
 * released key, so no news of it came any more).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import t from 'tap';
import { ReleasedFutureError, remoteFrom, type Future } from '@gluon/client';
import { sharedCluster } from './shared-cluster.js';

const here = dirname(fileURLToPath(import.meta.url));
const { inc } = remoteFrom<typeof import('@gluon/examples/tasks')>('@gluon/examples/tasks');
const { gatedRun } = remoteFrom<typeof import('./fixtures/tasks.mjs')>(pathToFileURL(join(here, 'fixtures/tasks.mjs')));

const { client } = await sharedCluster(t, { nWorkers: 1, nthreads: 4, allowModules: [join(here, 'fixtures')] });

/** Tasks held pending until this file exists (made at the end, so their threads are let go). */
const dir = mkdtempSync(join(tmpdir(), 'gluon-released-'));
const gate = join(dir, 'gate');
let n = 0;
/** A task that stays pending for the whole test (a fresh key each call). */
const pending = (): Future<number> => client.submit(gatedRun, join(dir, 'runs'), n++, gate);
// Registered after the cluster's close, so run before it: the pending tasks' threads are let go first.
t.teardown(() => writeFileSync(gate, ''));

/** The error `p` rejects with (or a failure naming what it resolved with). */
async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then((v) => new Error(`resolved with ${String(v)}`), (e: unknown) => e);
}

t.test('result(), gather() and exception() of a released future give a ReleasedFutureError naming the key and the call', async (t) => {
  const f = client.submit(inc, 1);
  t.equal(await f.result(), 2);
  f.release();
  t.equal(f.status, 'released');
  t.equal(f.done, true);
  const err = await rejection(f.result());
  t.ok(err instanceof ReleasedFutureError, 'a ReleasedFutureError');
  t.match(err, { key: f.key, releasedBy: 'future.release()', message: `future ${f.key} was released by future.release(); its result is no longer held` });
  t.match(await rejection(client.gather({ a: [f] })), { name: 'ReleasedFutureError', message: `gather(): future ${f.key} was released by future.release(); its result is no longer held` });
  t.match(await f.exception(), { name: 'ReleasedFutureError', key: f.key });

  const g = client.submit(inc, 2);
  await g.result();
  client.release([g]);
  t.match(await rejection(g.result()), { name: 'ReleasedFutureError', releasedBy: 'client.release()', message: `future ${g.key} was released by client.release(); its result is no longer held` });
});

t.test('a future released while its result() waits rejects with it, not waiting for ever', async (t) => {
  const f = pending();
  const waiting = rejection(f.result());
  const exception = f.exception();
  f.release();
  t.match(await waiting, { name: 'ReleasedFutureError', key: f.key, releasedBy: 'future.release()' });
  t.match(await exception, { name: 'ReleasedFutureError', key: f.key });
});

t.test('asCompleted and asCompletedBatches yield a released future once, as released, whenever it was released', async (t) => {
  for (const how of ['asCompleted', 'asCompletedBatches'] as const) {
    const finished = client.submit(inc, 10);
    await finished.result();
    const before = [finished, pending()];
    for (const f of before) f.release();
    const during = pending();
    const done = client.submit(inc, 11);
    const list = [...before, during, done];
    const seen: Array<Future<number>> = [];
    const iterate = how === 'asCompleted' ? client.asCompleted(list) : batches(client.asCompletedBatches(list));
    for await (const f of iterate) {
      seen.push(f);
      // The ones released before and the finished one came; now release the pending one.
      if (seen.length === 3) during.release();
    }
    t.equal(seen.length, list.length, `${how}: each future once`);
    t.same(new Set(seen), new Set(list), `${how}: every future`);
    for (const f of [...before, during]) {
      t.equal(f.status, 'released', `${how}: a released future reads released`);
      t.match(await rejection(f.result()), { name: 'ReleasedFutureError', key: f.key }, `${how}: its result() says it was released`);
    }
    t.equal(await done.result(), 12, `${how}: the others as before`);
  }
});

async function* batches<T>(it: AsyncIterable<T[]>): AsyncGenerator<T> {
  for await (const b of it) yield* b;
}

t.test('wait() counts a released future as done, released before the call or during it', async (t) => {
  const early = pending();
  early.release();
  t.same(await client.wait([early]), { done: [early], notDone: [] });
  const late = pending();
  const waiting = client.wait([late]);
  late.release();
  t.same(await waiting, { done: [late], notDone: [] });
  t.equal(late.status, 'released');
});

t.test('cancel() leaves a released future alone: another future of its key keeps its task', async (t) => {
  const x = n++;
  const released = client.submit(gatedRun, join(dir, 'runs'), x, gate);
  const kept = client.submit(gatedRun, join(dir, 'runs'), x, gate);
  t.equal(released.key, kept.key, 'the same pure call: one key');
  released.release();
  await client.cancel([released]);
  t.equal(kept.status, 'pending', 'the key was not cancelled');
  t.equal(released.status, 'released');
});

t.test('retry() leaves a released future alone: another future of its key keeps its error', async (t) => {
  const { fail } = remoteFrom<typeof import('@gluon/examples/tasks')>('@gluon/examples/tasks');
  const released = client.submit(fail, 'released-retry');
  const kept = client.submit(fail, 'released-retry');
  t.equal(released.key, kept.key, 'the same pure call: one key');
  await client.wait([kept]);
  t.equal(kept.status, 'error');
  released.release();
  await client.retry([released]);
  await released.retry();
  t.equal(kept.status, 'error', 'the key was not run again');
  t.equal(released.status, 'released');
});
