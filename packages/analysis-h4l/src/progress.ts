/** Console progress: a redrawn bar on a TTY, plain lines (at most one per second) otherwise. */
import type { ProgressEvent } from './run.js';
import { figure } from './figures.js';

function human(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e4 ? `${(n / 1e3).toFixed(1)}k` : figure(n);
}

/** One progress line: chunks, events, rate, ETA. */
export function progressLine(p: ProgressEvent, width = 24): { bar: string; text: string } {
  const frac = p.chunksTotal ? p.chunksDone / p.chunksTotal : 1;
  const rate = p.events / Math.max(1e-3, p.elapsedMs / 1000);
  const eta = rate > 0 ? (p.eventsTotal - p.events) / rate : NaN;
  const filled = Math.round(frac * width);
  return {
    bar: `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`,
    text: `${p.chunksDone}/${p.chunksTotal} chunks  ${human(p.events)}/${human(p.eventsTotal)} events  ${human(rate)} ev/s  ETA ${Number.isFinite(eta) ? eta.toFixed(1) + 's' : '?'}`,
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
