/**
 * A client cut off from its scheduler (a relay on loopback whose link fails with both ends told,
 * so each learns of it at once: a silent cut needed a heartbeat TTL short enough for a quick test,
 * which on a loaded machine also dropped the worker or the reconnected client): the scheduler
 * drops the connection, the client reconnects once the link is back and re-sends its graph. Within the scheduler's session grace
 * its results are still where they were and nothing runs again; with no grace (the old
 * behaviour) they were released, and every one is recomputed. Runs are counted by the tasks.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import t, { type Test } from 'tap';
import { Client, remoteFrom, type Future } from '@gluon/client';
import { startScheduler, startWorker, type Proc } from '../../worker/test/procs.js';
import { LoopbackRelay } from '../../protocol/test/loopback-relay.js';
import { until } from '../../../test/helpers/until.js';

const here = dirname(fileURLToPath(import.meta.url));
const { recordRun, sumAll } = remoteFrom<typeof import('./fixtures/tasks.mjs')>(pathToFileURL(join(here, 'fixtures/tasks.mjs')));
const N = 12;

const procs: Proc[] = [];
t.teardown(() => {
  for (const p of procs) p.kill('SIGKILL');
});

/**
 * Runs N tasks, cuts the client's link until the scheduler has dropped it and the client has
 * noticed, restores it, and sums the N results on the cluster. Returns how many times the N
 * tasks ran in all.
 */
async function cutAndResume(t: Test, grace: string): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'gluon-grace-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const log = join(dir, 'runs');
  const s = await startScheduler(0, ['--session-grace', grace]);
  procs.push(s.proc);
  procs.push((await startWorker(s.address, ['--nthreads', '1', '--allow-module', join(here, 'fixtures')])).proc);
  const proxy = await LoopbackRelay.start(Number(new URL(s.address).port));
  t.teardown(() => proxy.close());
  const client = await Client.connect(`ws://127.0.0.1:${proxy.port}`, { reconnectTimeoutMs: 120_000 });
  t.teardown(() => client.close());

  const leaves: Array<Future<number>> = [];
  for (let i = 0; i < N; i++) leaves.push(client.submit(recordRun, log, i, 0));
  // Finished on the worker; the client has not fetched a value, so only the worker holds them.
  const { notDone } = await client.wait(leaves);
  t.equal(notDone.length, 0, `the ${N} tasks finished`);

  proxy.cutTelling();
  await s.proc.waitFor(/client \S+ \(.*\) lost: connection closed/);
  await until(() => !client.connected, 'the client noticing the cut');
  proxy.restore();

  const total = client.submit(sumAll, leaves);
  t.equal(await total.result(), (N * (N + 1)) / 2, 'the sum over the results is right');
  await until(() => client.connected, 'the client reconnecting');
  t.equal(client.reconnects, 1, 'the client reconnected once');
  return readFileSync(log, 'utf8').split('\n').filter(Boolean).length;
}

t.test('within the session grace, a client cut off finds its results again: nothing is recomputed', async (t) => {
  const runs = await cutAndResume(t, '10m');
  t.equal(runs, N, `each of the ${N} tasks ran once`);
});

t.test('with no session grace the same cut releases the results, and they are recomputed', async (t) => {
  const runs = await cutAndResume(t, '0');
  t.equal(runs, 2 * N, `each of the ${N} tasks ran twice`);
});
