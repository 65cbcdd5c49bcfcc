import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { Every, Series, type ServerView } from './views.js';

/** One sample of the scheduler process: `[time, cpu %, rss bytes, loop lag max ms, loop lag mean ms]`. */
export type SelfSample = [number, number, number, number, number];

/** Where the figures come from: the scheduler's own process, or a stand-in in tests. */
export type SelfSampler = (now: number) => [cpu: number, rss: number, lagMaxMs: number, lagMeanMs: number];

const RESOLUTION_MS = 10;

/**
 * Measures this process: CPU time over wall time since the previous call (100% = one core),
 * resident set size, and the event loop's delay (a libuv timer every 10 ms records how late it fires)
 * since the previous call, its max and mean in ms. Costs a timer wake-up per 10 ms, nothing per event.
 */
export function processSampler(): { sample: SelfSampler; close(): void } {
  const loop: IntervalHistogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  loop.enable();
  let cpu = process.cpuUsage();
  let wall = performance.now();
  return {
    sample: () => {
      const c = process.cpuUsage(cpu);
      const w = performance.now();
      const busy = ((c.user + c.system) / 1000 / Math.max(1, w - wall)) * 100;
      cpu = process.cpuUsage();
      wall = w;
      // The histogram records the time between its timer's runs, so the 10 ms period itself is
      // not lag. Before its first run it is empty (its max then reads as a huge number).
      const max = loop.count ? Math.max(0, loop.max / 1e6 - RESOLUTION_MS) : 0;
      const mean = loop.count ? Math.max(0, loop.mean / 1e6 - RESOLUTION_MS) : 0;
      loop.reset();
      return [busy, process.memoryUsage.rss(), max, mean];
    },
    close: () => loop.disable(),
  };
}

/**
 * The scheduler's own CPU, RSS and event-loop lag, sampled once a second over the last ten
 * minutes (600 samples). State `{samples}`, delta `{samples}` (the new ones).
 */
export class SchedulerView implements ServerView {
  readonly name = 'scheduler';
  private readonly series: Series<SelfSample>;
  private readonly every: Every;

  constructor(private readonly sampler: SelfSampler, periodMs = 1000, windowMs = 10 * 60_000) {
    this.every = new Every(periodMs);
    this.series = new Series(windowMs, Math.ceil(windowMs / periodMs) + 1);
  }

  delta(now: number): { samples: SelfSample[] } | undefined {
    if (this.every.due(now)) this.series.push([now, ...this.sampler(now)]);
    const fresh = this.series.take();
    return fresh.length ? { samples: fresh } : undefined;
  }

  state(): { samples: SelfSample[] } {
    return { samples: this.series.toArray() };
  }
}
