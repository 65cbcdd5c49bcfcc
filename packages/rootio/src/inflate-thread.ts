/**
 * A decompression thread: takes baskets of a job from its shared cursor and decompresses each into
 * its slot of the ring (see inflate-job.ts). It never raises: a basket it cannot decompress is
 * marked FAILED and the reading thread decompresses it again, which names the file and offset.
 */
import { parentPort } from 'node:worker_threads';
import { decompress } from './decompress.js';
import { CANCELLED, CLAIMED, CURSOR, DONE, FAILED, FREE, LAYOUT_WORDS, RELEASED, type DoneMessage, type JobMessage } from './inflate-job.js';

/** How long one wait for the reader's progress lasts before the cancel flag is checked again. */
const WAIT_MS = 50;

function run(job: JobMessage): void {
  const inputs = job.inputs.map((b) => new Uint8Array(b));
  const layout = new Int32Array(job.layout);
  const states = new Int32Array(job.states);
  const control = new Int32Array(job.control);
  const slots = new Uint8Array(job.slots);
  const n = states.length;
  for (;;) {
    const k = Atomics.add(control, CURSOR, 1);
    if (k >= n || Atomics.load(control, CANCELLED)) return;
    // The ring's slot for k is free once the reader has released basket k − window.
    for (;;) {
      const released = Atomics.load(control, RELEASED);
      if (k < released + job.window || Atomics.load(control, CANCELLED)) break;
      Atomics.wait(control, RELEASED, released, WAIT_MS);
    }
    if (Atomics.load(control, CANCELLED)) return;
    if (Atomics.compareExchange(states, k, FREE, CLAIMED) !== FREE) continue;
    const input = inputs[layout[k * LAYOUT_WORDS]!]!;
    const at = layout[k * LAYOUT_WORDS + 1]!;
    const length = layout[k * LAYOUT_WORDS + 2]!;
    const expected = layout[k * LAYOUT_WORDS + 3]!;
    let state = DONE;
    try {
      // Straight into the basket's slot; a stored (uncompressed) payload comes back as itself.
      const slot = slots.subarray((k % job.window) * job.slotBytes, (k % job.window + 1) * job.slotBytes);
      const got = decompress(input.subarray(at, at + length), expected, '', 0, slot);
      if (got.buffer !== slots.buffer) slot.set(got);
    } catch {
      state = FAILED;
    }
    Atomics.store(states, k, state);
    Atomics.notify(states, k);
  }
}

parentPort!.on('message', (job: JobMessage) => {
  run(job);
  parentPort!.postMessage({ done: job.id } satisfies DoneMessage);
});
