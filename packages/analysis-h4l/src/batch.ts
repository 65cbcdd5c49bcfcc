/** `cluster: slurm|pbs`: the run's workers as batch jobs through @gluon/deploy's shared launcher. */
import { fileURLToPath } from 'node:url';
import { batchJobScript, startBatchRun } from '@gluon/deploy';
import type { H4lConfig } from './config.js';

/** Starts the scheduler here, submits `c.jobs` jobs and connects a client; `close()` cancels the jobs. */
export function startBatchCluster(c: H4lConfig & { cluster: 'slurm' | 'pbs' }, log: (s: string) => void): ReturnType<typeof startBatchRun> {
  return startBatchRun(c, where(c), log);
}

/** The job script the run would submit (`run --print-job-script`); nothing starts. */
export function batchJobScriptOf(c: H4lConfig & { cluster: 'slurm' | 'pbs' }): Promise<string> {
  return batchJobScript(c, where(c));
}

// Workers resolve @gluon/analysis-h4l/tasks from this package's folder, as the LocalCluster's do;
// the jobs are named for the run unless job_name says.
const where = (c: H4lConfig) => ({ cwd: fileURLToPath(new URL('..', import.meta.url)), jobName: `h4l-${c.run_name}` });
