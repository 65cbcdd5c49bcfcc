/**
 * Writes sample files on generator threads: each thread takes the next file (largest first, so
 * the biggest file starts at once and the small ones fill in around it) until none is left. A file
 * is written by one thread from its own PRNG stream, so the bytes are those of a serial run.
 */
import { Worker } from 'node:worker_threads';
import { InterruptedError } from '../interrupt.js';
import { writeSample, type SampleJob, type WrittenSample } from './write-sample.js';

type Reply = { ok: WrittenSample } | { error: string };

/**
 * Writes every job on `threads` threads and returns what was written in the order of `jobs`.
 * The first failure stops the other threads and rejects, naming the sample. With `signal`, its
 * abort terminates the threads at once and rejects with an InterruptedError; the files they had
 * begun are left for the caller to remove (Node closes a thread's files when it ends).
 *
 * Without a signal and with one thread (or one job), the files are written in this thread:
 * nothing can stop it then, as it yields to no event until the last file is written. With a
 * signal they are always written on threads (at least one), so that this thread stays free to
 * see it: a Ctrl-C was otherwise not seen before the whole dataset was written (minutes at
 * scale 20).
 */
export async function writeSamples(jobs: SampleJob[], threads: number, onDone?: (w: WrittenSample) => void, signal?: AbortSignal): Promise<WrittenSample[]> {
  const out: WrittenSample[] = new Array(jobs.length);
  if (!signal && (threads <= 1 || jobs.length <= 1)) {
    for (let i = 0; i < jobs.length; i++) { out[i] = await writeSample(jobs[i]!); onDone?.(out[i]!); }
    return out;
  }
  if (signal?.aborted) throw new InterruptedError('interrupted before the first file');
  // One thread writes them in the plan's order (data first, as in this thread); several, largest first.
  const queue = jobs.map((j, i) => i);
  if (threads > 1) queue.sort((a, b) => jobs[b]!.entries - jobs[a]!.entries);
  const workers: Worker[] = [];
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(new InterruptedError('interrupted'));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => {}); // a pool that ended first never awaits it
  const runOne = (w: Worker): Promise<void> => new Promise((resolve, reject) => {
    const next = (): void => {
      if (signal?.aborted) return; // `aborted` rejects; no file is begun after the signal
      const i = queue.shift();
      if (i === undefined) { resolve(); return; }
      w.once('message', (r: Reply) => {
        if ('error' in r) { reject(new Error(`generating ${jobs[i]!.name}: ${r.error}`)); return; }
        out[i] = r.ok;
        onDone?.(r.ok);
        next();
      });
      w.postMessage(jobs[i]);
    };
    w.once('error', (e) => reject(new Error(`generating: a generator thread failed: ${e.message}`)));
    w.once('exit', (code) => { if (code !== 0 && !signal?.aborted) reject(new Error(`generating: a generator thread exited with code ${code}`)); });
    next();
  });
  try {
    for (let k = 0; k < Math.min(threads, jobs.length); k++) workers.push(new Worker(new URL('./write-thread.js', import.meta.url)));
    await Promise.race([Promise.all(workers.map(runOne)), aborted]);
  } finally {
    signal?.removeEventListener('abort', onAbort!);
    // Terminated even mid-file (a thread's JavaScript stops at once): that file is cut, and removed by the caller.
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return out;
}
