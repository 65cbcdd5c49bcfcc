/**
 * Columns whose elements are not all the same size on disk, or whose baskets may lack entry
 * offsets, read by walking each basket's elements from its start with the counts of the
 * counter branch (one element per entry for a scalar member):
 * - TObject's `fBits` as a member of a split object or collection (ROOT type code 15, kBits):
 *   4 bytes and, when the object is referenced (kIsReferenced, as Delphes' particles are by
 *   TRefs), 2 more with the id of the process that referenced it (TStreamerInfo::ReadBuffer);
 * - Double32_t/Float16_t counted arrays (leaves `x[n]/d[…]`, members of split collections):
 *   3 or 4 bytes each, unpacked as their Packing says.
 * These are rare branches: clarity over speed.
 */
import type { BranchInfo } from './branch.js';
import type { PendingBasket } from './basket.js';
import { RootFormatError } from './errors.js';
import { packedSize, untruncate, type Packing } from './packing.js';
import type { Column } from './types.js';

/** kIsReferenced: the object was referenced, and its process id follows its bits. */
const IS_REFERENCED = 1 << 4;

/** Counts of the counter branch: `values[i]` is entry `from + i`'s number of elements. */
export type Counts = { values: ArrayLike<number | bigint>; from: number };

/** Reads the element at `p` of `v`: its value into `out`, returning where the next one starts. */
type ReadElement = (v: DataView, p: number, out: number[]) => number;

/** Decodes entries `[start, stop)` of an fBits branch (jagged with `counts`, else one per entry). */
export function decodeObjectBits(path: string, info: BranchInfo, baskets: PendingBasket[], start: number, stop: number, counts: Counts | null): Column {
  const { offsets, values } = walk(path, info, baskets, start, stop, counts, (v, p, out) => {
    const bits = v.getUint32(p);
    out.push(bits);
    return p + (bits & IS_REFERENCED ? 6 : 4);
  });
  const out = Uint32Array.from(values);
  // By the branch's kind, not by whether counts came: a range no basket overlaps has none.
  return info.kind === 'counted-array' ? { offsets, values: out } : out;
}

/** Decodes entries `[start, stop)` of a counted array of packed floats. */
export function decodePackedCounted(path: string, info: BranchInfo, baskets: PendingBasket[], start: number, stop: number, counts: Counts): Column {
  const p = info.packed as Packing;
  const width = packedSize(p);
  const read: ReadElement = p === 'float'
    ? (v, at, out) => (out.push(v.getFloat32(at)), at + width)
    : 'factor' in p
      ? (v, at, out) => (out.push(v.getUint32(at) / p.factor + p.low), at + width)
      : (v, at, out) => (out.push(untruncate(v.getUint8(at), v.getUint16(at + 1), p.mantissaBits)), at + width);
  const { offsets, values } = walk(path, info, baskets, start, stop, counts, read);
  return { offsets, values: info.element === 'double' ? Float64Array.from(values) : Float32Array.from(values) };
}

/**
 * Walks each basket from its first entry, `counts` elements per entry (1 without counts), keeping
 * the values of `[start, stop)`. A basket walked to its last entry must end exactly there.
 */
function walk(path: string, info: BranchInfo, baskets: PendingBasket[], start: number, stop: number, counts: Counts | null,
              read: ReadElement): { offsets: Int32Array; values: number[] } {
  const offsets = new Int32Array(stop - start + 1);
  const values: number[] = [];
  const skipped: number[] = [];
  for (const pending of baskets) {
    const b = pending.load();
    const end = b.dataLength;
    const last = Math.min(pending.entries, stop - pending.entryStart);
    let p = 0;
    for (let i = 0; i < last; i++) {
      const entry = pending.entryStart + i;
      const c = counts ? Number(counts.values[entry - counts.from]) : 1;
      if (!(c >= 0)) throw new RootFormatError(path, -1, `branch ${info.name}: entry ${entry} has no element count in ${info.counter}`);
      const into = entry >= start ? values : skipped;
      for (let k = 0; k < c; k++) {
        if (p + 3 > end) throw new RootFormatError(path, -1, `branch ${info.name}: entry ${entry} runs past its basket's ${end} bytes`);
        p = read(b.view, p, into);
      }
      skipped.length = 0;
      if (p > end) throw new RootFormatError(path, -1, `branch ${info.name}: entry ${entry} runs past its basket's ${end} bytes`);
      if (entry >= start) offsets[entry - start + 1] = values.length;
    }
    if (last === pending.entries && p !== end) {
      throw new RootFormatError(path, -1, `branch ${info.name}: a basket of ${pending.entries} entries has ${end} bytes, but its elements take ${p}`);
    }
    pending.release();
  }
  return { offsets, values };
}
