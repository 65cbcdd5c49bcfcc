/**
 * The reading thread: claims each job's runs of a local file in order and reads each with
 * blocking preads into the job's shared memory, marking it done (see read-thread-job.ts,
 * thread-reads.ts). It never raises: a failed read ends the job with what went wrong, for the
 * asking thread to raise.
 */
import { parentPort } from 'node:worker_threads';
import { CURSOR, STOP, type ReadJob, type ReadJobEnd } from './read-thread-job.js';
import { readRun, runFailed } from './read-run.js';

function run(job: ReadJob): ReadJobEnd {
  const words = new Int32Array(job.words);
  const memory = new Uint8Array(job.memory);
  const n = job.runs.length / 3;
  for (;;) {
    if (Atomics.load(words, STOP)) break;
    const k = Atomics.add(words, CURSOR, 1);
    if (k >= n) break;
    const failure = readRun(job.fd, job.runs, k, memory, words);
    if (failure) {
      runFailed(words);
      return { id: job.id, ...failure };
    }
  }
  return { id: job.id };
}

parentPort!.on('message', (job: ReadJob) => {
  parentPort!.postMessage(run(job));
});
