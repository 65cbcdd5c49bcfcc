/**
 * The task stream draws bars that overlap on screen as one rectangle per row and colour, in
 * Debian's chromium against a dashboard fed in memory. A window full of short tasks is many bars
 * per pixel column, and each redraw filled every one of them (30,000 at most): under a steady
 * trickle of tasks that was most of the page's CPU (the new-user dashboard trial's profile:
 * fillRect 4.8 s of a 60 s soak). What is drawn must still tell apart what it did: wide bars keep
 * their gaps, and bars of different groups in one row are each drawn, in order.
 * Skips without /usr/bin/chromium.
 */
import t from 'tap';
import { chromiumSkip, openPage } from '../fixtures/browser.js';
import { MemorySource } from '../fixtures/memory-source.js';
import { startDashboard } from '../../src/dashboard/server.js';

const skip = chromiumSkip();

t.test('a row of back-to-back short tasks is one rectangle; wide bars and alternating groups are each drawn', { skip }, async (t) => {
  const source = new MemorySource({ workers: [] });
  const d = await startDashboard(source, { host: '127.0.0.1', port: 0, feed: { intervalMs: 100 } });
  t.teardown(() => d.close());
  const { page, errors } = await openPage(t, d.url);
  const end = Date.now() - 300;
  // Row w1 #0: 1,200 tasks of 1 ms back to back (under the 1,500 bars a push carries).
  for (let i = 0; i < 1200; i++) source.emit({ kind: 'task-done', key: `tiny-${i}`, group: 'tiny', worker: 'w1', thread: 0, start: end - 1200 + i, stop: end - 1199 + i });
  // Row w1 #1: 4 tasks of 600 ms with 200 ms between them.
  for (let i = 0; i < 4; i++) source.emit({ kind: 'task-done', key: `wide-${i}`, group: 'wide', worker: 'w1', thread: 1, start: end - 3200 + i * 800, stop: end - 2600 + i * 800 });
  // Row w1 #2: 40 tasks of 1 ms back to back, alternating between two groups.
  for (let i = 0; i < 40; i++) source.emit({ kind: 'task-done', key: `alt-${i}`, group: i % 2 ? 'odd' : 'even', worker: 'w1', thread: 2, start: end - 40 + i, stop: end - 39 + i });
  await page.waitForFunction(() => Number((document.querySelector('#stream') as HTMLElement).dataset.bars) === 1244, null, { timeout: 120_000 });
  // The draw that counted them all (the stream redraws at most every 0.5 s).
  await page.waitForFunction(() => (document.querySelector('#stream') as HTMLElement).dataset.rects !== undefined
    && Number((document.querySelector('#stream') as HTMLElement).dataset.rects) <= 1244, null, { timeout: 120_000 });
  const rects = Number(await page.getAttribute('#stream', 'data-rects'));
  t.equal(rects, 1 + 4 + 40, '1,244 bars: the short tasks one rectangle, each wide task one, each alternating task one');
  t.same(errors, [], 'no errors in the page');
});
