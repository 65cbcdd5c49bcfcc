/**
 * The scheduler's event-loop delay and GC pauses as its dashboard's `/metrics` reports them, for
 * the benchmarks that watch a scheduler process from outside (bench/scheduler.ts,
 * bench/tail-flags.ts).
 */

/**
 * prom-client samples the event loop every 10 ms and records the time between samples, so a
 * loop that is never late reads 10 ms: the delay is what exceeds it.
 */
const LOOP_SAMPLE_MS = 10;

export interface LoopDelay {
  p50Ms: number; p99Ms: number; maxMs: number;
  /** The scheduler's GCs so far (cumulative): scavenges and all kinds, count and pause seconds. */
  gc: { minor: number; minorSec: number; all: number; allSec: number };
}

/**
 * The scheduler's event-loop delay since the previous scrape of its `/metrics` (prom-client
 * resets the histogram at each scrape, so each call closes one window and opens the next). Null
 * when it runs without a dashboard or this build serves no such metrics.
 */
export async function schedulerLoopDelay(dashboardUrl: string | undefined): Promise<LoopDelay | null> {
  if (!dashboardUrl) return null;
  const res = await fetch(new URL('metrics', dashboardUrl));
  if (!res.ok) return null;
  const text = await res.text();
  const read = (name: string) => {
    const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
    return m ? Math.max(0, Number(m[1]) * 1000 - LOOP_SAMPLE_MS) : NaN;
  };
  const gcSum = (what: 'count' | 'sum', kind?: string) => {
    let total = 0;
    for (const m of text.matchAll(new RegExp(`^nodejs_gc_duration_seconds_${what}\\{([^}]*)\\} (\\S+)$`, 'gm'))) {
      if (!kind || m[1]!.includes(`kind="${kind}"`)) total += Number(m[2]);
    }
    return total;
  };
  const out = {
    p50Ms: read('nodejs_eventloop_lag_p50_seconds'), p99Ms: read('nodejs_eventloop_lag_p99_seconds'), maxMs: read('nodejs_eventloop_lag_max_seconds'),
    gc: { minor: gcSum('count', 'minor'), minorSec: gcSum('sum', 'minor'), all: gcSum('count'), allSec: gcSum('sum') },
  };
  return Number.isFinite(out.p99Ms) ? out : null;
}
