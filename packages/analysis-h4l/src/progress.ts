/** Console progress: a redrawn bar on a TTY, plain lines (at most one per second) otherwise. */
import type { ProgressEvent } from './run.js';
import { figure } from './figures.js';

function human(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e4 ? `${(n / 1e3).toFixed(1)}k` : figure(n);
}

/** The shortest processing time a rate is computed over (see {@link progressRate}). */
export const MIN_RATE_INTERVAL_MS = 1000;

/** Whether every chunk is done: the line is the run's last. */
const finished = (p: Pick<ProgressEvent, 'chunksDone' | 'chunksTotal'>) => p.chunksDone >= 1 && p.chunksDone >= p.chunksTotal;

/**
 * Events per second so far, or undefined while that says nothing: before a chunk with events
 * finished, or over less than {@link MIN_RATE_INTERVAL_MS} of processing. On a cluster,
 * processing starts when a worker first ran a task, which the first chunk done may be (the probe
 * not back yet): the first progress line divided its events by ~1 ms (the floor), a rate of
 * millions of events/s and an ETA of a moment. Once every chunk is done it is the chunks' overall
 * rate, events over the whole processing time until then however short (a run under 1 s ended on
 * `? ev/s`); the end-of-run summary's time also counts the merge, so its rate is lower. Undefined
 * only with no time measured at all.
 */
export function progressRate(p: Pick<ProgressEvent, 'chunksDone' | 'chunksTotal' | 'events' | 'elapsedMs'>): number | undefined {
  if (finished(p)) return p.elapsedMs > 0 ? p.events / (p.elapsedMs / 1000) : undefined;
  if (p.chunksDone < 1 || p.events <= 0 || !(p.elapsedMs >= MIN_RATE_INTERVAL_MS)) return undefined;
  return p.events / (p.elapsedMs / 1000);
}

/**
 * One progress line: chunks, events, rate, ETA (`? ev/s  ETA ?` until the rate means something;
 * the last line, every chunk done, has the overall rate and `ETA 0.0s`).
 */
export function progressLine(p: ProgressEvent, width = 24): { bar: string; text: string } {
  const frac = p.chunksTotal ? p.chunksDone / p.chunksTotal : 1;
  const rate = progressRate(p);
  const eta = finished(p) || p.events >= p.eventsTotal ? 0 : rate !== undefined ? (p.eventsTotal - p.events) / rate : undefined;
  const filled = Math.round(frac * width);
  return {
    bar: `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`,
    text: `${figure(p.chunksDone)}/${figure(p.chunksTotal)} chunks  ${human(p.events)}/${human(p.eventsTotal)} events  ${rate !== undefined ? human(rate) : '?'} ev/s  ETA ${eta !== undefined ? eta.toFixed(1) + 's' : '?'}`,
  };
}

/** A progress sink writing to `out`. */
export function consoleProgress(out: NodeJS.WriteStream): { update(p: ProgressEvent): void; end(): void } {
  let last = 0, drawn = false;
  return {
    update(p) {
      const { bar, text } = progressLine(p);
      if (out.isTTY) {
        out.write(`\r${bar} ${text}\x1b[K`);
        drawn = true;
      } else {
        const now = Date.now();
        if (now - last >= 1000 || p.chunksDone === p.chunksTotal) { out.write(`progress: ${text}\n`); last = now; }
      }
    },
    end() { if (drawn) out.write('\n'); drawn = false; },
  };
}
