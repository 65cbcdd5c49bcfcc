/**
 * XXH3-64 with seed 0 and the default secret: the checksum RNTuple writes after every envelope
 * (and after pages written with checksums). Written from the xxHash specification; checked
 * against libxxhash on every length class and against the envelopes of ROOT's own files
 * (test/units/rntuple.ts). Inputs past 240 bytes (pages) go through a WebAssembly loop
 * (xxhash-kernel.ts: 14–24× the JavaScript one, which works in 32-bit halves and stays for where
 * no WebAssembly memory can be made).
 */
import { ACC_AT, INPUT_AT, withKernel } from '../xxhash-kernel.js';
const M64 = (1n << 64n) - 1n;
const P32_1 = 0x9e3779b1n;
const P32_2 = 0x85ebca77n;
const P32_3 = 0xc2b2ae3dn;
const P64_1 = 0x9e3779b185ebca87n;
const P64_2 = 0xc2b2ae3d27d4eb4fn;
const P64_3 = 0x165667b19e3779f9n;
const P64_4 = 0x85ebca77c2b2ae63n;
const P64_5 = 0x27d4eb2f165667c5n;

/** The default 192-byte secret (xxHash's kSecret). */
const SECRET = Uint8Array.from([
  0xb8, 0xfe, 0x6c, 0x39, 0x23, 0xa4, 0x4b, 0xbe, 0x7c, 0x01, 0x81, 0x2c, 0xf7, 0x21, 0xad, 0x1c,
  0xde, 0xd4, 0x6d, 0xe9, 0x83, 0x90, 0x97, 0xdb, 0x72, 0x40, 0xa4, 0xa4, 0xb7, 0xb3, 0x67, 0x1f,
  0xcb, 0x79, 0xe6, 0x4e, 0xcc, 0xc0, 0xe5, 0x78, 0x82, 0x5a, 0xd0, 0x7d, 0xcc, 0xff, 0x72, 0x21,
  0xb8, 0x08, 0x46, 0x74, 0xf7, 0x43, 0x24, 0x8e, 0xe0, 0x35, 0x90, 0xe6, 0x81, 0x3a, 0x26, 0x4c,
  0x3c, 0x28, 0x52, 0xbb, 0x91, 0xc3, 0x00, 0xcb, 0x88, 0xd0, 0x65, 0x8b, 0x1b, 0x53, 0x2e, 0xa3,
  0x71, 0x64, 0x48, 0x97, 0xa2, 0x0d, 0xf9, 0x4e, 0x38, 0x19, 0xef, 0x46, 0xa9, 0xde, 0xac, 0xd8,
  0xa8, 0xfa, 0x76, 0x3f, 0xe3, 0x9c, 0x34, 0x3f, 0xf9, 0xdc, 0xbb, 0xc7, 0xc7, 0x0b, 0x4f, 0x1d,
  0x8a, 0x51, 0xe0, 0x4b, 0xcd, 0xb4, 0x59, 0x31, 0xc8, 0x9f, 0x7e, 0xc9, 0xd9, 0x78, 0x73, 0x64,
  0xea, 0xc5, 0xac, 0x83, 0x34, 0xd3, 0xeb, 0xc3, 0xc5, 0x81, 0xa0, 0xff, 0xfa, 0x13, 0x63, 0xeb,
  0x17, 0x0d, 0xdd, 0x51, 0xb7, 0xf0, 0xda, 0x49, 0xd3, 0x16, 0x55, 0x26, 0x29, 0xd4, 0x68, 0x9e,
  0x2b, 0x16, 0xbe, 0x58, 0x7d, 0x47, 0xa1, 0xfc, 0x8f, 0xf8, 0xb8, 0xd1, 0x7a, 0xd0, 0x31, 0xce,
  0x45, 0xcb, 0x3a, 0x8f, 0x95, 0x16, 0x04, 0x28, 0xaf, 0xd7, 0xfb, 0xca, 0xbb, 0x4b, 0x40, 0x7e,
]);
const SV = new DataView(SECRET.buffer);
const s64 = (at: number) => SV.getBigUint64(at, true);

const mul = (a: bigint, b: bigint) => (a * b) & M64;
const fold = (a: bigint, b: bigint) => {
  const p = a * b;
  return (p ^ (p >> 64n)) & M64;
};
const avalanche = (h: bigint) => {
  h ^= h >> 37n;
  h = mul(h, 0x165667919e3779f9n);
  return h ^ (h >> 32n);
};
const avalanche64 = (h: bigint) => {
  h ^= h >> 33n;
  h = mul(h, P64_2);
  h ^= h >> 29n;
  h = mul(h, P64_3);
  return h ^ (h >> 32n);
};
const rotl = (x: bigint, r: bigint) => ((x << r) | (x >> (64n - r))) & M64;
const swap64 = (x: bigint) => {
  let r = 0n;
  for (let i = 0; i < 8; i++) r = (r << 8n) | ((x >> BigInt(8 * i)) & 0xffn);
  return r;
};

/** XXH3-64 (seed 0) of `b`. */
export function xxh3(b: Uint8Array): bigint {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const r64 = (at: number) => v.getBigUint64(at, true);
  const r32 = (at: number) => BigInt(v.getUint32(at, true));
  const len = b.length;
  const n = BigInt(len);
  const mix16 = (at: number, s: number) => fold(r64(at) ^ s64(s), r64(at + 8) ^ s64(s + 8));
  if (len === 0) return avalanche64(s64(56) ^ s64(64));
  if (len <= 3) {
    const combined = (BigInt(b[0]!) << 16n) | (BigInt(b[len >> 1]!) << 24n) | BigInt(b[len - 1]!) | (n << 8n);
    return avalanche64(combined ^ (BigInt(SV.getUint32(0, true)) ^ BigInt(SV.getUint32(4, true))));
  }
  if (len <= 8) {
    const keyed = ((r32(len - 4) + (r32(0) << 32n)) & M64) ^ (s64(8) ^ s64(16));
    let h = keyed ^ rotl(keyed, 49n) ^ rotl(keyed, 24n);
    h = mul(h, 0x9fb21c651e98df25n);
    h ^= (h >> 35n) + n;
    h = mul(h, 0x9fb21c651e98df25n);
    return h ^ (h >> 28n);
  }
  if (len <= 16) {
    const lo = r64(0) ^ (s64(24) ^ s64(32));
    const hi = r64(len - 8) ^ (s64(40) ^ s64(48));
    return avalanche((n + swap64(lo) + hi + fold(lo, hi)) & M64);
  }
  if (len <= 128) {
    let acc = mul(n, P64_1);
    if (len > 32) {
      if (len > 64) {
        if (len > 96) acc += mix16(48, 96) + mix16(len - 64, 112);
        acc += mix16(32, 64) + mix16(len - 48, 80);
      }
      acc += mix16(16, 32) + mix16(len - 32, 48);
    }
    acc += mix16(0, 0) + mix16(len - 16, 16);
    return avalanche(acc & M64);
  }
  if (len <= 240) {
    let acc = mul(n, P64_1);
    for (let i = 0; i < 8; i++) acc += mix16(16 * i, 16 * i);
    acc = avalanche(acc & M64);
    for (let i = 8; i < len >> 4; i++) acc += mix16(16 * i, 16 * (i - 8) + 3);
    acc += mix16(len - 16, 136 - 17);
    return avalanche(acc & M64);
  }
  const acc = longWasm(b) ?? longJs(v, len);
  let h = mul(n, P64_1);
  for (let i = 0; i < 4; i++) h += fold(acc[2 * i]! ^ s64(11 + 16 * i), acc[2 * i + 1]! ^ s64(11 + 16 * i + 8));
  return avalanche(h & M64);
}

/** The accumulators' starting values. */
const ACC_INIT = [P32_3, P64_1, P64_2, P64_3, P64_4, P32_2, P64_5, P32_1];

/**
 * The long loop's eight accumulators for `b` (over 240 bytes), in WebAssembly (xxhash.wat);
 * null where it cannot run.
 */
function longWasm(b: Uint8Array): bigint[] | null {
  return withKernel(b, (k, mem) => {
    new Uint8Array(mem, 0, SECRET.length).set(SECRET);
    const view = new DataView(mem);
    ACC_INIT.forEach((x, i) => view.setBigUint64(ACC_AT + 8 * i, x, true));
    k.xxh3_long(INPUT_AT, b.length);
    return ACC_INIT.map((_, i) => view.getBigUint64(ACC_AT + 8 * i, true));
  });
}

/** The same accumulators in JavaScript: 32-bit halves in doubles, no BigInt per byte. */
function longJs(v: DataView, len: number): bigint[] {
  const acc = new Float64Array(16); // [lo0, hi0, lo1, hi1, …]
  ACC_INIT.forEach((x, i) => {
    acc[2 * i] = Number(x & 0xffffffffn);
    acc[2 * i + 1] = Number(x >> 32n);
  });
  const stripe = (at: number, s: number) => {
    for (let i = 0; i < 8; i++) {
      const dlo = v.getUint32(at + 8 * i, true);
      const dhi = v.getUint32(at + 8 * i + 4, true);
      const klo = (dlo ^ SV.getUint32(s + 8 * i, true)) >>> 0;
      const khi = (dhi ^ SV.getUint32(s + 8 * i + 4, true)) >>> 0;
      add(acc, 2 * (i ^ 1), dlo, dhi);
      mul32(klo, khi);
      add(acc, 2 * i, product[0]!, product[1]!);
    }
  };
  const block = 1024;
  const blocks = Math.floor((len - 1) / block);
  for (let k = 0; k < blocks; k++) {
    for (let j = 0; j < 16; j++) stripe(k * block + 64 * j, 8 * j);
    for (let i = 0; i < 8; i++) {
      // acc ^= acc >> 47; acc ^= secret; acc *= PRIME32_1 (mod 2^64)
      const hi = acc[2 * i + 1]!;
      const lo = ((acc[2 * i]! ^ (hi >>> 15)) ^ SV.getUint32(128 + 8 * i, true)) >>> 0;
      const hx = (hi ^ SV.getUint32(128 + 8 * i + 4, true)) >>> 0;
      mul32(lo, 0x9e3779b1);
      acc[2 * i] = product[0]!;
      acc[2 * i + 1] = (product[1]! + Math.imul(hx, 0x9e3779b1)) >>> 0;
    }
  }
  const stripes = Math.floor((len - 1 - block * blocks) / 64);
  for (let j = 0; j < stripes; j++) stripe(blocks * block + 64 * j, 8 * j);
  stripe(len - 64, 192 - 64 - 7);
  return ACC_INIT.map((_, i) => (BigInt(acc[2 * i + 1]!) << 32n) | BigInt(acc[2 * i]!));
}

/** The last {@link mul32}: [low 32 bits, high 32 bits]. */
const product = new Float64Array(2);

/** The exact 64-bit product of two unsigned 32-bit integers, into {@link product}. */
function mul32(a: number, b: number): void {
  // 32 × 16-bit products are below 2^48, exact in a double.
  const p0 = a * (b & 0xffff);
  const p1 = a * (b >>> 16);
  const p1l = (p1 >>> 0) & 0xffff;
  const p1h = Math.floor(p1 / 65536);
  const lo = (p0 >>> 0) + p1l * 65536;
  product[0] = lo >>> 0;
  product[1] = (Math.floor(p0 / 4294967296) + p1h + Math.floor(lo / 4294967296)) >>> 0;
}

/** acc[i, i + 1] (low, high halves) += (lo, hi), mod 2^64. */
function add(acc: Float64Array, i: number, lo: number, hi: number): void {
  const l = acc[i]! + lo;
  acc[i] = l >>> 0;
  acc[i + 1] = (acc[i + 1]! + hi + (l >= 4294967296 ? 1 : 0)) >>> 0;
}
