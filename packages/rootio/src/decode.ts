/**
 * Baskets → columns: the decode step of the read path (uproot's "interpretation"). Input is
 * decompressed baskets with their entry-offset tables; output is typed arrays. Hot loops live in
 * small functions of their own so each stays monomorphic and is optimized once.
 */
import { packedSize, untruncate } from './packing.js';
import { decodeObjectBits, decodePackedCounted, type Counts } from './counted-walk.js';
import { decodeStreamedObjects } from './small-objects.js';
import { decodeWalkedLeaf } from './leaf-list-walk.js';
import type { Basket, PendingBasket } from './basket.js';
import { decodeCountedStl, decodeStl, parseStlType } from './stl.js';
import { decodeObjectMember } from './object-members.js';
import { decodeElementBase } from './element-bases.js';
import type { BranchInfo } from './branch.js';
import { FRESH, type ColumnMemory } from './column-memory.js';
import { vectorWalker } from './vector-walk.js';
import { OffsetsOut, type ReadOffsets } from './shared-offsets.js';
import { RootFormatError, UnsupportedBranchTypeError } from './errors.js';
import { bytesOf, copyBigEndian, copyEntriesBigEndian, ELEMENT_SIZE, lanesOf, swapInPlace, type Column, type ElementType, type Jagged, type TypedArray, utf8 } from './types.js';

/**
 * Decodes the overlapping baskets of one branch into a column for `[start, stop)`. Each basket is
 * loaded (decompressed) just before it is decoded and dropped after, so the decode reads data
 * that is still in cache and a long read holds one decompressed basket at a time. Numeric columns
 * (scalars, fixed and jagged arrays) are put in `memory` where it has room.
 */
export function decode(path: string, info: BranchInfo, baskets: PendingBasket[], start: number, stop: number,
                       counts: Counts | null = null, memory: ColumnMemory = FRESH, offsets: ReadOffsets | null = null): Column {
  const n = stop - start;
  // The baskets must tile [start, stop) in order, without gaps or overlaps: columns are not
  // zero-filled, so an entry no basket covers would otherwise read as leftover memory.
  let next = start;
  for (const b of baskets) {
    if (b.entryStart + firstIn(b, start) !== next) {
      throw new RootFormatError(path, -1, `branch ${info.name}: a basket starts at entry ${b.entryStart} where entry ${next} was expected (the baskets do not tile entries ${start}–${stop})`);
    }
    next = b.entryStart + endIn(b, stop);
  }
  if (next !== stop) {
    // A branch filled for fewer entries than its tree (a member added later, a collection never
    // filled) is not damaged: say so, and what can be read.
    const short = info.entries !== next ? ''
      : info.entries === 0 ? ' (it was never filled: it holds no entries)'
      : ` (it was filled for its first ${info.entries} entries only: ask for entries below ${info.entries})`;
    throw new RootFormatError(path, -1, `branch ${info.name}: its baskets cover entries ${start}–${next} of the ${start}–${stop} asked for${short}`);
  }
  if (info.objectBits) return decodeObjectBits(path, info, baskets, start, stop, counts);
  if (info.streamed) return decodeStreamedObjects(path, info, baskets, start, stop, memory);
  if (info.leafOf?.walk) return decodeWalkedLeaf(path, info, baskets, start, stop);
  if (info.member) return decodeObjectMember(path, info, baskets, start, stop);
  if (info.elementBase) return decodeElementBase(path, info, baskets, start, stop, counts);
  if (info.packed && info.kind === 'counted-array') {
    // A range no basket overlaps (a tree of 0 entries, a range at its end) needs no counts.
    if (!counts && baskets.length > 0) throw new RootFormatError(path, -1, `branch ${info.name}: the counts of ${info.counter} are needed to read it`);
    return decodePackedCounted(path, info, baskets, start, stop, counts ?? { values: [], from: start });
  }
  switch (info.kind) {
    case 'scalar':
    case 'fixed-array': {
      if (info.packed) return decodePacked(path, info, baskets, start, stop);
      if (info.leafOf) return decodeLeafOfList(path, info, baskets, start, stop, memory);
      const el = info.element!;
      const size = ELEMENT_SIZE[el] * info.inner;
      // Fixed-size entries fill the basket exactly; anything else means a damaged header. Checked
      // before the column is allocated: a damaged entry count (fEntries 2^33) asked for 32 GB.
      for (const b of baskets) {
        if (b.entries * size !== b.dataLength) throw new RootFormatError(path, -1, `branch ${info.name}: basket has ${b.dataLength} bytes for ${b.entries} entries of ${size} bytes`);
      }
      const out = memory.take(el, n * info.inner);
      const lanes = lanesOf(out, ELEMENT_SIZE[el]);
      let to = 0;
      for (const b of baskets) {
        const a = firstIn(b, start);
        const z = endIn(b, stop);
        const count = (z - a) * info.inner;
        // A basket read whole is decompressed straight into the column and swapped there (no
        // copy out of a scratch buffer) when it can be; any other is loaded and copied.
        if (a === 0 && z === b.entries && b.loadInto?.(bytesOf(lanes, to * ELEMENT_SIZE[el], b.dataLength))) {
          swapInPlace(ELEMENT_SIZE[el], lanes, to, count);
        } else {
          copyBigEndian(ELEMENT_SIZE[el], b.load().view, a * size, count, lanes, to);
          b.release();
        }
        to += count;
      }
      return info.kind === 'scalar' ? out : { values: out, innerShape: [info.inner] };
    }
    case 'counted-array':
    case 'vector': {
      const column = decodeJagged(path, info, baskets, start, stop, memory, offsets);
      offsets?.add(column);
      return column;
    }
    case 'string':
      if (info.stlString) return decodeStl(path, info, parseStlType(info.typeName)!, baskets, start, stop) as string[];
      return decodeStrings(path, info, baskets, start, stop);
    case 'nested':
      // An STL member of a split collection, `vector<int32>[Evt/trks]`: counted by the collection.
      if (info.counter) return decodeCountedStl(path, info, parseStlType(info.typeName.slice(0, info.typeName.length - info.counter.length - 2))!, baskets, start, stop, counts);
      return decodeStl(path, info, info.stl ?? parseStlType(info.typeName)!, baskets, start, stop);
    default:
      throw new UnsupportedBranchTypeError(info.typeName, info.name);
  }
}

/** A leaf of a leaf list: `inner` numbers at `leafOf.at` of every `leafOf.stride`-byte entry. */
function decodeLeafOfList(path: string, info: BranchInfo, baskets: PendingBasket[], start: number, stop: number, memory: ColumnMemory): Column {
  const el = info.element!;
  const { at, stride } = info.leafOf!;
  for (const b of baskets) {
    if (b.entries * stride !== b.dataLength) throw new RootFormatError(path, -1, `branch ${info.name}: basket has ${b.dataLength} bytes for ${b.entries} entries of ${stride} bytes`);
  }
  const out = memory.take(el, (stop - start) * info.inner);
  const lanes = lanesOf(out, ELEMENT_SIZE[el]);
  let to = 0;
  for (const b of baskets) {
    const a = firstIn(b, start);
    const z = endIn(b, stop);
    const v = b.load().view;
    for (let i = a; i < z; i++, to += info.inner) copyBigEndian(ELEMENT_SIZE[el], v, i * stride + at, info.inner, lanes, to);
    b.release();
  }
  return info.kind === 'scalar' ? out : { values: out, innerShape: [info.inner] };
}

/** Double32_t/Float16_t scalars and fixed arrays: 3 or 4 bytes per element, unpacked (see Packing). */
function decodePacked(path: string, info: BranchInfo, baskets: PendingBasket[], start: number, stop: number): Column {
  const n = (stop - start) * info.inner;
  const out = info.element === 'double' ? new Float64Array(n) : new Float32Array(n);
  const packed = info.packed!;
  const width = packedSize(packed);
  const size = width * info.inner;
  let to = 0;
  for (const b of baskets) {
    const a = firstIn(b, start);
    const z = endIn(b, stop);
    if (b.entries * size !== b.dataLength) throw new RootFormatError(path, -1, `branch ${info.name}: basket has ${b.dataLength} bytes for ${b.entries} entries of ${size} bytes`);
    const v = b.load().view;
    const from = a * size;
    const count = (z - a) * info.inner;
    if (packed === 'float') for (let k = 0; k < count; k++) out[to + k] = v.getFloat32(from + 4 * k);
    else if ('factor' in packed) for (let k = 0; k < count; k++) out[to + k] = v.getUint32(from + 4 * k) / packed.factor + packed.low;
    else for (let k = 0; k < count; k++) out[to + k] = untruncate(v.getUint8(from + 3 * k), v.getUint16(from + 3 * k + 1), packed.mantissaBits);
    b.release();
    to += count;
  }
  return info.kind === 'scalar' ? out : { values: out, innerShape: [info.inner] };
}

/** The first entry of `[start, stop)` in basket `b`, counted from the basket's first entry. */
function firstIn(b: PendingBasket, start: number): number {
  return Math.max(start, b.entryStart) - b.entryStart;
}

/** The end (exclusive) of `[start, stop)` in basket `b`, counted from the basket's first entry. */
function endIn(b: PendingBasket, stop: number): number {
  return Math.min(stop, b.entryStart + b.entries) - b.entryStart;
}

/**
 * Counted arrays: an entry is its elements. Vectors: an entry is a 6-byte object header, a
 * 4-byte count, then the elements. Both become one offsets array and one values array.
 *
 * The values array is sized before any basket is decompressed: a basket read whole holds
 * exactly (data bytes − headers) / element size elements; only a basket cut by the range (at most
 * the first and the last) is loaded early to count its entries. Each basket is then loaded once,
 * counted entry by entry (each count checked against its bytes) and copied while it is hot; a
 * total that disagrees with the header-derived size means a damaged basket.
 */
function decodeJagged(path: string, info: BranchInfo, baskets: PendingBasket[], start: number, stop: number, memory: ColumnMemory, seen: ReadOffsets | null): Jagged {
  const el = info.element as ElementType;
  const size = ELEMENT_SIZE[el];
  const header = info.kind === 'vector' ? 10 : info.entryHeader;
  const n = stop - start;
  // The column's own array, or an earlier column's of this read that its offsets equal (shared-offsets.ts).
  const offsets = new OffsetsOut(n, memory, seen);
  const early: Array<Basket | undefined> = [];
  let total = 0;
  for (let k = 0; k < baskets.length; k++) {
    const p = baskets[k]!;
    const a = firstIn(p, start);
    const z = endIn(p, stop);
    if (a === 0 && z === p.entries) {
      const got = wholeBasketElements(p, header, size);
      if (got < 0) throw new RootFormatError(path, -1, `branch ${info.name}: a basket of ${p.entries} entries has ${p.dataLength} data bytes, which ${header === 10 ? 'vectors' : header === 1 ? 'pointed-to arrays' : 'arrays'} of ${size}-byte elements cannot fill`);
      total += got;
    } else {
      const b = (early[k] = p.load());
      // Counted from 0 into the column's own array when it has one (overwritten below), else a scratch.
      const got = countEntries(path, info, b, header, size, a, z, offsets.direct() ?? new Int32Array(z - a + 1), 0);
      total += got;
    }
  }
  const values = memory.take(el, total);
  const lanes = lanesOf(values, size);
  let e = 0;
  // The ATLAS case (vector<float>, vector<int>): counted and copied by the WebAssembly kernel,
  // each basket decompressed straight into its memory.
  const kernel = header === 10 && size === 4;
  for (let k = 0; k < baskets.length; k++) {
    const p = baskets[k]!;
    const b = early[k] ?? p.load(kernel ? vectorWalker.room : undefined);
    early[k] = undefined;
    const a = firstIn(p, start);
    const z = endIn(p, stop);
    // Where the entries' bytes do not add up (a writer without byte counts, or damage), the
    // general path below reads the same entries through the offset table (and names the entry
    // at fault).
    if (kernel && b.table >= 0 && vectorWalker.walk(b.data, b.table, b.keylen, b.dataLength, b.entries, a, z, offsets, e, lanes as Uint32Array)) {
      p.release();
      e += z - a;
      continue;
    }
    // Counted into the column's own array, or into a scratch whose ends are then compared with
    // the shared candidate's (from `to`: the scratch holds the running offset at 0).
    const own = offsets.direct();
    const ends = own ?? new Int32Array(z - a + 1);
    const to = own ? e : 0;
    ends[to] = offsets.at(e);
    countEntries(path, info, b, header, size, a, z, ends, to);
    if (ends[to + z - a]! > total) throw damagedTotal(path, info, ends[to + z - a]!, total);
    if (!own) offsets.put(e, ends.subarray(1));
    const o = b.offsets!;
    if (header === 0) {
      // Counted arrays are contiguous within a basket: one copy for the whole slice.
      copyBigEndian(size, b.view, o[a]!, ends[to + z - a]! - ends[to]!, lanes, ends[to]!);
    } else {
      copyEntriesBigEndian(size, b.view, o, header, a, z, ends, to, lanes);
    }
    p.release();
    e += z - a;
  }
  const out = offsets.result();
  if (out[n] !== total) throw damagedTotal(path, info, out[n]!, total);
  if (info.inner > 1) return rows(path, info, out, values as TypedArray, start);
  return { offsets: out, values: values as TypedArray };
}

/**
 * A counted array of fixed arrays (`x[n][3]`, a fixed-array member of a split collection): the
 * entries were counted in numbers; each must hold whole rows of `info.inner`, and the offsets
 * count rows (entry i is rows offsets[i] … offsets[i+1], row r is values[r·inner … (r+1)·inner)).
 */
function rows(path: string, info: BranchInfo, offsets: Int32Array, values: TypedArray, start: number): Jagged {
  const k = info.inner;
  // Offsets of their own: the read may share the ones counted in numbers with another column.
  const out = new Int32Array(offsets.length);
  for (let i = 0; i < offsets.length; i++) {
    if (offsets[i]! % k !== 0) throw new RootFormatError(path, -1, `branch ${info.name}: entry ${start + i - 1} holds ${offsets[i]! - offsets[i - 1]!} numbers, not whole rows of ${k}`);
    out[i] = offsets[i]! / k;
  }
  return { offsets: out, values, innerShape: [k] };
}

/** The elements of a basket read whole, from its header: its data bytes less the entries' headers; -1 when they cannot be. */
function wholeBasketElements(p: PendingBasket, header: number, size: number): number {
  const bytes = p.dataLength - header * p.entries;
  return bytes < 0 || bytes % size !== 0 ? -1 : bytes / size;
}

/** Whether {@link decode} gives this branch offsets that may be an earlier column's (shared-offsets.ts). */
export function sharesOffsets(info: BranchInfo): boolean {
  return (info.kind === 'vector' || info.kind === 'counted-array') && !info.objectBits && !info.packed && !info.leafOf?.walk && !info.member && !info.elementBase;
}

/**
 * The typed arrays to make ready ahead for a jagged branch whose baskets' headers are not in yet
 * (so {@link columnSizes} cannot tell), guessed from an earlier jagged branch of the read that
 * holds `earlierTotal` elements: columns whose offsets are equal hold as many elements, as the
 * branches of one collection do (lep_pt, lep_eta, ...), and such a branch's offsets are the
 * earlier column's (shared-offsets.ts), so only its values take memory. Empty when there is
 * nothing to guess from. A guess is a guess: tree.ts compares it with {@link columnSizes} once the
 * headers are in and hands the memory out only when they agree.
 */
export function guessedColumnSizes(info: BranchInfo, earlierTotal: number | undefined): Array<[ElementType, number]> {
  if (!sharesOffsets(info) || earlierTotal === undefined || earlierTotal <= 0) return [];
  return [[info.element as ElementType, earlierTotal]];
}

/**
 * The typed arrays {@link decode} will take from its memory for this branch over `[start, stop)`,
 * in the order it takes them, as far as the baskets' headers tell without decompressing any
 * (a jagged column's values only when every basket is read whole). For memory made ready ahead
 * (tree.ts): a wrong or missing size only means that column goes into fresh memory. `shared`:
 * an earlier branch of the read may give this one its offsets, which then take no memory (if
 * they differ after all, the column's own go into fresh memory).
 */
export function columnSizes(info: BranchInfo, baskets: PendingBasket[], start: number, stop: number, shared = false): Array<[ElementType, number]> {
  const n = stop - start;
  if (info.objectBits || info.packed || info.leafOf?.walk || info.member || info.elementBase || n <= 0) return [];
  const el = info.element as ElementType;
  if (info.kind === 'scalar' || info.kind === 'fixed-array') return [[el, n * info.inner]];
  if (info.kind !== 'vector' && info.kind !== 'counted-array') return [];
  const header = info.kind === 'vector' ? 10 : info.entryHeader;
  let total = 0;
  for (const p of baskets) {
    const got = firstIn(p, start) === 0 && endIn(p, stop) === p.entries ? wholeBasketElements(p, header, ELEMENT_SIZE[el]) : -1;
    if (got < 0) return shared ? [] : [['int32', n + 1]];
    total += got;
  }
  return shared ? [[el, total]] : [['int32', n + 1], [el, total]];
}

function damagedTotal(path: string, info: BranchInfo, counted: number, total: number): RootFormatError {
  return new RootFormatError(path, -1, `branch ${info.name}: its entries hold ${counted} elements where the basket sizes say ${total}`);
}

/**
 * Counts entries `[a, z)` of a loaded basket into `offsets[e + 1 …]` (running from `offsets[e]`)
 * and returns how many elements they hold; throws naming the first entry whose bytes disagree.
 */
function countEntries(path: string, info: BranchInfo, b: Basket, header: number, size: number, a: number, z: number, offsets: Int32Array, e: number): number {
  const o = b.offsets;
  if (!o) throw noOffsets(path, info);
  const from = offsets[e]!;
  const bad = header === 10 ? countVectorEntries(b.view, o, a, z, size, offsets, e) : header === 1 ? countPointedEntries(b.data, o, a, z, size, offsets, e) : countCountedEntries(o, a, z, size, offsets, e);
  if (bad >= 0) throw entryError(path, info, b, header, size, bad);
  return offsets[e + z - a]! - from;
}

function noOffsets(path: string, info: BranchInfo): RootFormatError {
  return new RootFormatError(path, -1, `branch ${info.name}: variable-size entries without an entry-offset table`);
}

/** The error for entry `bad` of a basket, whose bytes disagree with its element count. */
function entryError(path: string, info: BranchInfo, b: Basket, header: number, size: number, bad: number): RootFormatError {
  const o = b.offsets!;
  const bytes = o[bad + 1]! - o[bad]! - header;
  const said = header === 10 ? `says ${bytes >= 0 ? b.view.getInt32(o[bad]! + 6) : -1} elements in ${bytes} bytes`
    : header === 1 && bytes > 0 && bytes % size === 0 ? `has ${bytes} bytes of elements after a null-pointer flag`
      : `has ${bytes} bytes, not a multiple of ${size}`;
  return new RootFormatError(path, -1, `branch ${info.name}: entry ${b.entryStart + bad} ${said}`);
}

/** TLeafC strings: a length byte (255 → a 4-byte length follows) then the characters. */
function decodeStrings(path: string, info: BranchInfo, baskets: PendingBasket[], start: number, stop: number): string[] {
  const out: string[] = [];
  const dec = new TextDecoder();
  for (const pending of baskets) {
    const b = pending.load();
    const o = b.offsets;
    const a = firstIn(pending, start);
    const z = endIn(pending, stop);
    // Without an entry-offset table (go-hep writes none) the strings follow one another, so the
    // walk starts at the basket's first; every entry was read from byte 0, the first string.
    let p = 0;
    for (let i = o ? a : 0; i < z; i++) {
      if (o) p = o[i]!;
      const end = o ? o[i + 1]! : b.dataLength;
      if (p >= end) throw new RootFormatError(path, -1, `branch ${info.name}: string in entry ${b.entryStart + i} starts past its entry`);
      let len = b.data[p++]!;
      if (len === 255) {
        if (p + 4 > end) throw new RootFormatError(path, -1, `branch ${info.name}: string in entry ${b.entryStart + i} runs past its entry`);
        len = b.view.getInt32(p);
        p += 4;
      }
      if (len < 0 || p + len > end) throw new RootFormatError(path, -1, `branch ${info.name}: string in entry ${b.entryStart + i} runs past its entry`);
      if (i >= a) out.push(utf8(dec, b.data.subarray(p, p + len)));
      p += len;
    }
    pending.release();
  }
  return out;
}

/**
 * std::vector entries `[a, z)` of a basket: each is a 6-byte object header, a 4-byte count, then
 * `count` elements of `size` bytes. Writes running totals to `offsets[e + 1 …]`; returns the
 * index of the first entry whose count disagrees with its bytes, or -1. Kept apart from
 * {@link decodeJagged} so it stays one small monomorphic loop that V8 optimizes once.
 */
function countVectorEntries(view: DataView, o: Int32Array, a: number, z: number, size: number, offsets: Int32Array, e: number): number {
  let at = offsets[e]!;
  for (let i = a; i < z; i++) {
    const start = o[i]!;
    const bytes = o[i + 1]! - start - 10;
    if (bytes < 0) return i;
    const count = view.getInt32(start + 6);
    if (count < 0 || count * size !== bytes) return i;
    at += count;
    offsets[++e] = at;
  }
  return -1;
}

/** Counted leaf-list entries `[a, z)`: an entry is its elements only. Same contract as above. */
/**
 * A split object's pointer-to-array entries `[a, z)`: a byte saying whether the pointer was set
 * (0: no elements follow), then the elements. Like {@link countCountedEntries}; returns the first
 * entry whose bytes disagree, or -1.
 */
function countPointedEntries(data: Uint8Array, o: Int32Array, a: number, z: number, size: number, offsets: Int32Array, e: number): number {
  let at = offsets[e]!;
  for (let i = a; i < z; i++) {
    const bytes = o[i + 1]! - o[i]! - 1;
    if (bytes < 0 || bytes % size !== 0 || (bytes > 0 && data[o[i]!] === 0)) return i;
    at += bytes / size;
    offsets[++e] = at;
  }
  return -1;
}

function countCountedEntries(o: Int32Array, a: number, z: number, size: number, offsets: Int32Array, e: number): number {
  // Element sizes are powers of two: shifts and masks instead of division in this loop.
  const shift = 31 - Math.clz32(size);
  const mask = size - 1;
  let at = offsets[e]!;
  for (let i = a; i < z; i++) {
    const bytes = o[i + 1]! - o[i]!;
    if (bytes < 0 || (bytes & mask) !== 0) return i;
    at += bytes >> shift;
    offsets[++e] = at;
  }
  return -1;
}
