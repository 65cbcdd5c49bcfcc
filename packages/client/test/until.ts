/**
 * Waiting on an event the test can only observe by looking (a process's output, a future's
 * status): polls every 20 ms, bounded generously, and fails naming what never happened.
 */
export async function until(ready: () => boolean, what: string, ms = 120_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
