/**
 * Memory for a read's columns taken from the columns of an earlier read that the caller is done
 * with (`arrays(names, { into })`). Fresh memory for columns is the largest cost of a read beyond
 * inflating that the reader cannot cut on its own: the kernel faults every new page in on first
 * write (bench/rootio.ts: 12–160 ms of CPU for the 7 analysis branches' 245 MB against ~530 ms
 * of inflating), where memory written before costs nothing more. A caller that reads batch after
 * batch and lets each go before the next can hand the last batch's columns back.
 *
 * Only the bytes each given typed array spans are reused (never the rest of its ArrayBuffer: a
 * small Buffer is a slice of Node's shared pool), each region at most once per read, and regions
 * that overlap one given earlier are skipped. An offsets array that several columns of a read
 * share (shared-offsets.ts) is reused only when every column holding it is given back: one kept
 * would otherwise see its offsets overwritten.
 */
import { sharedBy } from './shared-offsets.js';
import { allocate, ELEMENT_SIZE, typedView, type Column, type ElementType, type TypedArray } from './types.js';

/** A typed array's bytes, free for the read to write into. */
interface Region {
  buffer: ArrayBuffer;
  byteOffset: number;
  byteLength: number;
}

export class ColumnMemory {
  private readonly free: Region[] = [];

  /** Regions of the typed arrays in `columns` (at any depth of a jagged, fixed or nested column). */
  constructor(columns: Iterable<Column>) {
    const found: Region[] = [];
    /** Per shared offsets array given, the columns given that hold it. */
    const given = new Map<Int32Array, Set<object>>();
    for (const c of columns) {
      collect(c, found, 0);
      const o = (c as { offsets?: unknown } | null)?.offsets;
      if (o instanceof Int32Array && sharedBy.has(o)) {
        const holders = given.get(o);
        if (holders) holders.add(c as object);
        else given.set(o, new Set([c as object]));
      }
    }
    // Shared arrays some of whose columns were kept: neither they nor anything over their bytes is free.
    const kept: Region[] = [];
    for (const [o, holders] of given) {
      for (const h of sharedBy.get(o)!) {
        if (holders.has(h)) continue;
        kept.push({ buffer: o.buffer as ArrayBuffer, byteOffset: o.byteOffset, byteLength: o.byteLength });
        break;
      }
    }
    // Per buffer, in address order: a region overlapping the one before it is dropped.
    const byBuffer = new Map<ArrayBuffer, Region[]>();
    for (const r of found) {
      if (kept.some((k) => k.buffer === r.buffer && r.byteOffset < k.byteOffset + k.byteLength && k.byteOffset < r.byteOffset + r.byteLength)) continue;
      const list = byBuffer.get(r.buffer);
      if (list) list.push(r);
      else byBuffer.set(r.buffer, [r]);
    }
    for (const list of byBuffer.values()) {
      list.sort((x, y) => x.byteOffset - y.byteOffset);
      let end = -1;
      for (const r of list) {
        if (r.byteOffset < end) continue;
        end = r.byteOffset + r.byteLength;
        this.free.push(r);
      }
    }
  }

  /**
   * `n` elements of `type`, not zero-filled: in the smallest free region they fit in (aligned for
   * the type), which is then no longer free; in fresh memory when none fits.
   */
  take(type: ElementType, n: number): TypedArray {
    const size = ELEMENT_SIZE[type];
    const bytes = n * size;
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      const r = this.free[i]!;
      if (r.byteLength >= bytes && r.byteOffset % size === 0 && (best < 0 || r.byteLength < this.free[best]!.byteLength)) best = i;
    }
    if (best < 0 || bytes === 0) return allocate(type, n);
    const r = this.free.splice(best, 1)[0]!;
    return typedView(type, r.buffer, r.byteOffset, n);
  }
}

/** Depth bound for nested columns given back (real ones are a few levels deep). */
const MAX_DEPTH = 16;

function collect(c: unknown, out: Region[], depth: number): void {
  if (depth > MAX_DEPTH || c === null || typeof c !== 'object') return;
  if (ArrayBuffer.isView(c)) {
    // Only plain memory the caller handed over (a SharedArrayBuffer may be read by other threads).
    if (c.buffer instanceof ArrayBuffer && c.byteLength > 0 && !(c instanceof DataView)) {
      out.push({ buffer: c.buffer, byteOffset: c.byteOffset, byteLength: c.byteLength });
    }
    return;
  }
  if (Array.isArray(c)) return;
  for (const k of ['offsets', 'keys', 'values'] as const) collect((c as Record<string, unknown>)[k], out, depth + 1);
}

/** No memory to reuse: every column in fresh memory. */
export const FRESH = new ColumnMemory([]);
