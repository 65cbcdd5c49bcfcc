/**
 * LZ4 block decoding, bounds-checked: a damaged block throws instead of reading or writing
 * outside its buffers. (ROOT's L4 blocks are raw LZ4 blocks after an xxhash64 checksum.)
 */
import { ACC_AT, INPUT_AT, withKernel } from './xxhash-kernel.js';

export function lz4DecodeBlock(src: Uint8Array, dst: Uint8Array): number {
  let s = 0;
  let d = 0;
  const sEnd = src.length;
  const dEnd = dst.length;
  while (s < sEnd) {
    const token = src[s++]!;
    let lit = token >>> 4;
    if (lit === 15) {
      let b: number;
      do {
        if (s >= sEnd) throw new Error('LZ4: literal length runs past the block');
        b = src[s++]!;
        lit += b;
      } while (b === 255);
    }
    if (s + lit > sEnd || d + lit > dEnd) throw new Error('LZ4: literals run past the buffers');
    dst.set(src.subarray(s, s + lit), d);
    s += lit;
    d += lit;
    if (s >= sEnd) break;
    if (s + 2 > sEnd) throw new Error('LZ4: truncated match offset');
    const offset = src[s]! | (src[s + 1]! << 8);
    s += 2;
    if (offset === 0 || offset > d) throw new Error(`LZ4: match offset ${offset} points before the output`);
    let len = token & 15;
    if (len === 15) {
      let b: number;
      do {
        if (s >= sEnd) throw new Error('LZ4: match length runs past the block');
        b = src[s++]!;
        len += b;
      } while (b === 255);
    }
    len += 4;
    if (d + len > dEnd) throw new Error('LZ4: match runs past the output');
    let m = d - offset;
    if (offset >= len) {
      dst.copyWithin(d, m, m + len);
      d += len;
    } else {
      for (let i = 0; i < len; i++) dst[d++] = dst[m++]!;
    }
  }
  return d;
}

const P1 = 11400714785074694791n;
const P2 = 14029467366897019727n;
const P3 = 1609587929392839161n;
const P4 = 9650029242287828579n;
const P5 = 2870177450012600261n;
const M64 = (1n << 64n) - 1n;

const rotl = (x: bigint, r: bigint) => ((x << r) | (x >> (64n - r))) & M64;
const round = (acc: bigint, v: bigint) => (rotl((acc + v * P2) & M64, 31n) * P1) & M64;
const merge = (acc: bigint, v: bigint) => (((acc ^ round(0n, v)) * P1) & M64) + P4 & M64;

/** XXH64 with seed 0, the checksum ROOT stores before each LZ4 block. */
export function xxh64(buf: Uint8Array): bigint {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const len = buf.length;
  let i = 0;
  let h: bigint;
  if (len >= 32) {
    let v1 = (P1 + P2) & M64;
    let v2 = P2;
    let v3 = 0n;
    let v4 = (M64 + 1n - P1) & M64;
    // The stripes in WebAssembly (xxhash.wat: BigInt per 8 bytes is ~47 MB/s); in JavaScript where it cannot run.
    const lanes = withKernel(buf, (k, mem) => {
      const view = new DataView(mem);
      [v1, v2, v3, v4].forEach((v, j) => view.setBigUint64(ACC_AT + 8 * j, v, true));
      k.xxh64_stripes(INPUT_AT, len);
      return [0, 1, 2, 3].map((j) => view.getBigUint64(ACC_AT + 8 * j, true));
    });
    if (lanes) {
      [v1, v2, v3, v4] = lanes as [bigint, bigint, bigint, bigint];
      i = len & ~31;
    }
    for (; i + 32 <= len; i += 32) {
      v1 = round(v1, dv.getBigUint64(i, true));
      v2 = round(v2, dv.getBigUint64(i + 8, true));
      v3 = round(v3, dv.getBigUint64(i + 16, true));
      v4 = round(v4, dv.getBigUint64(i + 24, true));
    }
    h = (rotl(v1, 1n) + rotl(v2, 7n) + rotl(v3, 12n) + rotl(v4, 18n)) & M64;
    h = merge(h, v1);
    h = merge(h, v2);
    h = merge(h, v3);
    h = merge(h, v4);
  } else h = P5;
  h = (h + BigInt(len)) & M64;
  for (; i + 8 <= len; i += 8) h = ((rotl(h ^ round(0n, dv.getBigUint64(i, true)), 27n) * P1) & M64) + P4 & M64;
  if (i + 4 <= len) {
    h = ((rotl(h ^ ((BigInt(dv.getUint32(i, true)) * P1) & M64), 23n) * P2) & M64) + P3 & M64;
    i += 4;
  }
  for (; i < len; i++) h = (rotl(h ^ ((BigInt(buf[i]!) * P5) & M64), 11n) * P1) & M64;
  h ^= h >> 33n;
  h = (h * P2) & M64;
  h ^= h >> 29n;
  h = (h * P3) & M64;
  h ^= h >> 32n;
  return h;
}
