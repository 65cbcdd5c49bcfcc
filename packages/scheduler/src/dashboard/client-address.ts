import { BlockList, isIP } from 'node:net';
import type { IncomingMessage } from 'node:http';

/** An address as compared: an IPv4-mapped IPv6 address (`::ffff:1.2.3.4`) as its IPv4 form. */
function plain(address: string): string {
  return address.toLowerCase().replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
}

/** The reverse proxies whose forwarding headers the dashboard believes: does `address` belong to one? */
export interface TrustedProxies {
  has(address: string): boolean;
}

/**
 * The reverse proxies whose forwarding headers the dashboard believes (`--dashboard-trusted-proxy`):
 * addresses (`10.0.0.5`, `fd00::5`) and ranges in CIDR notation (`10.0.0.0/8`, `fd00::/8`; an
 * IPv4 range also covers its IPv4-mapped IPv6 form). Refuses anything else, naming the entry and
 * what is wrong with it, so a typo stops the start instead of trusting nothing (or too much).
 */
export function trustedProxies(entries: readonly string[] = []): TrustedProxies {
  const list = new BlockList();
  for (const entry of entries) {
    const [address, prefix, extra] = entry.trim().split('/');
    const family = isIP(address ?? '');
    const name = `--dashboard-trusted-proxy "${entry}"`;
    if (family === 0 || extra !== undefined) {
      throw new RangeError(`${name} is not an IP address or range (give the proxy's address as the dashboard sees it, e.g. 127.0.0.1, or a range in CIDR notation, e.g. 10.0.0.0/8 or fd00::/8)`);
    }
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (prefix === undefined) {
      list.addAddress(address!, type);
      continue;
    }
    const bits = family === 4 ? 32 : 128;
    if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > bits) {
      throw new RangeError(`${name}: the prefix length of an IPv${family} range must be a whole number from 0 to ${bits}, got "${prefix}"`);
    }
    list.addSubnet(address!, Number(prefix), type);
  }
  return { has: (a) => isIP(a) !== 0 && list.check(a, isIP(a) === 4 ? 'ipv4' : 'ipv6') };
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
export function clientAddress(req: IncomingMessage, trusted: TrustedProxies): string {
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
