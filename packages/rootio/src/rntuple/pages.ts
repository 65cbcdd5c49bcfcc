/**
 * RNTuple column pages, decompressed, into values: plain little-endian elements, and the
 * split (byte-transposed), zigzag and delta encodings. One typed array per page.
 */
import { UnsupportedBranchTypeError } from '../errors.js';

/** Column types (binary format 1.0, "Column Description"). */
export const C = {
  bit: 0x00, byte: 0x01, char: 0x02, int8: 0x03, uint8: 0x04, int16: 0x05, uint16: 0x06, int32: 0x07, uint32: 0x08,
  int64: 0x09, uint64: 0x0a, real16: 0x0b, real32: 0x0c, real64: 0x0d, index32: 0x0e, index64: 0x0f, switch: 0x10,
  splitInt16: 0x11, splitUInt16: 0x12, splitInt32: 0x13, splitUInt32: 0x14, splitInt64: 0x15, splitUInt64: 0x16,
  splitReal16: 0x17, splitReal32: 0x18, splitReal64: 0x19, splitIndex32: 0x1a, splitIndex64: 0x1b,
  real32Trunc: 0x1c, real32Quant: 0x1d,
} as const;

export type PageValues = Uint8Array | Int8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | BigInt64Array | BigUint64Array | Float32Array | Float64Array;

/** Bytes a page of `elements` takes (bit-packed columns round up to whole bytes). */
export function pageBytes(type: number, bits: number, elements: number): number {
  return Math.ceil((elements * (type === C.bit ? 1 : bits)) / 8);
}

/** Element i's `bits` bits, packed least-significant first across the page's bytes. */
function unpackBits(b: Uint8Array, n: number, bits: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let v = 0;
    for (let k = 0; k < bits; k++) {
      const at = i * bits + k;
      if ((b[at >> 3]! >> (at & 7)) & 1) v += 2 ** k;
    }
    out[i] = v;
  }
  return out;
}

/** Floats cut to their `bits` most significant bits (sign, exponent, leading mantissa). */
function truncatedFloats(b: Uint8Array, n: number, bits: number): Float32Array {
  const u = unpackBits(b, n, bits);
  const out = new Float32Array(n);
  const word = new Uint32Array(out.buffer);
  for (let i = 0; i < n; i++) word[i] = (u[i]! * 2 ** (32 - bits)) >>> 0;
  return out;
}

/** Integers of `bits` bits mapped linearly onto the column's [min, max]. */
function quantizedFloats(b: Uint8Array, n: number, bits: number, min: number, max: number): Float32Array {
  const u = unpackBits(b, n, bits);
  const scale = (max - min) / (2 ** bits - 1);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = min + u[i]! * scale;
  return out;
}

/** Undoes the split encoding: byte k of every element was stored in the k-th block. */
function unsplit(b: Uint8Array, n: number, size: number): Uint8Array {
  const out = new Uint8Array(n * size);
  for (let k = 0; k < size; k++) {
    const block = b.subarray(k * n, (k + 1) * n);
    for (let i = 0; i < n; i++) out[i * size + k] = block[i]!;
  }
  return out;
}

/** An aligned copy of `b` (typed arrays over it need an aligned buffer; hosts are little-endian). */
function aligned(b: Uint8Array): ArrayBuffer {
  return b.slice().buffer;
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/**
 * The values of one decompressed page of `n` elements. Index columns come back as cumulative
 * offsets (their delta encoding undone), in a Float64Array (offsets stay far below 2^53).
 */
export function decodePage(col: { type: number; bits: number; min: number; max: number }, b: Uint8Array, n: number, column: string): PageValues {
  const { type, bits } = col;
  switch (type) {
    case C.bit: {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = (b[i >> 3]! >> (i & 7)) & 1;
      return out;
    }
    case C.byte: case C.char: case C.uint8: return b.slice(0, n);
    case C.int8: return new Int8Array(aligned(b.subarray(0, n)));
    case C.int16: return new Int16Array(aligned(b.subarray(0, 2 * n)));
    case C.uint16: return new Uint16Array(aligned(b.subarray(0, 2 * n)));
    case C.int32: return new Int32Array(aligned(b.subarray(0, 4 * n)));
    case C.uint32: return new Uint32Array(aligned(b.subarray(0, 4 * n)));
    case C.int64: return new BigInt64Array(aligned(b.subarray(0, 8 * n)));
    case C.uint64: return new BigUint64Array(aligned(b.subarray(0, 8 * n)));
    case C.real32: return new Float32Array(aligned(b.subarray(0, 4 * n)));
    case C.real64: return new Float64Array(aligned(b.subarray(0, 8 * n)));
    case C.real16: return halfs(new Uint16Array(aligned(b.subarray(0, 2 * n))));
    case C.index32: return Float64Array.from(new Uint32Array(aligned(b.subarray(0, 4 * n))));
    case C.index64: return Float64Array.from(new BigUint64Array(aligned(b.subarray(0, 8 * n))), Number);
    case C.splitInt16: return zigzag16(new Uint16Array(unsplit(b, n, 2).buffer));
    case C.splitUInt16: return new Uint16Array(unsplit(b, n, 2).buffer);
    case C.splitInt32: return zigzag32(new Uint32Array(unsplit(b, n, 4).buffer));
    case C.splitUInt32: return new Uint32Array(unsplit(b, n, 4).buffer);
    case C.splitInt64: return zigzag64(new BigUint64Array(unsplit(b, n, 8).buffer));
    case C.splitUInt64: return new BigUint64Array(unsplit(b, n, 8).buffer);
    case C.splitReal16: return halfs(new Uint16Array(unsplit(b, n, 2).buffer));
    case C.splitReal32: return new Float32Array(unsplit(b, n, 4).buffer);
    case C.splitReal64: return new Float64Array(unsplit(b, n, 8).buffer);
    case C.splitIndex32: return cumulative(Float64Array.from(new Uint32Array(unsplit(b, n, 4).buffer)));
    case C.splitIndex64: return cumulative(Float64Array.from(new BigUint64Array(unsplit(b, n, 8).buffer), Number));
    case C.real32Trunc: return truncatedFloats(b, n, bits);
    case C.real32Quant: return quantizedFloats(b, n, bits, col.min, col.max);
    default:
      throw new UnsupportedBranchTypeError(`RNTuple column type 0x${type.toString(16)} (${bits} bits)`, column);
  }
}

function halfs(h: Uint16Array): Float32Array {
  const out = new Float32Array(h.length);
  for (let i = 0; i < h.length; i++) out[i] = halfToFloat(h[i]!);
  return out;
}

function zigzag16(u: Uint16Array): Int16Array {
  const out = new Int16Array(u.length);
  for (let i = 0; i < u.length; i++) out[i] = (u[i]! >>> 1) ^ -(u[i]! & 1);
  return out;
}

function zigzag32(u: Uint32Array): Int32Array {
  const out = new Int32Array(u.length);
  for (let i = 0; i < u.length; i++) out[i] = (u[i]! >>> 1) ^ -(u[i]! & 1);
  return out;
}

function zigzag64(u: BigUint64Array): BigInt64Array {
  const out = new BigInt64Array(u.length);
  for (let i = 0; i < u.length; i++) out[i] = (u[i]! >> 1n) ^ -(u[i]! & 1n);
  return out;
}

function cumulative(a: Float64Array): Float64Array {
  for (let i = 1; i < a.length; i++) a[i]! += a[i - 1]!;
  return a;
}
