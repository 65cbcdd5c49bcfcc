/**
 * The task stream's hover, zoom and pan in Debian's chromium: tooltips of a real run's task and
 * transfer bars (LocalCluster, 2 workers), then zoom and pan over bars at known times (a source
 * held in memory). Skips without /usr/bin/chromium.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { LocalCluster } from '@gluon/client';
import { chromiumSkip, openPage } from '../fixtures/browser.js';
import { CLUSTER, fx, outDir } from '../fixtures/dashboard-run.js';
import { MemorySource } from '../fixtures/memory-source.js';
import { startDashboard } from '../../src/dashboard/server.js';

const skip = chromiumSkip();

type Page = Awaited<ReturnType<typeof openPage>>['page'];

/** Hovers the bar of `key` and returns the tooltip's lines as `{label: value}`. */
async function hover(page: Page, key: string, kind = 0): Promise<Record<string, string>> {
  await page.waitForFunction(([k, kd]) => !!(document.querySelector('#stream') as any).barCenter?.(k, kd), [key, kind] as const, { timeout: 120_000 });
  const at = await page.evaluate(([k, kd]) => (document.querySelector('#stream') as any).barCenter(k, kd), [key, kind] as const);
  await page.mouse.move(at.x + 40, at.y + 40);
  await page.mouse.move(at.x, at.y, { steps: 2 });
  await page.waitForFunction(() => !(document.querySelector('.stream-tip') as HTMLElement).hidden, null, { timeout: 120_000 });
  return page.$$eval('.stream-tip > div', (divs) => Object.fromEntries(divs.map((d) => [d.querySelector('b')!.textContent!.trim(), d.textContent!.slice(d.querySelector('b')!.textContent!.length)])));
}

t.test('hovering a real run\'s bars names the task or the transfer', { skip }, async (t) => {
  const cluster = await LocalCluster.start({ nWorkers: 2, nthreads: 1, ...CLUSTER });
  t.teardown(() => cluster.close());
  const { page } = await openPage(t, cluster.dashboardUrl!);
  const client = await cluster.client();
  // Two 32 KiB results (over the inline limit), 60 ms of work each, one per worker (two threads
  // in all, both busy), and a sum that must fetch one of them from the other worker.
  const parts = client.map(fx.bigWork, [1, 2], [60, 60]);
  const total = client.submit(fx.sumAll, ...parts);
  t.equal(await total.result(), 5, 'the sum of both results');
  const names = cluster.workers.map((w) => w.name);
  // Hold the view still (a zoomed stream does not scroll), so a bar stays where it was found.
  await page.waitForFunction((keys) => keys.every((k: string) => (document.querySelector('#stream') as any).barCenter?.(k, 0)), [...parts.map((p) => p.key), total.key], { timeout: 120_000 });
  await page.click('.stream-zoom-out');

  const tip = await hover(page, parts[0]!.key);
  t.equal(tip.key, parts[0]!.key, 'the key');
  t.equal(tip.group, 'bigWork', 'the group');
  t.ok(names.includes(tip.worker!), `the worker (${tip.worker})`);
  t.equal(tip.thread, '0', 'the thread');
  t.match(tip.start, /^\d\d:\d\d:\d\d\.\d{3}$/, 'the start, to the millisecond');
  const ms = tip.duration!.endsWith(' ms') ? Number.parseFloat(tip.duration!) : Number.parseFloat(tip.duration!) * 1000;
  t.ok(ms >= 60, `the duration covers the 60 ms of work (${tip.duration})`);
  t.equal(tip.result, '32.0 KiB', 'the result\'s size: 4096 doubles');

  // The transfer: one of the parts went to the worker that ran the sum.
  const transferred = await page.waitForFunction((keys) => {
    const el = document.querySelector('#stream') as any;
    return keys.find((k: string) => el.barCenter?.(k, 1)) ?? false;
  }, parts.map((p) => p.key), { timeout: 120_000 });
  const key = (await transferred.jsonValue()) as string;
  const tt = await hover(page, key, 1);
  t.equal(tt.keys, key, 'the transferred key');
  t.match(tt.transfer, new RegExp(`^(${names.join('|')}) → (${names.join('|')})$`), `from one worker to the other (${tt.transfer})`);
  const [from, to] = tt.transfer!.split(' → ');
  t.not(from, to, 'between two different workers');
  t.ok(Number.parseFloat(tt.bytes!) >= 32 && /KiB$/.test(tt.bytes!), `the bytes moved (${tt.bytes})`);
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'stream-tooltip.png'), await page.locator('#stream-panel').screenshot({ type: 'png' }));
});

t.test('zoom and pan stay on the retained bars; Live follows now again', { skip }, async (t) => {
  const source = new MemorySource({ workers: [] });
  const d = await startDashboard(source, { host: '127.0.0.1', port: 0, feed: { intervalMs: 100 } });
  t.teardown(() => d.close());
  const { page } = await openPage(t, d.url);
  // Ten bars of 500 ms, one starting every second from 20 s ago.
  const now = Date.now();
  const starts = Array.from({ length: 10 }, (_, i) => now - 20_000 + i * 1000);
  starts.forEach((s, i) => source.emit({ kind: 'task-done', key: `bar-${i}`, group: 'bar', worker: 'w1', thread: 0, start: s, stop: s + 500, nbytes: 8 }));
  await page.waitForFunction(() => Number((document.querySelector('#stream') as HTMLElement).dataset.bars) === 10, null, { timeout: 120_000 });
  const range = async () => page.$eval('#stream', (e) => ({ lo: Number((e as HTMLElement).dataset.lo), hi: Number((e as HTMLElement).dataset.hi), zoomed: (e as HTMLElement).dataset.zoomed, bars: Number((e as HTMLElement).dataset.bars) }));
  const visible = (lo: number, hi: number) => starts.filter((s) => s + 500 >= lo && s <= hi).length;
  t.equal((await range()).zoomed, 'false', 'following now at first');
  t.ok(await page.locator('.stream-live').isDisabled(), 'Live is off while following');

  // Zoom in three times (each halves the span around its middle); the first click fixes the
  // range (while following, the window still grows with time).
  await page.click('.stream-zoom-in');
  const before = await range();
  t.equal(before.zoomed, 'true', 'zoomed: the range no longer follows now');
  for (let i = 0; i < 2; i++) await page.click('.stream-zoom-in');
  const zoomed = await range();
  t.ok(Math.abs((zoomed.hi - zoomed.lo) - (before.hi - before.lo) / 4) <= 2, `a quarter of the span (${zoomed.hi - zoomed.lo} ms of ${before.hi - before.lo})`);
  t.equal(zoomed.bars, visible(zoomed.lo, zoomed.hi), `${zoomed.bars} bars drawn: those in ${zoomed.lo - now}..${zoomed.hi - now} ms`);
  // The view stays put while pushes arrive (a zoomed stream does not scroll): wait for the chart
  // to be drawn again twice (later pushes and clock ticks redraw it), not for a fixed time.
  const drawn = await page.$eval('#stream', (e) => Number((e as HTMLElement).dataset.draws));
  await page.waitForFunction((d) => Number((document.querySelector('#stream') as HTMLElement).dataset.draws) >= d + 2, drawn, { timeout: 120_000 });
  const still = await range();
  t.same([still.lo, still.hi], [zoomed.lo, zoomed.hi], 'unchanged over later pushes');

  // Pan: dragging right by a quarter of the plot shows earlier times by a quarter of the span.
  const box = (await page.locator('#stream .u-over').boundingBox())!;
  const y = box.y + box.height / 2;
  await page.mouse.move(box.x + box.width / 2, y);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.75, y, { steps: 5 });
  await page.mouse.up();
  const panned = await range();
  const span = zoomed.hi - zoomed.lo;
  t.ok(Math.abs((zoomed.lo - panned.lo) - span / 4) < span * 0.03, `panned back by ${zoomed.lo - panned.lo} ms (a quarter of ${span})`);
  t.ok(Math.abs(panned.hi - panned.lo - span) <= 1, 'the span is kept (to the ms)');
  t.equal(panned.bars, visible(panned.lo, panned.hi), 'the bars drawn are those in the new range');

  // Zooming out stops at the retained bars: from the oldest start to now.
  for (let i = 0; i < 12; i++) await page.click('.stream-zoom-out');
  const out = await range();
  t.equal(out.lo, starts[0], 'the left edge stops at the oldest retained bar');
  t.equal(out.bars, 10, 'every bar shown');
  // The wheel zooms too, around the pointer.
  await page.mouse.move(box.x + box.width / 2, y);
  await page.mouse.wheel(0, -100);
  await page.waitForFunction((w) => Number((document.querySelector('#stream') as HTMLElement).dataset.hi) - Number((document.querySelector('#stream') as HTMLElement).dataset.lo) < w, out.hi - out.lo, { timeout: 120_000 });
  t.pass('the wheel zooms in');
  await page.click('.stream-live');
  const live = await range();
  t.equal(live.zoomed, 'false', 'Live: following now again');
  t.ok(live.hi >= out.hi, 'the range ends at now');
});
