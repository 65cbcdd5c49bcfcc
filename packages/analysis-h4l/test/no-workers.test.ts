/**
 * A scheduler without workers: the run says on the console that it waits for workers, and gives
 * up after worker_timeout_s with an error that says what to do (it used to wait forever, silent).
 */
import t from 'tap';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { LocalCluster, remote } from '@gluon/client';
import { generateDataset } from '../src/generate/index.js';
import { runAnalysis } from '../src/run.js';
import { cliSandbox } from './cli-sandbox.js';
import { waitingForWorkersLine, watchForWorkers } from '../src/wait-workers.js';

const { tmp, cliRan } = cliSandbox(t, 'h4l-noworkers-');

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
  const fixtures = path.join(import.meta.dirname, 'fixtures');
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

t.test('a batch run whose job stays in the queue: the error names the pending job, not gluon-worker', async (t) => {
  // It said 'start workers for it (gluon-worker ws://…)' for a Slurm job pending for Resources
  // (found on the real Slurm with the node busy). The PBS stand-ins keep the job queued.
  const data = path.join(tmp, 'data-batch');
  await generateDataset({ outDir: data, scale: 0.01, seed: 1, samples: ['data_A'] });
  const pbs = path.join(tmp, 'fake-pbs');
  mkdirSync(pbs);
  const pbsBin = fileURLToPath(new URL('../../deploy/test/fixtures/pbs-bin', import.meta.url));
  const env = { ...process.env, HOME: tmp, GLUON_TOKEN: undefined, FAKE_PBS_DIR: pbs, FAKE_PBS_QUEUED: '1', PATH: `${pbsBin}:${process.env.PATH}` };
  const e = await cliRan(['run', '--no-config', '--data-dir', data, '--cluster', 'pbs', '--jobs', '1', '--worker-timeout', '3', '--no-dashboard', '--out', path.join(tmp, 'out-batch')], { env });
  t.equal(e.code, 1, 'the run fails');
  const errors = e.stderr.split('\n').filter((l: string) => l.startsWith('gluon-h4l'));
  t.match(errors, [/^gluon-h4l run: no worker of the scheduler at ws:\/\/\S+ took a task within 3 s: its pbs job 1\.fakepbs was still pending in the batch queue \(the cluster's log above says why\); raise worker_timeout_s \(--worker-timeout S; null: wait as long as the queue takes\)$/]);
  t.notMatch(e.stderr, 'gluon-worker ws://', 'it does not send the user to start workers by hand');
});
