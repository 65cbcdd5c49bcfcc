import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** Name of the session cookie the login form sets. */
export const COOKIE_NAME = 'gluon_dashboard';

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
 * The dashboard's access check. Without a token everything is open (the dashboard binds to
 * loopback by default). With one, a request must carry the session cookie (set once by the
 * login form) or `Authorization: Bearer <token>` (scripts, benchmarks). The cookie holds an HMAC
 * of the token, not the token, so a leaked cookie does not reveal the scheduler's token.
 */
export class DashboardAuth {
  private readonly session: string | undefined;

  constructor(private readonly token: string | undefined) {
    this.session = token ? createHmac('sha256', token).update('gluon-dashboard-session-v1').digest('base64url') : undefined;
  }

  get required(): boolean {
    return this.token !== undefined;
  }

  /** True when the request may read the dashboard. */
  allows(req: IncomingMessage): boolean {
    if (!this.token || !this.session) return true;
    const auth = req.headers.authorization;
    if (auth?.startsWith('Bearer ') && safeEqual(auth.slice(7).trim(), this.token)) return true;
    const cookie = parseCookies(req.headers.cookie).get(COOKIE_NAME);
    return cookie !== undefined && safeEqual(cookie, this.session);
  }

  /** True when `given` is the token (the login form's one check). */
  verify(given: string): boolean {
    return this.token !== undefined && safeEqual(given, this.token);
  }

  /**
   * The Set-Cookie header after a successful login. No Path attribute: the browser scopes it to
   * the login URL's directory, which is the dashboard's root whatever prefix a proxy adds.
   */
  setCookie(secure: boolean): string {
    return `${COOKIE_NAME}=${this.session}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
  }
}
