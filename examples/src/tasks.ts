/**
 * A small task module used by the examples, the tests and the benchmark. Workers import it as
 * `@gluon/examples/tasks`.
 */

export function inc(x: number): number {
  return x + 1;
}

export function add(...xs: number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s;
}

/** Does nothing: measures the scheduler's own cost per task. */
export function noop(_x?: unknown): null {
  return null;
}

export async function sleep(ms: number, value: unknown = null): Promise<unknown> {
  await new Promise((r) => setTimeout(r, ms));
  return value;
}

export function fail(message = 'deliberate failure'): never {
  throw new Error(message);
}

/** Ends the worker thread it runs in, as a crashing task would. */
export function exit(code = 1): never {
  process.exit(code);
}

/** A 100-bin histogram over [0, 1) of `n` pseudo-random values from `seed` (reproducible). */
export function histogram(seed: number, n = 10_000, bins = 100): Float64Array {
  const h = new Float64Array(bins);
  let s = (seed >>> 0) || 1;
  for (let i = 0; i < n; i++) {
    // xorshift32: fast, seedable, and the same on every worker.
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    h[Math.floor((s / 4294967296) * bins)]! += 1;
  }
  return h;
}

/** Bin-by-bin sum of histograms of equal length. */
export function mergeHistograms(parts: Float64Array[]): Float64Array {
  if (parts.length === 0) throw new RangeError('mergeHistograms: nothing to merge');
  const out = new Float64Array(parts[0]!.length);
  for (const p of parts) {
    if (p.length !== out.length) throw new RangeError(`mergeHistograms: lengths differ (${p.length} vs ${out.length})`);
    for (let i = 0; i < out.length; i++) out[i]! += p[i]!;
  }
  return out;
}
