/**
 * The .xz container as ROOT's LZMA blocks carry it: a stream header, LZMA2 blocks, an index and
 * a footer. Decoded into exactly the block's declared size; the integrity check of each block
 * (CRC32, CRC64 or SHA-256) and the index are verified.
 */
import { createHash } from 'node:crypto';
import { LzmaDecoder, lzma2Decode } from './lzma.js';

const MAGIC = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];
const LZMA2_FILTER = 0x21;

const CRC32_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (IEEE), as xz uses for headers, the index and CRC32 checks. */
export function crc32(b: Uint8Array, start = 0, end = b.length): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = CRC32_TABLE[(c ^ b[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// CRC-64 (ECMA-182, reflected) in two 32-bit halves: BigInt per byte would be far too slow.
const [CRC64_LO, CRC64_HI] = (() => {
  const lo = new Uint32Array(256);
  const hi = new Uint32Array(256);
  const poly = 0xc96c5795d7870f42n;
  for (let n = 0; n < 256; n++) {
    let c = BigInt(n);
    for (let k = 0; k < 8; k++) c = c & 1n ? poly ^ (c >> 1n) : c >> 1n;
    lo[n] = Number(c & 0xffffffffn);
    hi[n] = Number(c >> 32n);
  }
  return [lo, hi];
})();

function crc64(b: Uint8Array): [lo: number, hi: number] {
  let lo = 0xffffffff;
  let hi = 0xffffffff;
  for (let i = 0; i < b.length; i++) {
    const idx = (lo ^ b[i]!) & 0xff;
    lo = (((lo >>> 8) | (hi << 24)) ^ CRC64_LO[idx]!) >>> 0;
    hi = ((hi >>> 8) ^ CRC64_HI[idx]!) >>> 0;
  }
  return [(lo ^ 0xffffffff) >>> 0, (hi ^ 0xffffffff) >>> 0];
}

/** Size in bytes of the integrity check for xz check id `id`. */
function checkSize(id: number): number {
  return id === 0 ? 0 : 4 << Math.floor((id - 1) / 3);
}

function u32le(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

/** Reads xz's variable-length integer at `at`: [value, next offset]. */
function varint(b: Uint8Array, at: number, end: number): [number, number] {
  let v = 0;
  for (let i = 0; i < 9; i++) {
    if (at >= end) throw new Error('xz: truncated integer');
    const byte = b[at++]!;
    v += (byte & 0x7f) * 2 ** (7 * i);
    if (!(byte & 0x80)) return [v, at];
  }
  throw new Error('xz: integer longer than 9 bytes');
}

function verifyCheck(id: number, data: Uint8Array, src: Uint8Array, at: number): void {
  if (id === 0) return;
  let ok: boolean;
  if (id === 1) ok = crc32(data) === u32le(src, at);
  else if (id === 4) {
    const [lo, hi] = crc64(data);
    ok = lo === u32le(src, at) && hi === u32le(src, at + 4);
  } else if (id === 10) {
    ok = Buffer.from(createHash('sha256').update(data).digest()).equals(src.subarray(at, at + 32));
  } else return; // reserved check ids: the sizes are known, the algorithms are not defined
  if (!ok) throw new Error('xz: block check mismatch (the block is damaged)');
}

/**
 * Decodes one .xz stream into exactly `size` bytes. Throws (an Error saying why) when the stream
 * is damaged or decodes to any other size; never allocates more than `size` for the output.
 */
export function xzDecode(src: Uint8Array, size: number): Uint8Array {
  const end = src.length;
  if (end < 24 || MAGIC.some((m, i) => src[i] !== m)) throw new Error('xz: no stream header');
  if (crc32(src, 6, 8) !== u32le(src, 8)) throw new Error('xz: stream header CRC mismatch');
  if (src[6] !== 0 || src[7]! > 15) throw new Error('xz: unsupported stream flags');
  const check = src[7]!;
  const out = new Uint8Array(size);
  const dec = new LzmaDecoder(out);
  const blocks: [unpadded: number, uncompressed: number][] = [];
  let s = 12;
  for (;;) {
    if (s >= end) throw new Error('xz: stream ends before its index');
    if (src[s] === 0) break; // the index
    const headerSize = (src[s]! + 1) * 4;
    const hEnd = s + headerSize;
    if (hEnd > end) throw new Error('xz: truncated block header');
    if (crc32(src, s, hEnd - 4) !== u32le(src, hEnd - 4)) throw new Error('xz: block header CRC mismatch');
    const flags = src[s + 1]!;
    if (flags & 0x3c) throw new Error('xz: unsupported block flags');
    let p = s + 2;
    let declaredPacked = -1;
    let declaredSize = -1;
    if (flags & 0x40) [declaredPacked, p] = varint(src, p, hEnd - 4);
    if (flags & 0x80) [declaredSize, p] = varint(src, p, hEnd - 4);
    if ((flags & 3) !== 0) throw new Error('xz: filter chains other than LZMA2 alone are not used by ROOT');
    let id: number;
    let propsSize: number;
    [id, p] = varint(src, p, hEnd - 4);
    [propsSize, p] = varint(src, p, hEnd - 4);
    if (id !== LZMA2_FILTER || propsSize !== 1) throw new Error(`xz: unsupported filter 0x${id.toString(16)}`);
    if (src[p]! > 40) throw new Error('xz: LZMA2 dictionary size out of range');
    if (declaredSize >= 0 && declaredSize > size - dec.pos) throw new Error(`xz: block declares ${declaredSize} bytes, more than the ${size - dec.pos} expected`);
    const from = dec.pos;
    const dataEnd = lzma2Decode(src, hEnd, end, dec);
    const packed = dataEnd - hEnd;
    if (declaredPacked >= 0 && declaredPacked !== packed) throw new Error('xz: block compressed size differs from its header');
    if (declaredSize >= 0 && declaredSize !== dec.pos - from) throw new Error('xz: block size differs from its header');
    let q = dataEnd;
    while (q & 3) if (src[q++] !== 0) throw new Error('xz: non-zero block padding');
    const cs = checkSize(check);
    if (q + cs > end) throw new Error('xz: truncated block check');
    verifyCheck(check, out.subarray(from, dec.pos), src, q);
    blocks.push([headerSize + packed + cs, dec.pos - from]);
    s = q + cs;
  }
  if (dec.pos !== size) throw new Error(`xz: data decodes to ${dec.pos} bytes, expected ${size}`);
  verifyIndex(src, s, end, blocks);
  return out;
}

/** Checks the index and footer against the blocks actually decoded. */
function verifyIndex(src: Uint8Array, at: number, end: number, blocks: [number, number][]): void {
  let p = at + 1;
  let n: number;
  [n, p] = varint(src, p, end);
  if (n !== blocks.length) throw new Error(`xz: index lists ${n} blocks, the stream has ${blocks.length}`);
  for (const [unpadded, uncompressed] of blocks) {
    let a: number;
    let b: number;
    [a, p] = varint(src, p, end);
    [b, p] = varint(src, p, end);
    if (a !== unpadded || b !== uncompressed) throw new Error('xz: index does not match the blocks');
  }
  while (p & 3) if (src[p++] !== 0) throw new Error('xz: non-zero index padding');
  if (p + 4 + 12 > end) throw new Error('xz: truncated index or footer');
  if (crc32(src, at, p) !== u32le(src, p)) throw new Error('xz: index CRC mismatch');
  const f = p + 4;
  if (src[f + 10] !== 0x59 || src[f + 11] !== 0x5a) throw new Error('xz: no stream footer');
  if (crc32(src, f + 4, f + 10) !== u32le(src, f)) throw new Error('xz: stream footer CRC mismatch');
  if ((u32le(src, f + 4) + 1) * 4 !== p + 4 - at) throw new Error('xz: footer names the wrong index size');
  for (let i = f + 12; i < end; i++) if (src[i] !== 0) throw new Error('xz: bytes after the stream');
}
