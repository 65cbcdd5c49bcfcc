/**
 * Jobs that end before their worker joins (a bad worker command, no node on the compute node, a
 * job killed at start): the pure count that decides when the cluster stops replacing them, and
 * the messages that name the job and the file to read. The cluster does the I/O.
 *
 * A job cancelled before its worker joined (`scancel`, `qdel`, by the user, an administrator or
 * the batch system itself: preempted, past a deadline) is not a failure: nothing says the worker
 * command is wrong. Counted as one, a user clearing a few queued jobs stopped the cluster
 * submitting. It neither counts nor resets the count, and its line says it was cancelled.
 */

/** How a job ended, as far as the cluster knows. */
export interface EndedJob {
  id: string;
  /** Whether its worker was ever seen connected to the scheduler. */
  joined: boolean;
  /** The batch system's final state (`FAILED, exit code 127:0`), if it reports one. */
  state?: string | undefined;
  /** Whether that state says the job was cancelled rather than failed (see {@link EndState}). */
  cancelled?: boolean | undefined;
  /** The job's output (and error) file. */
  outputFile: string;
}

/** An ended job's final state as the batch system reports it, and whether it was a cancel. */
export interface EndState {
  state: string;
  cancelled: boolean;
  /** The batch system no longer knows the job (`state` says why): nothing about how it ended. */
  unknown?: true;
  /** The batch system killed it at its walltime (Slurm TIMEOUT; PBS Pro Exit_status -29): walltime-kills.ts. */
  walltime?: true;
}

/**
 * Slurm's final states that are cancels, not failures: CANCELLED (`scancel`, by anyone),
 * PREEMPTED (stopped for another job), DEADLINE (Slurm gave up on a `--deadline`), REVOKED (a
 * federated sibling ran instead). FAILED, NODE_FAIL, BOOT_FAIL, OUT_OF_MEMORY, TIMEOUT and the
 * rest are failures.
 */
const SLURM_CANCELS = new Set(['CANCELLED', 'PREEMPTED', 'DEADLINE', 'REVOKED']);

/** Whether Slurm's JobState (`CANCELLED`, `CANCELLED+`, `FAILED`) is a cancel. */
export function slurmStateIsCancel(jobState: string): boolean {
  return SLURM_CANCELS.has(jobState.replace(/\+$/, '').toUpperCase());
}

/**
 * Whether a PBS Pro / OpenPBS history record (`qstat -x -f`) is a cancel: substate 91, TERMINATED.
 * From OpenPBS's source (openpbs/openpbs, read 4 December 2026): src/include/job.h defines the
 * history substates 91 TERMINATED, 92 FINISHED, 93 FAILED, 94 MOVED; svr_setjob_histinfo
 * (src/server/svr_jobfunc.c) gives a finished job 91 exactly when `ji_terminated` is set, else 93
 * for a non-zero Exit_status, else 92; `ji_terminated` is set only by req_deletejob2
 * (src/server/req_delete.c), the delete request: `qdel` by the owner or a manager, and the
 * scheduler preempting by deletion; a rerun clears it (src/server/req_runjob.c).
 * The Exit_status is not used: a job deleted while queued has none, a running one reports how its
 * process ended (PBS adds 256 to a signal: 271 for SIGTERM, src/resmom/linux/mom_start.c), and a
 * job MOM kills over a limit has a negative one (-29 JOB_EXEC_KILL_WALLTIME, -27 JOB_EXEC_KILL_MEM;
 * substate 93), which stays a failure.
 */
export function pbsSubstateIsCancel(substate: string | undefined): boolean {
  return substate === '91';
}

/** Default `maxFailedJobs`: consecutive jobs ending without a worker before the cluster gives up. */
export const DEFAULT_MAX_FAILED_JOBS = 5;

/**
 * The count of consecutive jobs that ended without their worker joining, after `job` ended:
 * a job whose worker joined is normal churn and resets it; one cancelled before its worker joined
 * leaves it as it was. `giveUp` once it reaches `limit`.
 */
export function countEndedJob(consecutive: number, job: Pick<EndedJob, 'joined' | 'cancelled'>, limit: number): { consecutive: number; giveUp: boolean } {
  if (job.joined) return { consecutive: 0, giveUp: false };
  if (job.cancelled) return { consecutive, giveUp: false };
  const next = consecutive + 1;
  return { consecutive: next, giveUp: next >= limit };
}

/** The line logged once for a job that ended (or was cancelled) before its worker joined. */
export function endedWithoutWorkerLine(kind: string, job: EndedJob): string {
  if (job.cancelled) return `${kind} cluster: job ${job.id} was cancelled before its worker joined (${job.state}); not counted as a failed job`;
  return `${kind} cluster: job ${job.id} ended before its worker joined${job.state ? ` (${job.state})` : ''}; read ${job.outputFile}`;
}

/** The error the cluster fails with after `count` such jobs in a row; names the last one. */
export function gaveUpMessage(kind: string, count: number, last: EndedJob): string {
  // An ssh session's script differs per host (its address, its name), and gluon-cluster ssh
  // prints each as it starts it: jobScript() is only the first worker host's.
  const script = kind === 'ssh' ? 'what runs on each host is in hostScript(host)' : 'the worker command is in jobScript()';
  return `${kind} cluster: ${count} jobs in a row ended before their worker joined; not submitting more. ` +
    `The last, job ${last.id}, ended${last.state ? ` ${last.state}` : ''}: read ${last.outputFile} (${script})`;
}

/**
 * The cluster gave up submitting: `count` jobs in a row ended before their worker joined, the last
 * `last`. What `whenFailed()` gives and `scale()`, `adapt()`, `waitForWorkers()` throw; a caller
 * that words it for its own users (the analyses' batch runs) reads the fields.
 */
export class JobsFailedError extends Error {
  override name = 'JobsFailedError';
  constructor(readonly kind: string, readonly count: number, readonly last: EndedJob) {
    super(gaveUpMessage(kind, count, last));
  }
}

/** Throws unless `n` is a valid `maxFailedJobs`. */
export function checkMaxFailedJobs(n: number | undefined, name = 'maxFailedJobs'): void {
  if (n !== undefined && (!Number.isInteger(n) || n < 1)) throw new RangeError(`${name} must be an integer ≥ 1, got ${n}`);
}
