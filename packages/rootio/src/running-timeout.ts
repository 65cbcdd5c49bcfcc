/**
 * A time limit counted in the time this process could run, not in wall-clock time.
 *
 * A starved process (a batch node loaded far past its cores, a process stopped and continued) has
 * its timers fire late, together with the I/O that finished meanwhile, and Node runs expired timers
 * before that I/O's callbacks: a wall-clock limit then called a good local file "damaged metadata?"
 * after 30 s of starvation at load 80, the machine's fault, not the file's. Here the limit is counted
 * in ticks; a tick that comes late counts as at most two, so starvation stretches the limit while a
 * server or disk that stays silent on a process that runs freely is still caught at `ms`. When the
 * limit is reached, `onExpire` waits one more turn of the event loop (after its I/O callbacks), so an
 * answer that arrived with the late tick is taken, not thrown away.
 *
 * `clock` is Node's own timers unless a test drives the limit by hand.
 *
 * @returns a function that cancels the limit (call it once the wait is over, however it ended).
 */
export function runningTimeout(ms: number, onExpire: () => void, clock: TimerClock = NODE_CLOCK): () => void {
  // About 20 ticks per limit: a 30 s limit wakes once a second; none less than 5 ms apart.
  const tick = Math.min(1000, Math.max(5, Math.ceil(ms / 20)));
  let counted = 0;
  let last = clock.now();
  let stopTimer: (() => void) | undefined;
  let stopAfter: (() => void) | undefined;
  const step = () => {
    const now = clock.now();
    counted += Math.min(now - last, 2 * tick);
    last = now;
    if (counted >= ms) stopAfter = clock.soon(onExpire);
    else stopTimer = clock.after(Math.min(tick, ms - counted), step);
  };
  stopTimer = clock.after(Math.min(tick, ms), step);
  return () => {
    stopTimer?.();
    stopAfter?.();
  };
}

/** The time and the timers runningTimeout uses (a test gives a clock it moves by hand). */
export interface TimerClock {
  /** Milliseconds from any fixed start. */
  now(): number;
  /** Calls `fn` once `ms` have passed; the function returned stops it. */
  after(ms: number, fn: () => void): () => void;
  /** Calls `fn` on the event loop's next turn, after its I/O callbacks; the function returned stops it. */
  soon(fn: () => void): () => void;
}

/** Node's monotonic clock, setTimeout and setImmediate. */
export const NODE_CLOCK: TimerClock = {
  now: () => performance.now(),
  after: (ms, fn) => { const timer = setTimeout(fn, ms); return () => clearTimeout(timer); },
  soon: (fn) => { const immediate = setImmediate(fn); return () => clearImmediate(immediate); },
};
