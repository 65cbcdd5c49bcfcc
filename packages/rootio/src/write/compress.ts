/**
 * ROOT's compressed-block framing for zlib: each block of at most 16 MiB - 1 uncompressed bytes
 * is a 9-byte header ("ZL", method 8, compressed and uncompressed sizes as 3-byte little-endian
 * integers) followed by a zlib stream.
 */
import { deflateSync } from 'node:zlib';

/** Largest uncompressed block ROOT's 3-byte size field can describe. */
export const MAX_BLOCK = 0xffffff;

export interface CompressionSettings {
  algorithm: 'zlib' | 'none';
  /** 1..9 for zlib; 0 stores uncompressed. */
  level: number;
}

/** ROOT's fCompress code: 100 × algorithm + level (zlib is algorithm 1; level 0 stores raw); 0 for 'none'. */
export function compressionCode(c: CompressionSettings): number {
  return c.algorithm === 'none' ? 0 : 100 + c.level;
}

function put3(out: Uint8Array, at: number, v: number): void {
  out[at] = v & 0xff;
  out[at + 1] = (v >>> 8) & 0xff;
  out[at + 2] = (v >>> 16) & 0xff;
}

/**
 * Compresses a record payload into ROOT blocks, or returns it unchanged when compression is off or
 * does not make it smaller (readers tell the two apart by comparing sizes, so a compressed payload
 * must be strictly shorter).
 */
export function compressPayload(data: Uint8Array, c: CompressionSettings): Uint8Array {
  if (c.algorithm === 'none' || c.level === 0 || data.length === 0) return data;
  const parts: Uint8Array[] = [];
  let total = 0;
  for (let start = 0; start < data.length; start += MAX_BLOCK) {
    const chunk = data.subarray(start, Math.min(data.length, start + MAX_BLOCK));
    const z = deflateSync(chunk, { level: c.level });
    if (z.length > MAX_BLOCK) return data; // incompressible beyond what the header can state
    const block = new Uint8Array(9 + z.length);
    block[0] = 0x5a; block[1] = 0x4c; block[2] = 8; // 'Z' 'L' method
    put3(block, 3, z.length);
    put3(block, 6, chunk.length);
    block.set(z, 9);
    parts.push(block);
    total += block.length;
  }
  if (total >= data.length) return data;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}
