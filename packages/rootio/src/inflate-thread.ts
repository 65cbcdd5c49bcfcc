/**
 * A decompression thread: takes baskets of a job from its shared cursor and decompresses each into
 * its slot of the ring (see inflate-job.ts, inflate-work.ts). It never raises: a basket it cannot
 * decompress is marked FAILED (every thread of the job takes no basket after it, only those before
 * it), and the reading thread decompresses it again, which names the file and offset.
 */
import { parentPort } from 'node:worker_threads';
import { CLAIMED, CURSOR, DONE, FREE, LAYOUT_WORDS, RELEASED, sharedNow, type DoneMessage, type JobMessage, type ThreadReport } from './inflate-job.js';
import { inflateBasket, jobFailed, jobViews, stoppedAt } from './inflate-work.js';

/** How long one wait for the reader's progress lasts before the cancel flag is checked again. */
const WAIT_MS = 50;

function run(job: JobMessage, report: ThreadReport): void {
  const views = jobViews(job);
  const states = new Int32Array(job.states);
  const control = new Int32Array(job.control);
  const n = states.length;
  for (;;) {
    const k = Atomics.add(control, CURSOR, 1);
    // The cursor only grows: once k is past a failed basket, so is every later one.
    if (k >= n || stoppedAt(control, k)) return;
    // The ring's slot for k is free once the reader has released basket k − window.
    for (;;) {
      const released = Atomics.load(control, RELEASED);
      if (k < released + job.window || stoppedAt(control, k)) break;
      const from = sharedNow();
      Atomics.wait(control, RELEASED, released, WAIT_MS);
      report.ringWaitMs += sharedNow() - from;
    }
    if (stoppedAt(control, k)) return;
    if (Atomics.compareExchange(states, k, FREE, CLAIMED) !== FREE) continue;
    // Stopped (a basket before it failed) between the check above and the claim: the basket is
    // dropped, left to the reader, which raises that failure first.
    if (stoppedAt(control, k)) {
      Atomics.store(states, k, FREE);
      Atomics.notify(states, k);
      return;
    }
    if (!report.firstAt) report.firstAt = sharedNow();
    const state = inflateBasket(views, k);
    Atomics.store(states, k, state);
    if (state !== DONE) jobFailed(control, k);
    Atomics.notify(states, k);
    report.lastAt = sharedNow();
    report.baskets++;
    if (state === DONE) report.bytes += views.layout[k * LAYOUT_WORDS + 3]!;
  }
}

parentPort!.on('message', (job: JobMessage) => {
  const report: ThreadReport = { firstAt: 0, lastAt: 0, ringWaitMs: 0, bytes: 0, baskets: 0 };
  run(job, report);
  parentPort!.postMessage({ done: job.id, report } satisfies DoneMessage);
});
