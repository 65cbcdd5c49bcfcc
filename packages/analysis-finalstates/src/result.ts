/**
 * The mergeable result of a chunk, and of a run: events per final state, sparse mass counts per
 * histogram, what peak removal took out per histogram, the cut flow and per-chunk statistics.
 * Every number is an integer count, so merging in any grouping and order gives the same result.
 */

/** Non-zero bins only: `bins` ascending (mass bin index = floor(m / bin width), the last index is the overflow). */
export interface SparseCounts { bins: Int32Array; counts: Float64Array }

/**
 * Many histograms' sparse counts in three arrays: histogram i is `names[i]`, its bins
 * `bins[from[i] … from[i + 1])` (ascending) and its counts `counts[…]` alike. A chunk has ~2,000
 * histograms: as an object with two small typed arrays each, copying a result between threads
 * and encoding it for the wire cost ~10× what these three arrays do.
 */
export interface PackedHists { names: string[]; from: Int32Array; bins: Int32Array; counts: Float64Array }

/** What one chunk did (logs/chunks.json). */
export interface ChunkStat { file: string; entryStart: number; entryStop: number; events: number; combinations: number; ms: number }

export interface FsResult {
  /** Bin width (GeV) and bin counts: results with another binning cannot merge. */
  binWidth: number;
  nMain: number;
  nAll: number;
  events: number;
  chunks: number;
  /** Events with fewer than 2 selected objects (counted, not processed further). */
  lessThanTwo: number;
  /** Masses computed (before peak removal). */
  combinations: number;
  /** Events per final state (events with ≥ 2 selected objects). */
  finalStates: Record<string, number>;
  /** Mass counts by main histogram name `mass_<comb>_cat_<fs>_width_<w>` (see histogramOf). */
  hists: PackedHists;
  /** Masses removed as known peaks, by main histogram name. */
  removed: Record<string, number>;
  chunkStats: ChunkStat[];
}

/** An empty result for a binning. */
export function emptyResult(binWidth: number, nMain: number, nAll: number): FsResult {
  return { binWidth, nMain, nAll, events: 0, chunks: 0, lessThanTwo: 0, combinations: 0, finalStates: {}, hists: new HistPacker().done(), removed: {}, chunkStats: [] };
}

/** Histogram i of packed histograms (views, not copies). */
export function histogramAt(h: PackedHists, i: number): SparseCounts {
  return { bins: h.bins.subarray(h.from[i], h.from[i + 1]), counts: h.counts.subarray(h.from[i], h.from[i + 1]) };
}

/** The counts of the histogram named `name` in a result, or undefined when it has none. */
export function histogramOf(r: FsResult, name: string): SparseCounts | undefined {
  const i = r.hists.names.indexOf(name);
  return i < 0 ? undefined : histogramAt(r.hists, i);
}

/** Builds PackedHists: start a histogram, push its bins in ascending order, repeat; then done. */
export class HistPacker {
  private readonly names: string[] = [];
  private from = new Int32Array(64);
  private bins = new Int32Array(1024);
  private counts = new Float64Array(1024);
  private n = 0;

  /** Starts the histogram `name` (its bins follow). */
  start(name: string): void {
    if (this.names.length + 2 > this.from.length) this.from = grown(this.from, this.names.length + 2);
    this.names.push(name);
    this.from[this.names.length] = this.n;
  }

  /** Adds bin `bin` with count `count` to the histogram started last. */
  push(bin: number, count: number): void {
    if (this.n === this.bins.length) { this.bins = grown(this.bins, this.n + 1); this.counts = grown(this.counts, this.n + 1); }
    this.bins[this.n] = bin;
    this.counts[this.n++] = count;
    this.from[this.names.length] = this.n;
  }

  /** Adds bins (ascending, after those pushed so far) with their counts to the histogram started last. */
  pushAll(bins: Int32Array, counts: Float64Array): void {
    const n = this.n + bins.length;
    if (n > this.bins.length) { this.bins = grown(this.bins, n); this.counts = grown(this.counts, n); }
    this.bins.set(bins, this.n);
    this.counts.set(counts, this.n);
    this.n = n;
    this.from[this.names.length] = n;
  }

  /** Adds the non-zero entries of `dense`, their bins numbered from `first`. */
  pushNonZero(dense: ArrayLike<number>, first: number): void {
    for (let i = 0; i < dense.length; i++) if (dense[i] !== 0) this.push(first + i, dense[i]);
  }

  /** The histograms so far, in arrays of their exact sizes. */
  done(): PackedHists {
    const k = this.names.length;
    return { names: this.names.slice(), from: this.from.slice(0, k + 1), bins: this.bins.slice(0, this.n), counts: this.counts.slice(0, this.n) };
  }
}

/** A copy of `a` with room for at least `n` elements (doubling), the rest zero. */
export function grown<T extends Int32Array | Float64Array>(a: T, n: number): T {
  const out = new (a.constructor as new (n: number) => T)(Math.max(n, a.length * 2));
  out.set(a);
  return out;
}

/**
 * Sparse counts of a dense array (non-zero entries), continued by `after` when given (its bins
 * numbered from dense.length on).
 */
export function sparseOf(dense: ArrayLike<number>, after?: ArrayLike<number>): SparseCounts {
  const p = new HistPacker();
  p.start('');
  p.pushNonZero(dense, 0);
  if (after) p.pushNonZero(after, dense.length);
  return histogramAt(p.done(), 0);
}

/** Typed arrays back from plain arrays (JSON) where needed. */
function revive(h: PackedHists): PackedHists {
  const ints = (a: ArrayLike<number>) => (a instanceof Int32Array ? a : Int32Array.from(a));
  return { names: h.names, from: ints(h.from), bins: ints(h.bins), counts: h.counts instanceof Float64Array ? h.counts : Float64Array.from(h.counts as ArrayLike<number>) };
}

/** Total count of sparse counts. */
export function sparseTotal(s: SparseCounts): number {
  let t = 0;
  for (let i = 0; i < s.counts.length; i++) t += s.counts[i];
  return t;
}

function addInto(into: Record<string, number>, from: Record<string, number>): void {
  for (const k in from) into[k] = (into[k] ?? 0) + from[k];
}

/**
 * Merges results (the treeReduce combine): counts add, chunk statistics concatenate. Throws on
 * an empty list or results of different binnings, naming both.
 */
export function mergeResults(parts: FsResult[]): FsResult {
  if (parts.length === 0) throw new Error('mergeResults: nothing to merge');
  const f = parts[0];
  const out = emptyResult(f.binWidth, f.nMain, f.nAll);
  for (const p of parts) {
    if (p.binWidth !== out.binWidth || p.nMain !== out.nMain || p.nAll !== out.nAll) {
      throw new Error(`cannot merge results binned ${p.binWidth} GeV × ${p.nMain}/${p.nAll} into ${out.binWidth} GeV × ${out.nMain}/${out.nAll}`);
    }
    out.events += p.events;
    out.chunks += p.chunks;
    out.lessThanTwo += p.lessThanTwo;
    out.combinations += p.combinations;
    addInto(out.finalStates, p.finalStates);
    addInto(out.removed, p.removed);
    for (const s of p.chunkStats) out.chunkStats.push(s);
  }
  out.hists = addHists(parts.map((p) => revive(p.hists)), out.nAll);
  return out;
}

/**
 * A whole result as it arrived (from a worker, or read back from JSON) in the form mergeResults
 * gives: `r` itself with typed arrays when its histograms already are in that form (unique
 * names, each one's bins strictly ascending within 0 … nAll, `from` consistent), otherwise
 * mergeResults([r]). The same result as merging it alone, without copying a run's ~170,000 bins
 * at the end of the run (4–10 ms on the client, after the last task).
 */
export function wholeResult(r: FsResult): FsResult {
  const h = revive(r.hists);
  if (!canonical(h, r.nAll)) return mergeResults([r]);
  r.hists = h;
  return r;
}

/** Whether packed histograms are in mergeResults' form (see wholeResult). */
function canonical(h: PackedHists, nAll: number): boolean {
  const k = h.names.length;
  if (h.from.length !== k + 1 || h.from[0] !== 0 || h.from[k] !== h.bins.length || h.counts.length !== h.bins.length) return false;
  if (new Set(h.names).size !== k) return false;
  for (let i = 0; i < k; i++) {
    const a = h.from[i], b = h.from[i + 1];
    if (!(b >= a)) return false;
    let prev = -1;
    for (let q = a; q < b; q++) {
      const bin = h.bins[q];
      if (!(bin > prev && bin <= nAll)) return false;
      prev = bin;
    }
  }
  return true;
}

/**
 * The sum of packed histograms, by name (in order of first appearance): each histogram's bins
 * (0 … nAll) added in one dense scratch array, then written out ascending.
 */
function addHists(parts: readonly PackedHists[], nAll: number): PackedHists {
  // Per output histogram, its sources as (part, index) pairs.
  const index = new Map<string, number>();
  const names: string[] = [];
  const sources: number[][] = [];
  parts.forEach((h, p) => {
    for (let i = 0; i < h.names.length; i++) {
      let o = index.get(h.names[i]);
      if (o === undefined) { index.set(h.names[i], o = names.length); names.push(h.names[i]); sources.push([]); }
      sources[o].push(p, i);
    }
  });
  const sum = new Float64Array(nAll + 1), seen = new Uint8Array(nAll + 1), touched = new Int32Array(nAll + 1);
  const out = new HistPacker();
  for (let o = 0; o < names.length; o++) {
    out.start(names[o]);
    const src = sources[o];
    if (src.length === 2) {
      // One source (common: the final copy, and histograms only one part has): already ascending.
      const h = parts[src[0]], i = src[1];
      for (let q = h.from[i]; q < h.from[i + 1]; q++) checkBin(h.bins[q], nAll, names[o]);
      out.pushAll(h.bins.subarray(h.from[i], h.from[i + 1]), h.counts.subarray(h.from[i], h.from[i + 1]));
      continue;
    }
    let nt = 0;
    for (let s = 0; s < src.length; s += 2) {
      const h = parts[src[s]], i = src[s + 1];
      for (let q = h.from[i]; q < h.from[i + 1]; q++) {
        const b = checkBin(h.bins[q], nAll, names[o]);
        if (!seen[b]) { seen[b] = 1; touched[nt++] = b; }
        sum[b] += h.counts[q];
      }
    }
    const bins = touched.subarray(0, nt).sort();
    for (let k = 0; k < nt; k++) {
      const b = bins[k];
      out.push(b, sum[b]);
      sum[b] = 0;
      seen[b] = 0;
    }
  }
  return out.done();
}

/** `b`, when it is a bin of 0 … nAll; otherwise an error naming the histogram. */
function checkBin(b: number, nAll: number, name: string): number {
  if (!(b >= 0 && b <= nAll)) throw new Error(`mergeResults: histogram ${name} has bin ${b}, outside 0…${nAll}`);
  return b;
}

/** Events per final state, largest first (ties by name). */
export function finalStatesByCount(fs: Record<string, number>): [string, number][] {
  return Object.entries(fs).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
}
