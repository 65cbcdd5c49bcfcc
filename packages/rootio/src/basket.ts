import { decompress } from './decompress.js';
import type { InflateJob, Payload } from './inflate-pool.js';
import { RootFormatError } from './errors.js';
import { copyInto } from './shared-copy.js';
import { allocate } from './types.js';
import type { ByteSource } from './source.js';

/** One basket's entries, decompressed. Offsets index `data` (the key header is not in it). */
export interface Basket {
  /** First entry of the tree in this basket. */
  entryStart: number;
  entries: number;
  data: Uint8Array;
  view: DataView;
  /** Bytes of entry data (before the offset table). */
  dataLength: number;
  /**
   * Start of each entry in `data`, plus the end, when the branch has variable-size entries;
   * built (and checked) on first use, since the std::vector path reads `table` directly.
   */
  readonly offsets: Int32Array | null;
  /** Byte position in `data` of the first big-endian entry offset (key-relative), or -1. */
  table: number;
  /** What to subtract from a `table` offset to index `data`. */
  keylen: number;
}

/**
 * A basket whose header has been read and whose payload is decompressed only by `load()`, so a
 * long read holds one decompressed basket at a time and decodes it while it is still in cache.
 * `load()` does the work again on each call: callers keep the result as long as they need it.
 */
export interface PendingBasket {
  entryStart: number;
  entries: number;
  /** Bytes of entry data, from the header (checked against the payload by `load()`). */
  dataLength: number;
  /**
   * Written without its entry-offset table (ROOT's offset-map I/O option) although the branch
   * has variable-size entries: `load()` rebuilds the offsets from `entryBytes` when set (a
   * counted array: the counter's values times the element size), else from each entry's own
   * byte count (std::vector entries carry one).
   */
  noOffsets: boolean;
  entryBytes: Int32Array | null;
  /**
   * @param room where to decompress a basket that is not kept past the read, instead of the
   *   read's scratch (given its size; e.g. the std::vector kernel's memory, vector-walk.ts). The
   *   basket may still come from elsewhere (a decompression thread's ring, a stored basket).
   */
  load(room?: (size: number) => Uint8Array): Basket;
  /**
   * Decompresses the basket's entry bytes straight into `dst` (exactly `dataLength` bytes: a basket
   * of fixed-size entries, all of them wanted) and returns true, or returns false having done
   * nothing when it cannot (a basket kept past the read, one with an offset table, one already
   * decompressed): the caller then uses `load()`. Needs no `release()`. Absent: always false.
   */
  loadInto?(dst: Uint8Array): boolean;
  /**
   * The caller is done with what `load()` returned. A basket decompressed by another thread lives
   * in a shared ring (see inflate-pool.ts) whose slot is refilled after this; a no-op otherwise.
   */
  release(): void;
}

/** A basket stored in the file: its compressed payload can be handed to decompression threads. */
export interface FileBasket extends PendingBasket {
  readonly payload: Payload;
  /** Takes the payload from `job` (as its basket `k`) instead of decompressing it on `load()`. */
  attach(job: InflateJob, k: number): void;
}

/**
 * Where a read decompresses its baskets. A basket the read does not keep (see `outlives` of
 * {@link pendingFileBasket}) goes into a buffer the read reuses, given back by its `release()`: a
 * read then faults in fresh memory only for the columns it returns, not again for every basket
 * (see zlib-into.ts for what that costs).
 */
export class Scratch {
  private readonly free: Uint8Array[] = [];

  /** A buffer of at least `size` bytes that nobody else holds until it is given back. */
  take(size: number): Uint8Array {
    const i = this.free.findIndex((b) => b.length >= size);
    if (i >= 0) return this.free.splice(i, 1)[0]!;
    // A smaller free buffer is dropped for the bigger one, so a read keeps few.
    this.free.pop();
    return allocate('uint8', size) as Uint8Array;
  }

  give(b: Uint8Array): void {
    this.free.push(b);
  }
}

const nothing = (): void => {};

/**
 * Where a basket lives: in the file (`seek`, `bytes`), or embedded in the TTree object itself
 * (`obj`). One shape for both (see {@link basketRef}).
 */
export interface BasketRef {
  where: 'file' | 'embedded';
  index: number;
  entryStart: number;
  entryStop: number;
  /** File position and size of the TKey+TBasket; -1 and 0 when embedded. */
  seek: number;
  bytes: number;
  obj: EmbeddedBasket | null;
}

/**
 * A BasketRef, always built here so every ref has the same hidden class and the read path stays
 * monomorphic in it (a shape per kind made `TreeReader.arrays` deoptimize on a "wrong map").
 */
export function basketRef(index: number, entryStart: number, entryStop: number, at: { seek: number; bytes: number } | EmbeddedBasket): BasketRef {
  const inFile = 'seek' in at;
  return { where: inFile ? 'file' : 'embedded', index, entryStart, entryStop, seek: inFile ? at.seek : -1, bytes: inFile ? at.bytes : 0, obj: inFile ? null : at };
}

export type EmbeddedBasket = {
  fKeylen: number;
  fNevBuf: number;
  fLast: number;
  fBufferRef: { arr: DataView } | null;
  fEntryOffset?: ArrayLike<number> | null;
};

/** What a PendingBasket's `load()` hands each basket it makes to, and returns (e.g. to cache it). */
export type OnLoad = (b: Basket) => Basket;

const asIs: OnLoad = (b) => b;

/**
 * Reads a TKey+TBasket header; the payload is decompressed by the result's `load()`.
 *
 * @param outlives the basket is used after the read (it is cached): it is decompressed into memory
 *   of its own and handed to `onLoad`. Any other basket is not handed on: it may live in `scratch`
 *   or a decompression job's ring (both reused) or be a view of the whole read's bytes, and no
 *   later read needs it.
 */
export function pendingFileBasket(src: ByteSource, blob: Uint8Array, ref: BasketRef, hasOffsets: boolean, onLoad: OnLoad = asIs,
                                  outlives = true, scratch: Scratch | null = null): FileBasket {
  const path = src.path;
  const at = ref.seek;
  if (blob.length < 18) throw new RootFormatError(path, at, 'basket header is truncated');
  const dv = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const nbytes = dv.getInt32(0);
  const version = dv.getInt16(4);
  const objlen = dv.getInt32(6);
  const keylen = dv.getInt16(14);
  if (nbytes !== ref.bytes) throw new RootFormatError(path, at, `basket ${ref.index} says it has ${nbytes} bytes, the branch says ${ref.bytes}`, { basket: ref.index });
  if (keylen < 18 || keylen > nbytes || objlen < 0 || objlen > 1 << 30) {
    throw new RootFormatError(path, at, `basket ${ref.index} has an impossible header (key length ${keylen}, object length ${objlen})`, { basket: ref.index });
  }
  // Skip the TKey fields and its three strings to reach TBasket's own fields.
  let p = 18 + (version > 1000 ? 16 : 8);
  for (let s = 0; s < 3; s++) {
    if (p >= keylen) throw new RootFormatError(path, at + p, `basket ${ref.index} key header is damaged`, { basket: ref.index });
    let n = blob[p++]!;
    if (n === 255) {
      if (p + 4 > keylen) break; // said below: the header is shorter than a TBasket's
      n = dv.getInt32(p);
      p += 4;
    }
    // A long string's 4-byte length is the file's word: negative or past the key, it is damage.
    if (n < 0 || p + n > keylen) throw new RootFormatError(path, at + p, `basket ${ref.index} key header is damaged: a name of ${n} bytes runs outside its ${keylen}-byte key`, { basket: ref.index });
    p += n;
  }
  if (p + 19 > keylen) throw new RootFormatError(path, at + p, `basket ${ref.index} header is shorter than a TBasket's`, { basket: ref.index });
  // TBasket: version, fBufferSize, fNevBufSize, fNevBuf, fLast, flag. A negative fNevBufSize
  // (the offset-map I/O option) is followed by one byte of I/O bits.
  const extra = dv.getInt32(p + 6) < 0 ? 1 : 0;
  if (p + 19 + extra > keylen) throw new RootFormatError(path, at + p, `basket ${ref.index} header is shorter than a TBasket's`, { basket: ref.index });
  const nevbuf = dv.getInt32(p + 10 + extra);
  const last = dv.getInt32(p + 14 + extra);
  const noOffsets = hasOffsets && blob[p + 18 + extra]! >= 80;
  let job: InflateJob | null = null;
  let k = -1;
  /** The scratch buffer the last `load()` decompressed into, until `release()`. */
  let held: Uint8Array | null = null;
  const inflate = () => decompress(blob.subarray(keylen), objlen, path, at + keylen);
  const pending: FileBasket = {
    entryStart: ref.entryStart, entries: ref.entryStop - ref.entryStart, dataLength: last - keylen, noOffsets, entryBytes: null,
    payload: { bytes: blob.subarray(keylen), expected: objlen, decompress: inflate },
    attach: (j, index) => {
      job = j;
      k = index;
    },
    load: (room) => {
      let data = job?.take(k) ?? null;
      if (!data && room && !outlives) data = decompress(blob.subarray(keylen), objlen, path, at + keylen, room(objlen));
      else if (!data && scratch && !outlives) data = decompress(blob.subarray(keylen), objlen, path, at + keylen, held = scratch.take(objlen));
      data ??= inflate();
      // Kept past the read: not a view into the ring (refilled) or into the read's bytes (reused
      // by the next read: a basket stored uncompressed is a view of them).
      if (outlives && (data.buffer instanceof SharedArrayBuffer || data.buffer === blob.buffer)) data = data.slice();
      const basket = makeBasket(path, at, ref, data, keylen, nevbuf, last, hasOffsets, undefined, noOffsets ? pending : null);
      return outlives ? onLoad(basket) : basket;
    },
    release: () => {
      job?.release(k);
      if (held) scratch!.give(held);
      held = null;
    },
    loadInto: (dst) => {
      if (outlives || hasOffsets || objlen !== last - keylen || dst.length !== objlen) return false;
      // The header's checks first, before anything is written into `dst`.
      makeBasket(path, at, ref, dst, keylen, nevbuf, last, false);
      try {
        // Decompressed by another thread (in its ring): copied from there.
        const done = job?.take(k) ?? null;
        const data = done ?? decompress(blob.subarray(keylen), objlen, path, at + keylen, dst);
        // A basket stored uncompressed comes back as the read's bytes themselves.
        if (data.buffer !== dst.buffer || data.byteOffset !== dst.byteOffset) copyInto(dst, data);
      } finally {
        job?.release(k);
      }
      return true;
    },
  };
  return pending;
}

/** A basket that the TTree object carried inside itself (already decompressed by jsroot). */
export function pendingEmbeddedBasket(path: string, ref: BasketRef, hasOffsets: boolean, onLoad: OnLoad = asIs): PendingBasket {
  const b = ref.obj!;
  const arr = b.fBufferRef?.arr;
  const data = arr ? new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength) : new Uint8Array(0);
  const noOffsets = hasOffsets && !b.fEntryOffset;
  const pending: PendingBasket = {
    entryStart: ref.entryStart, entries: ref.entryStop - ref.entryStart, dataLength: b.fLast - b.fKeylen, noOffsets, entryBytes: null, release: nothing,
    // The TTree's streamer already read this basket's offset table into fEntryOffset.
    load: () => onLoad(makeBasket(path, -1, ref, data, b.fKeylen, b.fNevBuf, b.fLast, hasOffsets, b.fEntryOffset ?? undefined, noOffsets ? pending : null)),
  };
  return pending;
}

/** An already loaded basket, as a {@link PendingBasket}. */
export function loadedBasket(b: Basket): PendingBasket {
  return { entryStart: b.entryStart, entries: b.entries, dataLength: b.dataLength, noOffsets: false, entryBytes: null, release: nothing, load: () => b };
}

function makeBasket(
  path: string, at: number, ref: BasketRef, data: Uint8Array, keylen: number, nevbuf: number, last: number, hasOffsets: boolean,
  given?: ArrayLike<number>, generate: PendingBasket | null = null,
): Basket {
  const dataLength = last - keylen;
  if (nevbuf < 0 || dataLength < 0 || dataLength > data.length) {
    throw new RootFormatError(path, at, `basket ${ref.index} is damaged: ${nevbuf} entries, ${dataLength} data bytes in a ${data.length}-byte buffer`, { basket: ref.index });
  }
  const entries = ref.entryStop - ref.entryStart;
  if (nevbuf !== entries) throw new RootFormatError(path, at, `basket ${ref.index} holds ${nevbuf} entries, the branch says ${entries}`, { basket: ref.index });
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const basket = (offsets: Int32Array | null, table: number, build: (() => Int32Array) | null) =>
    new LoadedBasket(ref.entryStart, entries, data, view, dataLength, keylen, table, offsets, build);
  if (!hasOffsets) return basket(null, -1, null);
  if (generate) {
    const o = generatedOffsets(view, entries, dataLength, generate.entryBytes);
    if (typeof o === 'string') throw new RootFormatError(path, at, `basket ${ref.index} was written without entry offsets and ${o}`, { basket: ref.index });
    return basket(o, -1, null);
  }
  const fromData = dataLength + 4 <= data.length;
  if (!fromData && !(given && given.length >= entries)) {
    if (entries > 1) throw new RootFormatError(path, at, `basket ${ref.index} lacks its entry-offset table`, { basket: ref.index });
    const offsets = new Int32Array(entries + 1);
    offsets[entries] = dataLength;
    return basket(offsets, -1, null);
  }
  const n = fromData ? view.getInt32(dataLength) : given!.length;
  if ((fromData ? n !== entries + 1 : n < entries) || (fromData && dataLength + 4 + 4 * entries > data.length)) {
    throw new RootFormatError(path, at, `basket ${ref.index} has a damaged entry-offset table (${n} offsets for ${entries} entries)`, { basket: ref.index });
  }
  const build = (): Int32Array => {
    const o = new Int32Array(entries + 1);
    if (fromData) {
      // The table is big-endian int32s: one native copy and byte swap, then a tight check loop.
      new Uint8Array(o.buffer, 0, 4 * entries).set(data.subarray(dataLength + 4, dataLength + 4 + 4 * entries));
      Buffer.from(o.buffer, 0, 4 * entries).swap32();
    } else {
      for (let i = 0; i < entries; i++) o[i] = given![i]!;
    }
    const bad = rebaseOffsets(o, entries, keylen, dataLength);
    if (bad >= 0) throw new RootFormatError(path, at, `basket ${ref.index} entry ${bad} has an offset outside its data`, { basket: ref.index, entry: ref.entryStart + bad });
    o[entries] = dataLength;
    return o;
  };
  return basket(null, fromData ? dataLength + 4 : -1, build);
}

/** Every Basket is one of these: one hidden class for the decoders (see basketRef). */
class LoadedBasket implements Basket {
  constructor(
    readonly entryStart: number, readonly entries: number, readonly data: Uint8Array, readonly view: DataView,
    readonly dataLength: number, readonly keylen: number, readonly table: number,
    private built: Int32Array | null, private readonly build: (() => Int32Array) | null,
  ) {}

  get offsets(): Int32Array | null {
    if (this.built === null && this.build !== null) this.built = this.build();
    return this.built;
  }
}

/**
 * Makes the first `entries` offsets relative to the data (minus `keylen`) and checks that they
 * rise within `[0, dataLength]`; returns the first bad entry, or -1.
 */
function rebaseOffsets(offsets: Int32Array, entries: number, keylen: number, dataLength: number): number {
  let prev = 0;
  for (let i = 0; i < entries; i++) {
    const o = offsets[i]! - keylen;
    if (o < prev || o > dataLength) return i;
    offsets[i] = prev = o;
  }
  return -1;
}

/**
 * Entry offsets of a basket written without its table: from each entry's byte size when known,
 * else by walking the entries' own byte counts. Returns why not when they do not tile the data.
 */
function generatedOffsets(view: DataView, entries: number, dataLength: number, entryBytes: Int32Array | null): Int32Array | string {
  const o = new Int32Array(entries + 1);
  let p = 0;
  for (let i = 0; i < entries; i++) {
    o[i] = p;
    if (entryBytes) {
      p += entryBytes[i]!;
    } else {
      if (p + 4 > dataLength) return `entry ${i} starts past its data`;
      const bc = view.getUint32(p);
      if (!(bc & 0x40000000)) return `entry ${i} has no byte count to find its end by`;
      p += 4 + (bc & ~0x40000000);
    }
    if (p > dataLength) return `its entries run past its ${dataLength} data bytes (entry ${i})`;
  }
  if (p !== dataLength) return `its entries fill ${p} of its ${dataLength} data bytes`;
  o[entries] = p;
  return o;
}
