/**
 * A scheduler without workers: the run says on the console that it waits for workers, and gives
 * up after worker_timeout_s with an error that says what to do (it used to wait forever, silent).
 */
import t from 'tap';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { LocalCluster, remote } from '@gluon/client';
import { generateDataset } from '../src/generate/index.js';
import { runAnalysis } from '../src/run.js';
import { CLI, cliSandbox } from './cli-sandbox.js';
import { printed } from './sigint-run.js';
import { batchWaitHint, batchWaitingLine, jobsRunningSince } from '../src/batch.js';
import { giveUpCheck, waitingForWorkersLine, watchForWorkers } from '../src/wait-workers.js';

const { tmp, cliRan } = cliSandbox(t, 'h4l-noworkers-');

// Two subtests at a time (each in its own directory of tmp, with its own cluster or none): the
// batch run below waits over 20 s for its job to leave the queue, by design, and the others run
// meanwhile in the other slot (the file took the sum of its subtests, 52 s, 35 of them that one).
t.jobs = 2;

t.test('a batch run whose job waits in the queue longer than worker_timeout_s goes on, and finishes once the job runs', async (t) => {
  // worker_timeout_s (120 s) counted from the start under --cluster too, so a normal wait in a
  // busy queue ended the run ('no worker … took a task within 120 s: its slurm job 1266 was still
  // pending'). It counts from a job running now. The PBS stand-ins keep the job queued until qrun.
  const data = path.join(tmp, 'data-batch');
  await generateDataset({ outDir: data, scale: 0.01, seed: 1, samples: ['data_A'] });
  const pbs = path.join(tmp, 'fake-pbs');
  mkdirSync(pbs);
  const pbsBin = fileURLToPath(new URL('../../deploy/test/fixtures/pbs-bin', import.meta.url));
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: tmp, FAKE_PBS_DIR: pbs, FAKE_PBS_QUEUED: '1', PATH: `${pbsBin}:${process.env.PATH}` };
  delete env.GLUON_TOKEN;
  const out = path.join(tmp, 'out-batch');
  // The cluster says the job is pending after 25 s: by then a 20 s worker_timeout_s counted from the start had
  // ended the run (20 s: time enough for the job's worker to start once it runs, on a loaded machine).
  const p = spawn(process.execPath, [CLI, 'run', '--no-config', '--data-dir', data, '--cluster', 'pbs', '--jobs', '1', '--worker-timeout', '20', '--job-pending-notice', '25s',
    '--no-dashboard', '--out', out], { cwd: tmp, env, stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => { if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL'); });
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => p.on('exit', (code, signal) => resolve([code, signal])));
  let stdout = '';
  p.stdout.on('data', (b: Buffer) => { stdout += b.toString(); });
  const ended = exited.then((e): never => { throw new Error(`the run ended (${e.join(', ')}) while its job was queued:\n${stdout}`); });
  const stderr = await Promise.race([printed(p.stderr, /pbs cluster: 1 job\(s\) pending for \d+ s: 1\.fakepbs/, 'the pending notice'), ended]);
  t.match(stdout, /^waiting for workers: its pbs job 1\.fakepbs is pending in the batch queue; worker_timeout_s \(20 s\) counts from when one runs, not in the queue; the run goes on when one runs \(the cluster says why they wait if they stay pending; Ctrl-C stops the run\)$/m,
    'the run said what it waits for, and when worker_timeout_s counts');
  t.notMatch(`${stdout}${stderr}`, 'gluon-worker ws://', 'it does not send the user to start workers by hand');
  // The stand-in's qrun runs the job in its caller's environment: the token the run's scheduler has.
  execFileSync('qrun', ['1.fakepbs'], { env: { ...env, GLUON_TOKEN: readFileSync(path.join(tmp, '.gluon', 'cluster-token'), 'utf8').trim() } });
  let errors = stderr;
  p.stderr.on('data', (b: Buffer) => { errors += b.toString(); });
  const e = await exited;
  t.same(e, [0, null], 'the run finished once its job ran');
  if (e[0] !== 0) t.comment(`${stdout}\n${errors}`);
  t.ok(existsSync(path.join(out, 'run.json')), 'and wrote its outputs');
});

t.test('no workers: a waiting notice, then a clear error after --worker-timeout', async (t) => {
  const data = path.join(tmp, 'data');
  await generateDataset({ outDir: data, scale: 0.01, seed: 1, samples: ['data_A'] });
  const cluster = await LocalCluster.start({ nWorkers: 0, dashboard: false });
  t.teardown(() => cluster.close());
  const addr = cluster.schedulerAddress;
  const out = path.join(tmp, 'out');
  const e = await cliRan(['run', '--data-dir', data, '--scheduler', addr, '--worker-timeout', '3', '--out', out, '--no-config']);
  t.equal(e.code, 1, 'the run fails');
  // Said ~2 s in: what will happen, not 'giving up after 3 s', which read as if it had given up.
  const line = e.stdout.split('\n').find((l: string) => l.startsWith('waiting for workers:'));
  t.match(line, new RegExp(`^waiting for workers: the scheduler at ${addr.replace(/[.]/g, '\\.')} has no worker connected; waited [\\d.]+ s of 3 s \\(worker_timeout_s\\): the run gives up at \\d\\d:\\d\\d:\\d\\d unless a worker takes a task$`));
  // Only this run's error line (other lines on stderr: progress, and the client's own notices).
  const errors = e.stderr.split('\n').filter((l: string) => l.startsWith('gluon-h4l'));
  t.same(errors, [`gluon-h4l run: no worker of the scheduler at ${addr} took a task within 3 s: start workers for it (gluon-worker ${addr}) or raise worker_timeout_s`]);
  t.notOk(existsSync(out), 'no outputs');
});

t.test('the waiting line says how long it waited of how long, and when the run gives up', async (t) => {
  const giveUpAt = new Date(2026, 11, 4, 20, 14, 7).getTime();
  t.equal(waitingForWorkersLine({ address: 'ws://h:1', waitedMs: 2004, timeoutMs: 120_000, giveUpAt, workers: 0 }),
    'waiting for workers: the scheduler at ws://h:1 has no worker connected; waited 2 s of 120 s (worker_timeout_s): the run gives up at 20:14:07 unless a worker takes a task');
  t.equal(waitingForWorkersLine({ address: 'ws://h:1', waitedMs: 2500, workers: 0 }),
    'waiting for workers: the scheduler at ws://h:1 has no worker connected (waited 2.5 s; worker_timeout_s is null: the run waits as long as it takes)');
  t.notMatch(waitingForWorkersLine({ address: 'ws://h:1', waitedMs: 2000, timeoutMs: 120_000, giveUpAt, workers: 0 }), /giving up after/);
  t.equal(waitingForWorkersLine({ address: 'ws://h:1', waitedMs: 2004, timeoutMs: 120_000, giveUpAt, workers: 2 }),
    'waiting for workers: 2 workers of the scheduler at ws://h:1 are connected and none has finished a task yet (still loading the task code?); waited 2 s of 120 s (worker_timeout_s): the run gives up at 20:14:07 unless a worker takes a task');
});

t.test('workers connected but none done with the probe: the watch says they are connected, and does not send the user to start workers', async (t) => {
  // Two workers that take the probe and hold it (as while loading the task code) until the gate.
  const gate = path.join(tmp, 'probe-gate');
  const fixtures = fileURLToPath(new URL('fixtures', import.meta.url));
  const cluster = await LocalCluster.start({ nWorkers: 2, nthreads: 1, dashboard: false, env: { H4L_TEST_GATE: gate }, allowModules: [fixtures] });
  t.teardown(() => { writeFileSync(gate, ''); return cluster.close(); });
  const client = await cluster.client();
  t.equal(client.workersKnown, 2, 'the client knows both workers');
  const probe = remote<() => boolean>(pathToFileURL(path.join(fixtures, 'gated-probe.mjs')).href, 'gatedProbe');
  const addr = cluster.schedulerAddress;
  let waiting!: (w: { waitedMs: number; giveUpAt?: number; workers: number }) => void;
  const waited = new Promise<{ waitedMs: number; giveUpAt?: number; workers: number }>((r) => { waiting = r; });
  const watch = watchForWorkers(client, { address: addr, probe, noticeMs: 200, timeoutMs: 1500, onWaiting: waiting });
  t.teardown(() => watch.stop());
  const w = await waited;
  t.equal(w.workers, 2);
  t.match(waitingForWorkersLine({ address: addr, timeoutMs: 1500, ...w }), /^waiting for workers: 2 workers of the scheduler at \S+ are connected and none has finished a task yet \(still loading the task code\?\); /);
  await t.rejects(watch.failed, { name: 'NoWorkersError', message: `2 workers of the scheduler at ${addr} are connected but none finished a task within 1.5 s (still loading the task code?): raise worker_timeout_s` });
});

t.test('the wait for a worker is start-up, not processing: events/s and the progress rate count from a worker taking a task', async (t) => {
  // A batch run's jobs wait in the queue: that wait counted in processMs, so events/s and the
  // first progress line's ETA (hours, for a minute in the queue) were off by it.
  const data = path.join(tmp, 'data-startup');
  await generateDataset({ outDir: data, scale: 0.01, seed: 1, samples: ['data_A'] });
  const cluster = await LocalCluster.start({ nWorkers: 0, dashboard: false, cwd: fileURLToPath(new URL('..', import.meta.url)) });
  t.teardown(() => cluster.close());
  let waitedMs = -1;
  const firstElapsed: number[] = [];
  const report = await runAnalysis({ dataDir: data, selection: 'notebook', nWorkers: 0, scheduler: cluster.schedulerAddress, chunkSize: 1_000_000, skipBadFiles: false, publish: false },
    {
      // No worker until the run has said it waits for one (~2 s in): then one joins.
      onWaitingForWorkers: (w) => { waitedMs = w.waitedMs; void cluster.addWorker(); },
      onProgress: (p) => { firstElapsed.push(p.elapsedMs); },
    });
  t.ok(waitedMs >= 1000, `the run waited for a worker (${waitedMs} ms)`);
  t.ok(report.timings.startupMs >= waitedMs, `start-up (${report.timings.startupMs.toFixed(0)} ms) holds the wait for a worker (${waitedMs} ms)`);
  t.ok(report.timings.processMs < report.timings.totalMs - waitedMs, `processing (${report.timings.processMs.toFixed(0)} ms) does not (total ${report.timings.totalMs.toFixed(0)} ms)`);
  t.ok(firstElapsed[0]! < report.timings.totalMs - waitedMs, `the first progress line's elapsed time (${firstElapsed[0]!.toFixed(0)} ms) counts from then too`);
  t.equal(report.eventsPerSecond, report.result.events / (report.timings.processMs / 1000), 'events/s is per second of processing');
});

t.test('when a batch run\'s wait counts from, the watch\'s decision, and the lines (pure)', async (t) => {
  let jobs: Array<{ id: string; state: 'pending' | 'running' | 'gone' }> = [{ id: '7', state: 'pending' }, { id: '8', state: 'pending' }];
  let now = 1000;
  const since = jobsRunningSince(() => jobs, () => now);
  t.equal(since(), undefined, 'every job pending: the wait does not count yet');
  now = 5000;
  jobs = [{ id: '7', state: 'pending' }, { id: '8', state: 'running' }];
  t.equal(since(), 5000, 'from the first look at which a job runs');
  now = 9000;
  jobs = [{ id: '7', state: 'pending' }, { id: '9', state: 'pending' }];
  t.equal(since(), 5000, 'remembered once the job has ended and been replaced');
  t.equal(jobsRunningSince(() => [{ id: '7', state: 'gone' }], () => 3)(), 3, 'a job ended (it ran, or was cancelled) counts as started');
  // The cluster's jobList leaves ended jobs out: one that ran and ended between looks, replaced.
  let list = [{ id: '1', state: 'pending' as const }];
  const between = jobsRunningSince(() => list, () => now);
  now = 100;
  t.equal(between(), undefined);
  now = 200;
  list = [{ id: '2', state: 'pending' }];
  t.equal(between(), 200, 'a job seen pending, then gone from the list, had left the queue');
  t.same(giveUpCheck(undefined, 1000, 50_000), { giveUp: false, againInMs: 2000 }, 'not counting: look again in 2 s');
  t.same(giveUpCheck(10_000, 120_000, 50_000), { giveUp: false, againInMs: 80_000 }, 'counting: look again when it would end');
  t.same(giveUpCheck(10_000, 120_000, 130_000), { giveUp: true });
  const at = new Date(2026, 11, 5, 20, 14, 7).getTime();
  t.equal(batchWaitingLine('slurm', [{ id: '12_0', state: 'pending' }, { id: '12_1', state: 'pending' }], { workers: 0, timeoutMs: 120_000 }),
    'waiting for workers: its slurm jobs 12_0, 12_1 are pending in the batch queue; worker_timeout_s (120 s) counts from when one runs, not in the queue; the run goes on when one runs (the cluster says why they wait if they stay pending; Ctrl-C stops the run)');
  t.equal(batchWaitingLine('pbs', [{ id: '3.s', state: 'pending' }], { workers: 0 }),
    'waiting for workers: its pbs job 3.s is pending in the batch queue; the run goes on when one runs (the cluster says why they wait if they stay pending; Ctrl-C stops the run)', 'no worker_timeout_s (gluon-finalstates)');
  t.equal(batchWaitingLine('slurm', [{ id: '12', state: 'running' }], { workers: 0, timeoutMs: 120_000, giveUpAt: at }),
    'waiting for workers: its slurm job 12 runs and no worker has connected yet; the run gives up at 20:14:07 (worker_timeout_s, 120 s from when a job ran) unless a worker takes a task');
  t.equal(batchWaitingLine('slurm', [{ id: '12', state: 'running' }], { workers: 1, timeoutMs: null }),
    'waiting for workers: 1 worker of its slurm jobs is connected and none has finished a task yet (still loading the task code?) (worker_timeout_s is null: the run waits as long as it takes)');
  // A worker connected before the cluster's look at the queue saw its job run (found on a real
  // Slurm: gluon-h4l run --cluster slurm said 'worker_timeout_s is null' with the default 120 s).
  t.equal(batchWaitingLine('slurm', [{ id: '365_0', state: 'pending' }, { id: '365_1', state: 'pending' }], { workers: 1, timeoutMs: 120_000 }),
    'waiting for workers: 1 worker of its slurm jobs is connected and none has finished a task yet (still loading the task code?); worker_timeout_s (120 s) counts from when the cluster sees a job running (its next look at the queue), then the run gives up unless a worker takes a task');
  // While the listing fails the states are the last listed: said so, not as the queue's now.
  t.equal(batchWaitingLine('slurm', [{ id: '12', state: 'pending' }], { workers: 0, stale: 'the batch system has not listed the jobs since 2026-12-07T09:00:00Z (failing since 2026-12-07T09:00:02Z: squeue failed)' }),
    'waiting for workers: its slurm job 12 is pending in the batch queue; the run goes on when one runs (the cluster says why they wait if they stay pending; Ctrl-C stops the run) (the jobs\' states as last listed: the batch system has not listed the jobs since 2026-12-07T09:00:00Z (failing since 2026-12-07T09:00:02Z: squeue failed))');
  t.equal(batchWaitingLine('pbs', [{ id: '3.s', state: 'gone' }], { workers: 0, timeoutMs: 120_000 }),
    'waiting for workers: its pbs jobs ended before a worker joined (the cluster\'s log above says how)');
  t.equal(batchWaitHint('slurm', [{ id: '1266', state: 'pending' }]),
    'its slurm job 1266 was still pending in the batch queue (the cluster\'s log above says why); raise worker_timeout_s (--worker-timeout S; null: wait as long as the queue takes)',
    'given up (a job ran, ended, its replacement pending): the hint names the pending job');
});

t.test('an ssh run\'s waiting line and give-up name its worker sessions by host, and what ssh said for those that ended', async (t) => {
  const at = new Date(2026, 11, 5, 20, 14, 7).getTime();
  const sessions = [{ id: '10.0.0.11-1', state: 'running' as const }, { id: 'lab3-2', state: 'running' as const }];
  t.equal(batchWaitingLine('ssh', sessions, { workers: 0, timeoutMs: 120_000, giveUpAt: at }),
    'waiting for workers: its ssh worker sessions on 10.0.0.11, lab3 run and no worker has connected yet; the run gives up at 20:14:07 (worker_timeout_s, 120 s from when its sessions started) unless a worker takes a task');
  t.equal(batchWaitingLine('ssh', sessions, { workers: 2 }), 'waiting for workers: 2 workers of its ssh worker sessions are connected and none has finished a task yet (still loading the task code?)');
  t.equal(batchWaitingLine('ssh', [], { workers: 0 }), 'waiting for workers: its ssh worker sessions ended before a worker joined (the cluster\'s log above has what each printed)');
  const refused = { host: 'lab3', output: 'ssh: connect to host lab3 port 22: Connection refused' };
  t.equal(batchWaitHint('ssh', [], [refused]), 'its ssh worker session on lab3 ended before a worker joined: lab3: ssh: connect to host lab3 port 22: Connection refused');
  t.equal(batchWaitHint('ssh', [sessions[0]!], [refused]),
    'its ssh worker session on 10.0.0.11 runs but no worker connected (the worker hosts must reach the scheduler\'s host at its address and port: the cluster\'s log above has what their sessions printed); '
    + 'ssh worker session on lab3 ended before a worker joined: lab3: ssh: connect to host lab3 port 22: Connection refused; raise worker_timeout_s (--worker-timeout S; null: wait as long as it takes)');
  t.equal(batchWaitHint('ssh', [], [{ host: 'lab2', output: '' }]), 'its ssh worker session on lab2 ended before a worker joined: lab2: it printed nothing');
});
