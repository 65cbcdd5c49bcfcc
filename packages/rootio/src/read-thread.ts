/**
 * The reading thread: claims each job's runs of a local file in order and reads each with
 * blocking preads into the job's shared memory, marking it done (see read-thread-job.ts,
 * thread-reads.ts). It never raises: a failed read ends the job with what went wrong, for the
 * asking thread to raise. It also faults fresh column memory in (column-prefault.ts), between
 * runs, as soon as it is asked: the decode is about to need it, where the runs left are ahead of it.
 *
 * Its work is background work for a thread that decodes at full speed: it runs at the lowest
 * priority (nice 19, this thread only; on Linux, where a thread's priority is its own), so that on
 * a machine with a core to spare it never takes the decoding thread's. At the same priority, the faulting in of the 7 benchmark branches' columns
 * (~100–200 ms of kernel time a read, spread over libuv's pool) preempted the decoding thread for
 * 15–40 ms a read (its run-queue wait in /proc/thread-self/schedstat). When the decoding thread
 * waits for it, that thread's core is idle, so it runs then whatever its priority.
 */
import { setPriority } from 'node:os';
import { parentPort, receiveMessageOnPort } from 'node:worker_threads';
import { CURSOR, STOP, type FaultJob, type ReadJob, type ReadJobEnd } from './read-thread-job.js';
import { readRun, runFailed } from './read-run.js';

function run(job: ReadJob): ReadJobEnd {
  const words = new Int32Array(job.words);
  const memory = new Uint8Array(job.memory);
  const n = job.runs.length / 3;
  for (;;) {
    // Before claiming the next run: one claimed is waited for (the asking thread reads only the
    // runs nobody has claimed).
    takeWaiting();
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

/** Read jobs taken in while another ran, in the order they came. */
const queued: ReadJob[] = [];

/** Writes one byte of every 4 KiB page (and the last byte): the kernel faults each page in, zeroed. */
function faultIn(job: FaultJob): void {
  for (const b of job.fault) {
    const bytes = new Uint8Array(b);
    for (let i = 0; i < bytes.length; i += 4096) bytes[i] = 0;
    if (bytes.length) bytes[bytes.length - 1] = 0;
  }
  parentPort!.postMessage(job, job.fault);
}

function take(m: ReadJob | FaultJob): void {
  if ('fault' in m) faultIn(m);
  else queued.push(m);
}

/** Takes in what was posted while a job runs: memory to fault in is faulted in at once. */
function takeWaiting(): void {
  for (let m = receiveMessageOnPort(parentPort!); m; m = receiveMessageOnPort(parentPort!)) take(m.message as ReadJob | FaultJob);
}

// Only on Linux is a thread's priority its own: elsewhere (macOS, the BSDs) setpriority on the
// calling "process" would lower the whole process's.
if (process.platform === 'linux') {
  try {
    setPriority(19);
  } catch {
    // Not allowed here (a sandbox): it runs at the process's priority, as before.
  }
}
parentPort!.on('message', (m: ReadJob | FaultJob) => {
  take(m);
  while (queued.length) parentPort!.postMessage(run(queued.shift()!));
});
