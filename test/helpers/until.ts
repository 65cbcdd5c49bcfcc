/**
 * Waits for a condition a test cannot subscribe to (a process's exit seen through `kill -0`,
 * a counter in another module's state), checking it every `everyMs`. The bound is generous on
 * purpose: on a loaded 2-core CI machine a process can take tens of seconds to be scheduled, and
 * a test that gives up early is a flaky test, not a faster one.
 */
export async function until(cond: () => boolean, what: string, ms = 120_000, everyMs = 50): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${Math.round(ms / 1000)} s`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
