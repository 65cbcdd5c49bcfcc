/**
 * Memory for one read's compressed bytes, reused by the next read on the same thread. A TTree
 * read fetches every basket it needs at once (bench/rootio.ts: 179 MB for 7 branches of 2M
 * events); in fresh memory each time the kernel faults every page in again and the garbage
 * collector is pushed by the new external memory, which cost more CPU than copying the bytes
 * from the page cache (CPU time of the 179 MB: 40 ms best, 150 ms median in fresh memory;
 * 18 ms in reused memory). The bytes never outlive their read: decoding copies them into the
 * columns, and a basket kept past the read is copied out first (see basket.ts).
 *
 * One buffer of each kind (plain, shared, and a decompression job's ring: see inflate-pool.ts)
 * is kept while reads follow each other and dropped after {@link KEEP_MS} without one, so an idle
 * process does not hold it; none over {@link KEEP_MAX_BYTES}.
 */

/** How long a returned buffer is kept for the next read (a loaded machine stretches the gaps between reads). */
export const KEEP_MS = 10_000;
/** Larger buffers are not kept (a read that large is rare, and the memory held would be large). */
export const KEEP_MAX_BYTES = 256 << 20;

/**
 * What a kept buffer is for: a read's bytes (plain or shared memory), a decompression ring
 * (shared), or a 1-thread read's bytes read on the reading thread (shared: thread-reads.ts). The
 * last is a kind of its own, not 'shared': a read on decompression threads gives its memory back
 * only once the threads are done with it, after the read has returned, and a 1-thread read started
 * right after it would otherwise find none kept and take 179 MB of fresh pages (bench/rootio.ts's
 * pairs of 1- and 2-thread reads did).
 */
type Kind = 'plain' | 'shared' | 'ring' | 'thread';

const kept: Record<Kind, Uint8Array | null> = { plain: null, shared: null, ring: null, thread: null };
let timer: ReturnType<typeof setTimeout> | null = null;

/**
 * `size` bytes (not zero-filled) that nobody else holds until {@link giveReadMemory}: the kept
 * buffer when it is big enough, else fresh memory. `shared`: in a SharedArrayBuffer, so
 * decompression threads can read it in place.
 */
export function takeReadMemory(size: number, shared: boolean): Uint8Array {
  return take(size, shared ? 'shared' : 'plain');
}

/** The read that took `b` is done with it (and every view of it): the next read may reuse it. */
export function giveReadMemory(b: Uint8Array): void {
  give(b, b.buffer instanceof SharedArrayBuffer ? 'shared' : 'plain');
}

/**
 * `size` bytes of shared memory for a 1-thread read's bytes, which the reading thread reads into
 * (thread-reads.ts), until {@link giveThreadReadMemory}.
 */
export function takeThreadReadMemory(size: number): Uint8Array {
  return take(size, 'thread');
}

/** The read that took `b` with {@link takeThreadReadMemory} is done with it, and so is the reading thread. */
export function giveThreadReadMemory(b: Uint8Array): void {
  give(b, 'thread');
}

/**
 * At least `size` bytes of shared memory for a decompression job's ring of slots, which the
 * job's threads write baskets into: the ring of the job before when big enough (a fresh 32 MiB
 * ring a read is 32 MiB of pages faulted in again), until {@link giveRingMemory}.
 */
export function takeRingMemory(size: number): SharedArrayBuffer {
  return take(size, 'ring').buffer as SharedArrayBuffer;
}

/** No thread and no reader uses the ring `b` any more: the next job may reuse it. */
export function giveRingMemory(b: SharedArrayBuffer): void {
  give(new Uint8Array(b), 'ring');
}

function take(size: number, kind: Kind): Uint8Array {
  const k = kept[kind];
  if (k && k.length >= size) {
    kept[kind] = null;
    return k.subarray(0, size);
  }
  if (kind !== 'plain') return new Uint8Array(new SharedArrayBuffer(size));
  // allocUnsafeSlow: memory of its own (not a slice of Node's pool), not zero-filled: the reads fill it.
  return new Uint8Array(Buffer.allocUnsafeSlow(size).buffer, 0, size);
}

function give(b: Uint8Array, kind: Kind): void {
  const whole = new Uint8Array(b.buffer, 0, b.buffer.byteLength);
  if (whole.length > KEEP_MAX_BYTES) return;
  // Of two, keep the larger (a nested read's small buffer comes back while the outer read runs).
  if (kept[kind] && kept[kind]!.length >= whole.length) return;
  kept[kind] = whole;
  if (timer) timer.refresh();
  else {
    timer = setTimeout(() => {
      timer = null;
      kept.plain = kept.shared = kept.ring = kept.thread = null;
    }, KEEP_MS);
    // It never keeps the process alive.
    timer.unref();
  }
}

/** @internal For tests: the size of the buffer of each kind kept now (0: none). */
export function keptReadMemory(): Record<Kind, number> {
  return { plain: kept.plain?.length ?? 0, shared: kept.shared?.length ?? 0, ring: kept.ring?.length ?? 0, thread: kept.thread?.length ?? 0 };
}
