/**
 * How many live feeds the dashboard serves at once. Each costs the scheduler memory (a feed that
 * does not read holds up to the feed's buffer bound of pushes until it is dropped), and there was
 * no cap: a script opening feeds in a loop grew the scheduler without bound. Past
 * `maxFeeds` (--dashboard-max-feeds, default 64) a feed is refused with 503 naming the cap and
 * what to do, over the WebSocket and the event stream alike; the pages that ask are told why
 * (api/state's Gluon-Feed-Problem), the log says so (at most once a minute), /metrics counts the
 * feeds open, the cap and the refusals, and a feed that closes makes room again. The per-feed bound (skipped past 4 MiB unsent, dropped with 4010 after
 * 30 s) is dashboard-events.test's and dashboard-feed-memory.test's.
 *
 * The cap was one total: one address could take every feed and lock everybody else out. Each
 * address (the browser's, behind a trusted proxy) may now hold `maxFeedsPerAddress`
 * (--dashboard-max-feeds-per-address, default 16); the 503 names which cap refused, /metrics
 * counts refusals by cap. Other addresses on loopback (127.0.0.2, …) stand for other machines.
 */
import http from 'node:http';
import net from 'node:net';
import t, { type Test } from 'tap';
import { startDashboard } from '../../src/dashboard/server.js';
import { DEFAULT_MAX_FEEDS, DEFAULT_MAX_FEEDS_PER_ADDRESS, feedCapReached } from '../../src/dashboard/feed.js';
import { MemorySource } from '../fixtures/memory-source.js';
import { until } from '../../../../test/helpers/until.js';

const UPGRADE = 'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n';

/**
 * Asks for a feed (`live` or `events`) on a raw socket, from `from` (a loopback address: another
 * machine, as the dashboard sees it) with `headers`; resolves with the first bytes answered and the socket.
 */
async function ask(t: Test, dashboardUrl: string, path: 'live' | 'events', from = '127.0.0.1', headers = ''): Promise<{ head: string; sock: net.Socket }> {
  const url = new URL(dashboardUrl);
  const sock = net.connect({ port: Number(url.port), host: url.hostname, localAddress: from });
  t.teardown(() => sock.destroy());
  await new Promise<void>((r) => sock.once('connect', () => r()));
  sock.write(`GET /${path} HTTP/1.1\r\nHost: ${url.host}\r\n${headers}${path === 'live' ? UPGRADE : ''}\r\n`);
  let head = '';
  await new Promise<void>((r) => {
    const on = (d: Buffer) => {
      head += d.toString('latin1');
      // An open feed needs only its status line; a refusal is read whole (its Content-Length).
      const [top, body] = head.split('\r\n\r\n');
      const length = /\r\ncontent-length: (\d+)/i.exec(top ?? '')?.[1];
      if (/^HTTP\/1\.1 (101|200)/.test(head) || (body !== undefined && length !== undefined && Buffer.byteLength(body, 'latin1') >= Number(length))) {
        sock.off('data', on);
        r();
      }
    };
    sock.on('data', on);
  });
  return { head, sock };
}

const refusalText = (open: number, max: number) => `the dashboard serves at most ${max} live feeds at once (--dashboard-max-feeds) and ${open} are open: `
  + 'close another page of this dashboard (or a script reading its feed), or start the scheduler with a higher --dashboard-max-feeds';

t.test('past maxFeeds a feed is refused with 503 naming the cap, on both transports; a closed feed makes room', async (t) => {
  const lines: string[] = [];
  const d = await startDashboard(new MemorySource(), { host: '127.0.0.1', port: 0, log: (l) => lines.push(l), maxFeeds: 3 });
  t.teardown(() => d.close());
  const open = [await ask(t, d.url, 'live'), await ask(t, d.url, 'events'), await ask(t, d.url, 'live')];
  for (const o of open) t.match(o.head, /^HTTP\/1\.1 (101 Switching Protocols|200 OK)/, 'the first three open');
  await until(() => d.feed.viewerCount === 3, 'three feeds watching');

  const ws = await ask(t, d.url, 'live');
  t.match(ws.head, /^HTTP\/1\.1 503 Service Unavailable\r\n/, 'a fourth WebSocket feed is refused');
  t.equal(ws.head.split('\r\n\r\n')[1], `${refusalText(3, 3)}\n`, 'saying why and what to do');
  const sse = await ask(t, d.url, 'events');
  t.match(sse.head, /^HTTP\/1\.1 503 Service Unavailable\r\n/, 'so is a fourth event stream');
  t.match(sse.head, /\r\nRetry-After: 5\r\n/i);
  t.equal(sse.head.split('\r\n\r\n')[1], `${refusalText(3, 3)}\n`);
  t.equal(d.feed.viewerCount, 3, 'nothing more attached');

  const state = await fetch(new URL('api/state', d.url), { method: 'HEAD' });
  t.equal(state.headers.get('gluon-feed-problem'), 'too-many-feeds', 'a page that asks why is told (it waits rather than try the other transport)');
  t.equal(lines.length, 1, `the log said it once for both refusals: ${JSON.stringify(lines)}`);
  t.match(lines[0], new RegExp(`^refused a live feed of the dashboard from 127\\.0\\.0\\.1: ${refusalText(3, 3).replace(/[()]/g, '\\$&')}$`));

  const metrics = await (await fetch(new URL('metrics', d.url))).text();
  for (const line of ['gluon_dashboard_feeds 3', 'gluon_dashboard_feeds_max 3', 'gluon_dashboard_feeds_max_per_address 16', 'gluon_dashboard_feeds_refused_total{cap="total"} 2',
    'gluon_dashboard_feeds_refused_total{cap="per-address"} 0', 'gluon_dashboard_feeds_dropped_total 0']) {
    t.match(metrics, new RegExp(`^${line}$`, 'm'), `/metrics: ${line}`);
  }

  open[0]!.sock.destroy();
  await until(() => d.feed.viewerCount === 2, 'the closed feed let go');
  const again = await ask(t, d.url, 'live');
  t.match(again.head, /^HTTP\/1\.1 101 Switching Protocols/, 'room again once a feed closed');
});

t.test('the default caps are 64 feeds, 16 from one address', async (t) => {
  t.equal(DEFAULT_MAX_FEEDS, 64);
  t.equal(DEFAULT_MAX_FEEDS_PER_ADDRESS, 16);
  const d = await startDashboard(new MemorySource(), { host: '127.0.0.1', port: 0, log: () => {} });
  t.teardown(() => d.close());
  // 16 from each of four addresses.
  for (let i = 0; i < 64; i++) t.match((await ask(t, d.url, i % 2 ? 'live' : 'events', `127.0.0.${1 + (i % 4)}`)).head, /^HTTP\/1\.1 (101|200)/);
  await until(() => d.feed.viewerCount === 64, '64 feeds watching');
  const total = await ask(t, d.url, 'live', '127.0.0.9');
  t.match(total.head, /^HTTP\/1\.1 503 /, 'the 65th is refused');
  t.match(total.head, /at most 64 live feeds at once \(--dashboard-max-feeds\)/, 'for the total cap');
  const own = await ask(t, d.url, 'live', '127.0.0.2');
  t.match(own.head, /at most 16 live feeds at once to one address \(--dashboard-max-feeds-per-address\) and 127\.0\.0\.2 holds 16/, 'from an address at its own cap, that cap is named');
});

const hereText = (address: string, open: number, max: number) => `the dashboard serves at most ${max} live feeds at once to one address (--dashboard-max-feeds-per-address) and ${address} holds ${open}: `
  + 'close another page of this dashboard there (or a script reading its feed), or start the scheduler with a higher --dashboard-max-feeds-per-address';

t.test('one address cannot take every feed: past maxFeedsPerAddress its next is refused (503 naming that cap), others still open theirs', async (t) => {
  // Before: with room left in the total, one address took every feed, and the rest were refused.
  const lines: string[] = [];
  const d = await startDashboard(new MemorySource(), { host: '127.0.0.1', port: 0, log: (l) => lines.push(l), maxFeeds: 10, maxFeedsPerAddress: 2 });
  t.teardown(() => d.close());
  const mine = [await ask(t, d.url, 'live'), await ask(t, d.url, 'events')];
  for (const o of mine) t.match(o.head, /^HTTP\/1\.1 (101 Switching Protocols|200 OK)/, 'the first two from 127.0.0.1 open');
  await until(() => d.feed.viewerCount === 2, 'two feeds watching');

  const ws = await ask(t, d.url, 'live');
  t.match(ws.head, /^HTTP\/1\.1 503 Service Unavailable\r\n/, 'its third WebSocket feed is refused');
  t.equal(ws.head.split('\r\n\r\n')[1], `${hereText('127.0.0.1', 2, 2)}\n`, 'naming the per-address cap, the address and what to do');
  const sse = await ask(t, d.url, 'events');
  t.match(sse.head, /^HTTP\/1\.1 503 Service Unavailable\r\n/, 'so is its third event stream');
  t.match(sse.head, /\r\nRetry-After: 5\r\n/i);
  t.equal(sse.head.split('\r\n\r\n')[1], `${hereText('127.0.0.1', 2, 2)}\n`);

  const other = await ask(t, d.url, 'live', '127.0.0.2');
  t.match(other.head, /^HTTP\/1\.1 101 Switching Protocols/, 'another address still opens one');
  await until(() => d.feed.viewerCount === 3, 'three feeds watching');

  const told = async (from: string) => new Promise<string | undefined>((resolve, reject) => {
    const url = new URL('api/state', d.url);
    const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: 'HEAD', localAddress: from }, (res) => {
      res.resume();
      resolve(res.headers['gluon-feed-problem'] as string | undefined);
    });
    req.on('error', reject);
    req.end();
  });
  t.equal(await told('127.0.0.1'), 'too-many-feeds-here', 'the pages of the address refused are told why (they wait on their transport)');
  t.equal(await told('127.0.0.3'), undefined, 'other addresses\' pages are not: nothing stops them');
  t.equal(lines.length, 1, `the log said it once for both refusals: ${JSON.stringify(lines)}`);
  t.match(lines[0], new RegExp(`^refused a live feed of the dashboard from 127\\.0\\.0\\.1: ${hereText('127.0.0.1', 2, 2).replace(/[().]/g, '\\$&')}$`));

  const metrics = await (await fetch(new URL('metrics', d.url))).text();
  for (const line of ['gluon_dashboard_feeds 3', 'gluon_dashboard_feeds_max 10', 'gluon_dashboard_feeds_max_per_address 2',
    'gluon_dashboard_feeds_refused_total{cap="total"} 0', 'gluon_dashboard_feeds_refused_total{cap="per-address"} 2']) {
    t.match(metrics, new RegExp(`^${line.replace(/[{}]/g, '\\$&')}$`, 'm'), `/metrics: ${line}`);
  }

  mine[0]!.sock.destroy();
  await until(() => d.feed.viewersFrom('127.0.0.1') === 1, 'its closed feed let go');
  t.match((await ask(t, d.url, 'live')).head, /^HTTP\/1\.1 101 Switching Protocols/, 'room again for it once one of its own closed');
});

t.test('behind a trusted proxy each browser counts under its own address, not the proxy\'s', async (t) => {
  const d = await startDashboard(new MemorySource(), { host: '127.0.0.1', port: 0, log: () => {}, maxFeeds: 10, maxFeedsPerAddress: 1, trustedProxies: ['127.0.0.1'] });
  t.teardown(() => d.close());
  const via = (browser: string) => `X-Forwarded-For: ${browser}\r\n`;
  t.match((await ask(t, d.url, 'live', '127.0.0.1', via('10.0.0.5'))).head, /^HTTP\/1\.1 101 /, 'a browser behind the proxy');
  t.match((await ask(t, d.url, 'live', '127.0.0.1', via('10.0.0.6'))).head, /^HTTP\/1\.1 101 /, 'another behind the same proxy');
  const again = await ask(t, d.url, 'events', '127.0.0.1', via('10.0.0.5'));
  t.match(again.head, /^HTTP\/1\.1 503 /, 'the first one\'s second feed is refused');
  t.match(again.head, /and 10\.0\.0\.5 holds 1:/, 'named by its own address');
});

t.test('feedCapReached: the address\'s own cap first, then the total', async (t) => {
  const caps = { total: 4, perAddress: 2 };
  t.equal(feedCapReached(0, 0, caps), null);
  t.equal(feedCapReached(3, 1, caps), null, 'room in both');
  t.equal(feedCapReached(3, 2, caps), 'per-address');
  t.equal(feedCapReached(4, 1, caps), 'total');
  t.equal(feedCapReached(4, 2, caps), 'per-address', 'both reached: its own is what it can act on');
});

t.test('a feed cap that is not a whole number from 1 fails the start, naming the option', async (t) => {
  for (const bad of [0, -1, 1.5, Number.NaN]) {
    await t.rejects(startDashboard(new MemorySource(), { host: '127.0.0.1', port: 0, log: () => {}, maxFeedsPerAddress: bad }),
      { message: `dashboard: maxFeedsPerAddress must be a whole number from 1, got ${String(bad)}` });
  }
  await t.rejects(startDashboard(new MemorySource(), { host: '127.0.0.1', port: 0, log: () => {}, maxFeeds: 0 }), { message: 'dashboard: maxFeeds must be a whole number from 1, got 0' });
});
