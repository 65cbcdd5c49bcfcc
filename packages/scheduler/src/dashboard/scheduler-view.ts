import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { residentBytes } from '@gluon/protocol';
import { SampledView } from './views.js';

/** One sample of the scheduler process: `[time, cpu %, rss bytes, loop lag max ms, loop lag mean ms]`. */
export type SelfSample = [number, number, number, number, number];

/** Where the figures come from: the scheduler's own process, or a stand-in in tests. */
export type SelfSampler = (now: number) => [cpu: number, rss: number, lagMaxMs: number, lagMeanMs: number];

/**
 * How often the loop-delay timer runs while a browser watches the dashboard, and while none does.
 * Each run is a wake-up of an otherwise idle scheduler (at 10 ms, ~1.5 ms of CPU a second); a
 * stall at least as long as the period is always seen, a shorter one only when it covers a run.
 * So nobody watching, the history keeps every stall of 100 ms or more (and some shorter ones)
 * for a tenth of the wake-ups.
 */
export const WATCHED_RESOLUTION_MS = 10;
export const UNWATCHED_RESOLUTION_MS = 100;

/** The process sampler of {@link processSampler}. */
export interface ProcessSampler {
  sample: SelfSampler;
  /** Someone watches (finer loop-delay sampling) or nobody does. */
  watched(on: boolean): void;
  /** The loop-delay timer's period now, ms. */
  readonly resolutionMs: number;
  close(): void;
}

/**
 * Measures this process: CPU time over wall time since the previous call (100% = one core),
 * resident set size, and the event loop's delay (a libuv timer every `resolutionMs` records how
 * late it fires) since the previous call, its max and mean in ms. Costs a timer wake-up per
 * period, nothing per event; the period is {@link UNWATCHED_RESOLUTION_MS} until `watched(true)`.
 */
export function processSampler(): ProcessSampler {
  let resolution = UNWATCHED_RESOLUTION_MS;
  let loop: IntervalHistogram = monitorEventLoopDelay({ resolution });
  loop.enable();
  // What a replaced histogram had seen since the last sample (delays beyond its period, ms).
  let carried = { max: 0, sum: 0, count: 0 };
  const excess = (h: IntervalHistogram, period: number) => ({
    // The histogram records the time between its timer's runs, so the period itself is not lag.
    // Before its first run it is empty (its max then reads as a huge number).
    max: h.count ? Math.max(0, h.max / 1e6 - period) : 0,
    sum: h.count ? Math.max(0, h.mean / 1e6 - period) * h.count : 0,
    count: h.count,
  });
  let cpu = process.cpuUsage();
  let wall = performance.now();
  let closed = false;
  return {
    sample: () => {
      const c = process.cpuUsage(cpu);
      const w = performance.now();
      const busy = ((c.user + c.system) / 1000 / Math.max(1, w - wall)) * 100;
      cpu = process.cpuUsage();
      wall = w;
      const now = excess(loop, resolution);
      const count = now.count + carried.count;
      const max = Math.max(now.max, carried.max);
      const mean = count ? (now.sum + carried.sum) / count : 0;
      carried = { max: 0, sum: 0, count: 0 };
      loop.reset();
      return [busy, residentBytes(), max, mean];
    },
    watched(on: boolean) {
      const next = on ? WATCHED_RESOLUTION_MS : UNWATCHED_RESOLUTION_MS;
      if (next === resolution || closed) return;
      const old = excess(loop, resolution);
      carried = { max: Math.max(carried.max, old.max), sum: carried.sum + old.sum, count: carried.count + old.count };
      loop.disable();
      resolution = next;
      loop = monitorEventLoopDelay({ resolution });
      loop.enable();
    },
    get resolutionMs() {
      return resolution;
    },
    close: () => {
      closed = true;
      loop.disable();
    },
  };
}

/**
 * The scheduler's own CPU, RSS and event-loop lag, sampled once a second over the last ten
 * minutes (600 samples). State `{samples}`, delta `{samples}` (the new ones).
 */
export class SchedulerView extends SampledView<SelfSample> {
  readonly name = 'scheduler';

  constructor(private readonly sampler: SelfSampler, periodMs = 1000, windowMs = 10 * 60_000) {
    super(periodMs, windowMs);
  }

  protected sample(now: number): SelfSample {
    return [now, ...this.sampler(now)];
  }
}
