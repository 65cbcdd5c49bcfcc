/**
 * Jobs the batch system requeues (`scontrol requeue`, a preemption with PreemptMode=REQUEUE, a
 * node failure with JobRequeue=1; PBS `qrerun`): the job keeps its id, its worker is stopped
 * (Slurm: SIGTERM, `CANCELLED AT … DUE TO JOB REQUEUE` in its output) and it goes back to the
 * queue to run again. The pure rule that tells a requeue from a look's listing; job-cluster.ts
 * does the I/O.
 *
 * Such a job is not-yet-running: its worker is gone and expected back, so it counts as a pending
 * job does (towards `scale(n)`'s n: submitting a replacement as well would be a job too many once
 * it runs again), not as a working one (its old worker, handing its results over as it leaves, is
 * no live worker of the cluster, and not retiring either: the job is not ending), and not as a
 * failure. Before, it kept `joined` from its first run, so a rerun that failed before its worker
 * joined was never counted, and the old worker's retirement made it look retiring for as long as
 * it waited: replaced, and never cancelled by a scale-down.
 *
 * Slurm, as seen on slurm-wlm 22.05 with `scontrol requeue`: RUNNING → (COMPLETING, with the
 * REQUEUED flag) → PENDING, reason BeginTime, its begin time 120 s ahead, `Restarts=1` in
 * `scontrol show job`; squeue's compact states RQ (REQUEUED), RH (REQUEUE_HOLD), RF (REQUEUE_FED)
 * and SE (SPECIAL_EXIT, a requeue held in a special state) name it while it happens (squeue(1),
 * JOB STATE CODES). A look every 2 s usually sees none of those, only a job seen running (or whose
 * worker joined) now pending: Slurm and PBS move a job back to the queue only by requeueing it.
 * sacct (where accounting is on) keeps one REQUEUED record per run (`sacct -D`); it is not read.
 *
 * Slurm counts the requeue at once (squeue's RestartCnt, `Restarts=` in scontrol), before its kill
 * reaches the worker, while the stopped run is still listed CG (its base state already PENDING). A
 * look that reads the scheduler first and squeue after therefore never sees the worker leaving
 * without the count having risen: the job is requeued from that look, and its worker, seen closing,
 * is not taken for a retiring one and replaced. Before, a look in those seconds (the worker left at
 * once, or finished a task first, KillWait) replaced it, and once the job was pending again the
 * replacement was a surplus to cancel (job-plan.ts's `rerun`, which PBS still needs: qstat -u gives
 * no run count, and it lists a rerun job R while MOM stops it).
 */
import { logText } from '@gluon/protocol/tools';
import type { ListedJob } from './pending-jobs.js';

/** A job as the cluster knew it before this look. */
export interface JobBefore {
  state: 'pending' | 'running' | 'gone';
  /** Whether its worker was seen connected (in this run of the job). */
  joined: boolean;
  /** Whether it was requeued and has not been seen running since. */
  requeued: boolean;
  /** Slurm: the restart count it was last listed with (0 until listed). */
  restarts?: number | undefined;
}

/**
 * Whether this look's listing `now` says the job was requeued since the last look: Slurm's restart
 * count rose (whatever the state: CG while the stopped run ends), the batch system says so (squeue
 * RQ, RH, RF, SE), or a job seen running, or whose worker joined, is pending again. Said once per
 * requeue: a job already known requeued is not requeued again until it has been seen running.
 */
export function requeuedNow(before: JobBefore, now: ListedJob): boolean {
  if (before.requeued || before.state === 'gone') return false;
  if (now.restarts !== undefined && now.restarts > (before.restarts ?? 0)) return true;
  if (now.state !== 'pending') return false;
  return now.requeued === true || before.state === 'running' || before.joined;
}

/**
 * Whether a job known requeued still is after this look: until it is listed running in a new run.
 * CG is the stopped run still ending (Slurm lists a requeued job CG, then PD).
 */
export function stillRequeued(now: ListedJob): boolean {
  return now.state === 'pending' || now.completing === true;
}

/** The state a requeued job counts in: pending, also while its stopped run is listed CG. */
export function requeuedState(requeued: boolean, now: ListedJob): 'pending' | 'running' {
  return requeued && stillRequeued(now) ? 'pending' : now.state;
}

/** The line logged once per requeue. */
export function requeuedLine(kind: string, id: string, now: ListedJob, requeues: number): string {
  // The reason is text the job's owner can set (pending-jobs.ts): no line breaks or escapes.
  const why = now.reason && now.reason !== 'None' ? ` (${logText(now.reason)})` : '';
  return `${kind} cluster: job ${id} was requeued${requeues > 1 ? ` (${requeues} times now)` : ''}: its worker leaves, and the job waits in the queue to run again${why}; ` +
    'counted as pending, not as a worker nor as a failed job';
}
