import { CLIENT_RECONNECT_MAX_MS, HandshakeError, isPermanentRefusal, reconnectDelay, socketErrorCodes } from '@gluon/protocol';

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

/**
 * The socket errors tried again, by the `code` of the handshake error's `cause` (the socket's own
 * error: its message differs between Node releases and platforms, its code does not), with what
 * the final error says each attempt met. These are what a scheduler that is starting or
 * restarting gives; anything else is final at once, as waiting would only hide it: a name that
 * does not resolve (ENOTFOUND, EAI_AGAIN: a typo, or no DNS), a host or network out of reach
 * (EHOSTUNREACH, ENETUNREACH, ETIMEDOUT: a scheduler starting there opens a port, it does not
 * make its host reachable), a socket file this process may not open (EACCES), a TLS certificate
 * refused (code `tls`), and every answer of a scheduler (token, version, HTTP status).
 */
const RETRIED: ReadonlyMap<string, string> = new Map([
  // Nothing listens on the port (yet).
  ['ECONNREFUSED', 'connection refused (ECONNREFUSED)'],
  // ws+unix: the scheduler's --unix-socket file is made when it listens.
  ['ENOENT', 'no Unix socket there (ENOENT)'],
  // Cut before any answer: a listener going away, or its backlog dropping the connection (Node's
  // "socket hang up", a close before the HTTP answer, carries ECONNRESET too).
  ['ECONNRESET', 'connection reset before any answer (ECONNRESET)'],
  ['EPIPE', 'connection dropped before any answer (EPIPE)'],
]);

/** What the attempts met when nothing listens at the address: the final error says so, and how to start one. */
const NOTHING_LISTENS: ReadonlySet<string> = new Set([RETRIED.get('ECONNREFUSED')!, RETRIED.get('ENOENT')!]);

/**
 * WebSocket close code 1006 (RFC 6455: closed without a close frame, never sent by a peer): the
 * listener went away after the upgrade, before its answer (a scheduler restarting).
 */
const CLOSED_WITHOUT_FRAME = 1006;

/** Why a failed attempt may be tried again (`connection refused (ECONNREFUSED)`, …), or null when it is final. */
export function retryableFailure(err: unknown): string | null {
  if (!(err instanceof HandshakeError) || isPermanentRefusal(err.code, err.httpStatus)) return null;
  if (err.code === CLOSED_WITHOUT_FRAME && err.cause === undefined) return 'connection closed before any answer (1006)';
  // A connect that tried several addresses (IPv6 and IPv4 of one name) is tried again when one of
  // them met a retried error: localhost's ::1 out of reach (no IPv6), its 127.0.0.1 refused (no
  // scheduler there yet), and the AggregateError's own code is the first's.
  for (const code of socketErrorCodes(err.cause)) {
    const why = RETRIED.get(code);
    if (why !== undefined) return why;
  }
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
  const nothingListens = [...met.keys()].every((why) => NOTHING_LISTENS.has(why)) && [...met.values()].reduce((a, b) => a + b, 0) === tries;
  const hint = nothingListens
    ? `: nothing listens at ${address}; is the scheduler started (it prints "scheduler at ws://…" once it listens), and is this its address and port?`
    : '';
  const text = `${err.message}; tried ${tries} times over ${(elapsedMs / 1000).toFixed(1)} s (${each})${hint}`;
  return err instanceof HandshakeError ? err.withMessage(text) : new Error(text, { cause: err });
}
