/**
 * How often the scheduler says it refused something a peer sent (a result for a task never
 * given to that worker, a publish over a bound): the first refusal from each sender at once,
 * then at most one line per sender per {@link REFUSAL_LOG_INTERVAL_MS}, counting those in
 * between. A peer sending a refused message in a loop cannot flood the log or the dashboard's
 * event log, and an operator still learns who does it and how often. Pure: the caller passes
 * the time.
 */
export const REFUSAL_LOG_INTERVAL_MS = 60_000;

interface Said {
  at: number;
  /** Refusals since the last line. */
  unsaid: number;
}

export class RefusalLog<K extends object> {
  private readonly said = new WeakMap<K, Said>();

  constructor(private readonly intervalMs = REFUSAL_LOG_INTERVAL_MS) {}

  /**
   * One more refusal from `sender` at `now`: how many refusals the line to say now covers (1 for
   * the first, more for a summary), or 0 when nothing is to be said yet.
   */
  refused(sender: K, now: number): number {
    const s = this.said.get(sender);
    if (!s) {
      this.said.set(sender, { at: now, unsaid: 0 });
      return 1;
    }
    s.unsaid++;
    if (now - s.at < this.intervalMs) return 0;
    const n = s.unsaid;
    s.at = now;
    s.unsaid = 0;
    return n;
  }
}
