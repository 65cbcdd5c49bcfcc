/**
 * One offsets array for the jagged columns of a read whose entries hold the same numbers of
 * elements. Branches filled from one collection (the 4ℓ files' `lep_pt`, `lep_eta`, … `lep_type`;
 * NanoAOD's `Muon_*[nMuon]`) have equal offsets: the six vector branches of bench/rootio.ts's 7
 * are six 8 MB arrays of the same numbers, 48 of the read's 245 MB of columns. Each column of a
 * read still gets an object of its own (`{offsets, values}`), but a column whose offsets turn out
 * equal to an earlier column's of the same read takes that column's `Int32Array` (the same
 * object) instead of new memory that would be faulted in, written and collected.
 *
 * Equality is found, never assumed: each basket's ends, as the decode computes and checks them,
 * are compared with the earlier column's (one `memcmp`, where the copy into the column was one
 * `memcpy`); the first basket that differs moves the column to another earlier array equal to it
 * so far, or gives it an array of its own with the matched part copied in. So the values are
 * exactly those of a read without sharing.
 *
 * Typed arrays cannot be frozen, so a shared array is read-only by contract (README, "What comes
 * back"): writing into `cols.lep_pt.offsets` would change `cols.lep_eta.offsets` too. Memory given
 * back with `into` (column-memory.ts) reuses a shared array only when every column that holds it
 * is given back ({@link sharedBy}): a caller that gives back `lep_pt` and keeps `lep_eta` keeps
 * lep_eta's offsets intact.
 */
import type { ColumnMemory } from './column-memory.js';
import { copyInto } from './shared-copy.js';

/** The columns (the `{offsets, values}` objects) that hold each offsets array shared by a read. */
export const sharedBy = new WeakMap<Int32Array, Set<object>>();

/** @internal For tests and benchmarks: columns whose offsets were an earlier column's. */
export const sharedOffsetsStats = { shared: 0 };

/** The offsets arrays of one read's jagged columns, for later columns of the read to share. */
export class ReadOffsets {
  /** Each array of the read, with the columns that hold it, in the order they were read. */
  private readonly holders = new Map<Int32Array, Set<object>>();

  /** Earlier arrays of `n + 1` offsets, oldest first. */
  candidates(n: number): Int32Array[] {
    const out: Int32Array[] = [];
    for (const a of this.holders.keys()) if (a.length === n + 1) out.push(a);
    return out;
  }

  /** Notes a jagged column of the read (`column` holds `column.offsets`). */
  add(column: { offsets: Int32Array }): void {
    const o = column.offsets;
    const holders = this.holders.get(o);
    if (!holders) {
      this.holders.set(o, new Set([column]));
      return;
    }
    holders.add(column);
    sharedBy.set(o, holders);
    sharedOffsetsStats.shared++;
  }
}

/**
 * The offsets of one jagged column as its baskets are decoded, entry `e + 1 …` after entry `e`.
 * With no earlier candidate the column has its own array from the start, written in place
 * ({@link direct}); otherwise each basket's ends go through {@link put}, which keeps the column on
 * the candidate its ends equal, or gives it its own array at the first that differs.
 */
export class OffsetsOut {
  /** The column's own array, once it has one. */
  private own: Int32Array | null = null;
  /** The earlier array every end so far equals (chosen by the first basket's ends). */
  private match: Int32Array | null = null;
  private readonly candidates: Int32Array[];

  constructor(private readonly n: number, private readonly memory: ColumnMemory, seen: ReadOffsets | null) {
    this.candidates = seen ? seen.candidates(n) : [];
    if (this.candidates.length === 0) this.materialize(0);
  }

  /** The column's own array, to be written in place (null while it may still share one). */
  direct(): Int32Array | null {
    return this.own;
  }

  /** The offset at entry `e` (0 before any basket). */
  at(e: number): number {
    const a = this.own ?? this.match;
    return a ? a[e]! : 0;
  }

  /**
   * The ends of the next entries, `e + 1 …` (`ends[i]` is offset `e + 1 + i`; `ends` may be a
   * view of shared or WebAssembly memory, only read here). Throws a RangeError, having written
   * nothing, when they run past the column.
   */
  put(e: number, ends: Int32Array): void {
    const m = ends.length;
    if (m === 0) return;
    if (e + 1 + m > this.n + 1) throw new RangeError(`offsets: ${m} ends at ${e + 1} do not fit in ${this.n + 1}`);
    if (!this.own) {
      const got = bytes(ends);
      if (this.match && Buffer.compare(got, bytes(this.match, e + 1, m)) === 0) return;
      // The first basket, or one where the candidate so far differs: another candidate equal to it
      // up to here (`[1, e]`) and then to these ends.
      for (const c of this.candidates) {
        if (c === this.match || Buffer.compare(got, bytes(c, e + 1, m)) !== 0) continue;
        if (e > 0 && Buffer.compare(bytes(c, 1, e), bytes(this.match!, 1, e)) !== 0) continue;
        this.match = c;
        return;
      }
      this.materialize(e);
    }
    copyInto(bytes(this.own!), bytes(ends), 4 * (e + 1));
  }

  /** The column's offsets: its own array, or the earlier column's that all its ends equal. */
  result(): Int32Array {
    if (this.own) return this.own;
    // Nothing put (no entries): the earliest candidate holds the one offset, 0.
    return this.match ?? this.candidates[0]!;
  }

  /** Gives the column its own array, with the ends matched so far (`[0, e]`) copied in. */
  private materialize(e: number): void {
    const own = this.memory.take('int32', this.n + 1) as Int32Array;
    own[0] = 0;
    if (this.match && e > 0) own.set(this.match.subarray(1, e + 1), 1);
    this.own = own;
    this.match = null;
  }
}

/** The bytes of `a`'s elements `[from, from + count)`. */
function bytes(a: Int32Array, from = 0, count = a.length - from): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset + 4 * from, 4 * count);
}
