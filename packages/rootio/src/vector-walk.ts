/**
 * std::vector entries of 4-byte elements (the ATLAS case: vector<float>, vector<int>), walked by
 * a WebAssembly SIMD kernel (vector-walk.wat): per entry, the checks, the offset and the
 * byte-swapped elements, four entries at a time. In JavaScript the same walk cost ~6.5 ns an entry
 * (a DataView read, bounds checks and a serial chain from each entry's count to the next entry's
 * start); the kernel, which takes each entry's start from the basket's offset table so the entries
 * are independent, costs under 3 ns an entry, copying its output out included (~105 x64
 * instructions per 4 entries as Node 20 compiles it: see vector-walk.wat and the README).
 *
 * A basket is best decompressed straight into the kernel's memory ({@link VectorWalker.room}), or
 * by a decompression thread into its job's ring, a shared memory with a kernel of its own
 * (ring-kernel.ts), where it is walked as it lies; any other is copied in first. The kernel writes into its own memory (WebAssembly cannot write
 * into a JavaScript array), and the values and offsets are then copied into the columns: one
 * native copy each per basket, from memory still in cache.
 *
 * Every WebAssembly memory reserves ~10 GiB of address space (8 GiB on Node 24). Under a
 * virtual-memory limit (`ulimit -v`, as batch systems set) it cannot be made, nor can it always
 * grow: the walk then refuses the basket and the read takes the JavaScript path, with one warning
 * saying why it is slower. The values are the same either way.
 */
import { copyInto } from './shared-copy.js';
import type { OffsetsOut } from './shared-offsets.js';
import { VECTOR_WALK_WASM } from './vector-walk-wasm.js';
import { Wasm, type WasmMemory, type WasmModule } from './wasm-api.js';

export interface Kernel {
  memory: WasmMemory;
  walk(d: number, tbl: number, n: number, stop: number, keylen: number, out: number, offs: number, k0: number, starts: number): number;
}

export const PAGE = 65536;
/** Where the basket goes: below it, the kernel's constants (vector-walk.wat). */
export const BASE = 256;
/** Room past each region: the kernel reads and writes up to 64 bytes past an entry. */
export const SLACK = 64;
/** The kernel's starts of a run of at most 256 entries (vector-walk.wat), with room past them. */
const STARTS_BYTES = 4 * 260 + SLACK;
/** Kernel memory beyond this is given back after the basket that needed it. */
const KEEP_BYTES = 64 << 20;

let compiled: WasmModule | null = null;
/** Why this thread has no kernel (its memory could not be made), once that is known. */
let unavailable: string | null = null;

/** Warns once per thread that std::vector baskets go the JavaScript way, and why. */
function warnUnavailable(err: unknown): void {
  if (unavailable !== null) return;
  unavailable = err instanceof Error ? err.message : String(err);
  process.emitWarning(`std::vector<4-byte> branches are read without the WebAssembly kernel (${unavailable}): ` +
    'its memory reserves ~10 GiB of address space, more than the virtual-memory limit (ulimit -v) allows; ' +
    'the values are the same, the read slower', { code: 'GLUON_ROOTIO_NO_WASM_MEMORY' });
}

/** Bytes of the offsets' region for `data` bytes of basket: one per 10 bytes, room past it, 16-byte aligned. */
function offsetBytes(data: number): number {
  return Math.ceil((4 * Math.ceil(data / 10) + SLACK) / 16) * 16;
}

/** Basket bytes, rounded up, that a layout for a basket of `size` bytes holds (room past it included). */
export function dataBytes(size: number): number {
  return Math.ceil((size + SLACK) / 16) * 16;
}

/**
 * The kernel's output regions for baskets of up to `data` bytes ({@link dataBytes}), from byte
 * `out`: the values (at most the data's bytes), the offsets (at most one per 10 bytes), a run's
 * starts; and where they end.
 */
export function outputRegions(out: number, data: number): { offs: number; starts: number; end: number } {
  const offs = out + data;
  const starts = offs + offsetBytes(data);
  return { offs, starts, end: starts + STARTS_BYTES };
}

/**
 * A decompression job's ring in a shared memory with a kernel of its own (ring-kernel.ts): the
 * baskets in `[lo, hi)` (each at most `data` bytes; `SLACK` readable past `hi`) are walked in
 * place, the output written from `out` (laid out by {@link outputRegions}).
 */
export interface RingPlace {
  walk: Kernel['walk'];
  memory: WasmMemory;
  out: number;
  data: number;
  lo: number;
  hi: number;
}

/** @internal Baskets walked where they lie in a decompression job's ring (for tests and benchmarks). */
export const walkStats = { ring: 0 };

/** Each ring's place, by its memory's buffer (a basket's `data.buffer`); set by ring-kernel.ts. */
export const ringPlaces = new WeakMap<ArrayBufferLike, RingPlace>();

/**
 * The kernel's memory: its constants, then `[BASE, BASE + data)` a basket, then its values, then its
 * offsets, then a run's starts (the kernel's first pass writes them, its second reads them).
 */
export class VectorWalker {
  private kernel: Kernel | null = null;
  /** Bytes of basket data the memory is laid out for. */
  private data = 0;

  /**
   * Memory for a basket of `size` bytes to be decompressed into, ready for {@link walk}: valid until
   * the next `room` or `walk` call (either may grow the memory, which moves it).
   */
  readonly room = (size: number): Uint8Array => {
    const k = this.reserve(size);
    return k ? new Uint8Array(k.memory.buffer, BASE, size) : new Uint8Array(size);
  };

  /**
   * Entries `[a, z)` of a basket whose bytes are `data` (its entry-offset table at byte `table`,
   * key-relative: minus `keylen`; entry data in its first `dataLength` bytes): writes their ends
   * into `offsets[e + 1 …]` (running from `offsets[e]`; an {@link OffsetsOut} is given them, and
   * may share an earlier column's equal offsets instead) and their elements, byte-swapped, into
   * `dst` from `offsets[e]`. Returns false, having written nothing, when an entry's bytes disagree
   * with its count or the entries do not fit: the caller then reads them the slow way, which names
   * the entry at fault.
   */
  walk(data: Uint8Array, table: number, keylen: number, dataLength: number, entries: number,
       a: number, z: number, offsets: Int32Array | OffsetsOut, e: number, dst: Uint32Array): boolean {
    const n = z - a;
    if (n <= 0) return true;
    if (table < 0 || table + 4 * entries > data.length) return false;
    // A basket in a decompression job's ring is walked where it lies, by the kernel over that
    // ring's shared memory (ring-kernel.ts); any other in this thread's own kernel memory.
    const ring = ringPlaces.get(data.buffer);
    let walkFn: Kernel['walk'];
    let memory: WasmMemory;
    let d = data.byteOffset;
    let out: number;
    if (ring) {
      // The ring's output regions are laid out for its largest slot; a basket past them is damaged.
      if (d < ring.lo || d + data.length > ring.hi || data.length > ring.data) return false;
      walkFn = ring.walk;
      memory = ring.memory;
      out = ring.out;
    } else {
      let k = this.kernel;
      if (k && data.buffer === k.memory.buffer) {
        // Laid out by room() for this basket; a basket larger than that layout is damaged.
        if (d < BASE || d + data.length > BASE + this.data) return false;
      } else {
        k = this.reserve(data.length);
        if (!k) return false;
        // A basket from a decompression thread's ring is in shared memory: copied as plain memory is.
        copyInto(new Uint8Array(k.memory.buffer, BASE, data.length), data);
        d = BASE;
      }
      walkFn = k.walk;
      memory = k.memory;
      out = BASE + this.data;
    }
    const stop = z < entries ? new DataView(data.buffer, data.byteOffset, data.byteLength).getInt32(table + 4 * z) - keylen : dataLength;
    if (stop < 0 || stop > dataLength) return this.done(false);
    const { offs, starts } = outputRegions(out, ring ? ring.data : this.data);
    // Every entry holds at least its 10 header bytes.
    if (10 * n > dataLength) return this.done(false);
    const k0 = offsets instanceof Int32Array ? offsets[e]! : offsets.at(e);
    if (walkFn(d, d + table + 4 * a, n, stop, keylen, out, offs, k0, starts) !== -1) return this.done(false);
    const buffer = memory.buffer;
    const k1 = new Int32Array(buffer, offs + 4 * (n - 1), 1)[0]!;
    if (k1 > dst.length) return this.done(false);
    if (ring) {
      // Out of shared memory: V8's own copy would store a word (or a byte) at a time.
      if (offsets instanceof Int32Array) {
        if (e + 1 + n > offsets.length) throw new RangeError(`vector walk: ${n} offsets at ${e + 1} do not fit in ${offsets.length}`);
        copyInto(new Uint8Array(dst.buffer, dst.byteOffset + 4 * k0, 4 * (k1 - k0)), new Uint8Array(buffer, out, 4 * (k1 - k0)));
        copyInto(new Uint8Array(offsets.buffer, offsets.byteOffset + 4 * (e + 1), 4 * n), new Uint8Array(buffer, offs, 4 * n));
      } else {
        // Checked (or compared with an earlier column's, see shared-offsets.ts) before the values are copied.
        offsets.put(e, new Int32Array(buffer, offs, n));
        copyInto(new Uint8Array(dst.buffer, dst.byteOffset + 4 * k0, 4 * (k1 - k0)), new Uint8Array(buffer, out, 4 * (k1 - k0)));
      }
      walkStats.ring++;
      return true;
    }
    dst.set(new Uint32Array(buffer, out, k1 - k0), k0);
    if (offsets instanceof Int32Array) offsets.set(new Int32Array(buffer, offs, n), e + 1);
    else offsets.put(e, new Int32Array(buffer, offs, n));
    return this.done(true);
  }

  /**
   * Lays the memory out for a basket of `size` bytes: data, values (at most the data's bytes),
   * offsets (at most one per 10 bytes), each with room past its end, and the kernel's starts of a
   * run of entries. Null where the memory cannot be made or grown that far (see the module's
   * comment): the basket then goes the JavaScript way.
   */
  private reserve(size: number): Kernel | null {
    if (unavailable !== null) return null;
    const data = dataBytes(size);
    const need = outputRegions(BASE + data, data).end;
    let k = this.kernel;
    if (!k) {
      compiled ??= new Wasm.Module(Buffer.from(VECTOR_WALK_WASM, 'base64'));
      let exports: Kernel;
      try {
        exports = new Wasm.Instance(compiled, {}).exports as unknown as Kernel;
      } catch (err) {
        if (!(err instanceof RangeError)) throw err;
        warnUnavailable(err);
        return null;
      }
      k = this.kernel = { memory: exports.memory, walk: exports.walk };
    }
    const have = k.memory.buffer.byteLength;
    if (need > have) {
      try {
        k.memory.grow(Math.ceil((need - have) / PAGE));
      } catch (err) {
        // Only this outsized basket goes the JavaScript way; the kernel stays for the others.
        if (!(err instanceof RangeError)) throw err;
        this.data = 0;
        return null;
      }
    }
    this.data = data;
    return k;
  }

  /** Gives back memory grown for an outsized basket (WebAssembly memory cannot shrink: it is dropped). */
  private done(ok: boolean): boolean {
    if (this.kernel && this.kernel.memory.buffer.byteLength > KEEP_BYTES) {
      this.kernel = null;
      this.data = 0;
    }
    return ok;
  }
}

/** This thread's walker (each thread has its own module state, so its own kernel memory). */
export const vectorWalker = new VectorWalker();
