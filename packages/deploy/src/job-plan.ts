/**
 * What one look of a batch cluster does: how many jobs to submit and which to cancel, from the
 * jobs the batch system lists, what the scheduler says of their workers, and the target (given
 * by `scale(n)`, or `adapt()`'s from the scheduler's load). Pure: job-cluster.ts does the I/O.
 *
 * A job whose worker is retiring (its lifetime ended, or it was stopped) is not a working job any
 * more: it takes no new tasks and will end by itself once its results are handed over. Counted as
 * working until the batch system stopped listing it (as it was), the cluster submitted its
 * replacement only after the whole retirement, and the replacement then still waited in the queue:
 * `scale(n)` held fewer than n working jobs all that time, and a last worker held by the scheduler
 * for a replacement to take its results (up to its grace) waited for one that was not even
 * submitted, so its results were computed again. dask-jobqueue keeps its target the same way: a
 * closing worker's job is replaced at once.
 */
import { adaptTarget, type AdaptOptions, type SchedulerLoad } from './adapt.js';

/** What the scheduler says of a job's worker: connected and working, leaving, or not listed alive. */
export type WorkerSeen = 'running' | 'closing' | 'absent';

/**
 * Whether a job's worker is retiring, from what the scheduler says of it now and whether it was
 * retiring at the last look: it says it is leaving, or it said so and has left while its job is
 * still listed (the job is ending). A worker that vanished without saying so (a connection cut, a
 * crash) is not: it may reconnect, and replacing it would submit a job too many, to be cancelled
 * when it is back; if its job ends, the look that sees it gone replaces it. One seen running again
 * (a retirement that did not go through) is working again.
 */
export function isRetiring(wasRetiring: boolean, seen: WorkerSeen): boolean {
  return seen === 'closing' || (wasRetiring && seen === 'absent');
}

/** A job the batch system lists, as the plan sees it (in submission order: newest last). */
export interface PlanJob {
  id: string;
  state: 'pending' | 'running';
  retiring: boolean;
}

export interface LookInput {
  jobs: readonly PlanJob[];
  /** The target number of working jobs (`scale(n)`, or adapt's last). */
  target: number;
  /** Under `adapt()`, with the load read in this look: the target follows it. */
  adapt?: { load: SchedulerLoad; opts: AdaptOptions; cores: number; idleLooks: number };
}

export interface LookPlan {
  /** The target after this look (adapt's new one, else the one given). */
  target: number;
  /** Consecutive looks at a load that wants fewer workers than work (adapt scales down after waitCount of them). */
  idleLooks: number;
  /** Jobs to submit. */
  submit: number;
  /** Jobs to cancel, by id: working ones only, pending first (nothing runs there yet), then the newest. */
  cancel: string[];
}

/**
 * The look's decision: keep `target` working jobs. Retiring jobs count for nothing, so each is
 * replaced at once, and are never cancelled (that would cut off the hand-over of their results;
 * they end by themselves within their worker's grace). So the jobs listed are at most the target
 * plus the retiring ones, and a retirement that ends without the job ending (the worker seen
 * running again) makes a surplus that the next look cancels, a pending job first.
 */
export function planLook(input: LookInput): LookPlan {
  const working = input.jobs.filter((j) => !j.retiring);
  let { target } = input;
  let idleLooks = input.adapt?.idleLooks ?? 0;
  if (input.adapt) {
    const { load, opts, cores } = input.adapt;
    idleLooks = Math.ceil(load.outstanding / cores) < working.length ? idleLooks + 1 : 0;
    target = adaptTarget(load, working.length, cores, opts, idleLooks);
    if (target < working.length) idleLooks = 0;
  }
  if (working.length <= target) return { target, idleLooks, submit: target - working.length, cancel: [] };
  const order = [...working.filter((j) => j.state === 'pending').reverse(), ...working.filter((j) => j.state === 'running').reverse()];
  return { target, idleLooks, submit: 0, cancel: order.slice(0, working.length - target).map((j) => j.id) };
}
