import { REFUSAL_LOG_INTERVAL_MS } from './refusals.js';

/**
 * What the scheduler's own log says of results freed because no client claimed them (the event
 * log has a line per worker and tick): the first freeing at once, then at most one line per
 * {@link REFUSAL_LOG_INTERVAL_MS}, summing the results and workers in between. Freed results come
 * back every grace period while clients keep leaving, so a line per tick would bury the rest;
 * none at all left an operator tailing that log not knowing where results went. Pure: the caller
 * passes the time, and takes the line on each tick (a sum is said even when nothing more is freed).
 */
export class OrphanLog {
  private lastSaid = -Infinity;
  private results = 0;
  private readonly workers = new Set<string>();

  constructor(private readonly intervalMs = REFUSAL_LOG_INTERVAL_MS) {}

  /** `results` results freed on worker `worker`. */
  freed(results: number, worker: string): void {
    this.results += results;
    this.workers.add(worker);
  }

  /** The line to say at `now`, if any is due. */
  take(now: number, graceMs: number): string | null {
    if (this.results === 0 || now - this.lastSaid < this.intervalMs) return null;
    const first = this.lastSaid === -Infinity;
    const where = this.workers.size === 1 ? `worker ${[...this.workers][0]}` : `${this.workers.size} workers`;
    const line = `freed ${this.results} result(s) on ${where} that no client claimed within ${graceMs} ms${first ? '' : ` (since the last such line; at most one a minute)`}`;
    this.lastSaid = now;
    this.results = 0;
    this.workers.clear();
    return line;
  }
}
