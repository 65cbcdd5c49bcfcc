/**
 * Jobs that end before their worker joins (a bad worker command, no node on the compute node, a
 * job killed at start): the pure count that decides when the cluster stops replacing them, and
 * the messages that name the job and the file to read. The cluster does the I/O.
 */

/** How a job ended, as far as the cluster knows. */
export interface EndedJob {
  id: string;
  /** Whether its worker was ever seen connected to the scheduler. */
  joined: boolean;
  /** The batch system's final state (`FAILED, exit code 127:0`), if it reports one. */
  state?: string | undefined;
  /** The job's output (and error) file. */
  outputFile: string;
}

/** Default `maxFailedJobs`: consecutive jobs ending without a worker before the cluster gives up. */
export const DEFAULT_MAX_FAILED_JOBS = 5;

/**
 * The count of consecutive jobs that ended without their worker joining, after `job` ended:
 * a job whose worker joined is normal churn and resets it. `giveUp` once it reaches `limit`.
 */
export function countEndedJob(consecutive: number, job: Pick<EndedJob, 'joined'>, limit: number): { consecutive: number; giveUp: boolean } {
  if (job.joined) return { consecutive: 0, giveUp: false };
  const next = consecutive + 1;
  return { consecutive: next, giveUp: next >= limit };
}

/** The line logged once for a job that ended before its worker joined. */
export function endedWithoutWorkerLine(kind: string, job: EndedJob): string {
  return `${kind} cluster: job ${job.id} ended before its worker joined${job.state ? ` (${job.state})` : ''}; read ${job.outputFile}`;
}

/** The error the cluster fails with after `count` such jobs in a row; names the last one. */
export function gaveUpMessage(kind: string, count: number, last: EndedJob): string {
  return `${kind} cluster: ${count} jobs in a row ended before their worker joined; not submitting more. ` +
    `The last, job ${last.id}, ended${last.state ? ` ${last.state}` : ''}: read ${last.outputFile} (the worker command is in jobScript())`;
}

/** Throws unless `n` is a valid `maxFailedJobs`. */
export function checkMaxFailedJobs(n: number | undefined): void {
  if (n !== undefined && (!Number.isInteger(n) || n < 1)) throw new RangeError(`maxFailedJobs must be an integer ≥ 1, got ${n}`);
}
