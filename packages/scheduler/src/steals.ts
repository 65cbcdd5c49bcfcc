/**
 * Work stealing's decisions, pure functions of the records: how many tasks a worker with free
 * threads asks for, which victims (the workers with the most unstarted work, in turn, from
 * placement.ts's index) and which of their tasks. The state machine sends the `steal-request`s
 * and acts on the answers (worker-reports.ts).
 *
 * A worker steals whenever it has a thread free and nothing is queued, not only once it has run
 * dry: while every worker ran one long task, a short task queued behind another's waited for that
 * task to end with threads free elsewhere (a no-op waited 20 s beside three 20 s tasks on 5
 * threads). It asks for no more than its free threads start (counting the steals not yet
 * answered), so a stolen task does not wait there in turn; a task its worker refused to give up
 * has started there and is never asked for again (each refusal was a round trip, at every finish
 * and heartbeat); and a worker with a free thread has no unstarted work by this count, so it is
 * never a victim while it is a thief: no task goes back and forth.
 *
 * The busiest victim may have nothing the thief can take (a paused worker's tasks all run, or
 * were refused; they are of a module the thief refuses; they are already asked for): the next
 * busiest is asked, up to {@link MAX_VICTIMS}, so a thief does not stay idle beside a backlog
 * on another worker.
 */
import { isPaused, spareWork, type WorkerPool } from './placement.js';
import { refuses, runsBefore, type TaskRecord, type WorkerRecord } from './records.js';

/**
 * How many tasks to ask other workers for on `thief`'s behalf now: one per free thread, less the
 * steals for it not yet answered. A worker running nothing asks for a thread's worth more than it
 * has threads, as placement gives it (the next task is there when one ends).
 */
export function stealsWanted(thief: WorkerRecord): number {
  const running = thief.processing.size;
  if (running >= thief.nthreads) return 0;
  const want = running === 0 ? thief.nthreads + 1 : thief.nthreads - running;
  return want - thief.pendingSteals();
}

/**
 * Up to `n` of the victim's tasks to ask back for `thief`: not already being stolen, not known to
 * have started (refused before), not of a module the thief refuses, and no more than the victim
 * may hold unstarted. Its first `nthreads` tasks are taken to be running (those known to run count
 * among them); a paused worker starts nothing new, so only those known to run are. The victim
 * runs its best tasks first, so the thief takes from the other end.
 */
export function stealCandidates(victim: WorkerRecord, n: number, thief: WorkerRecord): TaskRecord[] {
  let asked = 0;
  let started = 0;
  const open: TaskRecord[] = [];
  for (const t of victim.processing) {
    if (t.thief !== null) asked++;
    else if (t.stealRefused) started++;
    else if (!refuses(thief, t.fn.module)) open.push(t);
  }
  const running = isPaused(victim) ? started : Math.max(victim.nthreads, started);
  const unstarted = victim.processing.size - running - asked;
  if (unstarted <= 0 || n <= 0 || open.length === 0) return [];
  open.sort((a, b) => (runsBefore(a, b) ? 1 : -1));
  return open.slice(0, Math.min(n, unstarted));
}

/**
 * How many victims one decision looks at, the most unstarted work first: each costs a pass over
 * its tasks, and past a few busy workers with nothing to give, the next one's backlog is small.
 */
export const MAX_VICTIMS = 8;

/** No steal: shared, so the common answer (nothing unstarted anywhere) allocates nothing. */
const NO_STEALS: readonly TaskRecord[] = [];

/**
 * Up to `n` tasks to ask other workers for on `thief`'s behalf: {@link stealCandidates} of the
 * workers with the most unstarted work, in turn, until `n` are found or {@link MAX_VICTIMS}
 * were looked at. Each task's victim is its `processingOn`.
 */
export function chooseSteals(thief: WorkerRecord, pool: WorkerPool, n: number): readonly TaskRecord[] {
  const top = pool.mostSpare();
  if (n <= 0 || top === undefined || spareWork(top) <= 0) return NO_STEALS;
  const out: TaskRecord[] = [];
  for (const victim of pool.mostSpareFirst(MAX_VICTIMS)) {
    // In order of unstarted work: once one has none, none after it has.
    if (spareWork(victim) <= 0) break;
    if (victim === thief) continue;
    for (const ts of stealCandidates(victim, n - out.length, thief)) out.push(ts);
    if (out.length >= n) break;
  }
  return out;
}
