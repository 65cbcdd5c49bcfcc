/**
 * Every worker paused for memory while tasks wait: the cluster is stuck (a paused worker starts
 * nothing until its RSS falls below 90% of its limit; there is no spilling), and before, nothing
 * said so: the client's result() just waited. The rule (memory-stall.ts) on its own, then end to
 * end with real workers under a memory limit: the scheduler's log, the dashboard's event log and
 * the client each hear of it once, and of its end once.
 */
import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import t from 'tap';
import { Client, remoteFrom, type ClusterWarning } from '@gluon/client';
import { inProcessCluster } from '../fixtures/in-process.js';
import { startWorker } from '@gluon/worker';
import { MemoryStallWatch, StallWatches, stuckForMemory, type WorkerMemory } from '../../src/memory-stall.js';
import { until } from '../../../../test/helpers/until.js';
import { startCli } from '../scheduler-proc.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../../../..');
const fx = remoteFrom<typeof import('../fixtures/dashboard-tasks.mjs')>(pathToFileURL(join(here, '../fixtures/dashboard-tasks.mjs')));
const MiB = 2 ** 20;
const w = (name: string, paused: boolean): WorkerMemory => ({ name, address: `ws://h:${name.length}`, rss: 600 * MiB, memoryLimit: 512 * MiB, paused });

t.test('the rule: tasks wait and every running worker (at least one) is paused', async (t) => {
  t.equal(stuckForMemory({ workers: [w('a', true), w('b', true)], waiting: 3 }), true);
  t.equal(stuckForMemory({ workers: [w('a', true), w('b', false)], waiting: 3 }), false, 'one worker can still start tasks');
  t.equal(stuckForMemory({ workers: [w('a', true)], waiting: 0 }), false, 'nothing waits');
  t.equal(stuckForMemory({ workers: [], waiting: 3 }), false, 'no workers at all is another condition');
});

t.test('the watch: said once the condition has held for holdMs, once per episode, and its end once', async (t) => {
  const watch = new MemoryStallWatch(10_000);
  const stuck = { workers: [w('a', true)], waiting: 2 };
  t.equal(watch.step(stuck, 1_000), null, 'just began');
  t.equal(watch.step(stuck, 10_999), null, 'not yet 10 s');
  const said = watch.step(stuck, 11_000)!;
  t.equal(said.active, true);
  t.match(said.text, /^stuck: 2 task\(s\) wait and all 1 worker\(s\) have been paused for memory for 10\.0 s/);
  t.match(said.text, /a at ws:\/\/h:1 \(RSS 600 MiB, limit 512 MiB\)/, 'with each worker\'s memory and limit');
  t.same(watch.current, said, 'kept for clients that connect during it');
  t.equal(watch.step(stuck, 60_000), null, 'said once per episode');
  t.same(watch.step({ workers: [w('a', false)], waiting: 2 }, 61_000), { active: false, text: 'no longer stuck for memory: a worker can start tasks again' });
  t.equal(watch.current, null);
  t.equal(watch.step({ workers: [w('a', false)], waiting: 2 }, 62_000), null, 'its end once');
  // A short pause (a collection frees the memory) is not an episode.
  t.equal(watch.step(stuck, 70_000), null);
  t.equal(watch.step({ workers: [w('a', true)], waiting: 0 }, 75_000), null, 'over before 10 s: nothing said');
  t.equal(watch.step(stuck, 76_000), null, 'a new episode starts its own clock');
  t.equal(watch.step(stuck, 85_999), null);
  t.equal(watch.step(stuck, 86_000)!.active, true);
});

t.test('no workers: a worker that joined and left between two steps still counts as one the cluster had', async (t) => {
  // The rule learnt of workers only from the tick's figures: one that joined and was killed
  // within a tick (750 ms with a 3 s TTL) left it saying nothing while tasks waited for ever
  // (client warnings-reconnect.test, once worker processes started faster).
  const watches = new StallWatches(1000);
  const none = { workers: [], waiting: 1 };
  t.same(watches.step(none, 0), [], 'no worker has joined yet: a starting cluster, nothing to say');
  watches.workerJoined();
  t.same(watches.step(none, 100), [], 'one joined and left before this step: the episode begins');
  const [said] = watches.step(none, 1100);
  t.match(said, { kind: 'no-workers', active: true, text: /^stuck: 1 task\(s\) wait and no worker has been connected for 1\.0 s/ });
});

t.test('real workers paused for memory: the scheduler log, the dashboard and the client are told, once, and of the end', async (t) => {
  const lines: string[] = [];
  const { s, workers, connect } = await inProcessCluster(t, { host: '127.0.0.1', port: 0, dashboard: false, memoryStallMs: 300, log: (l) => lines.push(l) });
  // Two workers with a 1 MiB limit: any process is over it, so both pause at their first sample.
  for (const name of ['tiny-a', 'tiny-b']) {
    workers.push(await startWorker({ scheduler: s.address, nthreads: 1, name, memoryLimit: MiB, cwd: repo, allowModules: [join(here, '../fixtures')], log: () => {} }));
  }
  await until(() => { const ws = s.snapshot().workers; return ws.length === 2 && ws.every((x) => x.paused); }, 'both workers report they are paused');
  const client = await connect('stall-test');
  const heard: Array<ClusterWarning & { active: boolean }> = [];
  client.onWarning((x) => heard.push(x));
  const futures = client.map(fx.noop, [1, 2, 3]);
  await until(() => heard.length >= 1, 'the client hears that the cluster is stuck');
  t.equal(heard[0]!.active, true);
  t.equal(heard[0]!.kind, 'memory-stall');
  t.match(heard[0]!.text, /^stuck: 3 task\(s\) wait and all 2 worker\(s\) have been paused for memory for \d+\.\d s/, 'tasks waiting and workers');
  for (const x of workers) t.match(heard[0]!.text, `${x.name} at ${x.address} (RSS `, `names ${x.name}, its address and RSS`);
  t.match(heard[0]!.text, /limit 1 MiB\)/, 'and its limit');
  t.same(client.warnings.map((x) => x.kind), ['memory-stall'], 'in force on the client');
  const said = lines.filter((l) => l.startsWith('stuck: '));
  t.same(said, [heard[0]!.text], 'the scheduler logs the same text, once');
  t.same(s.snapshot().log.filter((e) => e.kind === 'stuck').map((e) => e.text), [heard[0]!.text], 'and the dashboard\'s event log shows it');
  // A client connecting now is told at once.
  const late = await Client.connect(s.address, { name: 'stall-late' });
  t.teardown(() => late.close());
  await until(() => late.warnings.length === 1, 'a client connecting during the episode is told');

  // A worker with room ends it: the tasks run, and everyone hears the end once.
  workers.push(await startWorker({ scheduler: s.address, nthreads: 1, name: 'roomy', cwd: repo, allowModules: [join(here, '../fixtures')], log: () => {} }));
  t.same(await client.gather(futures), [1, 2, 3], 'the tasks ran on the worker with room');
  await until(() => heard.length >= 2, 'the client hears the end');
  t.equal(heard[1]!.active, false);
  t.match(heard[1]!.text, /^no longer stuck for memory: /);
  t.same(client.warnings, [], 'nothing in force');
  await until(() => late.warnings.length === 0, 'the late client hears the end too');
  t.equal(lines.filter((l) => l.startsWith('stuck: ')).length, 1, 'the episode was said once');
  t.equal(lines.filter((l) => l.startsWith('no longer stuck')).length, 1, 'and its end once');
});

t.test('gluon-scheduler --memory-stall: the CLI and a gluon-worker process under --memory-limit', async (t) => {
  const proc = await startCli(t, ['--memory-stall', '300ms']);
  const bin = fileURLToPath(new URL('../../../worker/bin/gluon-worker.js', import.meta.url));
  const worker = spawn(process.execPath, [bin, proc.address, '--nthreads', '1', '--name', 'small', '--memory-limit', '1MiB', '--allow-module', join(here, '../fixtures')], { cwd: repo, stdio: ['ignore', 'ignore', 'pipe'] });
  let werr = '';
  worker.stderr!.on('data', (d) => (werr += String(d)));
  t.teardown(() => { worker.kill('SIGKILL'); });
  await until(() => /paused: RSS \d+ MiB is over the memory limit of 1 MiB/.test(werr), `the worker pauses (${werr})`);
  const client = await Client.connect(proc.address, { name: 'cli-stall' });
  t.teardown(() => client.close());
  const futures = client.map(fx.noop, [7]);
  await until(() => /scheduler: stuck: 1 task\(s\) wait and all 1 worker\(s\) have been paused for memory/.test(proc.stderr()), `the scheduler process logs it (${proc.stderr()})`);
  t.match(proc.stderr(), /small at ws:\/\/127\.0\.0\.1:\d+ \(RSS \d+ MiB, limit 1 MiB\)/, 'with the worker\'s figures');
  await until(() => client.warnings.length === 1, 'and the client hears it');
  t.equal(futures.length, 1);
});

t.test('no worker left while tasks wait (the last one killed mid-run): said once after holdMs and its end once; not before any worker joined', async (t) => {
  // Found by the across-hosts trial: with both workers killed, gluon-h4l's progress stopped at
  // 1/3435 chunks and nothing was said, in the client or the scheduler's log.
  const { Sim, task } = await import('../sim.js');
  const sim = new Sim({ memoryStallMs: 10_000 });
  sim.addClient('c');
  sim.submit('c', [task('a-1'), task('b-1')]);
  const warnings = (id = 'c') => (sim.clientMsgs.get(id) ?? []).filter((m) => m.op === 'warning');
  sim.tick(15_000);
  t.same(warnings(), [], 'no worker has joined yet: a starting cluster, not a stuck one');
  sim.addWorker('w1');
  sim.tick(16_000);
  sim.removeWorker('w1');
  sim.tick(20_000);
  sim.tick(29_999);
  t.same(warnings(), [], 'not before it has held for memoryStallMs');
  sim.tick(30_000);
  t.same(warnings().map((m) => [m.kind, m.active]), [['no-workers', true]]);
  t.equal(warnings()[0]!.text, 'stuck: 2 task(s) wait and no worker has been connected for 10.0 s (the last one left; the event log says why): '
    + 'start a worker (gluon-worker SCHEDULER-ADDRESS); the run goes on where it stopped');
  sim.tick(45_000);
  t.equal(warnings().length, 1, 'once per episode');
  sim.addClient('late');
  t.same(warnings('late').map((m) => [m.kind, m.active]), [['no-workers', true]], 'a client connecting meanwhile is told');
  sim.addWorker('w2');
  sim.tick(46_000);
  t.same(warnings().slice(1).map((m) => [m.kind, m.active, m.text]), [['no-workers', false, 'no longer stuck without workers: a worker joined']]);
  t.same(sim.state.log.filter((e) => e.kind === 'stuck' || e.kind === 'unstuck').map((e) => e.kind), ['stuck', 'unstuck'], 'the dashboard\'s banner comes and goes');
  t.same(sim.inbox.get('w2'), ['a-1', 'b-1'], 'and the tasks go on');
});
