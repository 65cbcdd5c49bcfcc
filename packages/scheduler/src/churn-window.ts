/**
 * A bounded stream of arrivals and departures in the scheduler's own log (workers joining and
 * leaving, worker-churn.ts; clients lost, server.ts): in each window of {@link CHURN_WINDOW_MS},
 * the first {@link CHURN_LINES_PER_WINDOW} events are said one by one, the rest counted and said
 * as one line once the window is over (`… and 995 more joined, 3 more left in the last 10 s (not
 * said one by one; the latest: …); 1000 workers, 4000 threads`). Pure: the caller gives the time,
 * calls {@link ChurnWindow.flush} on its tick and {@link ChurnWindow.close} when it stops.
 */
export const CHURN_WINDOW_MS = 10_000;
export const CHURN_LINES_PER_WINDOW = 5;

export class ChurnWindow<K extends string> {
  private windowStart = -Infinity;
  private said = 0;
  private readonly held = new Map<K, number>();
  /** The latest event held back, named in the summary so the line points somewhere. */
  private latest = '';

  /**
   * `totals`: the tail of each line (what the scheduler has now); `words`: how the summary says
   * each kind after its count (`3 more lost`), in the order given.
   */
  constructor(
    private readonly say: (line: string) => void,
    private readonly totals: () => string,
    private readonly words: Readonly<Record<K, string>>,
    private readonly windowMs = CHURN_WINDOW_MS,
    private readonly perWindow = CHURN_LINES_PER_WINDOW,
  ) {}

  /** Something of `kind` happened: `line` says what and why (without the totals). */
  event(now: number, kind: K, line: string): void {
    this.flush(now);
    if (now - this.windowStart >= this.windowMs) {
      this.windowStart = now;
      this.said = 0;
    }
    if (this.said < this.perWindow) {
      this.said++;
      this.say(`${line}; ${this.totals()}`);
      return;
    }
    this.held.set(kind, (this.held.get(kind) ?? 0) + 1);
    this.latest = line;
  }

  /** Says what was held back once its window is over (on each event, and on the scheduler's tick). */
  flush(now: number): void {
    if (now - this.windowStart < this.windowMs) return;
    this.sayHeld(now);
  }

  /**
   * Says what is held back now, its window over or not: the scheduler is stopping, and no tick
   * will come to say it. Half of a 48-worker farm killed at once, then the scheduler stopped
   * 5 s later, left a log naming 5 workers lost and nothing of the other 19.
   */
  close(now: number): void {
    this.sayHeld(now);
  }

  private sayHeld(now: number): void {
    if (this.held.size === 0) return;
    const parts: string[] = [];
    for (const kind of Object.keys(this.words) as K[]) {
      const n = this.held.get(kind);
      if (n) parts.push(`${n} more ${this.words[kind]}`);
    }
    this.say(`… and ${parts.join(', ')} in the last ${Math.max(1, Math.round((now - this.windowStart) / 1000))} s (not said one by one; the latest: ${this.latest}); ${this.totals()}`);
    this.held.clear();
    // The summary closes this window: the next event opens a new one.
    this.windowStart = -Infinity;
  }
}
