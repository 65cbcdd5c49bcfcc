/**
 * Retry delay while the scheduler has been unreachable for less than {@link RECONNECT_FLAT_FOR_MS}:
 * short and flat, because a worker launched together with its scheduler (LocalCluster) usually
 * boots first, and a scheduler restarted after a crash is back within a moment; a doubling
 * backoff would make them sleep well past the moment the scheduler listens again. A refused
 * loopback connect costs well under a millisecond.
 */
const RECONNECT_FLAT_MS = 20;
/** How long to keep retrying every {@link RECONNECT_FLAT_MS} before backing off. */
const RECONNECT_FLAT_FOR_MS = 2_000;
/** First backed-off delay; delays then double up to {@link RECONNECT_MAX_MS}. */
const RECONNECT_FIRST_MS = 100;
const RECONNECT_MAX_MS = 5_000;

/**
 * The wait before the next connect attempt to the scheduler, given how long it has been
 * unreachable and the previous wait (workers and clients use the same schedule).
 */
export function reconnectDelay(unreachableForMs: number, previousDelayMs: number): number {
  if (unreachableForMs < RECONNECT_FLAT_FOR_MS) return RECONNECT_FLAT_MS;
  if (previousDelayMs < RECONNECT_FIRST_MS) return RECONNECT_FIRST_MS;
  return Math.min(previousDelayMs * 2, RECONNECT_MAX_MS);
}
