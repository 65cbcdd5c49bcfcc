/**
 * When the scheduler collects its garbage itself. V8 collects only as it allocates, so after a
 * client releases a big graph the scheduler, now idle, keeps the dead task records, and its
 * RSS stays at the size it had while holding them (a million released tasks kept ~1 GiB
 * resident indefinitely). Once a release of at least `threshold` tasks has settled — a whole
 * tick without another task forgotten — one full collection gives the memory back. A
 * scheduler that keeps working is left to V8. Pure: the server asks it each tick and calls gc.
 */
export class IdleCollector {
  private lastCount = 0;
  private atLastCollection = 0;
  /** Tasks forgotten between the last two collections (for the log line). */
  lastReleased = 0;

  /** @param threshold tasks forgotten since the last collection that make one worth its pause */
  constructor(readonly threshold = 50_000) {}

  /** `forgotten`: the scheduler's running count of forgotten tasks. True: collect now. */
  shouldCollect(forgotten: number): boolean {
    const settled = forgotten === this.lastCount;
    this.lastCount = forgotten;
    if (!settled || forgotten - this.atLastCollection < this.threshold) return false;
    this.lastReleased = forgotten - this.atLastCollection;
    this.atLastCollection = forgotten;
    return true;
  }
}
