/**
 * What the reading thread (read-thread.ts) and the thread that asked for a read (thread-reads.ts)
 * share about one job: a local file's runs of bytes, into shared memory. Both claim runs in order
 * from one cursor: the thread runs ahead, and the asking thread reads the next ones itself when it
 * needs them and the thread has not got to them yet (it would otherwise only wait).
 */

/** Word of the job's shared Int32Array: the next run nobody has claimed (Atomics.add/compareExchange to claim). */
export const CURSOR = 0;
/** Set (1) when a run failed: the failing side says why (the thread in its job's end message). */
export const FAILED = 1;
/** Set (1) by the asking thread: claim no further run (the read that asked for them failed). */
export const STOP = 2;
/** Run k's state is word RUNS + k: 0 until its bytes are in, then {@link DONE} (notified). */
export const RUNS = 3;
export const DONE = 1;

/** A job, as posted to the reading thread. */
export interface ReadJob {
  id: number;
  fd: number;
  /** Per run: its offset in the file, its length, and where in `memory` it goes (3 numbers a run). */
  runs: Float64Array;
  memory: SharedArrayBuffer;
  /** The words above, then one per run. */
  words: SharedArrayBuffer;
}

/** How a job ended, as posted back: no run left to claim, stopped, or failed (and why). */
export interface ReadJobEnd {
  id: number;
  /** The file ended at this offset before a run's end (truncated while open?). */
  endedAt?: number;
  /** A read that failed: the error's message and code. */
  error?: { message: string; code?: string };
}

/**
 * Fresh column memory to fault in, as posted to the reading thread and posted back when done:
 * each buffer is transferred there and back (never copied), so the asking thread has no way to
 * it meanwhile (see column-prefault.ts).
 */
export interface FaultJob {
  id: number;
  fault: ArrayBuffer[];
}
