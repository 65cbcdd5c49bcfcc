/**
 * A scheduler without workers: the run says on the console that it waits for workers, and gives
 * up after worker_timeout_s with an error that says what to do (it used to wait forever, silent).
 */
import t from 'tap';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { LocalCluster } from '@gluon/client';
import { generateDataset } from '../src/generate/index.js';
import { cliSandbox } from './cli-sandbox.js';
import { waitingForWorkersLine } from '../src/wait-workers.js';

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
  t.match(line, new RegExp(`^waiting for workers: none of the scheduler at ${addr.replace(/[.]/g, '\\.')} has taken a task yet; waited [\\d.]+ s of 3 s \\(worker_timeout_s\\): the run gives up at \\d\\d:\\d\\d:\\d\\d unless a worker takes a task$`));
  // Only this run's error line (other lines on stderr: progress, and the client's own notices).
  const errors = e.stderr.split('\n').filter((l: string) => l.startsWith('gluon-h4l'));
  t.same(errors, [`gluon-h4l run: no worker of the scheduler at ${addr} took a task within 3 s: start workers for it (gluon-worker ${addr}) or raise worker_timeout_s`]);
  t.notOk(existsSync(out), 'no outputs');
});

t.test('the waiting line says how long it waited of how long, and when the run gives up', async (t) => {
  const giveUpAt = new Date(2026, 11, 4, 20, 14, 7).getTime();
  t.equal(waitingForWorkersLine({ address: 'ws://h:1', waitedMs: 2004, timeoutMs: 120_000, giveUpAt }),
    'waiting for workers: none of the scheduler at ws://h:1 has taken a task yet; waited 2 s of 120 s (worker_timeout_s): the run gives up at 20:14:07 unless a worker takes a task');
  t.equal(waitingForWorkersLine({ address: 'ws://h:1', waitedMs: 2500 }),
    'waiting for workers: none of the scheduler at ws://h:1 has taken a task yet (waited 2.5 s; worker_timeout_s is null: the run waits as long as it takes)');
  t.notMatch(waitingForWorkersLine({ address: 'ws://h:1', waitedMs: 2000, timeoutMs: 120_000, giveUpAt }), /giving up after/);
});
