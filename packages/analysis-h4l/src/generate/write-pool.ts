/**
 * Writes sample files on several threads: each thread takes the next file (largest first, so the
 * biggest file starts at once and the small ones fill in around it) until none is left. A file
 * is written by one thread from its own PRNG stream, so the bytes are those of a serial run.
 */
import { Worker } from 'node:worker_threads';
import { writeSample, type SampleJob, type WrittenSample } from './write-sample.js';

type Reply = { ok: WrittenSample } | { error: string };

/**
 * Writes every job, on `threads` threads (1: in this thread), and returns what was written in
 * the order of `jobs`. The first failure stops the other threads and rejects, naming the sample.
 */
export async function writeSamples(jobs: SampleJob[], threads: number, onDone?: (w: WrittenSample) => void): Promise<WrittenSample[]> {
  const out: WrittenSample[] = new Array(jobs.length);
  if (threads <= 1 || jobs.length <= 1) {
    for (let i = 0; i < jobs.length; i++) { out[i] = await writeSample(jobs[i]!); onDone?.(out[i]!); }
    return out;
  }
  const queue = jobs.map((j, i) => i).sort((a, b) => jobs[b]!.entries - jobs[a]!.entries);
  const workers: Worker[] = [];
  const runOne = (w: Worker): Promise<void> => new Promise((resolve, reject) => {
    const next = (): void => {
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
    w.once('exit', (code) => { if (code !== 0) reject(new Error(`generating: a generator thread exited with code ${code}`)); });
    next();
  });
  try {
    for (let k = 0; k < Math.min(threads, jobs.length); k++) workers.push(new Worker(new URL('./write-thread.js', import.meta.url)));
    await Promise.all(workers.map(runOne));
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return out;
}
