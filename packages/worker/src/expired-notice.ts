/**
 * What a worker says when the scheduler closed its connection as expired (4007: nothing from the
 * worker for the heartbeat TTL). It said "lost the scheduler (4007 …); reconnecting", the
 * opposite of what happened: the scheduler was there all along, it presumed this worker dead
 * and gave its tasks to other workers, and the worker (frozen by SIGSTOP, a paused VM, or cut
 * off) is the one that went away.
 */

/** Seconds for the log: `15.0 s`. */
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/**
 * The worker's line for an expired connection: `pausedMs` is how long this process itself did
 * not run just before (its heartbeat timer's lateness), said when it reaches the TTL `ttlMs`
 * (then this process was stopped, not its link); `held` the results it offers back.
 */
export function expiredText(code: number, reason: string, pausedMs: number, ttlMs: number, held: number): string {
  const why = ttlMs > 0 && pausedMs >= ttlMs
    ? `this process did not run for ${seconds(pausedMs)} (stopped: SIGSTOP, a paused VM, swapping)`
    : 'nothing this worker sent reached it for that long (its link cut, or this process stalled)';
  return `the scheduler presumed this worker dead and dropped it (${code}${reason ? `: ${reason}` : ''}): ${why}. `
    + 'It gave this worker\'s tasks to other workers; the ones still running here finish. '
    + `Registering again, offering back the ${held} result(s) held here`;
}
