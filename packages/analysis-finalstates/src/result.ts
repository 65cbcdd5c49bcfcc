/**
 * The mergeable result of a chunk, and of a run: events per final state, sparse mass counts per
 * histogram, what peak removal took out per histogram, the cut flow and per-chunk statistics.
 * Every number is an integer count, so merging in any grouping and order gives the same result.
 */

/** Non-zero bins only: `bins` ascending (mass bin index = floor(m / bin width), the last index is the overflow). */
export interface SparseCounts { bins: Int32Array; counts: Float64Array }

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
  /** Mass counts by main histogram name `mass_<comb>_cat_<fs>_width_<w>`. */
  hists: Record<string, SparseCounts>;
  /** Masses removed as known peaks, by main histogram name. */
  removed: Record<string, number>;
  chunkStats: ChunkStat[];
}

/** An empty result for a binning. */
export function emptyResult(binWidth: number, nMain: number, nAll: number): FsResult {
  return { binWidth, nMain, nAll, events: 0, chunks: 0, lessThanTwo: 0, combinations: 0, finalStates: {}, hists: {}, removed: {}, chunkStats: [] };
}

/**
 * Sparse counts of a dense array (non-zero entries), continued by `after` when given (its bins
 * numbered from dense.length on).
 */
export function sparseOf(dense: ArrayLike<number>, after?: ArrayLike<number>): SparseCounts {
  const n = nonZero(dense) + (after ? nonZero(after) : 0);
  const bins = new Int32Array(n), counts = new Float64Array(n);
  const k = copyNonZero(dense, 0, bins, counts, 0);
  if (after) copyNonZero(after, dense.length, bins, counts, k);
  return { bins, counts };
}

function nonZero(a: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== 0) n++;
  return n;
}

/** Appends a's non-zero entries at k (bins offset by `from`); returns the new k. */
function copyNonZero(a: ArrayLike<number>, from: number, bins: Int32Array, counts: Float64Array, k: number): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== 0) { bins[k] = from + i; counts[k++] = a[i]; }
  return k;
}

/** Typed arrays back from plain arrays (JSON) where needed. */
function revive(s: SparseCounts): SparseCounts {
  return {
    bins: s.bins instanceof Int32Array ? s.bins : Int32Array.from(s.bins as ArrayLike<number>),
    counts: s.counts instanceof Float64Array ? s.counts : Float64Array.from(s.counts as ArrayLike<number>),
  };
}

/** Adds sparse counts (a new object; inputs unchanged). */
export function addSparse(a: SparseCounts, b: SparseCounts): SparseCounts {
  const x = revive(a), y = revive(b);
  const xb = x.bins, yb = y.bins, xc = x.counts, yc = y.counts;
  // The union's size first, so the sums go straight into typed arrays of that size.
  let n = xb.length + yb.length;
  for (let i = 0, j = 0; i < xb.length && j < yb.length;) {
    if (xb[i] < yb[j]) i++;
    else if (yb[j] < xb[i]) j++;
    else { i++; j++; n--; }
  }
  const bins = new Int32Array(n), counts = new Float64Array(n);
  let i = 0, j = 0, k = 0;
  while (i < xb.length && j < yb.length) {
    if (xb[i] < yb[j]) { bins[k] = xb[i]; counts[k++] = xc[i++]; }
    else if (yb[j] < xb[i]) { bins[k] = yb[j]; counts[k++] = yc[j++]; }
    else { bins[k] = xb[i]; counts[k++] = xc[i++] + yc[j++]; }
  }
  for (; i < xb.length; i++) { bins[k] = xb[i]; counts[k++] = xc[i]; }
  for (; j < yb.length; j++) { bins[k] = yb[j]; counts[k++] = yc[j]; }
  return { bins, counts };
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
    for (const k in p.hists) { const h = p.hists[k], have = out.hists[k]; out.hists[k] = have ? addSparse(have, h) : revive(h); }
    for (const s of p.chunkStats) out.chunkStats.push(s);
  }
  return out;
}

/** Events per final state, largest first (ties by name). */
export function finalStatesByCount(fs: Record<string, number>): [string, number][] {
  return Object.entries(fs).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
}
