/**
 * TObject's `fBits` as a member of a split object or collection (ROOT type code 15, kBits): each
 * element is its 4 bytes and, when the object is referenced (kIsReferenced, as Delphes' particles
 * are by TRefs), 2 more bytes with the id of the process that referenced it
 * (TStreamerInfo::ReadBuffer). Entries are therefore not a multiple of 4 bytes, and baskets
 * written without entry offsets can only be walked element by element, with the counts of the
 * collection's counter branch.
 */
import type { BranchInfo } from './branch.js';
import type { PendingBasket } from './basket.js';
import { RootFormatError } from './errors.js';
import type { Column } from './types.js';

/** kIsReferenced: the object was referenced, and its process id follows its bits. */
const IS_REFERENCED = 1 << 4;

/**
 * Decodes entries `[start, stop)` of an fBits branch. `counts[i]` is entry `countsFrom + i`'s
 * number of elements (null for a scalar member: one per entry); it must cover every basket's
 * entries from the basket's first, since a basket is walked from its start.
 */
export function decodeObjectBits(path: string, info: BranchInfo, baskets: PendingBasket[], start: number, stop: number,
                                 counts: ArrayLike<number | bigint> | null, countsFrom: number): Column {
  const n = stop - start;
  const offsets = new Int32Array(n + 1);
  const values: number[] = [];
  for (const pending of baskets) {
    const b = pending.load();
    const v = b.view;
    const end = b.dataLength;
    const last = Math.min(pending.entries, stop - pending.entryStart);
    let p = 0;
    for (let i = 0; i < last; i++) {
      const entry = pending.entryStart + i;
      const c = counts ? Number(counts[entry - countsFrom]) : 1;
      if (!(c >= 0)) throw new RootFormatError(path, -1, `branch ${info.name}: entry ${entry} has no element count`);
      const keep = entry >= start;
      for (let k = 0; k < c; k++) {
        if (p + 4 > end) throw new RootFormatError(path, -1, `branch ${info.name}: entry ${entry} runs past its basket's ${end} bytes`);
        const bits = v.getUint32(p);
        p += bits & IS_REFERENCED ? 6 : 4;
        if (keep) values.push(bits);
      }
      if (keep) offsets[entry - start + 1] = values.length;
    }
    if (last === pending.entries && p !== end) {
      throw new RootFormatError(path, -1, `branch ${info.name}: a basket of ${pending.entries} entries has ${end} bytes, but its elements take ${p}`);
    }
    pending.release();
  }
  const out = Uint32Array.from(values);
  return counts ? { offsets, values: out } : out;
}
