/**
 * The shared-memory layout of one read's decompression, used by both sides: the reading thread
 * ({@link ./inflate-pool.ts}) and the decompression threads ({@link ./inflate-thread.ts}).
 *
 * A job is every compressed basket of one read, in the order the reader will decode them. Threads
 * claim baskets from a shared cursor; the reader claims the basket it needs next itself when no
 * thread has taken it yet, so neither side ever waits on work nobody is doing. Each basket's
 * claim is one compare-and-swap on its state word, so exactly one side decompresses it.
 *
 * Decompressed baskets land in a ring of `window` slots (basket k in slot k % window); a thread
 * may fill basket k only while k < released + window, where `released` counts the baskets the
 * reader has finished with (in order), so memory stays bounded whatever the read's size.
 */

/** A basket's state word. */
export const FREE = 0;
/** Claimed by a decompression thread, being decompressed. */
export const CLAIMED = 1;
/** Decompressed by a thread into its slot. */
export const DONE = 2;
/**
 * A thread (or the reader ahead) could not decompress it: no basket after it is decompressed
 * ahead any more ({@link FAILED_AT}), and the reader decompresses it again itself, to raise the
 * real error.
 */
export const FAILED = 3;
/** Claimed by the reader, which decompresses it itself (not in a slot). */
export const MINE = 4;

/** Indices of the control words. */
export const CURSOR = 0;
export const RELEASED = 1;
export const CANCELLED = 2;
/**
 * 0, or 1 + the first basket in the job's order (the lowest) that has failed to decompress so
 * far. The threads take no basket after it (and drop one they had just claimed), but go on with
 * those before it: one of them may be damaged too, and the read names the first damaged basket in
 * its order, as a one-thread read does — not the one a thread happened to reach first, which
 * differed from run to run. The reader raises its error as soon as every basket from its
 * position to the failed one has been decompressed fine, not only once it reaches it in order.
 */
export const FAILED_AT = 3;
export const CONTROL_WORDS = 4;

/**
 * Per basket in `layout`: which of `inputs` holds its payload, the payload's offset and length
 * there, and its decompressed size.
 */
export const LAYOUT_WORDS = 4;

/** What the reader posts to a decompression thread to start a job. */
export interface JobMessage {
  /** Said back by each thread when it has finished with the job. */
  id: number;
  /** The buffers holding the compressed payloads (the read's own bytes when already shared). */
  inputs: SharedArrayBuffer[];
  /** LAYOUT_WORDS Int32s per basket. */
  layout: SharedArrayBuffer;
  /** One Int32 state word per basket. */
  states: SharedArrayBuffer;
  /** CONTROL_WORDS Int32s. */
  control: SharedArrayBuffer;
  /**
   * `window` slots of `slotBytes` each, from byte `slotsAt` (in a shared WebAssembly memory whose
   * start the reading thread's kernel uses: see ring-kernel.ts).
   */
  slots: SharedArrayBuffer;
  slotsAt: number;
  window: number;
  slotBytes: number;
}

/** What a decompression thread posts back when it has finished with job `done`. */
export interface DoneMessage {
  done: number;
  /** Its timeline for benchmarks (see `jobTotals` in inflate-pool.ts). */
  report: ThreadReport;
}

/**
 * How a decompression thread spent a job, in ms on the clock every thread shares
 * (`performance.timeOrigin + performance.now()`): when it began its first basket and ended its
 * last (0 when it took none), how long it waited for the reader to free a slot of the ring, the
 * decompressed bytes it wrote, and how many baskets it decompressed (those that failed included).
 */
export interface ThreadReport {
  firstAt: number;
  lastAt: number;
  ringWaitMs: number;
  bytes: number;
  baskets: number;
}

/** Now, in ms on the clock every thread of the process shares. */
export function sharedNow(): number {
  return performance.timeOrigin + performance.now();
}
