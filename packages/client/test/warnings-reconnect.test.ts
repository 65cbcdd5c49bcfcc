/**
 * A warning in force when the client's link is lost, whose condition ends while the client is
 * away: the scheduler tells a returning client only what holds then, so nobody says the end.
 * Before, the client dropped its warnings without a word on the loss: `client.warnings` was
 * empty, but an `onWarning` listener (a status line, a progress display) had heard the begin and
 * never an end, and the log showed `stuck: … no worker` with no end either. Now the loss ends
 * each warning as unknown, said on stderr and to the listeners; one still in force is said again
 * on reconnecting. Real processes: a scheduler, workers, a relay whose link fails with both ends
 * told (a reset each learns of at once, not a silence a short heartbeat TTL must notice: one short
 * enough for a quick test also dropped the worker or the reconnected client on a loaded machine).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import t from 'tap';
import { Client, remoteFrom, type ClusterWarning } from '@gluon/client';
import { startScheduler, startWorker, type Proc } from '../../worker/test/procs.js';
import { LoopbackRelay } from '../../protocol/test/loopback-relay.js';
import { until } from '../../../test/helpers/until.js';

const here = dirname(fileURLToPath(import.meta.url));
const { recordRun } = remoteFrom<typeof import('./fixtures/tasks.mjs')>(pathToFileURL(join(here, 'fixtures/tasks.mjs')));
const allow = ['--allow-module', join(here, 'fixtures')];

const procs: Proc[] = [];
t.teardown(() => { for (const p of procs) p.kill('SIGKILL'); });

t.test('a no-workers warning that ends while the client is cut off is not left in force', async (t) => {
  const s = await startScheduler(0, ['--memory-stall', '200ms', '--session-grace', '10m']);
  procs.push(s.proc);
  const dir = mkdtempSync(join(tmpdir(), 'gluon-warnings-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const first = await startWorker(s.address, ['--nthreads', '1', ...allow]);
  procs.push(first.proc);
  const proxy = await LoopbackRelay.start(Number(new URL(s.address).port));
  t.teardown(() => proxy.close());
  const client = await Client.connect(`ws://127.0.0.1:${proxy.port}`, { reconnectTimeoutMs: 120_000 });
  t.teardown(() => client.close());
  const heard: Array<ClusterWarning & { active: boolean }> = [];
  client.onWarning((w) => heard.push(w));

  // A task held on the only worker (until the gate file exists), which dies: the task waits, no worker is left.
  // Its future is kept to the end: a future collected releases its task, which then waits for
  // nothing, and no-workers is never said (a collection before the kill, on a loaded machine).
  const runs = join(dir, 'runs');
  const held = client.submit(recordRun, runs, 1, 0, join(dir, 'gate'));
  await until(() => existsSync(runs), 'the task running on the first worker', 60_000);
  first.proc.kill('SIGKILL');
  await until(() => heard.some((w) => w.kind === 'no-workers' && w.active), 'the no-workers warning', 60_000);
  t.same(client.warnings.map((w) => w.kind), ['no-workers'], 'in force while connected');

  proxy.cutTelling();
  await until(() => !client.connected, 'the client noticing the cut');
  t.same(client.warnings, [], 'none while disconnected: nothing is known then');
  t.same(heard.map((w) => w.active), [true, false], 'the listener heard the end as unknown at the loss');
  // While the client is away a worker joins: the episode ends, said to no one of this client.
  procs.push((await startWorker(s.address, ['--nthreads', '1', ...allow])).proc);
  await s.proc.waitFor(/no longer stuck without workers/);
  proxy.restore();
  await until(() => client.connected, 'the client reconnecting', 120_000);

  t.same(client.warnings, [], 'nothing in force after reconnecting');
  const noWorkers = heard.filter((w) => w.kind === 'no-workers').map((w) => w.active);
  t.same(noWorkers, [true, false], `the listener heard the begin and an end:\n${JSON.stringify(heard, null, 1)}`);
  t.match(heard.at(-1)!.text, /^no-workers: not known while disconnected from the scheduler; said again on reconnecting if it still holds$/);
  t.equal(held.done, false, 'the task still waits for its gate');
});
