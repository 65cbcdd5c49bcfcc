/**
 * One run of a job read with blocking preads, by whichever thread claimed it (read-thread.ts,
 * thread-reads.ts): its bytes into the job's memory, then its state set to DONE and waiters woken.
 */
import { readSync } from 'node:fs';
import { DONE, FAILED, RUNS } from './read-thread-job.js';

/** What went wrong with a run (nothing when it was read). */
export type RunFailure = { endedAt: number } | { error: { message: string; code?: string } };

export function readRun(fd: number, runs: Float64Array, k: number, memory: Uint8Array, words: Int32Array): RunFailure | null {
  const offset = runs[3 * k]!;
  const length = runs[3 * k + 1]!;
  const at = runs[3 * k + 2]!;
  let done = 0;
  try {
    while (done < length) {
      const n = readSync(fd, memory, at + done, length - done, offset + done);
      if (n === 0) return { endedAt: offset + done };
      done += n;
    }
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return { error: { message: String(e?.message ?? err), code: e?.code } };
  }
  Atomics.store(words, RUNS + k, DONE);
  Atomics.notify(words, RUNS + k);
  return null;
}

/** A run failed: every waiter is woken to see it (the runs left are not read). */
export function runFailed(words: Int32Array): void {
  Atomics.store(words, FAILED, 1);
  for (let i = RUNS; i < words.length; i++) Atomics.notify(words, i);
}
