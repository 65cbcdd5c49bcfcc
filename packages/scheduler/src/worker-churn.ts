/**
 * Workers joining and leaving, as the scheduler's own log says them: someone watching the
 * terminal sees `worker a joined from node17 (ws://…, 4 threads); 3 workers, 10 threads` and
 * `worker a left: …`. The scheduler said nothing when a worker joined or left cleanly (only a
 * lost connection had a line), so a farm filling up or draining looked idle.
 *
 * Bounded for large farms: in each window of {@link CHURN_WINDOW_MS}, the first
 * {@link CHURN_LINES_PER_WINDOW} events are said one by one; the rest are counted and said as
 * one line once the window is over (`… and 995 more joined, 3 more left in the last 10 s (not
 * said one by one); 1000 workers, 4000 threads`). A 1,000-worker farm starting says 6 lines, not
 * 1,000. Pure: the caller gives the time, calls {@link WorkerChurn.flush} on its tick, and
 * {@link WorkerChurn.close} when it stops, so what was held back is said before the log ends.
 */
export const CHURN_WINDOW_MS = 10_000;
export const CHURN_LINES_PER_WINDOW = 5;

/** What the cluster has now, for the lines' tails. */
export interface ChurnTotals { workers: number; threads: number }

export type ChurnKind = 'joined' | 'left' | 'lost';

export class WorkerChurn {
  private windowStart = -Infinity;
  private said = 0;
  private readonly held: Record<ChurnKind, number> = { joined: 0, left: 0, lost: 0 };
  /** The latest event held back, named in the summary so the line points somewhere. */
  private latest = '';

  constructor(
    private readonly say: (line: string) => void,
    private readonly totals: () => ChurnTotals,
    private readonly windowMs = CHURN_WINDOW_MS,
    private readonly perWindow = CHURN_LINES_PER_WINDOW,
  ) {}

  /** A worker joined, left cleanly, or was lost: `line` says which and why (without the totals). */
  event(now: number, kind: ChurnKind, line: string): void {
    this.flush(now);
    if (now - this.windowStart >= this.windowMs) {
      this.windowStart = now;
      this.said = 0;
    }
    if (this.said < this.perWindow) {
      this.said++;
      this.say(`${line}; ${totalsText(this.totals())}`);
      return;
    }
    this.held[kind]++;
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
    const { joined, left, lost } = this.held;
    if (joined + left + lost === 0) return;
    const parts = [joined && `${joined} more joined`, left && `${left} more left`, lost && `${lost} more lost`].filter(Boolean);
    this.say(`… and ${parts.join(', ')} in the last ${Math.max(1, Math.round((now - this.windowStart) / 1000))} s (not said one by one; the latest: ${this.latest}); ${totalsText(this.totals())}`);
    this.held.joined = this.held.left = this.held.lost = 0;
    // The summary closes this window: the next event opens a new one.
    this.windowStart = -Infinity;
  }
}

function totalsText(t: ChurnTotals): string {
  return `${t.workers} worker${t.workers === 1 ? '' : 's'}, ${t.threads} thread${t.threads === 1 ? '' : 's'}`;
}

/**
 * How the scheduler's log names a registered worker in its `left`, `lost` and `expired` lines:
 * its name and the data address it gave, as its `joined` line names it, then where its
 * connection comes from (`worker a at ws://10.0.0.17:40321 (connection from 10.0.0.17:51234)`).
 * Those lines named only the connection's source port, which no `joined` line shows: a reader
 * could not tell which of the workers that joined had gone.
 */
export function workerWho(name: string, address: string, from: string | undefined): string {
  return `worker ${name}${address ? ` at ${address}` : ''}${from ? ` (connection from ${from})` : ''}`;
}

/**
 * Why a worker that said it was leaving (`closing`) left, for `worker a at … left: …` and the event
 * log: the reason it gave (`SIGTERM`, `lifetime of 55.0 min reached`, `the scheduler asked the
 * worker to close`, `close() called`, …; protocol 15), and how its connection ended when that was
 * not the worker's own goodbye (a process killed before it closed: 1006). The line said `it closed
 * (stopped: SIGTERM, close() or its --lifetime)` for every one of them.
 */
export function leftReason(said: string | undefined, code: number, closeReason: string): string {
  const why = said ? said : 'it gave no reason';
  if (code === CLOSE_NORMAL || code === CLOSE_NO_STATUS) return why;
  return `${why}; its connection then ended with ${code}${closeReason ? ` (${closeReason})` : ''}`;
}

/** WebSocket close codes of an orderly end: 1000, and 1005 (a close frame without a code). */
const CLOSE_NORMAL = 1000;
const CLOSE_NO_STATUS = 1005;
