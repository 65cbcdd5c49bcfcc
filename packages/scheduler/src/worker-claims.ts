/**
 * What a registering worker says in its `holding` message that the scheduler believes: the tasks
 * it still runs (`running`), and the results it holds (`keys`) of tasks that are not in memory
 * here. A believed claim is acted on: a task said to be running is not run elsewhere while that
 * worker lives and its result is taken from it (recovery.ts); a result said to be held completes
 * its task. So such a claim is believed only when it is consistent with what this scheduler
 * knows:
 *
 * - a key it has no task for: given out before this scheduler restarted, by one it cannot ask
 *   (a result of it becomes an orphan a client may claim);
 * - a worker this scheduler awaits (a reconnecting client named it after a restart, or it
 *   dropped this scheduler during a stall; bounded by `holderWaitMs`): what it ran or held was
 *   given out by a scheduler that is gone, or while this one could not hear;
 * - a task the same worker (the same data address) had when its previous registration ended:
 *   running it, holding its only result, or called off from it before: it came back with it.
 *
 * Any other claim names a task never given to that worker, or given to another: believed, it
 * would hold the task back from everyone for as long as the claimant lives, or complete another
 * worker's task with the claimant's result. A held result of a task in memory is not judged
 * here: it only adds a holder. Pure: the caller says what is known.
 */
export interface ClaimContext {
  /** Whether this scheduler has a task of this key. */
  known(key: string): boolean;
  /** The worker is one this scheduler awaits (see above). */
  awaited: boolean;
  /** The same worker's previous registration, if this scheduler remembers one. */
  previous: { hadAtEnd(key: string): boolean } | undefined;
}

/** Whether a registering worker's claim to run, or hold the result of, task `key` is believed. */
export function believable(key: string, c: ClaimContext): boolean {
  return c.awaited || !c.known(key) || c.previous?.hadAtEnd(key) === true;
}

/** Keys for a log line: the first `max`, cut to their start, and how many more. */
export function keyList(keys: readonly string[], short: (key: string) => string, max = 10): string {
  const shown = keys.slice(0, max).map(short).join(', ');
  return keys.length > max ? `${shown} and ${keys.length - max} more` : shown;
}
