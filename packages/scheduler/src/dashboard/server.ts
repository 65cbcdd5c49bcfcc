import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { answerAndClose, bindServer, checkNumberOption, clientCertProblem, CloseCode, HELLO_TIMEOUT_MS, HostGuard, REPORT_SHELL_PATH, serverTlsOptions, silentSocketTimeouts, UnauthenticatedConnections, WebSocketServer, wholeFrom, type TlsOptions } from '@gluon/protocol';
import { loadAssets, type Asset } from './assets.js';
import { cookieNameFor, DashboardAuth, DEFAULT_SESSION_TTL_MS } from './auth.js';
import { EventStream } from './events.js';
import { DEFAULT_MAX_FEEDS, DEFAULT_MAX_FEEDS_PER_ADDRESS, feedCapReached, feedRefusalText, LiveFeed, type FeedCap, type FeedCaps, type FeedOptions } from './feed.js';
import { clientAddress, trustedProxies } from './client-address.js';
import { checkDashboardLink, expandDashboardLink } from './link.js';
import { loginPage, SESSION_ENDED, withLogout } from './login.js';
import { SchedulerMetrics } from './metrics.js';
import { reportShell } from './report.js';
import { LoginSlowdown, LoginThrottle, type SlowdownOptions, type ThrottleOptions } from './throttle.js';
import { DeviceCookies } from './device.js';
import type { DashboardSource } from './source.js';


/**
 * How a browser proves a certificate, for the dashboard's refusal under --require-client-cert:
 * a browser has no --tls-cert flag (the words the other listeners use), it needs the certificate
 * and key imported as one PKCS#12 file (found by the across-hosts trial, curl and a browser both
 * told to give --tls-cert).
 */
const BROWSER_CERT_HOW = 'a browser: import the certificate and its key, made into one file with `openssl pkcs12 -export -in client.pem -inkey client.key -out client.p12`, '
  + 'in its certificate settings; curl: --cert client.pem --key client.key; docs/across-hosts.md#host-names-and-browsers';
/** Options of {@link startDashboard}. */
export interface DashboardOptions {
  /** interface to bind; the scheduler passes its own (loopback by default). */
  host: string;
  /** port; 0 picks a free one. */
  port: number;
  /** serve HTTPS with this certificate (requiring browsers' certificates if it says so). */
  tls?: TlsOptions;
  /** names besides `host` that browsers may use (their `Host`), e.g. a DNS name or a reverse proxy's. */
  allowedHosts?: readonly string[];
  /** when set, the dashboard requires it (login form once, then an HttpOnly cookie). */
  token?: string;
  /** how long a login lasts (default 8 h); logging out ends it sooner. */
  sessionTtlMs?: number;
  /** wrong-token throttling per client address, or per known browser (defaults: {@link DEFAULT_THROTTLE}). */
  throttle?: Partial<ThrottleOptions>;
  /** the per-credential slowdown of unknown browsers' logins (defaults: {@link DEFAULT_SLOWDOWN}). */
  slowdown?: Partial<SlowdownOptions>;
  /**
   * reverse proxies (IP addresses or CIDR ranges) whose `X-Forwarded-For`/`Forwarded` the login
   * throttle believes (`--dashboard-trusted-proxy`): behind them it throttles each browser's
   * address, not the proxy's.
   */
  trustedProxies?: string[];
  /** the time, for session expiry and throttling (tests pass a fake clock). */
  clock?: () => number;
  /** path prefix when served behind a reverse proxy, e.g. `/gluon`. */
  prefix?: string;
  /** live feed tuning (push rate, per-browser buffer bound). */
  feed?: Partial<FeedOptions>;
  /** live feeds (`live`, `events`) served at once; more are refused with 503 (default {@link DEFAULT_MAX_FEEDS}). */
  maxFeeds?: number;
  /**
   * live feeds one address holds at once (the browser's, behind `trustedProxies`); more from it
   * are refused with 503 (default {@link DEFAULT_MAX_FEEDS_PER_ADDRESS}).
   */
  maxFeedsPerAddress?: number;
  /** where the dashboard says what an operator must fix (the scheduler's log); stderr by default. */
  log?: (line: string) => void;
  /** the public link's template (`--dashboard-link`, see link.ts), expanded once the port is known. */
  link?: string;
  /**
   * connections held at once that have made no request with a valid login yet (or, without a
   * token, no request past the Host check; a TLS handshake before it): past it, or when one takes
   * the process's last file descriptor, the oldest are closed (default 512; protocol's shedding.ts).
   */
  maxUnauthenticatedConnections?: number;
}

/** A running dashboard. */
export interface Dashboard {
  /** `http://host:port/prefix/` */
  url: string;
  /** the public link (`DashboardOptions.link` expanded), where people open it behind a proxy. */
  link: string | undefined;
  /** the live feed (tests inspect its aggregator and counters). */
  feed: LiveFeed;
  close(): Promise<void>;
}

const LOGIN_BODY_LIMIT = 4096;

/**
 * Why browsers' live feeds fail where only configuration fixes it (a reverse proxy's), or where
 * the page should wait rather than try the other transport (every feed the dashboard serves is taken).
 */
type FeedProblem = 'upgrade-stripped' | 'origin-refused' | 'too-many-feeds';

/** How long after a feed refused for the cap the pages that ask are told so (they retry meanwhile). */
const FULL_NOTICE_MS = 10_000;
/** A refusal for the cap is logged at most this often, with how many since the last line. */
const FULL_LOG_EVERY_MS = 60_000;

/**
 * What a reverse proxy needs to pass the live feed's WebSocket upgrade, for the log line, the
 * 426 answer and the page when it does not (nginx forwards `Upgrade` and `Connection` only when
 * told: they are hop-by-hop headers).
 */
export const PROXY_UPGRADE_HOW = 'a reverse proxy in front of the dashboard must pass WebSocket upgrades '
  + '(nginx: proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection "upgrade"; '
  + 'Apache 2.4.47+: ProxyPass … upgrade=websocket); packages/scheduler/docs/dashboard.md#behind-a-reverse-proxy';

/** A browser's live feed failed this recently for a reason only configuration fixes: api/state says which. */
const PROBLEM_NOTICE_MS = 60_000;

/** `/gluon/` → `/gluon`, `/` or undefined → ''; anything but plain path characters is refused. */
export function normalizePrefix(prefix: string | undefined): string {
  if (prefix === undefined) return '';
  if (!/^[A-Za-z0-9._~/-]*$/.test(prefix)) {
    throw new Error(`dashboard prefix ${JSON.stringify(prefix)} may only contain letters, digits and . _ ~ / -`);
  }
  const trimmed = prefix.replace(/^\/+|\/+$/g, '');
  return trimmed ? `/${trimmed}` : '';
}

/**
 * Serves the dashboard for `source` over HTTP with a WebSocket live feed at `<prefix>/live` on the
 * same port, and the same feed as Server-Sent Events at `<prefix>/events` (events.ts). Read-only: GET/HEAD only, except the login form's POST, which only sets a cookie.
 * Every URL the page uses is relative, so it works behind a reverse proxy or an SSH tunnel.
 */
export async function startDashboard(source: DashboardSource, opts: DashboardOptions): Promise<Dashboard> {
  const prefix = normalizePrefix(opts.prefix);
  // A bad template is refused before anything listens (the port is filled in below).
  if (opts.link !== undefined) checkDashboardLink(opts.link, opts.host, prefix);
  const assets = loadAssets();
  const clock = opts.clock ?? Date.now;
  const auth = new DashboardAuth(opts.token || undefined, opts.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS, clock);
  const throttle = new LoginThrottle(opts.throttle);
  const slowdown = new LoginSlowdown(opts.slowdown);
  const devices = new DeviceCookies();
  const trusted = trustedProxies(opts.trustedProxies);
  // With a token, the page carries a logout button.
  const page: Asset = auth.required ? withLogout(assets.get('/assets/index.html')!) : assets.get('/assets/index.html')!;
  // A worker's page (`worker?id=…`, or `worker?name=…`), behind the same login as the front page.
  const workerPage: Asset = auth.required ? withLogout(assets.get('/assets/worker.html')!) : assets.get('/assets/worker.html')!;
  const caps: FeedCaps = {
    total: feedCap(opts.maxFeeds, DEFAULT_MAX_FEEDS, 'maxFeeds'),
    perAddress: feedCap(opts.maxFeedsPerAddress, DEFAULT_MAX_FEEDS_PER_ADDRESS, 'maxFeedsPerAddress'),
  };
  const feed = new LiveFeed(source, opts.feed);
  /** Feeds refused since the dashboard started, by the cap that refused them (`/metrics`). */
  const feedsRefused: Record<FeedCap, number> = { total: 0, 'per-address': 0 };
  const metrics = new SchedulerMetrics(source, () => ({
    open: feed.viewerCount, max: caps.total, maxPerAddress: caps.perAddress, refused: feedsRefused, dropped: feed.dropped,
  }));
  /** The performance report's page, built on first request (the assets never change). */
  let shell: Buffer | undefined;
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4096 });
  // Every request must name this dashboard in Host (no DNS rebinding); requests that act (the
  // live feed, login) must come from its own pages when they come from a browser at all.
  const guard = new HostGuard({ self: 'dashboard', bindHost: opts.host, ...(opts.allowedHosts ? { allowedHosts: opts.allowedHosts } : {}) });
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const gate = new UnauthenticatedConnections('the dashboard', opts.maxUnauthenticatedConnections, log);
  /** Why a browser's feed last failed in a way only configuration fixes (api/state tells the page), and what the log has said. */
  let problem: { kind: FeedProblem; at: number } | null = null;
  const said = new Set<FeedProblem>();
  /** A browser's feed failed for `kind`: the page is told for a while (api/state), the log once (`line()`, built only then). */
  const feedProblem = (kind: FeedProblem, line: () => string): void => {
    problem = { kind, at: clock() };
    if (said.has(kind)) return;
    said.add(kind);
    log(`${line()} (said once)`);
  };
  /** When a feed was last refused for the total cap, when the log last said so, and how many since. */
  let fullAt = -Infinity;
  let fullSaidAt = -Infinity;
  let fullUnsaid = 0;
  /** The addresses refused for their own cap lately, oldest first, and when (api/state tells their pages). */
  const fullHere = new Map<string, number>();
  /**
   * Whether one more feed may open from `from` (the browser's address, see {@link clientAddress}):
   * null, or the refusal's text (the caller answers 503 with it). Past a cap, pages that ask are
   * told for a while (api/state: all of them for the total cap, those of that address for its
   * own), and the log says so at most once a minute.
   */
  const feedRoom = (from: string): string | null => {
    const open = feed.viewerCount;
    const fromThere = feed.viewersFrom(from);
    const cap = feedCapReached(open, fromThere, caps);
    if (!cap) return null;
    const now = clock();
    if (cap === 'total') fullAt = now;
    else {
      fullHere.delete(from);
      fullHere.set(from, now);
      for (const [address, at] of fullHere) {
        if (now - at < FULL_NOTICE_MS) break;
        fullHere.delete(address);
      }
    }
    fullUnsaid++;
    feedsRefused[cap]++;
    const text = feedRefusalText(cap, from, open, fromThere, caps);
    if (now - fullSaidAt >= FULL_LOG_EVERY_MS) {
      log(`refused a live feed of the dashboard from ${from}${fullUnsaid > 1 ? ` (and ${fullUnsaid - 1} more since the last such line)` : ''}: ${text}`);
      fullSaidAt = now;
      fullUnsaid = 0;
    }
    return text;
  };

  /** The path below the prefix; requests without the prefix are accepted too (proxies that strip it). */
  const route = (url: string): string => {
    const path = decodeURIComponentSafe(url.split('?')[0] ?? '/');
    if (prefix && (path === prefix || path.startsWith(`${prefix}/`))) return path.slice(prefix.length) || '';
    return path;
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', `dashboard error: ${(e as Error).message}\n`);
      else res.destroy();
    });
  };
  // Silent sockets are dropped as on the scheduler port (a login form POST has the same time).
  const timeouts = silentSocketTimeouts(HELLO_TIMEOUT_MS);
  const server = opts.tls ? createHttpsServer({ ...serverTlsOptions(opts.tls), ...timeouts }, onRequest) : createServer(timeouts, onRequest);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = route(req.url ?? '/');
    const method = req.method ?? 'GET';
    // Static files are public (served without a session), and a module script's request carries
    // an Origin even from the dashboard's own page: behind a proxy that forwards its own Host,
    // refusing that Origin left the page at "connecting…" with only a console error. Host is
    // still checked (DNS rebinding).
    const isAsset = assets.has(path) && path !== '/assets/index.html';
    const refusal = clientCertProblem(req, opts.tls, 'the dashboard', BROWSER_CERT_HOW) ?? (isAsset ? guard.checkHost(req) : guard.check(req, 'same'));
    if (refusal) return send(res, 403, 'text/plain; charset=utf-8', `${refusal}\n`);
    if (path === '/login' && method === 'POST') return login(req, res);
    if (path === '/logout' && method === 'POST') {
      res.writeHead(303, { Location: './', 'Set-Cookie': auth.logout(req, isSecure(req)) }).end();
      return;
    }
    if ((path === '/login' || path === '/logout') && (method === 'GET' || method === 'HEAD')) {
      // A wrong token leaves `login` in the address bar; going there again is a GET: show the
      // front page (the form, or the dashboard with a session). Nothing is set or cleared.
      res.writeHead(303, { Location: './' }).end();
      return;
    }
    if (method !== 'GET' && method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return send(res, 405, 'text/plain; charset=utf-8', `the dashboard is read-only: ${method} is not allowed (only GET and HEAD, and POST to login)\n`);
    }
    if (path === '') {
      // `/gluon` without its slash: relative URLs would resolve against `/`, so add it.
      const last = (req.url ?? '').split('?')[0]!.split('/').pop() || '.';
      res.writeHead(301, { Location: `${last}/` }).end();
      return;
    }
    const asset = assets.get(path);
    if (asset && path !== '/assets/index.html') return sendAsset(res, asset, method);
    if (!auth.allows(req)) {
      // A page the browser shows: the login form, as a page (200). Served as a 401, Chromium
      // logged every visit to it as a console error ("Failed to load resource"); the data
      // below (api/…, live, metrics) still answers 401 to scripts.
      if (path === '/' || path === '/index.html' || path === '/worker') return send(res, 200, 'text/html; charset=utf-8', loginPage(auth.endedSession(req) ? SESSION_ENDED : ''), method);
      return send(res, 401, 'text/plain; charset=utf-8', `${auth.refusal(req)}\n`, method);
    }
    // A login's request (or, without a token, any past the checks above): this connection is a
    // session's from here on, never closed to make room for new ones.
    gate.admit(req.socket);
    if (path === '/' || path === '/index.html') return sendAsset(res, page, method);
    if (path === '/api/state') {
      // The page asks this when its feed failed to open: tell it why, if a proxy is the reason.
      // Feeds all taken just now: the page waits for one (not the other transport, also full).
      const hereAt = fullHere.get(clientAddress(req, trusted));
      if (hereAt !== undefined && clock() - hereAt < FULL_NOTICE_MS) res.setHeader('Gluon-Feed-Problem', 'too-many-feeds-here');
      else if (clock() - fullAt < FULL_NOTICE_MS) res.setHeader('Gluon-Feed-Problem', 'too-many-feeds');
      else if (problem && clock() - problem.at < PROBLEM_NOTICE_MS) res.setHeader('Gluon-Feed-Problem', problem.kind);
      return send(res, 200, 'application/json', feed.stateJson(Date.now()), method);
    }
    if (path === `/${REPORT_SHELL_PATH}`) {
      shell ??= Buffer.from(reportShell(assets));
      return send(res, 200, 'text/html; charset=utf-8', shell, method);
    }
    if (path === '/worker') return sendAsset(res, workerPage, method);
    if (path === '/api/worker') {
      const query = new URLSearchParams((req.url ?? '').split('?')[1] ?? '');
      const id = query.get('id');
      const name = query.get('name');
      const pages = feed.workerPages;
      if (id) {
        const detail = pages.detail(id);
        if (!detail) return send(res, 404, 'text/plain; charset=utf-8', `no worker with id ${JSON.stringify(id)} has been seen by this scheduler\n`, method);
        return send(res, 200, 'application/json', JSON.stringify(detail), method);
      }
      if (!name) return send(res, 400, 'text/plain; charset=utf-8', 'api/worker needs ?id=<worker id> (or ?name=<worker name>)\n', method);
      // A link by name (as pages were keyed before ids): that worker's page when the name is
      // one worker's, else the workers it names, for the page to list.
      const matches = pages.named(name);
      if (matches.length === 0) return send(res, 404, 'text/plain; charset=utf-8', `no worker named ${JSON.stringify(name)} has been seen by this scheduler\n`, method);
      const body = matches.length === 1 ? pages.detail(matches[0]!.id) : { name, matches };
      return send(res, 200, 'application/json', JSON.stringify(body), method);
    }
    if (path === '/metrics') {
      const { text, contentType } = await metrics.scrape();
      return send(res, 200, contentType, text, method);
    }
    if (path === '/live') {
      // The feed is a WebSocket (see the upgrade handler): a plain GET of it is not "not found".
      res.setHeader('Upgrade', 'websocket');
      if (req.headers['sec-websocket-key'] !== undefined) {
        // A WebSocket handshake (its key is an ordinary header) that lost its Upgrade and
        // Connection headers on the way: a proxy that does not pass upgrades. The page would
        // only say "disconnected, retrying…" forever (found behind nginx without the two lines).
        feedProblem('upgrade-stripped', () => `the dashboard's live feed: a WebSocket upgrade from ${req.socket.remoteAddress ?? 'unknown address'} (Host ${req.headers.host ?? '?'}) arrived without its Upgrade header, so browsers there fall back to the feed over Server-Sent Events (plain HTTP; the same figures); for the WebSocket feed, ${PROXY_UPGRADE_HOW}`);
        return send(res, 426, 'text/plain; charset=utf-8', `the live feed's WebSocket upgrade arrived without its Upgrade header: ${PROXY_UPGRADE_HOW}\n`, method);
      }
      return send(res, 426, 'text/plain; charset=utf-8', 'live is the dashboard\'s WebSocket feed (the page opens it): connect with a WebSocket client, not a plain GET\n', method);
    }
    if (path === '/events') {
      // The live feed over Server-Sent Events, for a page whose WebSocket upgrade never arrives
      // (events.ts): behind the same Host, Origin and login checks as everything above.
      if (method === 'HEAD') return send(res, 200, 'text/event-stream; charset=utf-8', '', method);
      const from = clientAddress(req, trusted);
      const refused = feedRoom(from);
      if (refused) {
        res.setHeader('Retry-After', '5');
        return send(res, 503, 'text/plain; charset=utf-8', `${refused}\n`, method);
      }
      feed.attach(new EventStream(res, SECURITY_HEADERS).asFeedSocket(), from);
      return;
    }
    return send(res, 404, 'text/plain; charset=utf-8', `not found: ${path}\n`);
  }

  async function login(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req, LOGIN_BODY_LIMIT);
    if (body === null) {
      res.setHeader('Connection', 'close');
      return send(res, 413, 'text/plain; charset=utf-8', `login form too large (limit ${LOGIN_BODY_LIMIT} bytes)\n`);
    }
    // Without surrounding whitespace, as the CLIs take a token (a paste of `cat token` brings its
    // newline along): a token holds none (protocol's resolveToken), so nothing wrong gets in.
    const given = (new URLSearchParams(body).get('token') ?? '').trim();
    if (!auth.required) {
      res.writeHead(303, { Location: './' }).end();
      return;
    }
    // Throttled before the token is even compared: a locked-out browser learns nothing. A browser
    // that logged in before (its device cookie) is throttled on its own, so nobody guessing from
    // the same address (an unnamed proxy, a NAT) locks it out; any other under its address (behind
    // a trusted proxy, the browser's: keyed on the proxy's, one browser's wrong tokens locked every
    // browser out), and, with every other unknown browser, under the per-credential slowdown.
    const device = devices.known(req.headers.cookie);
    const key = device !== undefined ? `browser ${device}` : clientAddress(req, trusted);
    const whose = device !== undefined ? 'this browser' : 'your address';
    const wait = throttle.wait(key, clock());
    if (wait > 0) return tooManyAttempts(res, wait, whose);
    if (device === undefined) {
      const turn = slowdown.admit(clock());
      if (typeof turn === 'object') return tooManyAttempts(res, turn.retryAfterMs, 'many addresses');
      if (turn > 0) await new Promise((r) => setTimeout(r, turn).unref());
    }
    if (!auth.verify(given)) {
      if (device === undefined) slowdown.failed(clock());
      const next = throttle.failed(key, clock());
      if (next > 0) return tooManyAttempts(res, next, whose);
      // The form again, saying so: a page to show (200, as above), no session set.
      return send(res, 200, 'text/html; charset=utf-8', loginPage('Wrong token.'));
    }
    throttle.succeeded(key);
    const secure = isSecure(req);
    res.writeHead(303, { Location: './', 'Set-Cookie': [auth.login(secure), devices.issue(device, secure)] }).end();
  }

  function tooManyAttempts(res: ServerResponse, waitMs: number, whose: string): void {
    const seconds = Math.max(1, Math.ceil(waitMs / 1000));
    res.setHeader('Retry-After', String(seconds));
    send(res, 429, 'text/html; charset=utf-8', loginPage(`Too many wrong tokens from ${whose}: try again in ${seconds} s.`));
  }

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = route(req.url ?? '/');
    const refusal = clientCertProblem(req, opts.tls, 'the dashboard', BROWSER_CERT_HOW) ?? guard.checkHost(req);
    if (refusal) return refuse(socket, 403, 'Forbidden', refusal);
    const crossOrigin = guard.checkOrigin(req, 'same');
    if (crossOrigin) {
      // Most likely the dashboard's own page behind a proxy that forwards its own Host: the
      // page can only say "disconnected", so the log says what to change, and api/state the page.
      // Only for a request with the dashboard's credentials (a page's, whose session cookie goes
      // along): anyone else's would make every page say so (and not fall back to events) for a
      // while, and use up the log's line.
      if (auth.allows(req)) feedProblem('origin-refused', () => `the dashboard's live feed: refused a page at ${req.headers.origin} reached as Host ${req.headers.host ?? '?'}: ${crossOrigin.replace(/^dashboard: /, '')}`);
      return refuse(socket, 403, 'Forbidden', crossOrigin);
    }
    if (path !== '/live') return refuse(socket, 404, 'Not Found');
    if (!auth.allows(req)) return refuse(socket, 401, 'Unauthorized', auth.refusal(req));
    gate.admit(socket);
    const from = clientAddress(req, trusted);
    const refused = feedRoom(from);
    if (refused) return refuse(socket, 503, 'Service Unavailable', refused);
    wss.handleUpgrade(req, socket, head, (ws) => {
      // Read-only: browsers only listen (no op is accepted from them, see BROWSER_TO_DASHBOARD in
      // @gluon/protocol); frames over 4 KiB are refused by maxPayload before they are buffered.
      ws.on('message', () => ws.close(CloseCode.protocolError, 'protocol error: the dashboard feed is read-only; browsers send nothing on it'));
      feed.attach(ws, from);
    });
  });

  let bound;
  try {
    bound = await bindServer(server, opts.host, opts.port, opts.tls ? { self: 'the Gluon dashboard', scheme: 'https' } : undefined, gate);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    feed.close();
    metrics.close();
    throw new Error(`dashboard cannot listen on ${opts.host}:${opts.port}: ${e.message}${e.code === 'EADDRINUSE' ? ' (pick another --dashboard-port, or --no-dashboard)' : ''}`);
  }
  auth.cookieName = cookieNameFor(bound.port);
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  const origin = `${opts.tls ? 'https' : 'http'}://${host}:${bound.port}`;
  // Without a token any request past the Host and Origin checks admits its connection.
  const ask = opts.token ? 'no login or request with the token yet' : 'no request yet';
  gate.listens(`the dashboard's port ${origin}`, origin, opts.tls ? `no TLS handshake or ${ask}` : ask);
  devices.name = `gluon_device_${bound.port}`;
  return {
    url: `${origin}${prefix}/`,
    link: opts.link === undefined ? undefined : expandDashboardLink(opts.link, { host: opts.host, port: bound.port, prefix }),
    feed,
    close: async () => {
      feed.close();
      metrics.close();
      for (const c of wss.clients) c.terminate();
      wss.close();
      await bound.close();
    },
  };
}
/** A feed cap as given (`option` names it), or its default: a whole number from 1. */
function feedCap(given: number | undefined, byDefault: number, option: string): number {
  return given === undefined ? byDefault : checkNumberOption(`dashboard: ${option}`, given, wholeFrom(1));
}

/** Whether the browser reached us over HTTPS (directly, or through a proxy that says so). */
function isSecure(req: IncomingMessage): boolean {
  return (req.socket as { encrypted?: boolean }).encrypted === true || req.headers['x-forwarded-proto'] === 'https';
}

const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  // Not no-referrer: under it browsers send `Origin: null` with the login form's POST, which
  // the Origin check must refuse. same-origin still tells other sites nothing.
  'Referrer-Policy': 'same-origin',
  'Content-Security-Policy': "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'",
  'Cache-Control': 'no-cache',
};

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, method = 'GET'): void {
  const buf = typeof body === 'string' ? Buffer.from(body) : body;
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': buf.length });
  res.end(method === 'HEAD' ? undefined : buf);
}

function sendAsset(res: ServerResponse, asset: Asset, method: string): void {
  send(res, 200, asset.type, asset.body, method);
}

function refuse(socket: Duplex, status: number, text: string, body = ''): void {
  const buf = Buffer.from(body ? `${body}\n` : '');
  answerAndClose(socket, `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${buf.length}\r\n\r\n${buf}`);
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The request body as text, or null when it exceeds `limit` bytes. */
function readBody(req: IncomingMessage, limit: number): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    req.on('data', (c: Buffer) => {
      n += c.length;
      if (n > limit) {
        // Answer now and discard the rest (destroying the request would lose the answer).
        req.removeAllListeners('data');
        req.resume();
        resolve(null);
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
