/**
 * Gluon's connections go directly to the address given, never through an HTTP proxy: the
 * proxy variables a login node sets for pip or conda must not catch the cluster's own traffic.
 * But a user who set `HTTPS_PROXY` to reach a scheduler may well expect it to be used, and a
 * bare `ECONNREFUSED` or timeout does not tell them it was not (found by the proxy trial). So a
 * failed connection names the variable that was ignored.
 */
import { BlockList, isIP } from 'node:net';

/** The proxy variables curl and most tools read for a URL of this scheme, in their order. */
function variablesFor(protocol: string): string[] {
  if (protocol === 'wss:') return ['HTTPS_PROXY', 'https_proxy', 'ALL_PROXY', 'all_proxy'];
  if (protocol === 'ws:') return ['HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'all_proxy'];
  return [];
}

/**
 * Whether `NO_PROXY` exempts `host` (entries: `*`, a host or address, a domain with or without
 * its leading dot, an address range as CIDR (`10.0.0.0/8`, `fd00::/8`, as curl, Python and Go
 * take it: a cluster's network is often given so); ports ignored).
 */
function exempt(host: string, noProxy: string): boolean {
  return noProxy.split(/[\s,]+/).some((raw) => {
    if (inRange(host, raw.trim())) return true;
    let entry = raw.trim().toLowerCase();
    // [v6]:port, [v6], or a bare v6 address (several colons: no port to take off); else host:port.
    if (entry.startsWith('[')) entry = entry.replace(/^\[([^\]]*)\](:\d+)?$/, '$1');
    else if ((entry.match(/:/g) ?? []).length === 1) entry = entry.replace(/:\d+$/, '');
    entry = entry.replace(/^\*?\./, '');
    if (!entry) return false;
    if (entry === '*') return true;
    return host === entry || host.endsWith(`.${entry}`);
  });
}

/** Whether `host` is an address inside `entry`, when that is a CIDR range of its family. */
function inRange(host: string, entry: string): boolean {
  const m = /^\[?([^\]/]+)\]?\/(\d{1,3})$/.exec(entry);
  const family = isIP(host);
  if (!m || family === 0 || isIP(m[1]!) !== family) return false;
  const bits = Number(m[2]);
  if (bits > (family === 4 ? 32 : 128)) return false;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  const range = new BlockList();
  range.addSubnet(m[1]!, bits, type);
  return range.check(host, type);
}

/**
 * What to add to the message of a failed connection to `url`: that a proxy variable for it is
 * set and was not used, or '' when none is (or `NO_PROXY` exempts the host).
 */
export function ignoredProxyNote(url: string, env: NodeJS.ProcessEnv = process.env): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return '';
  }
  const name = variablesFor(parsed.protocol).find((v) => (env[v] ?? '').trim() !== '');
  if (!name) return '';
  const host = parsed.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  if (exempt(host, env.NO_PROXY ?? env.no_proxy ?? '')) return '';
  return ` (${name} is set, but Gluon connects directly, without proxies: ${host} must be reachable from here; docs/across-hosts.md#http-proxies)`;
}
