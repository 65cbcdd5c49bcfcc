/**
 * The performance report as a person uses it: a real LocalCluster (scheduler + 2 worker
 * processes, with a token), a known workload inside `client.performanceReport`, then the one
 * HTML file opened from disk (file://) in Debian's chromium with the network switched off. Its
 * views must render the run's numbers, and the page must ask the network for nothing. Skips with
 * a message when /usr/bin/chromium is absent (scripts/setup-test-env.sh installs it).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import t from 'tap';
import { LocalCluster, TaskError } from '@gluon/client';
import { jsonForScript, REPORT_SHELL_PATH, REPORT_SLOT } from '@gluon/protocol';
import { startDashboard } from '../../src/dashboard/server.js';
import { MemorySource } from '../fixtures/memory-source.js';
import { chromiumSkip, launch } from '../fixtures/browser.js';
import { CLUSTER, fx, outDir } from '../fixtures/dashboard-run.js';

const N = 300;
const skip = chromiumSkip();

/** The recording inside a report file (the JSON in its #gluon-recording element). */
function recordingOf(html: string): any {
  const m = /<script type="application\/json" id="gluon-recording">([\s\S]*?)<\/script>/.exec(html);
  return m ? JSON.parse(m[1]!) : undefined;
}

t.test('performance report: one file, opened from disk offline, shows the run', { skip }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gluon-report-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'report.html');
  const cluster = await LocalCluster.start({ nWorkers: 2, nthreads: 2, memoryLimit: '1GiB', token: 'report-token', ...CLUSTER });
  t.teardown(() => cluster.close());
  const client = await cluster.client();

  // Work before the window must not appear in the report's task stream.
  await client.gather(client.map(fx.work.with({ group: 'before' }), [1, 2, 3]));

  // The window's futures stay referenced to the end: a future the client lets go of (garbage
  // collected) is released, and the report's memory and worker pages would miss its result.
  const held: unknown[] = [];
  const returned = await client.performanceReport(file, async () => {
    const futures = client.map(fx.work, Array.from({ length: N }, (_, i) => i));
    const failing = client.submit(fx.explodeOnPurpose, 'deliberate report failure');
    const big = client.map(fx.bigWork, [0, 1, 2, 3, 4, 5, 6, 7], Array(8).fill(30));
    const total = client.submit(fx.sumAll, ...big);
    const published = client.submit(fx.publishResults, 'test/m4l', 5);
    held.push(...futures, ...big, total, published);
    const values = await client.gather(futures);
    await t.rejects(failing.result(), TaskError, 'the failing task fails');
    t.equal(Math.round((await total.result()) as number), 36, 'the reduction is right');
    t.equal(await published.result(), 5);
    return values.reduce((a: number, b: number) => a + b, 0);
  }, { title: 'report test run' });
  t.equal(returned, (N * (N + 1)) / 2, 'performanceReport returns what the work returned');

  const html = readFileSync(file, 'utf8');
  const rec = recordingOf(html);
  t.ok(rec, 'the file holds a recording');
  t.equal(rec.title, 'report test run');
  const taskBars = rec.messages.flatMap((m: any) => m.stream ?? []).filter((b: any) => b[5] === 0);
  const byGroup = (g: string) => taskBars.filter((b: any) => b[2] === g).length;
  t.equal(byGroup('work'), N, `the window's ${N} work tasks are in the recorded task stream`);
  t.equal(byGroup('bigWork'), 8);
  t.equal(byGroup('sumAll'), 1);
  t.equal(byGroup('before'), 0, 'tasks that ran before the window are not');
  t.same([rec.bounds.barsKept < rec.bounds.barsSeen, rec.bounds.restartedAt], [false, null], 'nothing sampled away, no restart');
  t.notMatch(html, /<script[^>]+src="(?!data:)|<link[^>]+href="(?!data:)/, 'every script and stylesheet is inlined');

  const browser = await launch(t);
  await browser.setOffline(true);
  const page = browser.pages()[0] ?? (await browser.newPage());
  const pageErrors: string[] = [];
  const requests: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(m.text());
  });
  page.on('request', (r) => {
    if (!/^(?:file|data):/.test(r.url())) requests.push(r.url());
  });
  await page.goto(pathToFileURL(file).href);
  await page.waitForSelector('#conn.report', { timeout: 120_000 });
  t.match(await page.textContent('#conn'), /^report \d\d:\d\d:\d\d–\d\d:\d\d:\d\d$/, 'the header says it is a report and gives its window');
  t.match(await page.title(), /^report test run · Gluon performance report$/);
  const recordedBars = rec.messages.reduce((n: number, m: any) => n + (m.stream?.length ?? 0), 0);
  t.match(await page.textContent('#report-note'), new RegExp(`all ${recordedBars} bars \\(tasks and transfers\\) of the window`), 'the note says nothing was sampled away');

  // Progress: the run's groups with the run's counts.
  await page.waitForFunction((n) => document.querySelector('tr[data-group="work"] td.n-of-n')?.textContent === `${n}/${n}`, N, { timeout: 120_000 });
  t.equal(await page.textContent('tr[data-group="explodeOnPurpose"] td.state-erred'), '1', 'one erred task');
  t.equal(await page.textContent('tr[data-group="bigWork"] td.n-of-n'), '8/8');
  // Task stream: every recorded bar drawn, on the two workers' thread rows.
  await page.waitForFunction((n) => Number((document.querySelector('#stream') as HTMLElement).dataset.bars) >= n, taskBars.length, { timeout: 120_000 });
  const drawn = Number(await page.getAttribute('#stream', 'data-bars'));
  t.equal(drawn, recordedBars, `the task stream draws the ${recordedBars} recorded bars`);
  const rows: string[] = JSON.parse((await page.getAttribute('#stream', 'data-rows')) ?? '[]');
  t.ok(rows.filter((r) => / #\d+$/.test(r)).length >= 2, `thread rows of both workers: ${rows.join(', ')}`);
  // Workers: two rows with their threads and the 1 GiB limit.
  const workerRows = await page.$$eval('#workers tr[data-worker]', (trs) => trs.map((tr) => ({ alive: tr.classList.contains('alive'), threads: tr.children[3]?.textContent })));
  t.same(workerRows, [{ alive: true, threads: '2' }, { alive: true, threads: '2' }], 'two live workers with 2 threads each');
  const memText = await page.$$eval('#workers .membar', (bars) => bars.map((b) => b.textContent));
  t.ok(memText.length === 2 && memText.every((x) => /MiB \/ 1\.0 GiB/.test(x ?? '')), `RSS against the 1 GiB limit: ${memText.join(', ')}`);
  // Failures and results.
  t.match(await page.locator('#failures .failure[data-key^="explodeOnPurpose"]').textContent(), /RangeError: deliberate report failure/);
  await page.locator('#results [data-topic="test/m4l"]').waitFor({ timeout: 120_000 });
  const header = await page.textContent('#totals');
  t.match(header, /2 workers/, `header: ${header}`);
  // Memory per worker: both workers with their 1 GiB limit, holding at least the 8 results of 32 KiB.
  await page.waitForFunction(() => Object.keys(JSON.parse((document.querySelector('#memory') as HTMLElement).dataset.latest || '{}')).length === 2, null, { timeout: 120_000 });
  const latest = JSON.parse((await page.getAttribute('#memory', 'data-latest'))!) as Record<string, { held: number; rss: number; limit: number }>;
  t.same(Object.values(latest).map((w) => w.limit), [1 << 30, 1 << 30], 'memory: each worker against its 1 GiB limit');
  t.ok(Object.values(latest).reduce((a, w) => a + w.held, 0) >= 8 * 32_768, 'memory: the results held include the 8 results of 32 KiB');
  t.ok(Object.values(latest).every((w) => w.rss > 10 << 20), 'memory: each worker process\'s RSS');
  // Occupancy at the window's end: nothing assigned, both workers with their threads.
  const occupancy = await page.$$eval('#occupancy tr[data-worker]', (trs) => trs.map((tr) => Number(tr.querySelector('.assigned')?.textContent)));
  t.same(occupancy, [0, 0], 'occupancy: two workers, nothing left assigned at the end of the work');
  t.ok(Number(await page.getAttribute('#scheduler-stats', 'data-samples')) >= 1, 'the scheduler\'s own figures are drawn');
  // The time charts show the window, not the minutes before it (the cluster ran before it).
  const early = ['memory', 'scheduler'].flatMap((v) => (rec.messages[0].views?.[v]?.samples ?? []).filter((x: [number]) => x[0] < rec.start).map(() => v));
  t.same(early, [], 'the recording holds no memory or scheduler samples from before the window');
  const [from, to] = JSON.parse((await page.getAttribute('#memory', 'data-x-range'))!) as [number, number];
  t.ok(Math.abs(from - rec.start / 1000) < 0.01 && Math.abs(to - rec.end / 1000) < 0.01, `the memory chart's time axis is the window (${from}–${to} s, window ${rec.start / 1000}–${rec.end / 1000} s)`);

  const png = await page.screenshot({ type: 'png', fullPage: true });
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'report.png'), png);

  // Worker pages: each worker's link shows its page as recorded at the window's end; between
  // them, the two pages hold every result of the run, by group.
  t.same(Object.values(rec.workerPages as Record<string, { name: string }>).map((d) => d.name).sort(), ['local-0', 'local-1'], 'the report holds both workers\' pages');
  t.ok(Object.entries(rec.workerPages as Record<string, { id: string }>).every(([k, d]) => k === d.id), 'by worker id');
  const storedWork: number[] = [];
  for (const name of ['local-0', 'local-1']) {
    await page.click(`#workers a.worker-link:text-is("${name}")`);
    await page.waitForSelector('#report-worker #worker-stored', { timeout: 120_000 });
    t.equal(await page.textContent('#report-worker #worker-name'), name, `${name}'s page`);
    t.equal(await page.isVisible('#progress'), false, 'in place of the dashboard');
    t.equal(await page.textContent('#report-worker [data-figure="status"]'), 'running');
    storedWork.push(Number(await page.getAttribute('#report-worker #worker-stored tr[data-group="work"]', 'data-count') ?? 0));
    if (name === 'local-0') writeFileSync(join(outDir, 'report-worker.png'), await page.screenshot({ type: 'png', fullPage: true }));
    await page.goBack();
    await page.waitForSelector('#progress', { state: 'visible', timeout: 120_000 });
    t.equal(await page.locator('#report-worker').count(), 0, 'Back returns to the report');
  }
  t.equal(storedWork[0]! + storedWork[1]!, N, `the two workers' pages hold the ${N} work results between them (${storedWork.join(' + ')})`);
  t.same(requests, [], 'the report asked the network for nothing');
  t.same(pageErrors, [], 'no errors on the page');
  t.equal(held.length, N + 10, 'the window\'s futures were held throughout');
});

t.test('a report of a 10-minute window shows and zooms over the whole window', { skip }, async (t) => {
  // A recording made by hand in the feed's own shapes (a state from a real dashboard, then a
  // delta every 5 s with 10 bars), put in the shell the dashboard serves, as the client does.
  const source = new MemorySource({ workers: [] });
  const d = await startDashboard(source, { host: '127.0.0.1', port: 0, feed: { intervalMs: 3_600_000 } });
  t.teardown(() => d.close());
  const shell = await (await fetch(new URL(REPORT_SHELL_PATH, d.url))).text();
  const state = JSON.parse(await (await fetch(new URL('api/state', d.url))).text());
  const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
  const WINDOW = 10 * 60_000;
  const messages: Array<Record<string, unknown>> = [{ ...state, time: T0, stream: [], rates: [] }];
  let bars = 0;
  for (let time = T0 + 5000; time <= T0 + WINDOW; time += 5000) {
    const stream = Array.from({ length: 10 }, (_, i) => ['w1', i % 2, 'long', time - 4000 + i * 100, time - 3950 + i * 100, 0]);
    bars += stream.length;
    messages.push({ type: 'delta', time, workers: [], groups: [], failures: [], topics: {}, log: [], stream, rate: [time, 2, 0], streamDropped: 0 });
  }
  const recording = { version: 1, title: 'ten minutes', start: T0, end: T0 + WINDOW, scheduler: 'ws://test', messages,
    bounds: { barsSeen: bars, barsKept: bars, feedDropped: 0, maxBars: 25_000, maxBytes: 64 << 20, restartedAt: null } };
  const dir = mkdtempSync(join(tmpdir(), 'gluon-report-long-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'long.html');
  writeFileSync(file, shell.replace(REPORT_SLOT, () => jsonForScript(recording)));

  const browser = await launch(t);
  await browser.setOffline(true);
  const page = browser.pages()[0] ?? (await browser.newPage());
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(pathToFileURL(file).href);
  await page.waitForSelector('#conn.report', { timeout: 120_000 });
  t.equal(await page.textContent('#conn'), `report ${new Date(T0).toTimeString().slice(0, 8)}–${new Date(T0 + WINDOW).toTimeString().slice(0, 8)}`);
  await page.waitForFunction((n) => Number((document.querySelector('#stream') as HTMLElement).dataset.bars) === n, bars, { timeout: 120_000 });
  t.pass(`all ${bars} bars of the 10 minutes are in view, not only the last 2 minutes'`);
  t.match(await page.textContent('#stream-note'), /last 10\.\d min/, 'the stream says it spans the window');
  // A report follows nothing: its stream's controls said 'following now' and 'Live', and the
  // zoom-out button 'up to the retained 5 minutes' (the operator trial).
  t.equal(await page.textContent('.stream-range'), 'the whole report; wheel to zoom, drag to pan, hover a bar for details', 'the stream says it shows the whole report');
  t.equal(await page.textContent('.stream-live'), 'Whole report', 'the button back to it says so');
  t.match(await page.getAttribute('.stream-zoom-out', 'title'), /up to the whole report$/, 'zooming out goes up to the whole report');
  // Zoom in, then all the way out: the zoom reaches back to the window's start, past the live page's 5 minutes.
  await page.click('.stream-zoom-in');
  await page.waitForFunction((n) => Number((document.querySelector('#stream') as HTMLElement).dataset.bars) < n, bars, { timeout: 120_000 });
  for (let i = 0; i < 12; i++) await page.click('.stream-zoom-out');
  await page.waitForFunction((n) => Number((document.querySelector('#stream') as HTMLElement).dataset.bars) === n, bars, { timeout: 120_000 });
  t.pass('zoomed out, every bar of the window is in view again');
  t.same(pageErrors, [], 'no errors on the page');
});
