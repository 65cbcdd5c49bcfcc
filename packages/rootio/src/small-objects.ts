/**
 * Unsplit branches holding one small object of a fixed layout per entry, read as numbers:
 * TVector2 and TVector3 as fixed arrays of doubles (`[fX, fY]`, `[fX, fY, fZ]`). Each entry is
 * the object as TBufferFile streams it: a byte count (with kByteCountMask set) and the class
 * version, TObject's own streamer (version, fUniqueID, fBits, and 2 bytes of process id when
 * the object was referenced), then the doubles. Rare branches: walked entry by entry from each
 * basket's start, every header checked, clarity over speed (as counted-walk.ts).
 */
import type { BranchInfo } from './branch.js';
import type { PendingBasket } from './basket.js';
import type { ColumnMemory } from './column-memory.js';
import { RootFormatError, UnsupportedBranchTypeError } from './errors.js';
import type { Column } from './types.js';

/** The classes read this way, with their components (in order) and the class version read. */
export const STREAMED_OBJECTS = {
  TVector2: { components: ['fX', 'fY'], version: 3 },
  TVector3: { components: ['fX', 'fY', 'fZ'], version: 3 },
} as const;
export type StreamedObject = keyof typeof STREAMED_OBJECTS;

/** Whether `cls` is one of {@link STREAMED_OBJECTS}. */
export function isStreamedObject(cls: string): cls is StreamedObject {
  return Object.hasOwn(STREAMED_OBJECTS, cls);
}

/** kByteCountMask: set in the first word of an object written with its byte count. */
const BYTE_COUNT = 0x40000000;
/** TObject's kIsReferenced: its process id (2 bytes) follows its bits. */
const IS_REFERENCED = 1 << 4;

/** Decodes entries `[start, stop)` of a branch of {@link STREAMED_OBJECTS} into `{values, innerShape: [k]}`. */
export function decodeStreamedObjects(path: string, info: BranchInfo, baskets: PendingBasket[], start: number, stop: number, memory: ColumnMemory): Column {
  const cls = info.streamed!;
  const { version } = STREAMED_OBJECTS[cls];
  const k = info.inner;
  const out = memory.take('double', (stop - start) * k) as Float64Array;
  const fail = (entry: number, at: number, why: string): never => {
    throw new RootFormatError(path, -1, `branch ${info.name}: entry ${entry}'s ${cls} ${why} (at byte ${at} of its basket)`);
  };
  for (const pending of baskets) {
    const b = pending.load();
    const v = b.view;
    const end = b.dataLength;
    const last = Math.min(pending.entries, stop - pending.entryStart);
    let p = 0;
    for (let i = 0; i < last; i++) {
      const entry = pending.entryStart + i;
      if (p + 16 > end) fail(entry, p, `runs past its basket's ${end} bytes`);
      const word = v.getUint32(p);
      if (!(word & BYTE_COUNT)) fail(entry, p, 'has no byte count');
      const next = p + 4 + (word & ~BYTE_COUNT);
      const ver = v.getInt16(p + 4);
      // Another class version may lay its members out otherwise: said, never guessed.
      if (ver !== version) throw new UnsupportedBranchTypeError(`${cls} of class version ${ver} (version ${version} is read)`, info.name);
      const bits = v.getUint32(p + 12);
      const at = p + 16 + (bits & IS_REFERENCED ? 2 : 0);
      if (at + 8 * k !== next || next > end) fail(entry, p, `holds ${next - p} bytes, not the ${at + 8 * k - p} its header and ${k} doubles take`);
      if (entry >= start) for (let c = 0; c < k; c++) out[(entry - start) * k + c] = v.getFloat64(at + 8 * c);
      p = next;
    }
    if (last === pending.entries && p !== end) fail(pending.entryStart + last - 1, p, `leaves ${end - p} bytes of its basket unread`);
    pending.release();
  }
  return { values: out, innerShape: [k] };
}
