/**
 * Host and Origin checks for every Gluon listener (the scheduler's and workers' WebSocket ports,
 * the dashboard). A web page on another origin must not read the dashboard or talk to the
 * scheduler, and DNS rebinding (a name the attacker controls, resolved to this machine) must not
 * get past the browser's same-origin rule: so the `Host` a request names must be this listener's
 * own address or a name it was configured with, and a browser's `Origin` must be the dashboard's.
 */
import { isIP } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
import type { IncomingMessage } from 'node:http';

/** Names every loopback listener answers to, besides its bound address. */
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1'];

export interface HostGuardOptions {
  /** The address the listener is bound to (`127.0.0.1`, `10.0.0.5`, `0.0.0.0`, `::`, a name). */
  bindHost: string;
  /** Further names (or addresses) clients may use in `Host`, e.g. the DNS name of the machine. */
  allowedHosts?: readonly string[];
  /** Names this listener in refusals, e.g. `scheduler`, `dashboard`. */
  self: string;
}

/** `Host`/`Origin` header value → bare lower-case host name (no port, no brackets, no final dot). */
export function hostOf(hostHeader: string): string | null {
  try {
    const h = new URL(`http://${hostHeader}`).hostname.toLowerCase();
    return h.replace(/^\[|\]$/g, '').replace(/\.$/, '');
  } catch {
    return null;
  }
}

/** A configured name or bound address (an IPv6 address may come without brackets) → bare host. */
function bareHost(name: string): string {
  return hostOf(name.includes(':') && !name.startsWith('[') ? `[${name}]` : name) ?? name.toLowerCase();
}

/** Whether a configured bind address or name (`127.0.0.1`, `::1`, `[::1]`, `localhost`) stays on this machine. */
export function isLoopbackHost(name: string): boolean {
  return isLoopback(bareHost(name));
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

/** An IPv6 address in brackets, as ssh -L and URLs write it; anything else as it is. */
function bracketed(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '';
}

/**
 * Decides which `Host` names and browser `Origin`s a listener accepts. Allowed hosts: the bound
 * address, the configured names, loopback names when bound to loopback, and when bound to every
 * interface (`0.0.0.0`, `::`) each interface's address and the machine's host name.
 */
export class HostGuard {
  private readonly names: Set<string>;
  private readonly configured: Set<string>;
  private readonly wildcard: boolean;

  constructor(private readonly opts: HostGuardOptions) {
    const bind = bareHost(opts.bindHost);
    this.wildcard = isWildcard(bind);
    this.configured = new Set((opts.allowedHosts ?? []).map(bareHost));
    this.names = new Set([bind, ...this.configured]);
    if (isLoopback(bind) || this.wildcard) for (const n of LOOPBACK_NAMES) this.names.add(n);
  }

  /** True when `host` (bare, as from {@link hostOf}) names this listener. */
  allowsHost(host: string): boolean {
    if (this.names.has(host)) return true;
    // Loopback addresses in Host are not a rebinding vector, and 127.0.0.0/8 is all one machine.
    if (isLoopback(host) && this.names.has('127.0.0.1')) return true;
    if (!this.wildcard) return false;
    if (host === hostname().toLowerCase()) return true;
    for (const list of Object.values(networkInterfaces())) {
      for (const a of list ?? []) if (a.address.toLowerCase() === host) return true;
    }
    return false;
  }

  /** Why the request's `Host` header is refused, or null when it names this listener. */
  checkHost(req: Pick<IncomingMessage, 'headers'>): string | null {
    const header = req.headers.host;
    if (!header) return `${this.opts.self}: the request has no Host header`;
    const host = hostOf(header);
    if (host === null || !this.allowsHost(host)) {
      // A loopback name on a listener bound elsewhere comes through a tunnel (`ssh -L`) or a
      // local proxy: say what lets it in, since loopback names are not a rebinding vector.
      const hint = host !== null && isLoopback(host)
        ? `; came through a tunnel (ssh -L PORT:${bracketed(bareHost(this.opts.bindHost))}:PORT)? allow it with --allowed-host ${host}`
        : '; add a name with --allowed-host';
      return `${this.opts.self}: Host "${header}" is not an address of this ${this.opts.self} `
        + `(allowed: ${this.describe()}${hint})`;
    }
    return null;
  }

  /**
   * Why the request's `Origin` is refused, or null. Non-browser clients send no Origin and pass.
   * `'none'`: no browser page may connect (the scheduler's and workers' protocol ports: their
   * clients are programs, never pages). `'same'`: only the listener's own origin, i.e. an
   * Origin whose host:port is the request's Host, or whose host is a configured name (a
   * reverse proxy in front of the dashboard).
   */
  checkOrigin(req: Pick<IncomingMessage, 'headers'>, mode: 'none' | 'same'): string | null {
    const origin = req.headers.origin;
    if (origin === undefined) return null;
    if (mode === 'same') {
      let url: URL | null = null;
      try {
        url = new URL(origin);
      } catch {
        url = null;
      }
      if (url && (url.protocol === 'http:' || url.protocol === 'https:')) {
        if (req.headers.host && url.host.toLowerCase() === req.headers.host.toLowerCase()) return null;
        const host = hostOf(url.host);
        if (host !== null && this.configured.has(host)) return null;
      }
      // Behind a reverse proxy that forwards its own Host (nginx's default), the dashboard's own
      // page has the proxy's origin: say how to let it in (found by the proxy trial, where the
      // login form answered only this refusal).
      const name = url && (url.protocol === 'http:' || url.protocol === 'https:') ? hostOf(url.host) : null;
      const hint = name !== null ? `; if that is a reverse proxy in front of it, give its name: --allowed-host ${name}` : '';
      return `${this.opts.self}: cross-origin request from ${origin} refused (only the dashboard's own pages may connect${hint})`;
    }
    return `${this.opts.self}: browser origin ${origin} refused: this port serves Gluon programs, not web pages`;
  }

  /** Host check, then Origin check: the first refusal, or null. */
  check(req: Pick<IncomingMessage, 'headers'>, mode: 'none' | 'same'): string | null {
    return this.checkHost(req) ?? this.checkOrigin(req, mode);
  }

  private describe(): string {
    const list = [...this.names].join(', ');
    return this.wildcard ? `${list}, this machine's host name and interface addresses` : list;
  }
}

/**
 * Checks `--allowed-host` values: each a host name or an IP address, without scheme, port or
 * path. Throws an error naming the bad value.
 */
export function parseAllowedHosts(values: readonly string[], flag = '--allowed-host'): string[] {
  return values.map((v) => {
    const name = v.trim();
    const ok = isIP(name) !== 0 || /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$/.test(name);
    if (!ok) throw new RangeError(`${flag} must be a host name or an IP address (no scheme, port or path), got "${v}"`);
    return name;
  });
}
