/**
 * Login throttling per client address: a few wrong tokens are free, then each further one
 * doubles how long that address must wait before its next try (1 s, 2 s, 4 s … up to 5 min).
 * Pure bookkeeping: the caller passes the time, so tests need no clock.
 */

export interface ThrottleOptions {
  /** Wrong tokens an address may send before it has to wait. */
  freeAttempts: number;
  /** The first wait; each further failure doubles it. */
  baseDelayMs: number;
  /** The longest wait. */
  maxDelayMs: number;
  /** An address that has not failed for this long starts afresh. */
  forgetAfterMs: number;
  /** Addresses remembered at most (the oldest are forgotten first), so a flood cannot grow memory. */
  maxClients: number;
}

export const DEFAULT_THROTTLE: ThrottleOptions = {
  freeAttempts: 5,
  baseDelayMs: 1000,
  maxDelayMs: 5 * 60_000,
  forgetAfterMs: 15 * 60_000,
  maxClients: 10_000,
};

interface Entry {
  failures: number;
  /** No attempt is taken before this time. */
  until: number;
  last: number;
}

export class LoginThrottle {
  readonly opts: ThrottleOptions;
  private readonly clients = new Map<string, Entry>();

  constructor(opts: Partial<ThrottleOptions> = {}) {
    this.opts = { ...DEFAULT_THROTTLE, ...opts };
  }

  /** Milliseconds `client` must still wait before its next attempt; 0 when it may try now. */
  wait(client: string, now: number): number {
    const e = this.live(client, now);
    return e ? Math.max(0, e.until - now) : 0;
  }

  /** Records a wrong token from `client`; returns the wait it now has before its next attempt. */
  failed(client: string, now: number): number {
    const e = this.live(client, now) ?? { failures: 0, until: 0, last: now };
    e.failures++;
    e.last = now;
    const over = e.failures - this.opts.freeAttempts;
    if (over > 0) e.until = now + Math.min(this.opts.maxDelayMs, this.opts.baseDelayMs * 2 ** Math.min(30, over - 1));
    // Re-inserted so the map stays ordered by last failure: the first entry is the stalest.
    this.clients.delete(client);
    this.clients.set(client, e);
    while (this.clients.size > this.opts.maxClients) this.clients.delete(this.clients.keys().next().value!);
    return Math.max(0, e.until - now);
  }

  /** A right token: the address starts afresh. */
  succeeded(client: string): void {
    this.clients.delete(client);
  }

  /** Addresses remembered now. */
  get size(): number {
    return this.clients.size;
  }

  private live(client: string, now: number): Entry | undefined {
    const e = this.clients.get(client);
    if (e && now - e.last > this.opts.forgetAfterMs && now >= e.until) {
      this.clients.delete(client);
      return undefined;
    }
    return e;
  }
}

export interface SlowdownOptions {
  /** Wrong tokens (from all unknown browsers together) the leaky bucket holds before it slows logins. */
  capacity: number;
  /** How fast the bucket drains: one wrong token forgiven per this many ms. */
  drainMs: number;
  /** While slowed, one attempt is compared per this many ms, whoever sends it. */
  spacingMs: number;
  /** An attempt that would wait longer than this is answered 429 at once, with when to come back. */
  maxWaitMs: number;
}

export const DEFAULT_SLOWDOWN: SlowdownOptions = {
  capacity: 50,
  drainMs: 6_000,
  spacingMs: 1_000,
  maxWaitMs: 30_000,
};

/**
 * The per-credential bucket: the dashboard has one token, and wrong tokens from every address
 * together count against it. A guesser with many addresses (IPv6 gives anyone plenty), or one
 * behind a trusted proxy range too wide, escapes the per-address throttle; this one slows
 * instead of blocking: past `capacity` wrong tokens not yet drained (10 a minute drain), login
 * attempts from unknown browsers are compared one per `spacingMs` in the order they come,
 * each answer held until its turn (at most `maxWaitMs`, else 429 with the time to come back).
 * Guessing is then held to one a second across the whole Internet, while a person with the
 * right token still gets in within seconds. Browsers that logged in before (device.ts) skip it.
 */
export class LoginSlowdown {
  readonly opts: SlowdownOptions;
  private level = 0;
  private drainedAt = 0;
  /** The earliest time the next attempt may be compared while slowed. */
  private nextSlot = 0;

  constructor(opts: Partial<SlowdownOptions> = {}) {
    this.opts = { ...DEFAULT_SLOWDOWN, ...opts };
  }

  /** Wrong tokens counted now (drained to `now`). */
  failures(now: number): number {
    if (now > this.drainedAt) {
      this.level = Math.max(0, this.level - (now - this.drainedAt) / this.opts.drainMs);
      this.drainedAt = now;
    }
    return this.level;
  }

  /**
   * An attempt arrives at `now`: how long to hold it before comparing its token (0: at once),
   * or `{ retryAfterMs }` when its turn is further away than `maxWaitMs` (answer 429).
   */
  admit(now: number): number | { retryAfterMs: number } {
    if (this.failures(now) < this.opts.capacity) return 0;
    const slot = Math.max(now, this.nextSlot);
    if (slot - now > this.opts.maxWaitMs) return { retryAfterMs: slot - now - this.opts.maxWaitMs };
    this.nextSlot = slot + this.opts.spacingMs;
    return slot - now;
  }

  /** A wrong token from an unknown browser. */
  failed(now: number): void {
    this.failures(now);
    this.level++;
  }
}
