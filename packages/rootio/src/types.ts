import { copyInto } from './shared-copy.js';

/** Element types of branches, by their C++ meaning. */
export type ElementType = 'bool' | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64' | 'float' | 'double';

export type TypedArray =
  | Uint8Array | Int8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | BigInt64Array | BigUint64Array | Float32Array | Float64Array;

/**
 * A jagged column: entry i holds `values[offsets[i] .. offsets[i+1])`; with `innerShape` (a
 * counted array of fixed arrays, `x[n][3]`) entry i holds rows `offsets[i] .. offsets[i+1]`, row
 * r being `values[r·inner .. (r+1)·inner)`.
 */
export interface Jagged<T extends TypedArray = TypedArray> {
  offsets: Int32Array;
  values: T;
  innerShape?: number[];
}

/** A fixed-size array column: entry i holds `values[i*inner .. (i+1)*inner)`. */
export interface Fixed<T extends TypedArray = TypedArray> {
  values: T;
  innerShape: number[];
}

/**
 * A column of nested containers (`kind: 'nested'`): one offsets array per level; a map level
 * has `keys` and `values` (entry i's pairs are `keys/values[offsets[i] … offsets[i+1])`).
 */
export type Nested = TypedArray | string[] | { offsets: Int32Array; values: Nested } | { offsets: Int32Array; keys: Nested; values: Nested };

/** What `arrays()` returns per branch. */
export type Column = TypedArray | Jagged | Fixed | string[] | Nested;

export const ELEMENT_SIZE: Record<ElementType, number> = {
  bool: 1, int8: 1, uint8: 1, int16: 2, uint16: 2, int32: 4, uint32: 4, int64: 8, uint64: 8, float: 4, double: 8,
};

/**
 * A fresh typed array for `n` elements of a type, not zero-filled: the decoders write every
 * element (and check that they did), so clearing tens of MB first would be a wasted pass.
 */
export function allocate(type: ElementType, n: number): TypedArray {
  const bytes = n * ELEMENT_SIZE[type];
  // allocUnsafeSlow: memory of its own (never a slice of Node's shared pool), uninitialised.
  const buf = bytes > 0 ? Buffer.allocUnsafeSlow(bytes).buffer : new ArrayBuffer(0);
  return typedView(type, buf, 0, n);
}

/** A typed array of `type` over `n` elements of `buffer` from byte `byteOffset`. */
export function typedView(type: ElementType, buffer: ArrayBuffer, byteOffset: number, n: number): TypedArray {
  switch (type) {
    case 'bool': case 'uint8': return new Uint8Array(buffer, byteOffset, n);
    case 'int8': return new Int8Array(buffer, byteOffset, n);
    case 'int16': return new Int16Array(buffer, byteOffset, n);
    case 'uint16': return new Uint16Array(buffer, byteOffset, n);
    case 'int32': return new Int32Array(buffer, byteOffset, n);
    case 'uint32': return new Uint32Array(buffer, byteOffset, n);
    case 'int64': return new BigInt64Array(buffer, byteOffset, n);
    case 'uint64': return new BigUint64Array(buffer, byteOffset, n);
    case 'float': return new Float32Array(buffer, byteOffset, n);
    case 'double': return new Float64Array(buffer, byteOffset, n);
  }
}

/** Typed arrays hold host-order numbers; the byte swaps below assume a little-endian host (x86, ARM). */
if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new Error('@gluon/rootio needs a little-endian host');

/** An unsigned view of a column's memory in lanes of 1, 2 or 4 bytes (8-byte types use two 4-byte lanes). */
export type Lanes = Uint8Array | Uint16Array | Uint32Array;

/** The lane view of `out` for elements of `size` bytes. */
export function lanesOf(out: TypedArray, size: number): Lanes {
  const { buffer, byteOffset, byteLength } = out;
  if (size === 1) return new Uint8Array(buffer, byteOffset, byteLength);
  if (size === 2) return new Uint16Array(buffer, byteOffset, byteLength / 2);
  return new Uint32Array(buffer, byteOffset, byteLength / 4);
}

/** Element count from which {@link copyBigEndian} copies natively (below it, set-up costs more). */
const NATIVE_SWAP_MIN = 64;

/**
 * Copies `n` big-endian elements of `size` bytes from byte `at` of `src` into element `to` of
 * `dst` (see {@link lanesOf}), swapping bytes as unsigned integers: exact for every bit pattern
 * (NaN payloads included), and no per-element type dispatch, boxing or BigInt.
 */
export function copyBigEndian(size: number, src: DataView, at: number, n: number, dst: Lanes, to: number): void {
  if (n >= NATIVE_SWAP_MIN && size > 1) {
    // Long runs: one memcpy and Node's native in-place byte swap beat any JS loop (~5×).
    copyInto(bytesOf(dst, to * size, n * size), new Uint8Array(src.buffer, src.byteOffset + at, n * size));
    swapInPlace(size, dst, to, n);
    return;
  }
  switch (size) {
    case 4: {
      const d = dst as Uint32Array;
      for (let i = 0; i < n; i++) d[to + i] = src.getUint32(at + 4 * i);
      return;
    }
    case 8: {
      const d = dst as Uint32Array;
      for (let i = 0, j = 2 * to; i < n; i++, j += 2) {
        d[j] = src.getUint32(at + 8 * i + 4);
        d[j + 1] = src.getUint32(at + 8 * i);
      }
      return;
    }
    case 2: {
      const d = dst as Uint16Array;
      for (let i = 0; i < n; i++) d[to + i] = src.getUint16(at + 2 * i);
      return;
    }
    default: {
      const d = dst as Uint8Array;
      if (n > 64) d.set(new Uint8Array(src.buffer, src.byteOffset + at, n), to);
      else for (let i = 0; i < n; i++) d[to + i] = src.getUint8(at + i);
    }
  }
}

/** `bytes` bytes of `dst`'s memory from its byte `at`, as a Uint8Array view. */
export function bytesOf(dst: Lanes, at: number, bytes: number): Uint8Array {
  return new Uint8Array(dst.buffer, dst.byteOffset + at, bytes);
}

/**
 * Turns `n` big-endian elements of `size` bytes, already in `dst` from element `to` (see
 * {@link lanesOf}), into host order where they are: what {@link copyBigEndian} does after its copy,
 * for bytes that were decompressed straight into a column.
 */
export function swapInPlace(size: number, dst: Lanes, to: number, n: number): void {
  if (size === 1 || n === 0) return;
  const at = dst.byteOffset + to * size;
  if (n >= NATIVE_SWAP_MIN) {
    const b = Buffer.from(dst.buffer, at, n * size);
    if (size === 4) b.swap32();
    else if (size === 8) b.swap64();
    else b.swap16();
    return;
  }
  // Short runs: read big-endian, write little-endian (the host's order), word by word.
  const v = new DataView(dst.buffer, at, n * size);
  if (size === 2) {
    for (let p = 0; p < n * 2; p += 2) v.setUint16(p, v.getUint16(p), true);
  } else if (size === 4) {
    for (let p = 0; p < n * 4; p += 4) v.setUint32(p, v.getUint32(p), true);
  } else {
    for (let p = 0; p < n * 8; p += 8) {
      const hi = v.getUint32(p);
      v.setUint32(p, v.getUint32(p + 4), true);
      v.setUint32(p + 4, hi, true);
    }
  }
}

/**
 * Copies the elements of entries `[a, z)` of one basket, entry i starting at byte
 * `starts[i] + skip` of `src`, into `dst` at `offsets[e] …` (entry i goes to `offsets[e + i - a]`).
 * The entry loop sits inside the per-size switch, so each size is one tight, monomorphic loop
 * nest (this is the std::vector hot path: one call per basket, not per entry).
 */
export function copyEntriesBigEndian(
  size: number, src: DataView, starts: Int32Array, skip: number, a: number, z: number, offsets: Int32Array, e: number, dst: Lanes,
): void {
  switch (size) {
    case 4: {
      const d = dst as Uint32Array;
      for (let i = a; i < z; i++, e++) {
        const end = offsets[e + 1]!;
        for (let k = offsets[e]!, p = starts[i]! + skip; k < end; k++, p += 4) d[k] = src.getUint32(p);
      }
      return;
    }
    case 8: {
      const d = dst as Uint32Array;
      for (let i = a; i < z; i++, e++) {
        const end = 2 * offsets[e + 1]!;
        for (let k = 2 * offsets[e]!, p = starts[i]! + skip; k < end; k += 2, p += 8) {
          d[k] = src.getUint32(p + 4);
          d[k + 1] = src.getUint32(p);
        }
      }
      return;
    }
    case 2: {
      const d = dst as Uint16Array;
      for (let i = a; i < z; i++, e++) {
        const end = offsets[e + 1]!;
        for (let k = offsets[e]!, p = starts[i]! + skip; k < end; k++, p += 2) d[k] = src.getUint16(p);
      }
      return;
    }
    default: {
      const d = dst as Uint8Array;
      for (let i = a; i < z; i++, e++) {
        const end = offsets[e + 1]!;
        for (let k = offsets[e]!, p = starts[i]! + skip; k < end; k++, p++) d[k] = src.getUint8(p);
      }
    }
  }
}

/**
 * UTF-8 text of `bytes`. Bytes in shared memory (a basket in a decompression ring) are copied
 * first: TextDecoder may refuse views of a SharedArrayBuffer.
 */
export function utf8(dec: { decode(bytes: Uint8Array): string }, bytes: Uint8Array): string {
  return dec.decode(bytes.buffer instanceof SharedArrayBuffer ? bytes.slice() : bytes);
}
