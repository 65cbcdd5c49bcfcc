/**
 * The live feed over Server-Sent Events (`events`), the page's fallback when its WebSocket upgrade
 * never arrives: behind a proxy that strips upgrades (nginx without the `Upgrade` lines) or one
 * that does not do WebSockets. Before, such a page said "disconnected … retrying…" forever and
 * showed no figure at all. Checked through a real proxy that strips upgrades
 * (fixtures/plain-proxy.ts), with the same login, Host/Origin checks, sub-path and buffer bound
 * as the WebSocket feed, and in chromium against a real LocalCluster: the page shows what the
 * client computed.
 */
import http from 'node:http';
import net from 'node:net';
import t, { type Test } from 'tap';
import { LocalCluster } from '@gluon/client';
import { startDashboard } from '../src/dashboard/server.js';
import { MemorySource } from './fixtures/memory-source.js';
import { startPlainProxy } from './fixtures/plain-proxy.js';
import { nginxSkip, startNginx } from './fixtures/nginx.js';
import { chromiumSkip, launch } from './fixtures/browser.js';
import { CLUSTER, fx } from './fixtures/dashboard-run.js';
import { until } from '../../../test/helpers/until.js';

const LONG = 3_600_000; // push timer that never fires on its own
const TOKEN = 'events-test-token';

/** An open event stream: its status and headers, and its messages as they arrive. */
interface Stream { status: number; headers: http.IncomingHttpHeaders; body: string; next(): Promise<{ event: string; data: string }>; close(): void }

function openStream(t: Test, url: string, headers: Record<string, string>): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      res.setEncoding('utf8');
      let buf = '';
      const queue: Array<{ event: string; data: string }> = [];
      const waiting: Array<(m: { event: string; data: string }) => void> = [];
      const s: Stream = {
        status: res.statusCode ?? 0, headers: res.headers, body: '',
        next: () => new Promise((r) => { const m = queue.shift(); if (m) r(m); else waiting.push(r); }),
        close: () => req.destroy(),
      };
      res.on('data', (d: string) => {
        buf += d;
        s.body += d;
        let end;
        while ((end = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, end);
          buf = buf.slice(end + 2);
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
          }
          if (!data.length) continue; // a comment
          const m = { event, data: data.join('\n') };
          const w = waiting.shift();
          if (w) w(m); else queue.push(m);
        }
      });
      res.on('error', () => {});
      resolve(s);
    });
    req.on('error', reject);
    t.teardown(() => req.destroy());
  });
}

t.test('through a proxy that strips upgrades: the same state and deltas over plain HTTP, behind the same login and origin checks', async (t) => {
  const source = new MemorySource();
  const d = await startDashboard(source, { host: '127.0.0.1', port: 0, prefix: '/gluon', token: TOKEN, log: () => {}, feed: { intervalMs: LONG } });
  t.teardown(() => d.close());
  const proxy = await startPlainProxy(new URL(d.url).origin, { upgrade: 'strip', host: 'keep' });
  t.teardown(() => proxy.close());
  const url = `${proxy.origin}/gluon/events`;
  const auth = { authorization: `Bearer ${TOKEN}` };

  const refused = await openStream(t, url, {});
  t.equal(refused.status, 401, 'no session, no feed');
  const foreign = await openStream(t, url, { ...auth, origin: 'http://elsewhere.example' });
  t.equal(foreign.status, 403, 'another site\'s page is refused, as for the WebSocket feed');
  const head = await fetch(url, { method: 'HEAD', headers: auth });
  t.equal(head.status, 200);

  source.emit({ kind: 'publish', topic: 'result/m4l', value: { n: 7 }, time: 1 });
  const s = await openStream(t, url, auth);
  t.equal(s.status, 200);
  t.match(s.headers['content-type'], /^text\/event-stream/);
  t.equal(s.headers['x-accel-buffering'], 'no', 'nginx is told not to buffer it');
  await until(() => d.feed.viewerCount === 1, 'the stream is a viewer of the feed');
  d.feed.tick(Date.now());
  const first = await s.next();
  const state = JSON.parse(first.data) as { type: string; topics: Record<string, { value: unknown }> };
  t.equal(state.type, 'state', 'first a full state');
  const snapshot = JSON.parse(await (await fetch(`${proxy.origin}/gluon/api/state`, { headers: auth })).text()) as { topics: unknown; workers: unknown; groups: unknown };
  t.same(state.topics, snapshot.topics, 'the same topics as api/state');
  t.same([(state as unknown as typeof snapshot).workers, (state as unknown as typeof snapshot).groups], [snapshot.workers, snapshot.groups], 'the same workers and groups');
  source.emit({ kind: 'publish', topic: 'result/m4l', value: { n: 8 }, time: 2 });
  d.feed.tick(Date.now());
  const delta = JSON.parse((await s.next()).data) as { type: string; topics: Record<string, { value: unknown }> };
  t.equal(delta.type, 'delta', 'then deltas');
  t.same(delta.topics['result/m4l']?.value, { n: 8 });
  s.close();
  await until(() => d.feed.viewerCount === 0, 'a closed stream is no viewer any more');
});

/** A raw client of the event stream that reads its headers and then stops reading. */
async function pausedStream(t: Test, dashboardUrl: string): Promise<net.Socket> {
  const url = new URL(dashboardUrl);
  const sock = net.connect(Number(url.port), url.hostname);
  t.teardown(() => sock.destroy());
  await new Promise<void>((r) => sock.once('connect', () => r()));
  sock.write(`GET /events HTTP/1.1\r\nHost: ${url.host}\r\nAccept: text/event-stream\r\n\r\n`);
  await new Promise<void>((r) => sock.once('data', () => r()));
  sock.pause();
  return sock;
}

t.test('a stream that is not read costs at most the buffer bound, then is dropped saying why', async (t) => {
  const source = new MemorySource();
  const maxBufferedBytes = 64 * 1024;
  const d = await startDashboard(source, { host: '127.0.0.1', port: 0, log: () => {}, feed: { intervalMs: LONG, maxBufferedBytes, maxSkippedPushes: 5 } });
  t.teardown(() => d.close());
  const sock = await pausedStream(t, d.url);
  await until(() => d.feed.viewerCount === 1, 'the stream is a viewer');
  const big = 'x'.repeat(256 * 1024);
  let maxBuffered = 0;
  // Bounded: far more pushes than the limit, each more than the bound.
  for (let i = 0; i < 400 && d.feed.dropped === 0; i++) {
    source.emit({ kind: 'publish', topic: 'big', value: `${i}${big}`, time: i });
    d.feed.tick(Date.now());
    maxBuffered = Math.max(maxBuffered, d.feed.bufferedBytes());
    await new Promise((r) => setImmediate(r));
  }
  t.ok(d.feed.skipped >= 5, `pushes were skipped for the stream that does not read (${d.feed.skipped})`);
  t.ok(maxBuffered <= maxBufferedBytes + 2 * (big.length + 1024), `the server never held more than the bound plus one message (${maxBuffered} bytes)`);
  t.equal(d.feed.dropped, 1, 'then it is dropped');
  t.equal(d.feed.viewerCount, 0);
  let received = '';
  sock.on('data', (c: Buffer) => { received += c.toString('latin1'); });
  const closed = new Promise<void>((r) => sock.once('close', () => r()));
  sock.resume();
  await closed;
  t.match(received, /event: close\ndata: \{"code":4010,"reason":"not reading: 5 pushes in a row skipped/, 'told why, as a WebSocket\'s close code');
});

const skip = chromiumSkip();

t.test('the page behind a proxy that strips upgrades goes live over SSE, says so, and shows what the client computed', { skip }, async (t) => {
  const cluster = await LocalCluster.start({ nWorkers: 1, nthreads: 2, ...CLUSTER });
  t.teardown(() => cluster.close());
  const proxy = await startPlainProxy(new URL(cluster.dashboardUrl!).origin, { upgrade: 'strip', host: 'keep' });
  t.teardown(() => proxy.close());
  const browser = await launch(t);
  const page = browser.pages()[0] ?? (await browser.newPage());
  await page.goto(`${proxy.origin}/`);
  await page.waitForSelector('#conn.up', { timeout: 60_000 });
  t.equal(await page.textContent('#conn'), 'live · SSE', 'the badge says the feed is live, over SSE');
  t.equal(await page.getAttribute('#conn', 'data-transport'), 'sse');
  t.match(await page.getAttribute('#conn', 'title'), /Server-Sent Events \(plain HTTP\): the WebSocket upgrade did not get through.*proxy_set_header Upgrade \$http_upgrade/);

  const client = await cluster.client();
  const N = 60;
  const values = await client.gather(client.map(fx.work, Array.from({ length: N }, (_, i) => i)));
  const total = values.reduce((a: number, b: number) => a + b, 0);
  t.equal(total, (N * (N + 1)) / 2, 'the client computed the sum');
  client.publish('client/total', { note: `sum computed by the client: ${total}` });
  await page.waitForFunction((n) => document.querySelector('tr[data-group="work"] td.n-of-n')?.textContent === `${n}/${n}`, N, { timeout: 60_000 });
  t.equal(await page.textContent('tr[data-group="work"] td.n-of-n'), `${N}/${N}`, 'the page counts the tasks the client ran');
  await page.waitForSelector('.result[data-topic="client/total"]', { timeout: 60_000 });
  t.match(await page.textContent('.result[data-topic="client/total"]'), `sum computed by the client: ${total}`, 'and shows the value the client published');
  t.match(await page.textContent('#totals'), /^1 worker · /, 'and the one worker');
  t.equal(await page.textContent('#conn'), 'live · SSE', 'still live over SSE');
});

t.test('through nginx without the upgrade lines and with its default buffering: the stream arrives as it is sent', { skip: nginxSkip() }, async (t) => {
  const source = new MemorySource();
  const d = await startDashboard(source, { host: '127.0.0.1', port: 0, prefix: '/gluon', token: TOKEN, log: () => {}, feed: { intervalMs: LONG } });
  t.teardown(() => d.close());
  // As a first setup often is: no proxy_http_version 1.1, no Upgrade/Connection lines (so
  // upgrades are stripped) and nginx's default proxy_buffering on.
  const { origin } = await startNginx(t, `      proxy_pass ${new URL(d.url).origin};\n      proxy_set_header Host $http_host;`);
  const auth = { authorization: `Bearer ${TOKEN}` };
  const page = await fetch(`${origin}/gluon/`, { headers: auth });
  t.equal(page.status, 200, 'the page through nginx');
  await page.arrayBuffer();
  const s = await openStream(t, `${origin}/gluon/events`, auth);
  t.equal(s.status, 200);
  await until(() => d.feed.viewerCount === 1, 'the stream through nginx is a viewer');
  d.feed.tick(Date.now());
  t.equal(JSON.parse((await s.next()).data).type, 'state', 'the state arrives through nginx');
  // Each small delta arrives on its own: nginx's buffers (4-8 KiB) would otherwise hold them
  // until full, leaving the page without figures.
  for (let i = 1; i <= 3; i++) {
    source.emit({ kind: 'publish', topic: 'n', value: i, time: i });
    d.feed.tick(Date.now());
    const delta = JSON.parse((await s.next()).data) as { type: string; topics: Record<string, { value: unknown }> };
    t.same([delta.type, delta.topics.n?.value], ['delta', i], `delta ${i} arrives before the next is sent`);
  }
});

t.test('behind a proxy that does no WebSockets at all (it answers the upgrade itself), the page goes live over SSE too', { skip }, async (t) => {
  const source = new MemorySource();
  const d = await startDashboard(source, { host: '127.0.0.1', port: 0, prefix: '/gluon', log: () => {} });
  t.teardown(() => d.close());
  const proxy = await startPlainProxy(new URL(d.url).origin, { upgrade: 'refuse', host: 'keep' });
  t.teardown(() => proxy.close());
  const browser = await launch(t);
  const page = browser.pages()[0] ?? (await browser.newPage());
  await page.goto(`${proxy.origin}/gluon/`);
  await page.waitForSelector('#conn.up', { timeout: 60_000 });
  t.equal(await page.textContent('#conn'), 'live · SSE', 'no Gluon-Feed-Problem to go by: the failed upgrade alone moves it to SSE');
  source.emit({ kind: 'publish', topic: 'through/sse', value: { note: 'published after the page went live' }, time: Date.now() });
  await page.waitForSelector('.result[data-topic="through/sse"]', { timeout: 60_000 });
  t.match(await page.textContent('.result[data-topic="through/sse"]'), /published after the page went live/, 'and what is published reaches it');
});
