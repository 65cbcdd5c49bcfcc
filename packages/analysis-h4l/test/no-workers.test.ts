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
  t.match(e.stdout, `waiting for workers: none of the scheduler at ${addr} has taken a task yet; giving up after 3 s (worker_timeout_s)`);
  // Only this run's error line (other lines on stderr: progress, and the client's own notices).
  const errors = e.stderr.split('\n').filter((l: string) => l.startsWith('gluon-h4l'));
  t.same(errors, [`gluon-h4l run: no worker of the scheduler at ${addr} took a task within 3 s: start workers for it (gluon-worker ${addr}) or raise worker_timeout_s`]);
  t.notOk(existsSync(out), 'no outputs');
});
