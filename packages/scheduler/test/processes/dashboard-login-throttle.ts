/**
 * The dashboard's login throttle when one address stands for many browsers (a proxy it was not
 * told of, a NAT), trusted proxies given as ranges, and the per-credential slowdown. The
 * per-address rules themselves: ../servers/dashboard-server.ts and ../dashboard-proxy.test.ts.
 */
import http from 'node:http';
import { spawnSync } from 'node:child_process';
import t from 'tap';
import { startDashboard } from '../../src/dashboard/server.js';
import { trustedProxies } from '../../src/dashboard/client-address.js';
import { LoginSlowdown } from '../../src/dashboard/throttle.js';
import { MemorySource } from '../fixtures/memory-source.js';
import { startPlainProxy } from '../fixtures/plain-proxy.js';
import { CLI } from '../scheduler-proc.js';

const LONG = 3_600_000; // push timer that never fires on its own

/** Posts a token to `url`'s login form from local address `from`, with `cookie`; resolves with the status and the cookies set. */
function login(url: string, token: string, from: string, cookie?: string, headers: Record<string, string> = {}): Promise<{ status: number; cookies: string[] }> {
  return new Promise((resolve, reject) => {
    const body = `token=${encodeURIComponent(token)}`;
    const req = http.request(`${url}login`, {
      method: 'POST', localAddress: from,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(body.length), ...(cookie ? { cookie } : {}), ...headers },
    }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, cookies: (res.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]!) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

t.test('one address for every browser: a guesser there does not lock out a browser that logged in before', async (t) => {
  // Every browser behind a proxy the dashboard was not told of reaches it from one address: six
  // wrong tokens from anyone there, and nobody could log in for up to 5 minutes.
  const token = 'nat-token';
  const d = await startDashboard(new MemorySource(), { host: '127.0.0.1', port: 0, token, feed: { intervalMs: LONG } });
  t.teardown(() => d.close());
  const first = await login(d.url, token, '127.0.0.1');
  t.equal(first.status, 303, 'a browser logs in');
  const device = first.cookies.find((c) => c.startsWith('gluon_device_'));
  t.ok(device, `and is given a device cookie with its session (${first.cookies.map((c) => c.split('=')[0]).join(', ')})`);
  const guesses: number[] = [];
  for (let i = 0; i < 6; i++) guesses.push((await login(d.url, 'wrong', '127.0.0.1')).status);
  t.same(guesses, [200, 200, 200, 200, 200, 429], 'someone at the same address guesses and is throttled');
  const back = await login(d.url, token, '127.0.0.1', device);
  t.equal(back.status, 303, 'the browser that logged in before logs in again (its session ended, say)');
  t.ok(back.cookies.some((c) => c === device), 'keeping its device cookie');
  t.equal((await login(d.url, token, '127.0.0.1')).status, 429, 'a browser never seen there waits with the guesser: they look alike');
  // A forged device cookie is no device cookie.
  const [name, value] = device!.split('=');
  const forged = `${name}=${value!.split('.')[0]}.${'A'.repeat(22)}`;
  t.equal((await login(d.url, 'wrong', '127.0.0.1', forged)).status, 429, 'a forged one is throttled with its address');
  // Its own wrong tokens throttle the known browser alone.
  const own: number[] = [];
  for (let i = 0; i < 6; i++) own.push((await login(d.url, 'wrong', '127.0.0.1', device)).status);
  t.same(own, [200, 200, 200, 200, 200, 429], 'a known browser guessing is throttled too, under itself');
});

t.test('--dashboard-trusted-proxy takes ranges: browsers behind a proxy in the range are told apart', async (t) => {
  const token = 'range-token';
  const d = await startDashboard(new MemorySource(), { host: '127.0.0.1', port: 0, token, trustedProxies: ['127.0.0.0/31', 'fd00::/8'], feed: { intervalMs: LONG } });
  t.teardown(() => d.close());
  const proxy = await startPlainProxy(new URL(d.url).origin, { upgrade: 'pass', host: 'rewrite', forwardedFor: true });
  t.teardown(() => proxy.close());
  const via = `${proxy.origin}/`;
  const statuses: number[] = [];
  for (let i = 0; i < 6; i++) statuses.push((await login(via, 'wrong', '127.0.0.2')).status);
  t.same(statuses, [200, 200, 200, 200, 200, 429], 'the guessing browser (127.0.0.2) is throttled');
  t.equal((await login(via, token, '127.0.0.3')).status, 303, 'another browser behind the proxy (127.0.0.1, in 127.0.0.0/31) logs in');
});

t.test('trusted proxy entries: addresses and CIDR ranges of both families; anything else refused naming it', async (t) => {
  const p = trustedProxies(['10.0.0.0/8', 'fd00::/8', '192.168.1.1', '::ffff:172.16.0.0/124']);
  t.same(['10.2.3.4', '11.0.0.1', 'fd00::1', 'fe80::1', '192.168.1.1', '192.168.1.2', '172.16.0.9', 'unknown', ''].map((a) => p.has(a)),
    [true, false, true, false, true, false, true, false, false]);
  const bad: Array<[string, RegExp]> = [
    ['10.0.0.0/33', /^--dashboard-trusted-proxy "10\.0\.0\.0\/33": the prefix length of an IPv4 range must be a whole number from 0 to 32, got "33"$/],
    ['fd00::/129', /IPv6 range must be a whole number from 0 to 128, got "129"/],
    ['10.0.0.0/', /got ""/],
    ['10.0.0.0/x', /got "x"/],
    ['10.0.0.0/8/8', /"10\.0\.0\.0\/8\/8" is not an IP address or range/],
    ['proxy.example', /"proxy\.example" is not an IP address or range \(give the proxy's address as the dashboard sees it, e\.g\. 127\.0\.0\.1, or a range in CIDR notation/],
  ];
  for (const [entry, why] of bad) t.throws(() => trustedProxies(['127.0.0.1', entry]), { message: why }, entry);
  // The CLI refuses it at start, exit 2, naming the entry.
  const r = spawnSync(process.execPath, [CLI, '--port', '0', '--dashboard-port', '0', '--dashboard-trusted-proxy', '127.0.0.1', '--dashboard-trusted-proxy', '10.0.0.0/33'], { encoding: 'utf8', timeout: 60_000 });
  t.equal(r.status, 2, 'exit 2');
  t.match(r.stderr, /gluon-scheduler: --dashboard-trusted-proxy "10\.0\.0\.0\/33": the prefix length of an IPv4 range must be a whole number from 0 to 32/);
});

t.test('LoginSlowdown: past its capacity, attempts are spaced, not refused, up to the longest wait; it drains', async (t) => {
  const s = new LoginSlowdown({ capacity: 3, drainMs: 1000, spacingMs: 100, maxWaitMs: 250 });
  t.equal(s.admit(0), 0, 'no failures: at once');
  for (let i = 0; i < 3; i++) s.failed(0);
  t.same([0, 0, 0, 0, 0].map(() => s.admit(0)), [0, 100, 200, { retryAfterMs: 50 }, { retryAfterMs: 50 }], 'spaced 100 ms apart; past 250 ms of waiting, told when to come back');
  t.equal(s.admit(300), 0, 'the next slot reached');
  t.ok(s.failures(1000) < 3, 'it drains (one a second here)');
  t.equal(s.admit(1000), 0, 'below capacity: at once again');
});

t.test('many addresses guessing together are slowed to one attempt per spacing; the right token still gets in', async (t) => {
  const token = 'slow-token';
  const d = await startDashboard(new MemorySource(), {
    host: '127.0.0.1', port: 0, token, feed: { intervalMs: LONG },
    slowdown: { capacity: 4, drainMs: LONG, spacingMs: 200, maxWaitMs: 60_000 },
  });
  t.teardown(() => d.close());
  // Five addresses, one wrong token each: no address is throttled, the credential's bucket is full.
  for (let i = 1; i < 6; i++) t.equal((await login(d.url, 'wrong', `127.0.0.${i}`)).status, 200);
  // Three more at once from three more addresses, and the right token from a ninth: each is
  // compared in its turn, one per 200 ms, none refused.
  const began = Date.now();
  const answers = await Promise.all([6, 7, 8].map((i) => login(d.url, 'wrong', `127.0.0.${i}`)).concat([login(d.url, token, '127.0.0.9')]));
  t.same(answers.map((a) => a.status), [200, 200, 200, 303], 'slowed, not refused');
  t.ok(Date.now() - began >= 3 * 200 - 50, `held in turn (${Date.now() - began} ms for four, one per 200 ms: at least 600 ms)`);
});
