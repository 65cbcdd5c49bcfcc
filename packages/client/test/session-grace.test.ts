/**
 * A client cut off from its scheduler (a relay on loopback whose link fails with both ends told,
 * so each learns of it at once: a silent cut needed a heartbeat TTL short enough for a quick test,
 * which on a loaded machine also dropped the worker or the reconnected client): the scheduler
 * drops the connection, the client reconnects once the link is back and re-sends its graph. Within the scheduler's session grace
 * its results are still where they were and nothing runs again; with no grace (the old
 * behaviour) they were released, and every one is recomputed. Runs are counted by the tasks.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import t, { type Test } from 'tap';
import { Client, remoteFrom, type Future } from '@gluon/client';
import { startScheduler as startInProcess } from '@gluon/scheduler';
import { startScheduler, startWorker, type Proc } from '../../worker/test/procs.js';
import { LoopbackRelay } from '../../protocol/test/loopback-relay.js';
import { until, untilEvent } from '../../../test/helpers/until.js';

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

t.test('a tree half merged when the link is cut: its lineage re-sent in several frames is neither forgotten nor computed again', async (t) => {
  // The defect: back within the grace, the client re-sends the lineage of its held keys in
  // update-graph frames (here of 8 tasks), and the scheduler ended the client's old registration
  // at the first one: the keys only later frames named lost their last reference in between, so
  // leaves 8-15 ran again, and (at 4,096-task frames, a client SIGSTOPped past the TTL) a merged
  // node forgotten failed its dependent and the root with `UnknownDependencyError: task sumAll-…
  // depends on sumAll-…, which the scheduler does not know`.
  const dir = mkdtempSync(join(tmpdir(), 'gluon-grace-tree-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const log = join(dir, 'runs');
  const gate = join(dir, 'gate');
  const s = await startInProcess({ port: 0, dashboard: false, sessionGraceMs: 600_000, log: () => {} });
  t.teardown(() => s.close());
  procs.push((await startWorker(s.address, ['--nthreads', '1', '--allow-module', join(here, 'fixtures')])).proc);
  const proxy = await LoopbackRelay.start(Number(new URL(s.address).port));
  t.teardown(() => proxy.close());
  const client = await Client.connect(proxy.address, { reconnectTimeoutMs: 120_000, graphSliceTasks: 8 });
  t.teardown(() => client.close());

  const leaves = Array.from({ length: 16 }, (_, i) => client.submit(recordRun, log, i, 0, i === 15 ? gate : undefined));
  const root = client.treeReduce(sumAll, leaves, { fanIn: 2 });
  // Every node but the four on the gated leaf's path merged: the scheduler forgot those below the top.
  const waiting = () => [...s.state.tasks.values()].filter((ts) => ts.state === 'waiting').length;
  await untilEvent(s, () => waiting() === 4 && [...s.state.tasks.values()].every((ts) => ts.state !== 'queued' && (ts.state !== 'processing' || ts.key === leaves[15]!.key)), 'the tree merged up to the gated path');

  proxy.cutTelling();
  // The scheduler keeps the lost client's session for its grace (a protected table: polled).
  await until(() => (s.state as unknown as { lostClients: Map<string, unknown> }).lostClients.size === 1, 'the scheduler dropping the client');
  await until(() => !client.connected, 'the client noticing the cut');
  proxy.restore();
  await until(() => client.connected, 'the client reconnecting');
  await client.whenSent();
  writeFileSync(gate, '');

  t.equal(await root.result(), (16 * 17) / 2, 'the tree sums every leaf');
  t.equal(readFileSync(log, 'utf8').split('\n').filter(Boolean).length, 16, `each leaf ran once (runs: ${readFileSync(log, 'utf8').trim().split('\n').join(' ')})`);
});
