import { isIP } from 'node:net';
import type { IncomingMessage } from 'node:http';

/** An address as compared: an IPv4-mapped IPv6 address (`::ffff:1.2.3.4`) as its IPv4 form. */
function plain(address: string): string {
  return address.toLowerCase().replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
}

/**
 * The reverse proxies whose forwarding headers the dashboard believes (`--dashboard-trusted-proxy`).
 * Refuses anything that is not an IP address, naming it.
 */
export function trustedProxies(addresses: readonly string[] = []): ReadonlySet<string> {
  for (const a of addresses) {
    if (isIP(a) === 0) throw new RangeError(`dashboard: --dashboard-trusted-proxy "${a}" is not an IP address (give the proxy's address as the dashboard sees it, e.g. 127.0.0.1)`);
  }
  return new Set(addresses.map(plain));
}

/** The `for=` addresses of a `Forwarded` header (RFC 7239), in order; obfuscated/unknown ones kept as written. */
function forwardedFor(header: string): string[] {
  const out: string[] = [];
  for (const element of header.split(',')) {
    const m = /(?:^|;)\s*for\s*=\s*("[^"]*"|[^;,\s]*)/i.exec(element);
    if (!m) continue;
    let v = m[1]!.replace(/^"|"$/g, '');
    const bracket = /^\[([^\]]+)\]/.exec(v);
    v = bracket ? bracket[1]! : v.replace(/:\d+$/, '');
    out.push(v);
  }
  return out;
}

/**
 * The address a login attempt is throttled under. The direct peer, unless it is a trusted proxy:
 * then the nearest address in `X-Forwarded-For` (or, without it, `Forwarded: for=`) that is not
 * itself a trusted proxy: entries further left are written by the browser side and can be forged;
 * the rightmost untrusted one was written by a trusted proxy. Headers from an untrusted peer are
 * ignored, so a client cannot pick its own throttle key.
 */
export function clientAddress(req: IncomingMessage, trusted: ReadonlySet<string>): string {
  const peer = plain(req.socket.remoteAddress ?? 'unknown');
  if (!trusted.has(peer)) return peer;
  const xff = req.headers['x-forwarded-for'];
  const fwd = req.headers.forwarded;
  const chain = xff !== undefined
    ? (Array.isArray(xff) ? xff.join(',') : xff).split(',').map((s) => s.trim()).filter(Boolean)
    : fwd !== undefined ? forwardedFor(fwd) : [];
  for (let i = chain.length - 1; i >= 0; i--) {
    const a = plain(chain[i]!);
    if (!trusted.has(a)) return a;
  }
  return peer;
}
