/**
 * Which connections a listener closes to take in new ones, and when it says so: the decisions,
 * without sockets or clocks of their own (unauthenticated.ts does the I/O around them, as the
 * scheduler's server does around its state machine).
 *
 * Anyone who reaches a Gluon port can open connections without a token. Unbounded, they held
 * every file descriptor the process had until the hello timeout closed them, and while they did
 * a worker or client (re)connecting was dropped by the kernel-side accept (libuv accepts and
 * closes what it has no descriptor for). So each listener holds at most a bound of connections
 * that have not authenticated yet, and when the bound is passed, or a connection took the last
 * descriptor, the oldest unauthenticated ones are closed: the newest is the one most likely to
 * be someone still trying, and a flood's oldest have had their chance. Authenticated connections
 * (past the hello and token check, or a dashboard login) are never among them.
 */
import { checkNumberOption, wholeFrom } from './option-values.js';

/**
 * What an unauthenticated connection has not done yet, when its listener is not known: each
 * listener says its own ({@link unauthenticatedLacking}, the dashboard's), so that a worker's
 * plain port does not speak of TLS or a login.
 */
export const UNAUTHENTICATED_LACKING = 'no hello with the token yet, or no TLS handshake or login';

/** What a connection on a scheduler's or worker's port (`tls`: wss://) or Unix socket has not done yet before it counts as authenticated. */
export function unauthenticatedLacking(tls: boolean): string {
  return tls ? 'no TLS handshake or no hello with the token yet' : 'no hello with the token yet';
}

/** Connections held per listener before they authenticate, by default. */
export const DEFAULT_MAX_UNAUTHENTICATED_CONNECTIONS = 512;

/**
 * Descriptors freed at once when an accepted connection took the last one: a few, not one, so
 * that a file read or a connection out (a worker's to its peers, the memory reading) finds one
 * too, not only the next accept.
 */
export const DESCRIPTOR_HEADROOM = 8;

/** What {@link connectionsToShed} decides on: the connection just accepted and what is held. */
export interface ShedInput<T> {
  /** The connection just accepted (it is also the last of `here` and of `everywhere`). */
  arrived: T;
  /** Its listener's unauthenticated connections, oldest first. */
  here: Iterable<T>;
  /** How many `here` holds. */
  hereCount: number;
  /** Its listener's bound on them. */
  bound: number;
  /** Whether a file descriptor was still free once the connection took its own. */
  descriptorLeft: boolean;
  /** Every listener's unauthenticated connections in this process, oldest first (descriptors are the process's). */
  everywhere: Iterable<T>;
  /** Descriptors to free when none was left ({@link DESCRIPTOR_HEADROOM}). */
  headroom: number;
}

/** The connections to close, by why. Never the arrived one. */
export interface ShedChoice<T> {
  /** The oldest of its listener's, past the bound. */
  overBound: T[];
  /** The oldest of any listener's, for want of descriptors (besides `overBound`, which free theirs too). */
  forDescriptors: T[];
}

/**
 * The unauthenticated connections to close now that `arrived` was accepted: its listener's
 * oldest past the bound, then, if no descriptor was left, the process's oldest until
 * `headroom` are freed in all. Reads the iterables only as far as it needs (the oldest first).
 */
export function connectionsToShed<T>(input: ShedInput<T>): ShedChoice<T> {
  const overBound: T[] = [];
  let excess = input.hereCount - input.bound;
  for (const c of input.here) {
    if (excess <= 0) break;
    if (c === input.arrived) continue;
    overBound.push(c);
    excess--;
  }
  const forDescriptors: T[] = [];
  if (!input.descriptorLeft) {
    const chosen = new Set(overBound);
    let wanted = input.headroom - overBound.length;
    for (const c of input.everywhere) {
      if (wanted <= 0) break;
      if (c === input.arrived || chosen.has(c)) continue;
      forDescriptors.push(c);
      wanted--;
    }
  }
  return { overBound, forDescriptors };
}

/** A burst ends after this long without shedding; its line is logged then. */
export const BURST_QUIET_MS = 1000;
/** A burst that goes on is still said this often, with what it closed since the last line. */
export const BURST_LINE_EVERY_MS = 60_000;

/**
 * What one listener closed in a burst, and when its one log line is due: once the burst has been
 * quiet for {@link BURST_QUIET_MS}, or every {@link BURST_LINE_EVERY_MS} while it goes on. A flood
 * of thousands of connections is one line, not thousands.
 */
export class ShedTally {
  private overBound = 0;
  private forDescriptors = 0;
  /** Connections that took the last descriptor when nothing unauthenticated was left to close. */
  private noneToClose = 0;
  private since = 0;
  private lastAt = 0;
  private lastLineAt = 0;

  /** Whether a burst is being counted (a line is due some time). */
  get open(): boolean {
    return this.overBound + this.forDescriptors + this.noneToClose > 0;
  }

  /** Counts a decision taken at `now`; `stuck`: no descriptor was left and none could be freed. */
  note(choice: ShedChoice<unknown>, stuck: boolean, now: number): void {
    if (!this.open) {
      this.since = now;
      this.lastLineAt = now;
    }
    this.overBound += choice.overBound.length;
    this.forDescriptors += choice.forDescriptors.length;
    if (stuck) this.noneToClose++;
    this.lastAt = now;
  }

  /** When the line is due (ms since the epoch), or undefined outside a burst. */
  dueAt(): number | undefined {
    if (!this.open) return undefined;
    return Math.min(this.lastAt + BURST_QUIET_MS, this.lastLineAt + BURST_LINE_EVERY_MS);
  }

  /**
   * The burst's line if it is due at `now` (and a new count begins), else null. `listener` names
   * where (`scheduler ws://127.0.0.1:8786`), `held` how many unauthenticated connections it holds now,
   * `lacking` what those it closed had not done yet on that listener (`no hello with the token yet`).
   */
  line(now: number, listener: string, bound: number, held: number, lacking = UNAUTHENTICATED_LACKING): string | null {
    const due = this.dueAt();
    if (due === undefined || now < due) return null;
    const ongoing = now < this.lastAt + BURST_QUIET_MS;
    const closed = this.overBound + this.forDescriptors;
    const why = [
      this.overBound ? `${this.overBound} past its bound of ${bound} held before authenticating (--max-unauthenticated-connections)` : '',
      this.forDescriptors ? `${this.forDescriptors} because a new connection took the process's last file descriptor` : '',
    ].filter(Boolean).join(', ');
    const parts = [
      closed ? `closed ${closed} connection${closed === 1 ? '' : 's'} that had not authenticated (${lacking}), the oldest first, to take in new ones: ${why}` : '',
      this.noneToClose ? `${this.noneToClose} connection${this.noneToClose === 1 ? '' : 's'} took the last file descriptor with no unauthenticated connection left to close (raise the process's limit: ulimit -n)` : '',
    ].filter(Boolean).join('; ');
    const seconds = ((this.lastAt - this.since) / 1000).toFixed(1);
    const text = `${listener}: ${parts} (over ${seconds} s${ongoing ? ', still going on' : ''}); ${held} unauthenticated held now, authenticated connections untouched`;
    this.overBound = 0;
    this.forDescriptors = 0;
    this.noneToClose = 0;
    this.lastLineAt = now;
    this.since = now;
    return text;
  }
}

/** A bound as given (`option` names it), or the default: a whole number from 1. */
export function unauthenticatedBound(given: number | undefined, option = 'maxUnauthenticatedConnections'): number {
  return given === undefined ? DEFAULT_MAX_UNAUTHENTICATED_CONNECTIONS : checkNumberOption(option, given, wholeFrom(1));
}
