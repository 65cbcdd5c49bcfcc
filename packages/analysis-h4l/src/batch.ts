/** `cluster: slurm|pbs`: the run's workers as batch jobs through @gluon/deploy. */
import { fileURLToPath } from 'node:url';
import type { Client } from '@gluon/client';
import { PBSCluster, SlurmCluster, type JobClusterOptions, type JobQueueCluster } from '@gluon/deploy';
import type { H4lConfig } from './config.js';

/** Starts the scheduler here, submits `c.jobs` jobs and connects a client; `close()` cancels the jobs. */
export async function startBatchCluster(c: H4lConfig & { cluster: 'slurm' | 'pbs' }, log: (s: string) => void): Promise<{ cluster: JobQueueCluster; client: Client }> {
  const opts: JobClusterOptions = {
    cores: c.job_cores,
    // Workers resolve @gluon/analysis-h4l/tasks from this package's folder, as the LocalCluster's do.
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    jobName: `h4l-${c.run_name}`,
    ...(c.job_memory ? { memory: c.job_memory } : {}),
    ...(c.job_walltime ? { walltime: c.job_walltime } : {}),
    ...(c.job_queue ? { queue: c.job_queue } : {}),
    ...(c.job_account ? { account: c.job_account } : {}),
  };
  const cluster = c.cluster === 'slurm' ? await SlurmCluster.start(opts) : await PBSCluster.start(opts);
  try {
    await cluster.scale(c.jobs);
    log(`${c.cluster}: submitted ${c.jobs} job${c.jobs > 1 ? 's' : ''} (${cluster.jobList.map((j) => j.id).join(', ')}) for the scheduler at ${cluster.schedulerAddress}`);
    return { cluster, client: await cluster.client() };
  } catch (e) {
    await cluster.close();
    throw e;
  }
}
