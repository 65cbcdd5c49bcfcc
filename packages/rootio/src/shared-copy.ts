/**
 * Copying out of shared memory into plain memory. V8 copies to or from a SharedArrayBuffer
 * (`TypedArray#set`, `Buffer#copy`) with relaxed atomic stores: a word at a time when the source
 * and the destination sit at the same offset modulo 8 (1.66× a plain copy), a byte at a time when
 * they do not (13×; `bench/shared-copy.ts`). A decompression thread's basket lies in the shared
 * ring (inflate-pool.ts) and its bytes go wherever a column has reached. `Buffer#fill` with a
 * view as its value writes it with one `memcpy` when the range to fill is the value's length
 * (Node's `Fill`, in C++, on Node 20 through 24), whatever the alignment: 1.00–1.03× a plain copy
 * in that benchmark, so every such copy goes that way.
 */

/** Below this, `set` costs less than setting the copy up. */
const MIN_BYTES = 256;

/** `dst.set(src, at)`, the same bytes, without V8's atomic copy out of shared memory. */
export function copyInto(dst: Uint8Array, src: Uint8Array, at = 0): void {
  if (!(src.buffer instanceof SharedArrayBuffer) || dst.buffer instanceof SharedArrayBuffer || src.length < MIN_BYTES) {
    dst.set(src, at);
    return;
  }
  // Refused before anything is written, as `set` refuses it.
  if (!(at >= 0 && at + src.length <= dst.length)) throw new RangeError(`copyInto: ${src.length} bytes at ${at} do not fit in ${dst.length}`);
  Buffer.from(dst.buffer, dst.byteOffset + at, src.length).fill(src);
}
