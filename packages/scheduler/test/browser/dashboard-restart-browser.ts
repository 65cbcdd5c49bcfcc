/**
 * A scheduler restarted on the same address, in Debian's chromium against dashboards fed in
 * memory: the new scheduler hands its worker ids out again by registration, so an id the page
 * knew may now be another worker. The Workers table keeps its rows by id; each row must then carry
 * the new worker's name (its `data-worker` and its link's tooltip), not the old one's beside the
 * new one's figures (found by the new-user dashboard trial: after a restart, w1 and w2 came back
 * in the other order and the row `data-worker="w2"` showed w1). And what the new scheduler does not
 * hold is not shown as if it did. Skips without /usr/bin/chromium.
 */
import t from 'tap';
import { chromiumSkip, openPage } from '../fixtures/browser.js';
import { MemorySource } from '../fixtures/memory-source.js';
import { startDashboard } from '../../src/dashboard/server.js';
import type { WorkerRow } from '../../src/dashboard/source.js';

const skip = chromiumSkip();

const row = (id: string, name: string, port: number, stored: number): WorkerRow => ({
  id, name, address: `ws://127.0.0.1:${port}`, host: 'n1', nthreads: 2, cpu: 0, rss: 50e6, memoryLimit: 0,
  executing: 0, queued: 0, stored, storedBytes: stored * 8, lastSeen: Date.now(), alive: true,
});

t.test('after a restart that hands the ids out in another order, each row names the worker whose figures it shows', { skip }, async (t) => {
  const before = new MemorySource({ workers: [row('w1', 'alpha', 4001, 11), row('w2', 'beta', 4002, 22)] });
  const first = await startDashboard(before, { host: '127.0.0.1', port: 0, feed: { intervalMs: 100 } });
  const port = Number(new URL(first.url).port);
  let second: Awaited<ReturnType<typeof startDashboard>> | undefined;
  t.teardown(async () => { await first.close().catch(() => {}); await second?.close(); });
  const { page } = await openPage(t, first.url);
  await page.waitForFunction(() => document.querySelectorAll('#workers tr[data-worker].alive').length === 2, null, { timeout: 120_000 });

  // The restarted scheduler: beta registered first this time, so it is w1 now.
  await first.close();
  await page.waitForSelector('#conn.down', { timeout: 120_000 });
  const after = new MemorySource({ workers: [row('w1', 'beta', 4002, 22), row('w2', 'alpha', 4001, 11)] });
  second = await startDashboard(after, { host: '127.0.0.1', port, feed: { intervalMs: 100 } });
  await page.waitForFunction(() => document.querySelector('#workers tr.alive a.worker-link')?.getAttribute('href') === 'worker?id=w2'
    && document.querySelector('#workers tr.alive a.worker-link')?.textContent === 'alpha', null, { timeout: 60_000 });

  const rows = await page.$$eval('#workers tr.alive', (trs) => trs.map((tr) => ({
    attr: tr.getAttribute('data-worker'), shown: tr.querySelector('a.worker-link')!.textContent,
    tip: tr.querySelector('a.worker-link')!.getAttribute('title'), href: tr.querySelector('a.worker-link')!.getAttribute('href'),
    stored: tr.querySelector('td.stored')!.textContent, address: tr.children[1]!.textContent,
  })));
  t.same(rows, [
    { attr: 'alpha', shown: 'alpha', tip: 'alpha: its tasks, results, transfers and log', href: 'worker?id=w2', stored: '11', address: '127.0.0.1:4001' },
    { attr: 'beta', shown: 'beta', tip: 'beta: its tasks, results, transfers and log', href: 'worker?id=w1', stored: '22', address: '127.0.0.1:4002' },
  ], 'each row: the name it shows, its data-worker and its tooltip are the worker whose figures and address it shows');
});

t.test('after a restart, a published value the new scheduler does not hold leaves the Results panel', { skip }, async (t) => {
  // Published values live in the scheduler's memory only: the restarted one has none until a
  // client publishes again. Found by the operator trial: after a scheduler restart under
  // `gluon-h4l run`, the page kept the old h4l/m4l card ("updated 6× · 6 min ago") beside the new
  // scheduler's figures, while a page opened then said "Nothing published yet".
  const before = new MemorySource({ workers: [row('w1', 'alpha', 4001, 1)], topics: { 'h4l/m4l': 7, 'kept/n': 1 } });
  const first = await startDashboard(before, { host: '127.0.0.1', port: 0, feed: { intervalMs: 100 } });
  const port = Number(new URL(first.url).port);
  let second: Awaited<ReturnType<typeof startDashboard>> | undefined;
  t.teardown(async () => { await first.close().catch(() => {}); await second?.close(); });
  const { page, errors } = await openPage(t, first.url);
  await page.waitForFunction(() => document.querySelectorAll('#results [data-topic]').length === 2, null, { timeout: 120_000 });

  await first.close();
  await page.waitForSelector('#conn.down', { timeout: 120_000 });
  const after = new MemorySource({ workers: [row('w1', 'alpha', 4001, 1)], topics: { 'kept/n': 2 } });
  second = await startDashboard(after, { host: '127.0.0.1', port, feed: { intervalMs: 100 } });
  await page.waitForSelector('#conn.up', { timeout: 120_000 });
  await page.waitForFunction(() => document.querySelector('#results [data-topic="kept/n"] .big')?.textContent === '2', null, { timeout: 60_000 });
  t.same(await page.$$eval('#results [data-topic]', (cards) => cards.map((c) => c.getAttribute('data-topic'))), ['kept/n'],
    'only the topic the new scheduler holds has a card');

  // A scheduler that holds none: the panel says so again, as on a page opened then.
  await second.close();
  await page.waitForSelector('#conn.down', { timeout: 120_000 });
  second = await startDashboard(new MemorySource({ workers: [row('w1', 'alpha', 4001, 1)] }), { host: '127.0.0.1', port, feed: { intervalMs: 100 } });
  await page.waitForSelector('#conn.up', { timeout: 120_000 });
  await page.waitForFunction(() => document.querySelectorAll('#results [data-topic]').length === 0, null, { timeout: 60_000 });
  t.match(await page.textContent('#results'), /^Nothing published yet\./, 'the panel says nothing is published');
  t.same(errors, []);
});
