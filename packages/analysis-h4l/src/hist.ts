/**
 * A mergeable fixed-bin 1-D histogram as plain data (so it travels through msgpack as-is):
 * sum of weights and sum of squared weights per bin in ROOT's layout — index 0 is the
 * underflow, 1..nbins the bins, nbins+1 the overflow.
 *
 * Two filling rules, one per selection:
 * - `numpy` (selection A, `numpy.histogram`): bins are [low, high) except the last, which is
 *   closed; values outside [lo, hi] are dropped (under/overflow stay 0, `entries` counts
 *   only kept values).
 * - `root` (selection B, TH1::Fill): bin = 1 + floor(n·(x − lo)/(hi − lo)); below lo goes to
 *   underflow, at or above hi to overflow; `entries` counts every fill.
 */
export type Binning = 'numpy' | 'root';

export interface Hist1D {
  name: string;
  title: string;
  xLabel: string;
  binning: Binning;
  nbins: number;
  lo: number;
  hi: number;
  /** nbins + 2 values: underflow, bins, overflow. */
  sumw: Float64Array;
  /** nbins + 2 values, same layout. */
  sumw2: Float64Array;
  entries: number;
}

/** A new empty histogram. */
export function makeHist(name: string, nbins: number, lo: number, hi: number, binning: Binning,
                         title = name, xLabel = ''): Hist1D {
  if (!(nbins > 0) || !Number.isInteger(nbins)) throw new Error(`histogram ${name}: nbins must be a positive integer, got ${nbins}`);
  if (!(hi > lo)) throw new Error(`histogram ${name}: hi (${hi}) must exceed lo (${lo})`);
  return { name, title, xLabel, binning, nbins, lo, hi, sumw: new Float64Array(nbins + 2),
           sumw2: new Float64Array(nbins + 2), entries: 0 };
}

/** Lower edge of bin i (0-based among the nbins), computed like numpy.linspace. */
export function binEdge(h: Pick<Hist1D, 'nbins' | 'lo' | 'hi'>, i: number): number {
  return i === h.nbins ? h.hi : h.lo + ((h.hi - h.lo) * i) / h.nbins;
}

/**
 * The storage index (0 = underflow … nbins+1 = overflow) x falls in, or −1 when the value is
 * dropped (numpy rule outside [lo, hi], or NaN).
 */
export function binIndex(h: Pick<Hist1D, 'nbins' | 'lo' | 'hi' | 'binning'>, x: number): number {
  const { nbins, lo, hi } = h;
  if (Number.isNaN(x)) return -1;
  if (h.binning === 'root') {
    if (x < lo) return 0;
    if (x >= hi) return nbins + 1;
    // ROOT's TAxis::FindFixBin formula; guard against rounding onto nbins+1 for x just below hi.
    return Math.min(nbins, 1 + Math.floor((nbins * (x - lo)) / (hi - lo)));
  }
  if (x < lo || x > hi) return -1;
  if (x === hi) return nbins;
  let i = Math.floor(((x - lo) * nbins) / (hi - lo));
  // Like numpy, the edges decide, not the division's rounding.
  if (i >= nbins) i = nbins - 1;
  if (x < binEdge(h, i)) i--;
  else if (i + 1 < nbins && x >= binEdge(h, i + 1)) i++;
  return i + 1;
}

/** Adds one value with weight w. */
export function fill(h: Hist1D, x: number, w = 1): void {
  const b = binIndex(h, x);
  if (b < 0) return;
  h.sumw[b] += w;
  h.sumw2[b] += w * w;
  h.entries++;
}

/** Adds b into a, bin by bin (exact: the same additions in any grouping of integer counts). */
export function mergeInto(a: Hist1D, b: Hist1D): Hist1D {
  if (a.nbins !== b.nbins || a.lo !== b.lo || a.hi !== b.hi || a.binning !== b.binning) {
    throw new Error(`cannot merge histogram ${b.name} (${b.binning} ${b.nbins} bins ${b.lo}–${b.hi}) into ${a.name} (${a.binning} ${a.nbins} bins ${a.lo}–${a.hi})`);
  }
  for (let i = 0; i < a.sumw.length; i++) {
    a.sumw[i] += b.sumw[i];
    a.sumw2[i] += b.sumw2[i];
  }
  a.entries += b.entries;
  return a;
}

/** A deep copy. */
export function cloneHist(h: Hist1D, name = h.name): Hist1D {
  return { ...h, name, sumw: Float64Array.from(h.sumw), sumw2: Float64Array.from(h.sumw2) };
}

/** Multiplies contents by s (and sumw2 by s²), in place. */
export function scaleHist(h: Hist1D, s: number): Hist1D {
  for (let i = 0; i < h.sumw.length; i++) {
    h.sumw[i] *= s;
    h.sumw2[i] *= s * s;
  }
  return h;
}

/** The in-range bin contents (nbins values). */
export function binContents(h: Hist1D): Float64Array {
  return h.sumw.subarray(1, h.nbins + 1);
}

/** The framework plotting rule: the overflow is added into the last bin (copy returned). */
export function foldOverflow(h: Hist1D): Hist1D {
  const c = cloneHist(h);
  c.sumw[c.nbins] += c.sumw[c.nbins + 1];
  c.sumw2[c.nbins] += c.sumw2[c.nbins + 1];
  c.sumw[c.nbins + 1] = 0;
  c.sumw2[c.nbins + 1] = 0;
  return c;
}

/**
 * Restores a histogram that went through msgpack or JSON (typed arrays may arrive as typed
 * arrays, plain arrays, or byte buffers depending on the path).
 */
export function reviveHist(h: Hist1D): Hist1D {
  return { ...h, sumw: toF64(h.sumw), sumw2: toF64(h.sumw2) };
}

function toF64(a: unknown): Float64Array {
  if (a instanceof Float64Array) return a;
  if (Array.isArray(a)) return Float64Array.from(a as number[]);
  if (ArrayBuffer.isView(a)) {
    const v = a as ArrayBufferView;
    return new Float64Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength));
  }
  throw new Error(`histogram contents must be an array, got ${typeof a}`);
}
