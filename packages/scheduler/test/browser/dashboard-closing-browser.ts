/**
 * A worker that said it is leaving, in Debian's chromium against a dashboard fed in memory: the
 * Workers table marks it beside its name and its page's status says so, where both said running.
 * Skips without /usr/bin/chromium.
 */
import t from 'tap';
import { chromiumSkip, openPage } from '../fixtures/browser.js';
import { MemorySource } from '../fixtures/memory-source.js';
import { startDashboard } from '../../src/dashboard/server.js';
import type { WorkerRow } from '../../src/dashboard/source.js';

const skip = chromiumSkip();

t.test('a retiring worker reads as retiring on the Workers table and its page; a working one as running', { skip }, async (t) => {
  const base: WorkerRow = { id: 'w1', name: 'leaving', address: 'ws://10.0.0.1:4000', host: 'n1', nthreads: 1, cpu: 0, rss: 50e6, memoryLimit: 0, executing: 0, queued: 0, stored: 3, storedBytes: 300, lastSeen: Date.now(), alive: true };
  const source = new MemorySource({ workers: [{ ...base, closing: true }, { ...base, id: 'w2', name: 'working', address: 'ws://10.0.0.2:4000', stored: 0 }] });
  const d = await startDashboard(source, { host: '127.0.0.1', port: 0, feed: { intervalMs: 100 } });
  t.teardown(() => d.close());
  const { page } = await openPage(t, d.url);
  await page.waitForFunction(() => document.querySelectorAll('#workers tr[data-worker].alive').length === 2, null, { timeout: 120_000 });
  // A row is filled whole when it is drawn: its mark is there with it, or not at all.
  const mark = async (name: string) => page.$$eval(`#workers tr[data-worker="${name}"] .badge.closing`, (bs) => bs.map((b) => b.textContent));
  t.same(await mark('leaving'), ['retiring — handing over 3 results']);
  t.same(await mark('working'), [], 'a working worker has no such mark');

  await page.goto(new URL('worker?id=w1', d.url).href);
  await page.waitForSelector('dd[data-figure="status"]', { timeout: 120_000 });
  t.equal(await page.textContent('dd[data-figure="status"]'), 'retiring — handing over 3 results');
  await page.goto(new URL('worker?id=w2', d.url).href);
  await page.waitForFunction(() => document.getElementById('worker-name')?.textContent === 'working', null, { timeout: 120_000 });
  t.equal(await page.textContent('dd[data-figure="status"]'), 'running');
});
