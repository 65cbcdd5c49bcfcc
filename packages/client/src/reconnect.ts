/**
 * The client's link to its scheduler, as made and made again: the handshake (the first connection
 * and every reconnect), what a closed link means, the reconnect loop's schedule and its limit, and
 * what the client says of a reconnect. The client keeps what a new connection changes (attaching
 * it, re-sending its graph).
 */
import { CLIENT_RECONNECT_MAX_MS, CloseCode, connect, isPermanentRefusal, reconnectDelay, type Connection, type Message } from '@gluon/protocol';
import type { ConnectOptions } from './connect-options.js';
import type { PeerLimits, PeerLink } from './peers.js';

/** Handshake with the scheduler: used for the first connection and every reconnect. */
export function handshake(
  url: string, name: string, link: PeerLink, opts: ConnectOptions, limits: PeerLimits, session?: string, timeoutMs?: number,
): Promise<{ conn: Connection; welcome: Message }> {
  return connect(url, {
    role: 'client', name, ...(session ? { session } : {}), ...(opts.protocolVersion !== undefined ? { protocol: opts.protocolVersion } : {}),
  }, {
    ...link, ...limits, timeoutMs: timeoutMs ?? opts.timeoutMs ?? 10_000, label: `scheduler ${url}`,
    log: (l) => process.stderr.write(`gluon client: ${l}\n`),
  });
}

/**
 * What the client says of its scheduler connection closing with `code` and `reason`
 * (`byThisSide`: this side closed it), and whether that is `final` (no reconnect).
 */
export function linkClosed(code: number, reason: string, byThisSide: boolean): { why: string; final: boolean } {
  // This side's own watchdog closes with the same codes (a scheduler gone silent behind a cut
  // link is dropped with 4009): that is a lost scheduler, not a dropped client.
  const why = !byThisSide && (code === CloseCode.silent || code === CloseCode.backlog)
    // The scheduler dropped this client, for something on this side: say so, and what.
    ? `the scheduler dropped this client (${code}${reason ? `: ${reason}` : ''}): this process ${code === CloseCode.silent ? 'answered nothing for that long (busy: a long synchronous computation, or stopped)' : 'read too slowly'}`
    : `lost the scheduler connection (${code}${reason ? `: ${reason}` : ''})`;
  // The scheduler refused something this client sent. A reconnect re-sends the lineage,
  // which it would refuse again at once: a loop of connections, the futures never settled.
  if (code === CloseCode.protocolError) return { why: `${why}; not reconnecting: the scheduler refused what this client sent, and would refuse it again`, final: true };
  return { why, final: false };
}

/** What {@link reconnectWithin} does through its client. */
export interface ReconnectHost {
  /** Whether the client was closed: the loop stops (a connection made meanwhile is closed). */
  closed(): boolean;
  /** One handshake, given the ms left of the limit. */
  attempt(msLeft: number): Promise<{ conn: Connection; welcome: Message }>;
  /** The scheduler answered (`since`: when the loop began, ms since epoch); called at once, in the turn the handshake ended. */
  reached(conn: Connection, welcome: Message, since: number): void;
  /** The limit passed or a refusal is for good: `text` says how long it tried, how often, and the last error. */
  gaveUp(text: string): void;
  /** Between attempts, the function that ends the wait early (on close); undefined once it ended. */
  waiting(wake: (() => void) | undefined): void;
}

/**
 * Tries the scheduler again ({@link clientReconnectDelay}) until it answers or `limitMs` passed,
 * or it refuses for good (a token, a version: trying again cannot help). `why` is the first
 * "last error", should no attempt be made.
 */
export async function reconnectWithin(why: string, limitMs: number, host: ReconnectHost): Promise<void> {
  const since = Date.now();
  let delay = 0;
  let last = why;
  let attempts = 0;
  while (!host.closed()) {
    const left = limitMs - (Date.now() - since);
    if (left <= 0) break;
    attempts++;
    try {
      const { conn, welcome } = await host.attempt(left);
      if (host.closed()) {
        conn.close(1000, 'client closing');
        return;
      }
      host.reached(conn, welcome, since);
      return;
    } catch (err) {
      last = (err as Error).message;
      const { code, httpStatus } = err as { code?: number; httpStatus?: number };
      if (isPermanentRefusal(code, httpStatus)) break;
    }
    delay = clientReconnectDelay(Date.now() - since, delay);
    await new Promise<void>((r) => {
      const timer = setTimeout(r, Math.min(delay, Math.max(0, limitMs - (Date.now() - since))));
      host.waiting(() => {
        clearTimeout(timer);
        r();
      });
    });
    host.waiting(undefined);
  }
  if (host.closed()) return;
  host.gaveUp(`after trying for ${formatMs(Date.now() - since)} (${attempts} attempt(s), reconnectTimeoutMs=${limitMs}; last error: ${last})`);
}

/**
 * The wait before a client's next attempt to reach its scheduler again, given how long it has
 * been unreachable and the previous wait: the workers' schedule (every 20 ms for 2 s, then
 * doubling from 100 ms), capped at {@link CLIENT_RECONNECT_MAX_MS} (500 ms) instead of their 5 s,
 * so a restarted scheduler is found at most that long after it listens again.
 */
export function clientReconnectDelay(unreachableForMs: number, previousDelayMs: number): number {
  return reconnectDelay(unreachableForMs, previousDelayMs, CLIENT_RECONNECT_MAX_MS);
}

/**
 * What a reconnect cost the client, for its stderr line: a client dropped by a scheduler that kept
 * its session (a busy or cut-off client back within `--session-grace`) lost nothing; one back
 * after the grace had its keys released, and what no other client held is computed again; a
 * restarted scheduler takes results back from the workers that hold them. Before, every case
 * said only `re-sent N held key(s)`: a busy client that was dropped could not tell whether its
 * results were still there or being computed again.
 */
export function reconnectCost(sameScheduler: boolean, resumed: unknown, held: number): string {
  if (!sameScheduler) return `a restarted scheduler: re-sent ${held} held key(s); results are taken back from the workers that still hold them, the rest computed again`;
  if (resumed === true) return `back within the scheduler's --session-grace: it kept this client's ${held} held key(s), nothing was lost or is computed again`;
  return `the scheduler had released this client's keys meanwhile (back after its --session-grace): re-sent ${held} held key(s); results no other client held are computed again`;
}

/** `1.2 s`, `3 min`: durations in messages. */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}
