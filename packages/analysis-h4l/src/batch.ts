/** `cluster: slurm|pbs`: the run's workers as batch jobs through @gluon/deploy's shared launcher. */
import { fileURLToPath } from 'node:url';
import { startBatchRun } from '@gluon/deploy';
import type { H4lConfig } from './config.js';

/** Starts the scheduler here, submits `c.jobs` jobs and connects a client; `close()` cancels the jobs. */
export function startBatchCluster(c: H4lConfig & { cluster: 'slurm' | 'pbs' }, log: (s: string) => void): ReturnType<typeof startBatchRun> {
  // Workers resolve @gluon/analysis-h4l/tasks from this package's folder, as the LocalCluster's do.
  return startBatchRun(c, { cwd: fileURLToPath(new URL('..', import.meta.url)), jobName: `h4l-${c.run_name}` }, log);
}
