/**
 * What one look of a batch cluster does: how many jobs to submit and which to cancel, from the
 * jobs the batch system lists, what the scheduler says of their workers, and the target (given
 * by `scale(n)`, or `adapt()`'s from the scheduler's load). Pure: job-cluster.ts does the I/O.
 *
 * A job whose worker is retiring (its lifetime ended) is not a working job any more: it takes no
 * new tasks and will end by itself once its results are handed over. Counted as
 * working until the batch system stopped listing it (as it was), the cluster submitted its
 * replacement only after the whole retirement, and the replacement then still waited in the queue:
 * `scale(n)` held fewer than n working jobs all that time, and a last worker held by the scheduler
 * for a replacement to take its results (up to its grace) waited for one that was not even
 * submitted, so its results were computed again. dask-jobqueue keeps its target the same way: a
 * retiring worker's job is replaced at once. A worker stopped for another reason (a SIGTERM) is
 * not replaced until its job is gone from the listing: the SIGTERM may be a rerun, its job listed
 * running until it is queued again (see {@link isRetiring}).
 */
import { adaptTarget, type AdaptOptions, type SchedulerLoad } from './adapt.js';

/**
 * What the scheduler says of a job's worker: connected and working, leaving because its lifetime
 * ended (`retiring`), leaving for another reason (`closing`: stopped, as by a SIGTERM), or not
 * listed alive.
 */
export type WorkerSeen = 'running' | 'retiring' | 'closing' | 'absent';

/**
 * Whether a job's worker is retiring, from what the scheduler says of it now and whether it was
 * retiring at the last look: it says it is leaving because its lifetime ended, or it said so and
 * has since stopped or left while its job is still listed (the job is ending). A worker closing
 * for another reason is not: it was stopped by a SIGTERM, which may be the batch system rerunning
 * its job (PBS's qrerun lists the job `R` while its worker closes, and it then runs again: a
 * replacement would be a job too many), a cancel, or a walltime kill; its job is taken as listed,
 * and the look that sees it gone replaces it. Nor is a worker that vanished without saying so (a
 * connection cut, a crash): it may reconnect, and replacing it would submit a job too many, to be
 * cancelled when it is back. One seen running again (a retirement that did not go through) is
 * working again.
 */
export function isRetiring(wasRetiring: boolean, seen: WorkerSeen): boolean {
  return seen === 'retiring' || (wasRetiring && (seen === 'absent' || seen === 'closing'));
}

/** A job the batch system lists, as the plan sees it (in submission order: newest last). */
export interface PlanJob {
  id: string;
  state: 'pending' | 'running';
  retiring: boolean;
  /**
   * The batch system requeued it (requeued-jobs.ts) after its worker, seen retiring while the job
   * was still listed running, had been replaced: PBS lists a rerun job `R` while MOM stops it, and a
   * worker with results to hand over leaves later still. Of the surplus this makes, a pending
   * replacement goes first (the batch system, or its operator, chose this job to run again); a
   * running one is kept and this pending job cancelled instead, as any pending job goes before a
   * running one: a running worker may hold results, and cancelling it would lose them.
   */
  rerun?: boolean;
}

export interface LookInput {
  jobs: readonly PlanJob[];
  /** The target number of working jobs (`scale(n)`, or adapt's last). */
  target: number;
  /** Under `adapt()`, with the load read in this look: the target follows it. */
  adapt?: { load: SchedulerLoad; opts: AdaptOptions; cores: number; idleLooks: number };
  /** `scale(n)` set the target since the last look: a cancel for it is the caller's, not the cluster's own. */
  asked?: boolean;
  /**
   * `close()` was called while this look was under way (it waits for the look before it cancels
   * every job): the target is none, and the look's cancels are said as the close's, not as a surplus.
   */
  closing?: boolean;
}

/** Why a look cancels jobs: `scale(n)` asked, adapt's target fell, more jobs are listed than the target wants, or `close()`. */
export type CancelWhy = 'asked' | 'adapt' | 'surplus' | 'closing';

export interface LookPlan {
  /** The target after this look (adapt's new one, else the one given). */
  target: number;
  /** Consecutive looks at a load that wants fewer workers than work (adapt scales down after waitCount of them). */
  idleLooks: number;
  /** Jobs to submit. */
  submit: number;
  /** Jobs to cancel, by id: working ones only, pending first (nothing runs there yet; a rerun job after the other pending ones), then the newest running. */
  cancel: string[];
  /** Why, when `cancel` is not empty. */
  why?: CancelWhy;
}

/**
 * The look's decision: keep `target` working jobs. Retiring jobs count for nothing, so each is
 * replaced at once, and are never cancelled (that would cut off the hand-over of their results;
 * they end by themselves within their worker's grace). So the jobs listed are at most the target
 * plus the retiring ones, and a retirement that ends without the job ending (the worker seen
 * running again) makes a surplus that the next look cancels, a pending job first. So does a retiring
 * job that the batch system requeues (a rerun): its replacement is the surplus while both are
 * pending, the rerun job once the replacement runs (dask-jobqueue too cancels pending jobs first).
 */
export function planLook(input: LookInput): LookPlan {
  const working = input.jobs.filter((j) => !j.retiring);
  let { target } = input;
  let idleLooks = input.adapt?.idleLooks ?? 0;
  let why: CancelWhy = input.asked ? 'asked' : 'surplus';
  if (input.closing) {
    target = 0;
    why = 'closing';
  } else if (input.adapt) {
    const { load, opts, cores } = input.adapt;
    idleLooks = Math.ceil(load.outstanding / cores) < working.length ? idleLooks + 1 : 0;
    target = adaptTarget(load, working.length, cores, opts, idleLooks);
    if (target < working.length) idleLooks = 0;
    if (target < input.target) why = 'adapt';
  }
  if (working.length <= target) return { target, idleLooks, submit: target - working.length, cancel: [] };
  // Pending before running (a running worker may hold results); among each, a rerun job after the others.
  const byState = (state: PlanJob['state']) => {
    const these = working.filter((j) => j.state === state);
    return [...these.filter((j) => !j.rerun).reverse(), ...these.filter((j) => j.rerun).reverse()];
  };
  const order = [...byState('pending'), ...byState('running')];
  return { target, idleLooks, submit: 0, cancel: order.slice(0, working.length - target).map((j) => j.id), why };
}

/**
 * The line a look logs for the jobs it cancels on its own (adapt's target fell, or a surplus), with
 * the ids and why; none for a cancel `scale(n)` asked for. Before, such a cancel was not said at
 * all: a rerun job cancelled as a surplus just vanished from the queue.
 */
export function cancelLine(kind: string, plan: LookPlan, jobs: readonly PlanJob[]): string | undefined {
  if (!plan.cancel.length || plan.why === undefined || plan.why === 'asked') return undefined;
  const byId = new Map(jobs.map((j) => [j.id, j]));
  const ids = plan.cancel.map((id) => `${id} (${byId.get(id)?.state ?? 'listed'})`).join(', ');
  const working = jobs.filter((j) => !j.retiring).length;
  const counts = `${working} working job(s) listed for a target of ${plan.target}`;
  // close() cancels every job anyway; said as a surplus, the line blamed a retiring worker seen
  // working again, or a job back in the listing, for a cancel nobody but the caller asked for.
  if (plan.why === 'closing') return `${kind} cluster: cancelled job(s) ${ids}: the cluster is closing (close())`;
  if (plan.why === 'adapt') return `${kind} cluster: cancelled job(s) ${ids}: adapt's target fell to ${plan.target} (the scheduler's load); ${counts}`;
  const reruns = jobs.filter((j) => j.rerun && !j.retiring);
  const kept = reruns.filter((j) => !plan.cancel.includes(j.id)).map((j) => j.id);
  const gone = reruns.filter((j) => plan.cancel.includes(j.id)).map((j) => j.id);
  const rerunWhy = gone.length
    ? `: job(s) ${gone.join(', ')} were requeued by the batch system after their retiring worker had been replaced, and the replacement is running; a pending job is cancelled before a running one (a running worker may hold results)`
    : kept.length
      ? `: job(s) ${kept.join(', ')} were requeued by the batch system after their retiring worker had been replaced; kept to run again, the replacement is the surplus`
      : ' (a retiring worker seen working again, or a job back in the listing)';
  return `${kind} cluster: cancelled job(s) ${ids} as a surplus: ${counts}${rerunWhy}`;
}
