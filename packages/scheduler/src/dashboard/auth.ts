import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** Stem of the session cookie's name; the dashboard adds its port (cookieNameFor). */
export const COOKIE_NAME = 'gluon_dashboard';

/**
 * The session cookie's name for the dashboard listening on `port`. Browsers keep cookies per host
 * and path but not per port, so two dashboards on one host at the same path shared one cookie
 * and logging into one logged out of the other. A host has one dashboard per port; behind a
 * proxy the name is the same (the dashboard's own port), and the path still scopes it.
 */
export function cookieNameFor(port: number): string {
  return `${COOKIE_NAME}_${port}`;
}

/** Constant-time equality of two strings (hashed first so their lengths do not leak either). */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/** Cookies of a request as a name → value map (first occurrence wins). */
export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!header) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    if (!out.has(name)) out.set(name, part.slice(eq + 1).trim());
  }
  return out;
}

/**
 * The token of an `Authorization: Bearer <token>` header, or undefined for another scheme or
 * none. The scheme is case-insensitive (RFC 9110's auth-scheme): `bearer TOKEN` was refused.
 */
export function bearerToken(header: string | undefined): string | undefined {
  const m = /^bearer\s+(\S.*)$/is.exec(header?.trim() ?? '');
  return m ? m[1]!.trim() : undefined;
}

/** How long a login lasts unless configured otherwise. */
export const DEFAULT_SESSION_TTL_MS = 8 * 3_600_000;
/** Sessions held at most; past it the one closest to expiry goes first. */
const MAX_SESSIONS = 10_000;

/**
 * The dashboard's access check. Without a token everything is open (the dashboard binds to
 * loopback by default). With one, a request must carry a session cookie (set by the login form,
 * valid for `sessionTtlMs`, ended by logout) or `Authorization: Bearer <token>` (scripts,
 * benchmarks). The cookie is a random session id kept in the scheduler's memory, so it reveals
 * nothing about the token, expires, and can be revoked; sessions end when the scheduler does.
 */
export class DashboardAuth {
  /** session id → expiry time (ms since epoch) */
  private readonly sessions = new Map<string, number>();
  /** The session cookie's name: set to cookieNameFor(port) once the dashboard's port is known. */
  cookieName = COOKIE_NAME;

  constructor(
    private readonly token: string | undefined,
    readonly sessionTtlMs: number = DEFAULT_SESSION_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  get required(): boolean {
    return this.token !== undefined;
  }

  /** True when the request may read the dashboard. */
  allows(req: IncomingMessage): boolean {
    if (!this.token) return true;
    const bearer = bearerToken(req.headers.authorization);
    if (bearer && safeEqual(bearer, this.token)) return true;
    return this.session(req) !== undefined;
  }

  /**
   * Why a request `allows` refused gets nothing: the body of its 401. It names what the request
   * carried, never its value: a wrong token and a malformed header read alike before ("this
   * dashboard requires the scheduler token"), so `curl -H "Authorization: Bearer $(cat tokn)"`
   * (a token file misspelt: an empty token) looked as if no header had been sent.
   */
  refusal(req: IncomingMessage): string {
    const how = 'log in on its front page, or send Authorization: Bearer <token>';
    const auth = req.headers.authorization;
    if (auth !== undefined) {
      if (/^bearer\s*$/i.test(auth)) return `the Authorization header carries no token after "Bearer" (an empty $(cat FILE)?): send Authorization: Bearer <token>, the scheduler's token`;
      if (!bearerToken(auth)) return 'the Authorization header is not "Bearer <token>" (the only scheme this dashboard takes; its value is not shown): send Authorization: Bearer <token>, the scheduler\'s token';
      return 'the token sent (Authorization: Bearer …) is not this scheduler\'s token: send the one its --token-file, GLUON_TOKEN or --token holds';
    }
    if (this.endedSession(req)) return `this dashboard's session has ended (it expired after --dashboard-session-ttl, was logged out, or the scheduler restarted): ${how}`;
    return `this dashboard requires the scheduler token: ${how}`;
  }

  /**
   * The request carries this dashboard's session cookie, but no live session: it expired, was
   * logged out elsewhere, or is from before the scheduler restarted (sessions end with it).
   */
  endedSession(req: IncomingMessage): boolean {
    return this.token !== undefined && parseCookies(req.headers.cookie).has(this.cookieName) && this.session(req) === undefined;
  }

  /** The request's live session id, if it has one. Expired sessions are dropped here. */
  private session(req: IncomingMessage): string | undefined {
    const id = parseCookies(req.headers.cookie).get(this.cookieName);
    if (id === undefined) return undefined;
    const expires = this.sessions.get(id);
    if (expires === undefined) return undefined;
    if (this.now() >= expires) {
      this.sessions.delete(id);
      return undefined;
    }
    return id;
  }

  /** True when `given` is the token (the login form's one check). */
  verify(given: string): boolean {
    return this.token !== undefined && safeEqual(given, this.token);
  }

  /**
   * Starts a session; returns its Set-Cookie header. No Path attribute: the browser scopes it to
   * the login URL's directory, which is the dashboard's root whatever prefix a proxy adds.
   */
  login(secure: boolean): string {
    const now = this.now();
    for (const [id, exp] of this.sessions) if (exp <= now) this.sessions.delete(id);
    if (this.sessions.size >= MAX_SESSIONS) {
      // Insertion order is expiry order (one TTL for all): the first is the closest to expiry.
      this.sessions.delete(this.sessions.keys().next().value!);
    }
    const id = randomBytes(32).toString('base64url');
    this.sessions.set(id, now + this.sessionTtlMs);
    return `${this.cookieName}=${id}; HttpOnly; SameSite=Strict; Max-Age=${Math.max(1, Math.floor(this.sessionTtlMs / 1000))}${secure ? '; Secure' : ''}`;
  }

  /** Ends the request's session (if any); returns the Set-Cookie header that clears the cookie. */
  logout(req: IncomingMessage, secure: boolean): string {
    const id = parseCookies(req.headers.cookie).get(this.cookieName);
    if (id !== undefined) this.sessions.delete(id);
    return `${this.cookieName}=; HttpOnly; SameSite=Strict; Max-Age=0${secure ? '; Secure' : ''}`;
  }

  /** Live sessions (for tests). */
  get sessionCount(): number {
    return this.sessions.size;
  }
}
