/**
 * How many live feeds the dashboard serves at once. Each costs the scheduler memory (a feed that
 * does not read holds up to the feed's buffer bound of pushes until it is dropped), and there was
 * no cap: a script opening feeds in a loop grew the scheduler without bound. Past
 * `maxFeeds` (--dashboard-max-feeds, default 64) a feed is refused with 503 naming the cap and
 * what to do, over the WebSocket and the event stream alike; the pages that ask are told why
 * (api/state's Gluon-Feed-Problem), the log says so (at most once a minute), /metrics counts the
 * feeds open, the cap and the refusals, and a feed that closes makes room again. The per-feed bound (skipped past 4 MiB unsent, dropped with 4010 after
 * 30 s) is dashboard-events.test's and dashboard-feed-memory.test's.
 */
import net from 'node:net';
import t, { type Test } from 'tap';
import { startDashboard } from '../src/dashboard/server.js';
import { DEFAULT_MAX_FEEDS } from '../src/dashboard/feed.js';
import { MemorySource } from './fixtures/memory-source.js';
import { until } from '../../../test/helpers/until.js';

const UPGRADE = 'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n';

/** Asks for a feed (`live` or `events`) on a raw socket; resolves with the first bytes answered and the socket. */
async function ask(t: Test, dashboardUrl: string, path: 'live' | 'events'): Promise<{ head: string; sock: net.Socket }> {
  const url = new URL(dashboardUrl);
  const sock = net.connect(Number(url.port), url.hostname);
  t.teardown(() => sock.destroy());
  await new Promise<void>((r) => sock.once('connect', () => r()));
  sock.write(`GET /${path} HTTP/1.1\r\nHost: ${url.host}\r\n${path === 'live' ? UPGRADE : ''}\r\n`);
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
  for (const line of ['gluon_dashboard_feeds 3', 'gluon_dashboard_feeds_max 3', 'gluon_dashboard_feeds_refused_total 2', 'gluon_dashboard_feeds_dropped_total 0']) {
    t.match(metrics, new RegExp(`^${line}$`, 'm'), `/metrics: ${line}`);
  }

  open[0]!.sock.destroy();
  await until(() => d.feed.viewerCount === 2, 'the closed feed let go');
  const again = await ask(t, d.url, 'live');
  t.match(again.head, /^HTTP\/1\.1 101 Switching Protocols/, 'room again once a feed closed');
});

t.test('the default cap is 64 feeds', async (t) => {
  t.equal(DEFAULT_MAX_FEEDS, 64);
  const d = await startDashboard(new MemorySource(), { host: '127.0.0.1', port: 0, log: () => {} });
  t.teardown(() => d.close());
  for (let i = 0; i < 64; i++) t.match((await ask(t, d.url, i % 2 ? 'live' : 'events')).head, /^HTTP\/1\.1 (101|200)/);
  await until(() => d.feed.viewerCount === 64, '64 feeds watching');
  t.match((await ask(t, d.url, 'live')).head, /^HTTP\/1\.1 503 /, 'the 65th is refused');
});
