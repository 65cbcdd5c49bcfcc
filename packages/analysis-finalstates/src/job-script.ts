// A run's batch jobs as the job script shows them, apart from the run: --print-job-script loads
// neither the analysis nor the client (bench/cli-startup.ts).
import { fileURLToPath } from 'node:url';
import { batchJobScript, type BatchJobScript } from '@gluon/deploy';
import type { FsConfig } from './config.js';

/** Where a run's batch jobs run (this package's folder: its task module) and their name unless job_name says. */
export const jobsWhere = (c: FsConfig) => ({ cwd: fileURLToPath(new URL('..', import.meta.url)), jobName: `fs-${c.run_name}` });

/** The job script the run would submit (--print-job-script), and its note for stderr; nothing starts. */
export function jobScript(c: FsConfig & { cluster: 'slurm' | 'pbs' }): Promise<BatchJobScript> {
  return batchJobScript(c, jobsWhere(c));
}
