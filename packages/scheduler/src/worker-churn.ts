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
 * {@link WorkerChurn.close} when it stops, so what was held back is said before the log ends
 * (the window itself: churn-window.ts, which the scheduler's lost clients share).
 */
import { CHURN_LINES_PER_WINDOW, CHURN_WINDOW_MS, ChurnWindow } from './churn-window.js';

export { CHURN_LINES_PER_WINDOW, CHURN_WINDOW_MS } from './churn-window.js';

/** What the cluster has now, for the lines' tails. */
export interface ChurnTotals { workers: number; threads: number }

export type ChurnKind = 'joined' | 'left' | 'lost';

export class WorkerChurn extends ChurnWindow<ChurnKind> {
  constructor(say: (line: string) => void, totals: () => ChurnTotals, windowMs = CHURN_WINDOW_MS, perWindow = CHURN_LINES_PER_WINDOW) {
    super(say, () => totalsText(totals()), { joined: 'joined', left: 'left', lost: 'lost' }, windowMs, perWindow);
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
