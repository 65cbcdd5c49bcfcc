/**
 * Waits for a condition a test cannot subscribe to (a process's exit seen through `kill -0`,
 * a counter in another module's state), checking it every `everyMs`. The bound is generous on
 * purpose: on a loaded 2-core CI machine a process can take tens of seconds to be scheduled, and
 * a test that gives up early is a flaky test, not a faster one.
 *
 * Past the deadline the condition is checked once more after the event loop's poll phase: a
 * process that was not scheduled for a while wakes in the timers phase, before it has read the
 * I/O that arrived meanwhile (a child's stderr, a socket's message), which may be what it waits for.
 */
export async function until(cond: () => boolean, what: string, ms = 120_000, everyMs = 50): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) {
      await new Promise((r) => setImmediate(r));
      if (cond()) return;
      throw new Error(`${what}: not within ${Math.round(ms / 1000)} s`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * Waits (bounded) until `pred` holds after some event of an in-process scheduler (anything with
 * its `subscribe`): no polling, so it wakes on the change itself however loaded the machine.
 */
export function untilEvent(s: { subscribe(listener: () => void): () => void }, pred: () => boolean, what: string, ms = 120_000): Promise<void> {
  if (pred()) return Promise.resolve();
  return new Promise((res, rej) => {
    const timer = setTimeout(() => {
      stop();
      rej(new Error(`not ${what} within ${ms} ms`));
    }, ms);
    const stop = s.subscribe(() => {
      if (!pred()) return;
      clearTimeout(timer);
      stop();
      res();
    });
  });
}
