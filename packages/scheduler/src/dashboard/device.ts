import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { parseCookies } from './auth.js';

/** How long a browser stays known after its last login (see {@link DeviceCookies}). */
export const DEVICE_TTL_S = 30 * 24 * 3600;

/**
 * Known browsers, so that a guesser cannot lock out the people who use the dashboard: after a
 * right token, the browser gets a device cookie (`<id>.<mac>`, a random id signed with a key of
 * this process). A login attempt carrying a valid one is throttled under that browser alone, not
 * its address nor the per-credential slowdown: behind a proxy or NAT that shows every browser
 * as one address, someone guessing there locks out only browsers that never logged in. The
 * cookie grants no access (the session cookie does); it cannot be made without the key, which
 * never leaves the process (a restarted scheduler knows no browser). Keeps no state per browser.
 */
export class DeviceCookies {
  private readonly key = randomBytes(32);

  /** The cookie's name: set per dashboard port once it is known, like the session's. */
  name = 'gluon_device';

  /** The known browser's id, if the request carries a valid device cookie. */
  known(cookieHeader: string | undefined): string | undefined {
    const value = parseCookies(cookieHeader).get(this.name);
    const dot = value?.indexOf('.') ?? -1;
    if (value === undefined || dot <= 0) return undefined;
    const id = value.slice(0, dot);
    const mac = Buffer.from(value.slice(dot + 1), 'base64url');
    const want = this.mac(id);
    return mac.length === want.length && timingSafeEqual(mac, want) ? id : undefined;
  }

  /** A Set-Cookie header making the browser known (its id kept if it was known already). */
  issue(id: string | undefined, secure: boolean): string {
    const use = id ?? randomBytes(16).toString('base64url');
    return `${this.name}=${use}.${this.mac(use).toString('base64url')}; HttpOnly; SameSite=Strict; Max-Age=${DEVICE_TTL_S}${secure ? '; Secure' : ''}`;
  }

  private mac(id: string): Buffer {
    return createHmac('sha256', this.key).update(id).digest().subarray(0, 16);
  }
}
