/** `cluster: slurm|pbs`: the run's workers as batch jobs through @gluon/deploy's shared launcher. */
import { fileURLToPath } from 'node:url';
import { batchJobScript, startBatchRun, type JobInfo } from '@gluon/deploy';
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

/**
 * What a batch run that no worker joined within worker_timeout_s should do, by its jobs' states:
 * it said 'start workers for it (gluon-worker ws://…)', for workers that were jobs in the queue.
 */
export function batchWaitHint(kind: 'slurm' | 'pbs', jobs: readonly Pick<JobInfo, 'id' | 'state'>[]): string {
  const ids = (js: readonly Pick<JobInfo, 'id'>[]) => `${kind} job${js.length === 1 ? '' : 's'} ${js.map((j) => j.id).join(', ')}`;
  const pending = jobs.filter((j) => j.state === 'pending'), running = jobs.filter((j) => j.state === 'running');
  const raise = 'raise worker_timeout_s (--worker-timeout S; null: wait as long as the queue takes)';
  if (pending.length && !running.length) return `its ${ids(pending)} ${pending.length === 1 ? 'was' : 'were'} still pending in the batch queue (the cluster's log above says why); ${raise}`;
  if (running.length) return `its ${ids(running)} ${running.length === 1 ? 'runs' : 'run'} but no worker connected (read the job's output: the node must reach this host and port); ${raise}`;
  return `its ${kind} jobs ended before a worker joined (the cluster's log above says how)`;
}
