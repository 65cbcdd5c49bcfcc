/**
 * Copying out of shared memory at any alignment. V8 copies to or from a SharedArrayBuffer
 * (`TypedArray#set`) with relaxed atomic stores: a word at a time when the source and the
 * destination sit at the same offset modulo 8, a byte at a time when they do not, which is 12–19×
 * a plain copy (`bench/shared-copy.ts`). A decompression thread's basket lies in the shared ring
 * (inflate-pool.ts) at a multiple of 8, and its bytes go wherever a column has reached, so half of
 * those copies would go a byte at a time. They go through a small plain buffer instead, placed at
 * the source's offset modulo 8: a word-at-a-time copy into it, still in cache, then a plain copy.
 */

/** Bytes per round through the bounce buffer: small enough to stay in the L1/L2 cache. */
const CHUNK = 64 << 10;
/** Below this, the byte-at-a-time copy costs less than setting up the rounds. */
const MIN_BYTES = 256;

let bounce: Uint8Array | null = null;

/** `dst.set(src, at)`, the same bytes, without V8's byte-at-a-time copy out of shared memory. */
export function copyInto(dst: Uint8Array, src: Uint8Array, at = 0): void {
  if (!(src.buffer instanceof SharedArrayBuffer) || dst.buffer instanceof SharedArrayBuffer || src.length < MIN_BYTES || ((dst.byteOffset + at - src.byteOffset) & 7) === 0) {
    dst.set(src, at);
    return;
  }
  // Refused before anything is written, as `set` refuses it (the rounds below write as they go).
  if (!(at >= 0 && at + src.length <= dst.length)) throw new RangeError(`copyInto: ${src.length} bytes at ${at} do not fit in ${dst.length}`);
  bounce ??= new Uint8Array(CHUNK + 8);
  // A plain buffer's memory starts at a multiple of 8 (malloc'd), as a SharedArrayBuffer's does.
  const lead = src.byteOffset & 7;
  const via = bounce.subarray(lead, lead + CHUNK);
  for (let i = 0; i < src.length; i += CHUNK) {
    const n = Math.min(CHUNK, src.length - i);
    via.set(src.subarray(i, i + n));
    dst.set(n === CHUNK ? via : via.subarray(0, n), at + i);
  }
}
