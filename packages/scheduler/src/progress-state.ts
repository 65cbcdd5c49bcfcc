/**
 * How a task counts in the dashboard's Progress panel. The scheduler's own states say where a
 * task is; progress also needs what it came to: a result that was let go (`released` or
 * `forgotten` after `memory`) still counts as done, an erred task let go still counts as erred,
 * a task a client cancelled counts as cancelled (without it, cancelled tasks were in no count,
 * and the header's total fell short of what the clients submitted), and only a task that is
 * computed again leaves those counts. Pure functions of a task's state
 * and its last outcome: the state machine keeps the outcome and sends it with each task-state
 * event; the dashboard's aggregator maps the transition to one of progress states.
 */
import type { Outcome, ProgressState } from './dashboard/source.js';
import type { TaskState } from './records.js';

/** What a task last came to (see {@link Outcome}). */
export const NONE = 0, MEMORY = 1, ERRED = 2, CANCELLED = 3;

/** The outcome a task has after moving to `to`. */
export function outcomeAfter(outcome: Outcome, to: TaskState): Outcome {
  switch (to) {
    case 'memory':
      return MEMORY;
    case 'erred':
      return ERRED;
    case 'waiting':
    case 'queued':
    case 'processing':
      return NONE; // computed again: its old result no longer counts
    default:
      return outcome;
  }
}

/** Where a task in `state` with `outcome` counts. */
export function progressState(state: TaskState, outcome: Outcome): ProgressState {
  if (state === 'released' || state === 'forgotten') {
    return outcome === MEMORY ? 'done' : outcome === ERRED ? 'failed' : outcome === CANCELLED ? 'cancelled' : state;
  }
  return state;
}
