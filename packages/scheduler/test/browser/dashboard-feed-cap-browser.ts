/**
 * A page opened while every live feed the dashboard serves (--dashboard-max-feeds) is taken: its
 * badge says why instead of a bare "disconnected", it does not fall back to the event stream (which
 * would be refused too, and leave it on Server-Sent Events for no reason), and it takes a feed as
 * soon as one closes. Real chromium on a dashboard over a MemorySource.
 */
import net from 'node:net';
import t from 'tap';
import { chromiumSkip, launch } from '../fixtures/browser.js';
import { MemorySource } from '../fixtures/memory-source.js';
import { startDashboard } from '../../src/dashboard/server.js';

t.test('a page finding every feed taken says so, waits on its WebSocket, and joins once one closes', { skip: chromiumSkip() }, async (t) => {
  const d = await startDashboard(new MemorySource({ workers: [] }), { host: '127.0.0.1', port: 0, log: () => {}, maxFeeds: 1, feed: { intervalMs: 100 } });
  t.teardown(() => d.close());
  // The one feed it serves, taken by a script (a raw event stream).
  const url = new URL(d.url);
  const taken = net.connect(Number(url.port), url.hostname);
  t.teardown(() => taken.destroy());
  taken.write(`GET /events HTTP/1.1\r\nHost: ${url.host}\r\n\r\n`);
  await new Promise<void>((r) => taken.once('data', () => r()));

  const browser = await launch(t);
  const page = browser.pages()[0] ?? (await browser.newPage());
  await page.goto(d.url);
  await page.waitForFunction(() => /every live feed the dashboard serves is taken/.test(document.getElementById('conn')!.textContent ?? ''), undefined, { timeout: 60_000 });
  const conn = await page.evaluate(() => { const c = document.getElementById('conn')!; return { text: c.textContent, title: c.title, cls: c.className }; });
  t.match(conn.text, /^disconnected, every live feed the dashboard serves is taken \(--dashboard-max-feeds\): close another page of it · retrying…$/);
  t.match(conn.title, /the scheduler's --dashboard-max-feeds, default 64/);
  t.equal(conn.cls, 'conn down');

  taken.destroy();
  await page.waitForSelector('#conn.up', { timeout: 60_000 });
  t.equal(await page.evaluate(() => document.getElementById('conn')!.dataset.transport), 'websocket', 'its feed is the WebSocket, not the event stream');
  t.equal(d.feed.viewerCount, 1);
});
