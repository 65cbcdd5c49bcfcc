/**
 * A scheduler without workers: gluon-finalstates says on the console that it waits for workers
 * (as gluon-h4l does), and runs once one joins. It used to print its first line and then nothing,
 * for ever: the scheduler says `no-workers` only after there were workers, since the analyses were
 * to say it themselves, and this one did not.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalCluster } from '@gluon/client';
import { generateDataset } from '@gluon/analysis-h4l/generate';
import { DEFAULT_CONFIG } from '../../src/config.js';
import { listFiles } from '../../src/dataset.js';
import { physicsOptions } from '../../src/options.js';
import { runFinalStates } from '../../src/run.js';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const pkg = fileURLToPath(new URL('../..', import.meta.url));

t.test('no workers: a waiting notice, and the run goes on when a worker joins', async (t) => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'fs-noworkers-'));
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
  const data = path.join(tmp, 'data');
  await generateDataset({ outDir: data, scale: 0.01, seed: 1, samples: ['data_A'] });
  // Its workers, added below, import the task module from this package's folder.
  const cluster = await LocalCluster.start({ nWorkers: 0, dashboard: false, cwd: pkg });
  t.teardown(() => cluster.close());
  const addr = cluster.schedulerAddress;
  const p = spawn(process.execPath, [CLI, '--data-dir', data, '--scheduler', addr, '--min-events-per-fs', '1',
    '--base-output-dir', path.join(tmp, 'out')], { cwd: tmp, stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => { if (p.exitCode === null) p.kill('SIGKILL'); });
  let stdout = '', stderr = '';
  p.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
  const exited = new Promise<number | null>((resolve) => p.on('close', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "waiting for workers" line within 120 s; got:\n${stdout}\n${stderr}`)), 120_000);
    p.stdout.on('data', (b: Buffer) => {
      stdout += b.toString();
      if (/^waiting for workers/m.test(stdout)) { clearTimeout(timer); resolve(); }
    });
  });
  t.match(stdout, `waiting for workers: the scheduler at ${addr} has no worker connected; `
    + `start workers for it (gluon-worker ${addr}), and the run goes on`);
  await cluster.addWorker();
  t.equal(await exited, 0, `the run ends once a worker joined\n${stderr}`);
  t.match(stdout, /^outputs: /m, 'and writes its outputs');
  // The wait for the worker is said as start-up, not counted in the rate.
  t.match(stdout, /^\S+ masses? in \d+\.\d\d s \([\d,]+ events\/s, [\d,]+ masses\/s; start-up \d+\.\d\d s\)$/m, 'the summary says the start-up apart');
});

t.test('the wait for a worker is start-up, not processing: events/s and the progress rate count from a worker taking a task', async (t) => {
  // A batch run's jobs wait in the queue: that wait counted in processMs, so events/s and the
  // progress lines' rate and ETA were off by it ('193 ev/s  ETA 4881 s' while jobs were pending).
  const tmp = mkdtempSync(path.join(tmpdir(), 'fs-startup-'));
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
  const data = path.join(tmp, 'data');
  await generateDataset({ outDir: data, scale: 0.01, seed: 1, samples: ['data_A'] });
  const cluster = await LocalCluster.start({ nWorkers: 0, dashboard: false, cwd: pkg });
  t.teardown(() => cluster.close());
  let noticed = false;
  const elapsed: number[] = [];
  const report = await runFinalStates({ files: listFiles(data), physics: physicsOptions(DEFAULT_CONFIG), nWorkers: 0, scheduler: cluster.schedulerAddress,
    chunkSize: 20_000, publish: false }, {
    // No worker until the run has said it waits for one (2 s after it started waiting): then one joins.
    onWaitingForWorkers: () => { noticed = true; void cluster.addWorker(); },
    onProgress: (p) => { elapsed.push(p.elapsedMs); },
  });
  t.ok(noticed, 'the run waited for a worker');
  const waitMs = 2000;
  t.ok(report.timings.startupMs >= waitMs, `start-up (${report.timings.startupMs?.toFixed(0)} ms) holds the wait for a worker (≥ ${waitMs} ms)`);
  t.ok(report.timings.processMs <= report.timings.totalMs - report.timings.preprocessMs - waitMs,
    `processing (${report.timings.processMs.toFixed(0)} ms) does not (total ${report.timings.totalMs.toFixed(0)} ms)`);
  t.ok(elapsed.length > 0 && elapsed[0]! <= report.timings.totalMs - report.timings.preprocessMs - waitMs, `the first progress line's elapsed time (${elapsed[0]?.toFixed(0)} ms) counts from then too`);
  t.equal(report.eventsPerSecond, report.result.events / (report.timings.processMs / 1000), 'events/s is per second of processing');
});
