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
/** The longest wait between a worker's attempts: a farm of them retries a scheduler that is down for long. */
const RECONNECT_MAX_MS = 5_000;

/**
 * The longest wait between a client's attempts to reach its scheduler again. A client found a
 * restarted scheduler up to the workers' cap (5 s) after it listened again; a client is one
 * process (not a farm), a refused attempt costs the scheduler's host one reset, and its
 * reconnect window is bounded (`reconnectTimeoutMs`, 5 min by default: at most ~700 attempts).
 */
export const CLIENT_RECONNECT_MAX_MS = 500;

/**
 * The wait before the next connect attempt to the scheduler, given how long it has been
 * unreachable and the previous wait: every 20 ms for 2 s, then doubling from 100 ms up to
 * `maxMs` (workers: 5 s; clients pass {@link CLIENT_RECONNECT_MAX_MS}).
 */
export function reconnectDelay(unreachableForMs: number, previousDelayMs: number, maxMs = RECONNECT_MAX_MS): number {
  if (unreachableForMs < RECONNECT_FLAT_FOR_MS) return RECONNECT_FLAT_MS;
  if (previousDelayMs < RECONNECT_FIRST_MS) return Math.min(RECONNECT_FIRST_MS, maxMs);
  return Math.min(previousDelayMs * 2, maxMs);
}
