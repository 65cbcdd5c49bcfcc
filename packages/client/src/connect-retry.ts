import { CLIENT_RECONNECT_MAX_MS, HandshakeError, reconnectDelay } from '@gluon/protocol';

/**
 * Client.connect's attempts within its deadline (`timeoutMs`). An attempt that nothing answered
 * (the connection refused: no scheduler listens there yet, as while one starts) or that was cut
 * before any answer (reset, dropped) is tried again until the deadline, waiting as a reconnecting
 * client does (protocol's reconnectDelay); one that the scheduler answered with a refusal (token,
 * version, TLS, HTTP) is final at once, and so is one still waiting for its answer at the
 * deadline: a scheduler that accepted the connection but is busy answers it when it can (each
 * attempt waits for the whole time left), and a second connection would only queue behind the first.
 * At the deadline the error names the address, how many attempts were made over how long, and what
 * each met.
 */

/** Why a failed attempt may be tried again (`refused`, `reset`, …), or null when it is final. */
export function retryableFailure(err: unknown): string | null {
  if (!(err instanceof HandshakeError)) return null;
  const m = err.message;
  // The protocol's connect says `cannot connect to LABEL: <the socket's error>` for socket errors.
  if (/^cannot connect to /.test(m)) {
    if (/\bECONNREFUSED\b/.test(m)) return 'connection refused (ECONNREFUSED)';
    if (/\bECONNRESET\b|socket hang up/.test(m)) return 'connection reset before any answer';
    if (/\bEPIPE\b/.test(m)) return 'connection dropped before any answer (EPIPE)';
    return null;
  }
  // Closed without a close frame during the handshake: the listener went away mid-way (a
  // scheduler restarting, a listen backlog dropping it).
  if (/ closed the connection during the handshake \(1006\b/.test(m)) return 'connection closed before any answer (1006)';
  return null;
}

/** What a wait for the next attempt needs: the clock and a timer (the tests' own). */
export interface RetryClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

/**
 * No attempt is started with less time than this left: on a loaded machine its timer could fire
 * before the refusal it met was read, and the error would say no answer came instead of what did.
 */
const MIN_ATTEMPT_MS = 100;

const SYSTEM: RetryClock = { now: () => performance.now(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };

/**
 * Runs `attempt(msLeft)` until it succeeds, fails in a way that is final, or `deadlineMs` has
 * passed; then rejects with the last failure, its message followed by what was tried when there
 * was more than one attempt.
 */
export async function connectWithin<T>(deadlineMs: number, attempt: (msLeft: number) => Promise<T>, address: string, clock: RetryClock = SYSTEM): Promise<T> {
  const start = clock.now();
  const met = new Map<string, number>();
  let tries = 0;
  let delay = 0;
  for (;;) {
    tries++;
    try {
      return await attempt(Math.max(1, Math.round(deadlineMs - (clock.now() - start))));
    } catch (err) {
      const why = retryableFailure(err);
      const elapsed = clock.now() - start;
      if (why !== null) met.set(why, (met.get(why) ?? 0) + 1);
      delay = reconnectDelay(elapsed, delay, CLIENT_RECONNECT_MAX_MS);
      if (why === null || elapsed + delay + MIN_ATTEMPT_MS > deadlineMs) throw tries === 1 ? err : withTries(err as Error, address, tries, elapsed, met);
      await clock.sleep(delay);
    }
  }
}

function withTries(err: Error, address: string, tries: number, elapsedMs: number, met: ReadonlyMap<string, number>): Error {
  const each = [...met].map(([why, n]) => (n === tries ? `each: ${why}` : `${n}: ${why}`)).join('; ');
  const refusedOnly = met.size === 1 && met.has('connection refused (ECONNREFUSED)') && met.get('connection refused (ECONNREFUSED)') === tries;
  const hint = refusedOnly
    ? `: nothing listens at ${address}; is the scheduler started (it prints "scheduler at ws://…" once it listens), and is this its address and port?`
    : '';
  const text = `${err.message}; tried ${tries} times over ${(elapsedMs / 1000).toFixed(1)} s (${each})${hint}`;
  return err instanceof HandshakeError ? new HandshakeError(text, err.code, err.httpStatus) : new Error(text, { cause: err });
}
