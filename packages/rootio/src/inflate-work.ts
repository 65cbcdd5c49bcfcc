/**
 * Decompressing one basket of a job into its slot of the ring: the same work whoever does it, a
 * decompression thread ({@link ./inflate-thread.ts}) or the reading thread ahead of its position
 * while the threads are busy ({@link ./inflate-pool.ts}). Layout in inflate-job.ts.
 */
import { decompress } from './decompress.js';
import { CANCELLED, DONE, FAILED, FAILED_AT, LAYOUT_WORDS, RELEASED, type JobMessage } from './inflate-job.js';

/** A job's shared memory as typed arrays (each thread makes its own views). */
export interface JobViews {
  inputs: Uint8Array[];
  layout: Int32Array;
  slots: Uint8Array;
  slotsAt: number;
  window: number;
  slotBytes: number;
}

export function jobViews(m: JobMessage): JobViews {
  return { inputs: m.inputs.map((b) => new Uint8Array(b)), layout: new Int32Array(m.layout), slots: new Uint8Array(m.slots), slotsAt: m.slotsAt, window: m.window, slotBytes: m.slotBytes };
}

/** Basket k's slot of the ring (all of it). */
export function slotOf(v: JobViews, k: number): Uint8Array {
  const at = v.slotsAt + (k % v.window) * v.slotBytes;
  return v.slots.subarray(at, at + v.slotBytes);
}

/**
 * Decompresses basket k (claimed by the caller, its slot free) into its slot. Returns its new
 * state: DONE, or FAILED when it cannot be decompressed (it never raises: the reader
 * decompresses a failed basket again itself, which raises the error naming the file and offset).
 */
export function inflateBasket(v: JobViews, k: number): number {
  const w = k * LAYOUT_WORDS;
  const input = v.inputs[v.layout[w]!]!;
  const at = v.layout[w + 1]!;
  const expected = v.layout[w + 3]!;
  try {
    const slot = slotOf(v, k);
    const got = decompress(input.subarray(at, at + v.layout[w + 2]!), expected, '', 0, slot);
    // A stored (uncompressed) payload comes back as itself.
    if (got.buffer !== v.slots.buffer) slot.set(got);
    return DONE;
  } catch {
    return FAILED;
  }
}

/**
 * Records that basket k failed, unless one before it has already: threads take no basket after
 * the first failed one, and one waiting for a slot of the ring is woken to see it.
 */
export function jobFailed(control: Int32Array, k: number): void {
  for (;;) {
    const failed = Atomics.load(control, FAILED_AT);
    if (failed && failed <= k + 1) break;
    if (Atomics.compareExchange(control, FAILED_AT, failed, k + 1) === failed) break;
  }
  Atomics.notify(control, RELEASED);
}

/**
 * Whether basket k is no longer to be decompressed ahead: the job was closed, or a basket before
 * it failed (the read fails there, so k is never needed).
 */
export function stoppedAt(control: Int32Array, k: number): boolean {
  const failed = Atomics.load(control, FAILED_AT);
  return Atomics.load(control, CANCELLED) !== 0 || (failed !== 0 && k >= failed);
}
