import { setFlagsFromString } from 'node:v8';

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

/**
 * One full collection that also compacts every page it keeps (V8's
 * `--compact-on-every-full-gc`, set for this collection only), so the old space it leaves is
 * about the size of what is alive. A plain full collection evacuates only the pages V8's
 * heuristics pick: after a million released tasks the scheduler's heap was back to 17 MiB
 * used with 61-67 MiB still committed (bench/scale.ts), the live records left scattered one
 * or two to a page. Compacting costs a copy of what is alive, which after a big release is
 * small. A process started with the flag itself keeps it on.
 */
export function collectCompacting(gc: () => void, alwaysCompact = process.execArgv.includes('--compact-on-every-full-gc')): void {
  if (alwaysCompact) return gc();
  setFlagsFromString('--compact-on-every-full-gc');
  try {
    gc();
  } finally {
    setFlagsFromString('--no-compact-on-every-full-gc');
  }
}
