/**
 * The dashboard's HTTP/WebSocket server on loopback, fed by an in-memory DashboardSource:
 * assets, relative URLs, path prefix, read-only, token login, the live feed and its bound on
 * what a slow browser can make the scheduler hold.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import WebSocket from 'ws';
import { assetsDir } from '../../src/dashboard/assets.js';
import { normalizePrefix, startDashboard, type Dashboard, type DashboardOptions } from '../../src/dashboard/server.js';
import { MemorySource } from '../fixtures/memory-source.js';
import { until } from '../../../../test/helpers/until.js';

const LONG = 3_600_000; // push timer that never fires on its own: the tests call tick()

async function start(t: Test, source: MemorySource, opts: Partial<DashboardOptions> = {}): Promise<Dashboard> {
  const d = await startDashboard(source, { host: '127.0.0.1', port: 0, ...opts, feed: { intervalMs: LONG, ...opts.feed } });
  t.teardown(() => d.close());
  return d;
}

function get(url: string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { redirect: 'manual', ...init });
}

/** Opens the live feed; resolves with the socket and a queue of decoded messages. */
async function live(url: string, headers: Record<string, string> = {}): Promise<{ ws: WebSocket; next(): Promise<any> }> {
  const ws = new WebSocket(url.replace(/^http/, 'ws') + 'live', { headers });
  const queue: any[] = [];
  const waiters: Array<(m: any) => void> = [];
  ws.on('message', (data) => {
    const m = JSON.parse(String(data));
    const w = waiters.shift();
    if (w) w(m);
    else queue.push(m);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
  return { ws, next: () => (queue.length ? Promise.resolve(queue.shift()) : new Promise((r) => waiters.push(r))) };
}

t.test('serves the page and its assets with relative URLs only', async (t) => {
  const d = await start(t, new MemorySource());
  t.match(d.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  const page = await get(d.url);
  t.equal(page.status, 200);
  t.match(page.headers.get('content-type'), /text\/html/);
  const html = await page.text();
  t.match(html, /uplot\/uPlot\.iife\.min\.js/);
  for (const name of readdirSync(assetsDir())) {
    const text = readFileSync(join(assetsDir(), name), 'utf8');
    t.notMatch(text, /(?:src|href|action)="\/|from '\/|new URL\('\//, `${name} uses relative URLs only`);
    t.notMatch(text, /https?:\/\/(?!www\.w3\.org)/, `${name} names no external host`);
    if (name === 'index.html') continue; // served as the page itself
    const res = await get(`${d.url}assets/${name}`);
    t.equal(res.status, 200, `assets/${name} is served`);
  }
  const uplot = await get(`${d.url}uplot/uPlot.iife.min.js`);
  t.equal(uplot.status, 200);
  t.match(uplot.headers.get('content-type'), /javascript/);
  t.match(await uplot.text(), /uPlot/);
  t.equal((await get(`${d.url}uplot/package.json`)).status, 404, 'only the two uPlot files, nothing else of node_modules');
  t.equal((await get(`${d.url}assets/../../package.json`)).status, 404, 'no path traversal');
  t.equal((await get(`${d.url}assets/%2e%2e%2fpackage.json`)).status, 404);
  const head = await get(d.url, { method: 'HEAD' });
  t.equal(head.status, 200);
  t.equal(await head.text(), '');
});

t.test('a plain GET of the live feed says it is a WebSocket (426), not "not found"', async (t) => {
  const d = await start(t, new MemorySource());
  const r = await get(`${d.url}live`);
  t.equal(r.status, 426);
  t.equal(r.headers.get('upgrade'), 'websocket');
  t.match(await r.text(), /live is the dashboard's WebSocket feed .*connect with a WebSocket client/);
  t.equal((await get(`${d.url}nothing-here`)).status, 404, 'other paths are still not found');
});

t.test('read-only: every method but GET/HEAD is refused (except the login form)', async (t) => {
  const d = await start(t, new MemorySource());
  for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
    for (const path of ['', 'api/state', 'live', 'assets/dashboard.js']) {
      const res = await get(d.url + path, { method, body: method === 'DELETE' ? undefined : 'x' });
      t.equal(res.status, 405, `${method} /${path} → 405`);
      t.equal(res.headers.get('allow'), 'GET, HEAD');
    }
  }
  const login = await get(`${d.url}login`, { method: 'POST', body: 'token=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  t.equal(login.status, 303, 'without a token the login form just goes back to the page');
});

t.test('sockets that never finish a request are closed with 408 after the hello timeout (10 s), not node\'s 90 s', async (t) => {
  const d = await start(t, new MemorySource());
  const port = Number(new URL(d.url).port);
  const silent = (bytes?: string) => new Promise<string>((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => { if (bytes) s.write(bytes); });
    let got = '';
    s.on('data', (b: Buffer) => (got += b.toString('latin1')));
    s.on('error', () => {});
    s.on('close', () => resolve(got));
    t.teardown(() => s.destroy());
  });
  const all = Promise.all(Array.from({ length: 50 }, (_, i) => silent(i % 2 ? `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` : undefined)));
  let timer: NodeJS.Timeout | undefined;
  const answers = await Promise.race([all, new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error('silent sockets still open after 60 s')), 60_000); })]);
  clearTimeout(timer);
  t.ok(answers.every((a) => /^HTTP\/1\.1 408 /.test(a)), 'all 50 (no request, half a request) got 408 and were closed');
  const page = await fetch(d.url);
  t.equal(page.status, 200, 'and the dashboard still serves');
  await page.arrayBuffer();
});

t.test('path prefix: the page, the JSON and the feed live under it', async (t) => {
  const source = new MemorySource({ workers: [] });
  const d = await start(t, source, { prefix: '/gluon/dash/' });
  t.match(d.url, /^http:\/\/127\.0\.0\.1:\d+\/gluon\/dash\/$/);
  t.equal((await get(d.url)).status, 200);
  const bare = await get(d.url.slice(0, -1));
  t.equal(bare.status, 301, 'the prefix without its slash redirects');
  t.equal(bare.headers.get('location'), 'dash/', 'with a relative Location');
  t.equal((await get(`${d.url}uplot/uPlot.min.css`)).status, 200);
  // The replies' JSON is cast: servers.test.ts brings this file into the type check without the DOM lib, where json() is unknown.
  const state = (await (await get(`${d.url}api/state`)).json()) as { type: string };
  t.equal(state.type, 'state');
  const origin = new URL(d.url).origin;
  t.equal((await get(`${origin}/api/state`)).status, 200, 'a proxy that strips the prefix works too');
  const { ws, next } = await live(d.url);
  t.teardown(() => ws.close());
  await waitFor(() => d.feed.viewerCount === 1);
  d.feed.tick(Date.now());
  t.equal((await next()).type, 'state', 'the feed answers under the prefix');
  t.throws(() => normalizePrefix('/a b'), /dashboard prefix "\/a b" may only contain/);
  t.equal(normalizePrefix('/'), '');
  t.equal(normalizePrefix('x/'), '/x');
});

t.test('the login form takes a pasted token with the whitespace around it, as the CLIs take a token file or GLUON_TOKEN', async (t) => {
  // A paste of `cat ~/.gluon/cluster-token` brings its newline: it was "Wrong token.".
  const token = 's3cret-token';
  const d = await start(t, new MemorySource(), { token });
  const post = (given: string) => get(`${d.url}login`, { method: 'POST', body: `token=${encodeURIComponent(given)}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  const ok = await post(` ${token}\n`);
  t.equal(ok.status, 303, 'logged in');
  t.match(ok.headers.get('set-cookie') ?? '', /^gluon_dashboard_\d+=[\w-]+;/);
  const inside = await post(`s3cret -token`);
  t.equal(inside.status, 200, 'whitespace inside is still a wrong token');
  t.match(await inside.text(), /Wrong token/);
});

t.test('a refused script is told what its request carried: no credentials, an empty or wrong token, another scheme, an ended session', async (t) => {
  const token = 's3cret-token';
  const d = await start(t, new MemorySource(), { token });
  const port = new URL(d.url).port;
  const refusal = async (path: string, headers: Record<string, string>) => {
    const r = await get(`${d.url}${path}`, { headers });
    t.equal(r.status, 401, `${path} ${JSON.stringify(headers)}: 401`);
    const text = await r.text();
    t.notMatch(text, /s3cret|nope|dXNlcjpwdw/, 'the value sent is never shown');
    return text;
  };
  for (const path of ['api/state', 'metrics']) {
    t.match(await refusal(path, {}), /^this dashboard requires the scheduler token: log in on its front page, or send Authorization: Bearer <token>\n$/);
    // Before, all of these read as the line above, as if no header had been sent.
    t.match(await refusal(path, { authorization: 'Bearer nope' }), /^the token sent \(Authorization: Bearer …\) is not this scheduler's token: send the one its --token-file, GLUON_TOKEN or --token holds\n$/);
    t.match(await refusal(path, { authorization: 'Bearer ' }), /^the Authorization header carries no token after "Bearer" \(an empty \$\(cat FILE\)\?\)/);
    t.match(await refusal(path, { authorization: 'Basic dXNlcjpwdw==' }), /^the Authorization header is not "Bearer <token>"/);
    t.match(await refusal(path, { authorization: 'nope' }), /^the Authorization header is not "Bearer <token>" \(the only scheme this dashboard takes; its value is not shown\)/);
    t.match(await refusal(path, { cookie: `gluon_dashboard_${port}=gone` }), /^this dashboard's session has ended \(it expired after --dashboard-session-ttl, was logged out, or the scheduler restarted\): log in/);
  }
  // The scheme is case-insensitive (RFC 9110): `bearer` was refused.
  for (const scheme of ['bearer', 'BEARER', 'Bearer']) {
    t.equal((await get(`${d.url}api/state`, { headers: { authorization: `${scheme} ${token}` } })).status, 200, `${scheme} <token> is let in`);
  }
  // The live feed's refusal carries the same words (it was a bare 401 Unauthorized).
  const body = await new Promise<string>((resolve, reject) => {
    const ws = new WebSocket(d.url.replace(/^http/, 'ws') + 'live', { headers: { authorization: 'Bearer nope' } });
    ws.on('unexpected-response', (_req, res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += String(c)));
      res.on('end', () => resolve(`${res.statusCode} ${text}`));
    });
    ws.on('open', () => reject(new Error('the feed opened with a wrong token')));
    ws.on('error', () => {});
  });
  t.match(body, /^401 the token sent \(Authorization: Bearer …\) is not this scheduler's token/);
});

t.test('token: a login form once, then an HttpOnly SameSite cookie; constant-time checks', async (t) => {
  const token = 's3cret-token';
  const d = await start(t, new MemorySource(), { token });
  const front = await get(d.url);
  t.equal(front.status, 200, 'a page the browser shows (a 401 is a console error in Chromium)');
  const form = await front.text();
  t.match(form, /<form method="post" action="login">/, 'the front page is the login form');
  // It named GLUON_TOKEN alone, and an operator whose scheduler reads --token-file looked for a
  // variable that was never set (the operator trial).
  t.match(form, /requires its token: the one it was started with \(<code>--token-file<\/code>, <code>GLUON_TOKEN<\/code> or <code>--token<\/code>\)/, 'the form names every way the scheduler takes its token');
  t.notMatch(form, /uPlot/);
  t.equal((await get(`${d.url}api/state`)).status, 401);
  await t.rejects(live(d.url), /HTTP 401/, 'the live feed refuses without the cookie');
  t.equal((await get(`${d.url}assets/dashboard.css`)).status, 200, 'static assets need no login (the form uses the stylesheet)');

  const post = (body: string) => get(`${d.url}login`, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  const wrong = await post('token=nope');
  t.equal(wrong.status, 200, 'the form again, a page to show');
  t.match(await wrong.text(), /Wrong token/);
  t.equal(wrong.headers.get('set-cookie'), null);
  t.equal((await post('token=' + 'x'.repeat(5000))).status, 413, 'an oversized form is refused');

  const ok = await post(`token=${encodeURIComponent(token)}`);
  t.equal(ok.status, 303);
  t.equal(ok.headers.get('location'), './');
  const [setCookie, device] = ok.headers.getSetCookie();
  t.match(setCookie, /^gluon_dashboard_\d+=[\w-]+; HttpOnly; SameSite=Strict; Max-Age=28800$/, 'a session of 8 h by default');
  t.match(device, /^gluon_device_\d+=[\w-]+\.[\w-]+; HttpOnly; SameSite=Strict; Max-Age=2592000$/, 'and the browser known for 30 days (its logins throttled on their own)');
  t.notMatch(device, new RegExp(token));
  t.notMatch(setCookie, new RegExp(token), 'the cookie is not the token itself');
  const cookie = setCookie.split(';')[0]!;
  t.equal((await get(d.url, { headers: { cookie } })).status, 200);
  t.equal((await get(`${d.url}api/state`, { headers: { cookie } })).status, 200);
  t.equal((await get(`${d.url}api/state`, { headers: { cookie: `gluon_dashboard_${new URL(d.url).port}=forged` } })).status, 401);
  t.equal((await get(`${d.url}api/state`, { headers: { authorization: `Bearer ${token}` } })).status, 200, 'scripts may send the token as a bearer');
  const { ws } = await live(d.url, { cookie });
  ws.close();
  const still = await get(`${d.url}login`, { method: 'PUT' });
  t.equal(still.status, 405, 'login only accepts the form POST');
  // A wrong token leaves `login` in the address bar: going there (Enter, a bookmark) is a GET,
  // which led to a plain-text 401 without a session and `not found: /login` with one.
  for (const [path, headers, who] of [['login', {}, 'no session'], ['login', { cookie }, 'a session'], ['logout', {}, 'no session'], ['logout', { cookie }, 'a session']] as const) {
    const r = await get(`${d.url}${path}`, { headers, redirect: 'manual' });
    t.equal(r.status, 303, `GET ${path} with ${who} goes to the front page`);
    t.equal(r.headers.get('location'), './');
    t.equal(r.headers.get('set-cookie'), null, 'and sets or clears nothing');
  }
  t.equal((await get(`${d.url}api/state`, { headers: { cookie } })).status, 200, 'a GET of logout does not end the session');
});

/** A raw HTTP request with the headers exactly as given (fetch may not let a test set Host). */
function raw(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string; localAddress?: string } = {}): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: opts.method ?? 'GET', headers: opts.headers ?? {}, ...(opts.localAddress ? { localAddress: opts.localAddress } : {}) }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.setTimeout(15_000, () => req.destroy(new Error('no answer within 15 s')));
    req.on('error', reject);
    req.end(opts.body);
  });
}

t.test('Host and Origin: other sites and DNS-rebinding names are refused', async (t) => {
  const d = await start(t, new MemorySource());
  const { host, port } = new URL(d.url);
  t.equal((await raw(`${d.url}api/state`)).status, 200, 'the bound address');
  t.equal((await raw(`${d.url}api/state`, { headers: { host: `localhost:${port}` } })).status, 200, 'localhost on a loopback bind');
  const rebound = await raw(`${d.url}api/state`, { headers: { host: `attacker.example:${port}` } });
  t.equal(rebound.status, 403, 'a foreign name in Host (DNS rebinding) cannot read the state');
  t.match(rebound.body, /Host "attacker\.example:\d+" is not an address of this dashboard/);
  t.notMatch(rebound.body, /"type":"state"/);
  t.equal((await raw(d.url, { headers: { host: 'attacker.example' } })).status, 403, 'nor the page');

  await t.rejects(live(d.url, { origin: 'https://evil.example' }), /HTTP 403/, 'a page on another site cannot open the live feed');
  await t.rejects(live(d.url, { origin: `http://127.0.0.1:${Number(port) + 1}` }), /HTTP 403/, 'nor a page on another port of this host');
  await t.rejects(live(d.url, { host: `attacker.example:${port}`, origin: `http://attacker.example:${port}` }), /HTTP 403/, 'nor a rebound name');
  const own = await live(d.url, { origin: `http://${host}` });
  own.ws.close();
  t.pass('the dashboard\'s own page opens the feed');

  const csrf = await raw(`${d.url}login`, { method: 'POST', headers: { origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' }, body: 'token=x' });
  t.equal(csrf.status, 403, 'a login form posted from another site is refused');
});

t.test('--allowed-host names (a reverse proxy\'s) are accepted', async (t) => {
  const d = await startDashboard(new MemorySource(), { host: '127.0.0.1', port: 0, allowedHosts: ['gluon.example.org'], feed: { intervalMs: LONG } });
  t.teardown(() => d.close());
  t.equal((await raw(`${d.url}api/state`, { headers: { host: 'gluon.example.org' } })).status, 200);
  const viaProxy = await live(d.url, { origin: 'https://gluon.example.org' });
  viaProxy.ws.close();
  t.pass('a page served by the proxy opens the feed');
});

t.test('login throttling: wrong tokens from one address soon wait, doubling, with 429 and Retry-After', async (t) => {
  const token = 'right-token';
  let now = 1_000_000;
  const d = await start(t, new MemorySource(), { token, clock: () => now });
  const post = (body: string, localAddress = '127.0.0.1') => raw(`${d.url}login`, {
    method: 'POST', body, localAddress, headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  const statuses: number[] = [];
  let lastRetry = '';
  for (let i = 0; i < 300; i++) {
    const r = await post(`token=guess-${i}`);
    statuses.push(r.status);
    if (r.status === 429) lastRetry = String(r.headers['retry-after']);
  }
  t.same(statuses.slice(0, 5), [200, 200, 200, 200, 200], 'five wrong tokens are answered (the form again)');
  t.equal(statuses.filter((s) => s === 200).length, 5, 'then none is even checked: 300 guesses bought 5 tries');
  t.equal(statuses[5], 429);
  t.equal(lastRetry, '1', 'the sixth failure costs a 1 s wait (the clock has not moved)');
  const locked = await post(`token=${token}`);
  t.equal(locked.status, 429, 'while it waits, even the right token is not checked');
  t.match(locked.body, /Too many wrong tokens from your address: try again in 1 s/);
  t.equal((await post(`token=${token}`, '127.0.0.2')).status, 303, 'another address is not affected');

  now += 1000;
  t.equal((await post('token=still-wrong')).status, 429, 'the next failure doubles the wait');
  const r2 = await post('token=again');
  t.equal(r2.headers['retry-after'], '2');
  now += 2000;
  t.equal((await post('token=x')).headers['retry-after'], '4');
  now += 4000;
  const ok = await post(`token=${token}`);
  t.equal(ok.status, 303, 'after the wait the right token logs in');
  const again = await post('token=wrong');
  t.equal(again.status, 200, 'and the address starts afresh');
  t.match(again.body, /Wrong token/);
});

t.test('sessions expire after their lifetime; logout ends one at once', async (t) => {
  const token = 'tok';
  let now = 5_000_000;
  const d = await start(t, new MemorySource(), { token, sessionTtlMs: 60_000, clock: () => now });
  const login = async () => {
    const r = await raw(`${d.url}login`, { method: 'POST', body: `token=${token}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    t.equal(r.status, 303);
    const session = ([r.headers['set-cookie'] ?? []].flat()).find((c) => c.startsWith('gluon_dashboard_')) ?? '';
    t.match(session, /Max-Age=60(;|$)/, 'the cookie says its lifetime');
    return session.split(';')[0]!;
  };
  const state = (cookie: string) => raw(`${d.url}api/state`, { headers: { cookie } }).then((r) => r.status);
  const a = await login();
  t.equal(await state(a), 200);
  now += 59_000;
  t.equal(await state(a), 200, 'still valid just before its lifetime ends');
  now += 1_000;
  t.equal(await state(a), 401, 'expired: the server no longer accepts it, whatever the browser keeps');
  await t.rejects(live(d.url, { cookie: a }), /HTTP 401/);

  const b = await login();
  const page = await raw(d.url, { headers: { cookie: b } });
  t.match(page.body, /<form class="logout" method="post" action="logout"><button type="submit">Log out<\/button><\/form>/, 'the page has a logout button');
  const out = await raw(`${d.url}logout`, { method: 'POST', headers: { cookie: b } });
  t.equal(out.status, 303);
  t.equal(out.headers.location, './');
  t.match(String(out.headers['set-cookie']), /^gluon_dashboard_\d+=; HttpOnly; SameSite=Strict; Max-Age=0/, 'the browser drops the cookie');
  t.equal(await state(b), 401, 'and the server forgets the session');
  const forged = await raw(`${d.url}logout`, { method: 'POST', headers: { cookie: b, origin: 'https://evil.example' } });
  t.equal(forged.status, 403, 'logout from another site is refused too');
  const open = await start(t, new MemorySource());
  t.notMatch((await raw(open.url)).body, /logout/, 'without a token there is nothing to log out of');
});

t.test('a browser whose session ended (expired, or from before the scheduler restarted) is told so on the login form', async (t) => {
  // Found watching a run through a proxy while the scheduler was restarted: the open page
  // reloaded to a bare login form, saying nothing of why.
  const token = 'tok';
  let now = 5_000_000;
  const ended = /Your session has ended: sessions last --dashboard-session-ttl \(8 h unless set\) and end when the scheduler stops, as it does on a restart\. Log in again\./;
  const d1 = await start(t, new MemorySource(), { token, sessionTtlMs: 60_000, clock: () => now });
  // No socket kept for the next request: on Node 20 one kept from before the restart was reused
  // after the old dashboard closed it (ECONNRESET).
  const ask = (url: string, cookie?: string) => raw(url, { headers: { connection: 'close', ...(cookie ? { cookie } : {}) } });
  const login = async (d: Dashboard) => {
    const r = await raw(`${d.url}login`, { method: 'POST', body: `token=${token}`, headers: { connection: 'close', 'content-type': 'application/x-www-form-urlencoded' } });
    return ([r.headers['set-cookie'] ?? []].flat()).find((c) => c.startsWith('gluon_dashboard_'))!.split(';')[0]!;
  };
  const cookie = await login(d1);
  t.notMatch((await ask(d1.url)).body, ended, 'a browser that never logged in gets the plain form');
  t.notMatch((await ask(d1.url, cookie)).body, /<form method="post" action="login">/, 'a live session gets the page');
  now += 60_000;
  const expired = await ask(d1.url, cookie);
  t.equal(expired.status, 200);
  t.match(expired.body, ended, 'an expired session: the form says why it is back');
  t.match((await ask(`${d1.url}worker?id=w1`, cookie)).body, ended, 'a worker page too');
  t.equal((await ask(`${d1.url}api/state`, cookie)).status, 401, 'the data still answers 401');
  // A restarted scheduler's dashboard on the same port: any session from before is unknown to it.
  const port = Number(new URL(d1.url).port);
  await d1.close();
  const d2 = await start(t, new MemorySource(), { token, port });
  const restarted = await ask(d2.url, cookie);
  t.match(restarted.body, ended, 'a session from before the restart: the form says why');
  t.notMatch((await ask(d2.url, `gluon_dashboard_${port + 1}=x`)).body, ended, 'another dashboard\'s cookie is not ours');
});

t.test('live feed: a full state first, then deltas of what changed', async (t) => {
  const source = new MemorySource();
  const d = await start(t, source);
  t.equal(source.subscribers, 2, 'the dashboard subscribes once for the live feed and once for /metrics, not per browser');
  source.emit({ kind: 'publish', topic: 'h', value: { lo: 0, hi: 2, groups: { a: { values: new Float64Array([1, 2]) } } }, time: 1 });
  const { ws, next } = await live(d.url);
  t.teardown(() => ws.close());
  await waitFor(() => d.feed.viewerCount === 1);
  d.feed.tick(Date.now());
  const first = await next();
  t.equal(first.type, 'state');
  t.same(first.topics.h.value.groups.a.values, [1, 2], 'typed arrays arrive as arrays');
  source.emit({ kind: 'task-state', group: 'inc', from: 'released', to: 'waiting' });
  source.emit({ kind: 'task-done', key: 'inc-1', group: 'inc', worker: 'w', thread: 0, start: 1, stop: 2, events: 7 });
  d.feed.tick(Date.now());
  const delta = await next();
  t.equal(delta.type, 'delta');
  t.same(delta.groups.map((g: any) => [g.group, g.counts.waiting, g.done, g.total]), [['inc', 1, 0, 1]]);
  t.same(delta.stream, [['w', 0, 'inc', 1, 2, 0, 'inc-1', 0, '']]);
  t.same(delta.topics, {}, 'unchanged topics are not resent');
  ws.send('ignored: the feed is read-only');
  d.feed.tick(Date.now());
  t.equal((await next()).type, 'delta');
  await d.close();
  t.equal(source.subscribers, 0, 'closing unsubscribes');
});

t.test('random frames on the live feed close only that feed (4003; 1009 over 4 KiB, 1007 for text that is not UTF-8); the dashboard keeps serving', async (t) => {
  const source = new MemorySource();
  const d = await start(t, source);
  // A seeded generator (mulberry32): the same 120 frames every run.
  let seed = 20261202;
  const random = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  const codes = new Map<string, number>();
  for (let i = 0; i < 120; i++) {
    const size = random() < 0.2 ? 4097 + Math.floor(random() * 8192) : 1 + Math.floor(random() * 4096);
    const bytes = Buffer.from(Array.from({ length: size }, () => Math.floor(random() * 256)));
    const { ws } = await live(d.url);
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    ws.on('error', () => {});
    const binary = random() < 0.5;
    ws.send(bytes, { binary });
    const code = await closed;
    // Over the feed's 4 KiB: 1009; a text frame that is not UTF-8: 1007 (ws checks); else 4003.
    const expected = size > 4096 ? 1009 : !binary && !isUtf8(bytes) ? 1007 : 4003;
    if (code !== expected) t.fail(`frame ${i} (${size} bytes) closed with ${code}, expected ${expected}`);
    codes.set(String(code), (codes.get(String(code)) ?? 0) + 1);
  }
  t.pass(`every frame closed its own feed: ${[...codes].map(([c, n]) => `${n}× ${c}`).join(', ')}`);
  const fresh = await live(d.url);
  t.teardown(() => fresh.ws.close());
  await waitFor(() => d.feed.viewerCount === 1);
  d.feed.tick(Date.now());
  t.equal((await fresh.next()).type, 'state', 'a new feed gets its state (the closed ones left no viewer behind)');
  const page = await fetch(d.url);
  t.equal(page.status, 200, 'the page is still served');
  await page.arrayBuffer();
});

t.test('a browser that does not read costs at most the buffer bound, then gets a fresh state', async (t) => {
  const source = new MemorySource();
  const maxBufferedBytes = 64 * 1024;
  const d = await start(t, source, { feed: { maxBufferedBytes } });
  const sock = await pausedViewer(t, d.url);
  await waitFor(() => d.feed.viewerCount === 1);
  const big = 'x'.repeat(256 * 1024);
  let maxBuffered = 0;
  for (let i = 0; i < 400 && d.feed.skipped < 3; i++) {
    source.emit({ kind: 'publish', topic: 'big', value: `${i}${big}`, time: i });
    d.feed.tick(Date.now());
    maxBuffered = Math.max(maxBuffered, d.feed.bufferedBytes());
    await new Promise((r) => setImmediate(r));
  }
  t.ok(d.feed.skipped >= 3, `pushes were skipped for the slow reader (${d.feed.skipped})`);
  t.ok(maxBuffered <= maxBufferedBytes + 2 * (big.length + 1024), `the server never held more than the bound plus one message (${maxBuffered} bytes)`);
  // Reading again: the reader catches up with a full state, not the deltas it missed.
  let received = '';
  const states = () => received.split('"type":"state"').length - 1;
  sock.on('data', (c: Buffer) => {
    received += c.toString('latin1');
  });
  sock.resume();
  for (let i = 0; i < 6000 && states() < 2; i++) {
    await new Promise((r) => setTimeout(r, 20));
    d.feed.tick(Date.now());
  }
  t.equal(states(), 2, 'a fresh full state follows once the reader drains');
});

t.test('a browser that stays unread for maxSkippedPushes pushes in a row is dropped with 4010; the others go on', async (t) => {
  const source = new MemorySource();
  const maxBufferedBytes = 64 * 1024;
  const d = await start(t, source, { feed: { maxBufferedBytes, maxSkippedPushes: 5 } });
  const sock = await pausedViewer(t, d.url);
  const reader = await live(d.url);
  t.teardown(() => reader.ws.close());
  await until(() => d.feed.viewerCount === 2, 'both browsers are watching');
  const big = 'x'.repeat(256 * 1024);
  // Bounded: far more pushes than the limit, each more than the unread one's buffer bound.
  for (let i = 0; i < 400 && d.feed.dropped === 0; i++) {
    source.emit({ kind: 'publish', topic: 'big', value: `${i}${big}`, time: i });
    d.feed.tick(Date.now());
    await new Promise((r) => setImmediate(r));
  }
  t.equal(d.feed.dropped, 1, 'the browser that does not read is dropped');
  t.equal(d.feed.viewerCount, 1, 'the one that reads is still watched');
  const closed = new Promise<void>((r) => sock.once('close', () => r()));
  sock.resume();
  await closed;
  t.pass('its socket is let go');
  source.emit({ kind: 'publish', topic: 'small', value: 'after', time: 1000 });
  d.feed.tick(Date.now());
  t.ok(d.feed.viewerCount === 1 && reader.ws.readyState === 1, 'the reader is still served');
});

/** A raw client of the live feed that completes the handshake and then stops reading. */
async function pausedViewer(t: Test, dashboardUrl: string): Promise<net.Socket> {
  const url = new URL(dashboardUrl);
  const sock = net.connect(Number(url.port), url.hostname);
  t.teardown(() => sock.destroy());
  await new Promise<void>((r) => sock.once('connect', () => r()));
  sock.write(`GET /live HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  await new Promise<void>((r) => sock.once('data', () => r()));
  sock.pause();
  return sock;
}

/** Resolves once `cond()` holds; bounded generously (5 s can pass unnoticed on a loaded 2-core machine). */
async function waitFor(cond: () => boolean, ms = 120_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`condition not met in ${ms} ms: ${cond}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

t.test('the real scheduler serves it with its token and feeds it its events', async (t) => {
  const { startScheduler } = await import('@gluon/scheduler');
  const token = 'tok-' + Math.random().toString(36).slice(2);
  const s = await startScheduler({ host: '127.0.0.1', port: 0, dashboardPort: 0, token });
  t.teardown(() => s.close());
  t.ok(s.dashboardUrl, 'the scheduler started its dashboard');
  const url = s.dashboardUrl!;
  t.equal((await get(`${url}api/state`)).status, 401, 'the scheduler token protects it');
  const res = await get(`${url}api/state`, { headers: { authorization: `Bearer ${token}` } });
  t.equal(res.status, 200);
  const state = (await res.json()) as { scheduler: string; workers: unknown[] };
  t.equal(state.scheduler, s.address, 'the state names the scheduler');
  t.same(state.workers, []);
});

t.test('LoginThrottle: bounded memory, forgets quiet addresses, caps the wait', async (t) => {
  const { LoginThrottle } = await import('../../src/dashboard/throttle.js');
  const th = new LoginThrottle({ freeAttempts: 1, baseDelayMs: 1000, maxDelayMs: 8000, forgetAfterMs: 60_000, maxClients: 100 });
  for (let i = 0; i < 1000; i++) th.failed(`10.0.${i >> 8}.${i & 255}`, 0);
  t.equal(th.size, 100, 'a flood of addresses keeps at most maxClients');
  t.equal(th.failed('a', 0), 0, 'the free attempt');
  const waits = [1, 2, 3, 4, 5, 6].map(() => th.failed('a', 0));
  t.same(waits, [1000, 2000, 4000, 8000, 8000, 8000], 'doubling up to the cap');
  t.equal(th.wait('a', 7999), 1);
  t.equal(th.wait('a', 8000 + 60_001), 0, 'forgotten after a quiet spell');
  t.equal(th.failed('a', 8000 + 60_001), 0, 'and starts afresh');
});
