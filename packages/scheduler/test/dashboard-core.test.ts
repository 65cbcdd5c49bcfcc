/**
 * The dashboard's numbers and layout as a person meets them (issue 14, "found when tried as a new
 * user would"): progress that counts results let go as done and erred tasks as erred, a header
 * and tab title that never read 0/0 after a run, bounded rows, no redraw when nothing changed,
 * stale marking, gone workers without figures, tooltips, dark mode, a 400 px wide screen.
 * Debian's chromium through playwright-core; skips with a message when it is absent.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { LocalCluster, TaskError } from '@gluon/client';
import { CLUSTER, fx, gates, outDir } from './fixtures/dashboard-run.js';
import { MemorySource, taskState } from './fixtures/memory-source.js';
import { chromiumSkip, launch } from './fixtures/browser.js';
import { memoryDashboard } from './fixtures/memory-dashboard.js';
import { resizeTo } from './fixtures/dashboard-resize.js';
import type { WorkerRow } from '../src/dashboard/source.js';

const skip = chromiumSkip();
const WAIT = { timeout: 60_000 };

function worker(name: string, over: Partial<WorkerRow> = {}): WorkerRow {
  return {
    id: name, name, address: `ws://127.0.0.1:4${name.length}00`, host: 'node-1', nthreads: 4, cpu: 50, rss: 300 << 20, memoryLimit: 1 << 30,
    executing: 0, queued: 0, stored: 3, storedBytes: 1000, lastSeen: Date.now(), alive: true, ...over,
  };
}

/** Moves `n` tasks of `group` through `steps` (pairs of progress states). */
function move(source: MemorySource, group: string, n: number, ...steps: Array<Parameters<typeof taskState> extends [string, ...infer R] ? R : never>): void {
  for (let i = 0; i < n; i++) for (const [from, to] of steps) source.emit(taskState(group, from, to));
}

t.test('a tree reduction on a real cluster: chunks let go still count, erred dependents are erred, never 0/0 afterwards', { skip }, async (t) => {
  const cluster = await LocalCluster.start({ nWorkers: 2, nthreads: 2, ...CLUSTER });
  t.teardown(() => cluster.close());
  const browser = await launch(t);
  const page = browser.pages()[0] ?? (await browser.newPage());
  await page.goto(cluster.dashboardUrl!);
  await page.waitForSelector('#conn.up', WAIT);
  // Everything the page shows for the chunk group, sampled at every change while the run goes.
  await page.evaluate(() => {
    const w = window as unknown as { seen: string[] };
    w.seen = [];
    new MutationObserver(() => {
      const cell = document.querySelector('tr[data-group="chunk"] td.n-of-n');
      if (cell?.textContent && w.seen[w.seen.length - 1] !== cell.textContent) w.seen.push(cell.textContent);
    }).observe(document.getElementById('progress')!, { subtree: true, childList: true, characterData: true });
  });
  const client = await cluster.client();
  const N = 64;
  // The last chunk waits for a gate, so the page sees the run part-way whatever the
  // machine's speed: a fast run can otherwise end between two pushes.
  const gate = gates(t)('last-chunk');
  const held = client.submit(fx.gated, gate, 0);
  const chunks = [
    ...client.map(fx.work.with({ group: 'chunk' }), Array.from({ length: N - 1 }, (_, i) => i), Array.from({ length: N - 1 }, () => 15)),
    client.submit(fx.after.with({ group: 'chunk' }), held, N),
  ];
  const total = client.treeReduce(fx.total.with({ group: 'combine' }), chunks, { fanIn: 4 });
  for (const f of chunks) f.release(); // only the root is held: chunks are let go as they are combined
  // In the same run, one task fails and takes its two dependents with it.
  const boom = client.submit(fx.explodeOnPurpose, 'deliberate');
  const after = [1, 2].map((ms) => client.submit(fx.work.with({ group: 'after-failure' }), boom, ms));
  // Part-way: some chunks done, not all (a chunk may also wait behind the gate in its thread).
  const partWay = (text: string | null | undefined, n: number) => { const done = Number(/^(\d+)\//.exec(text ?? '')?.[1] ?? 0); return done > 0 && done < n; };
  await page.waitForFunction((n) => {
    const done = Number(/^(\d+)\//.exec(document.querySelector('tr[data-group="chunk"] td.n-of-n')?.textContent ?? '')?.[1] ?? 0);
    return done > 0 && done < n;
  }, N, WAIT);
  writeFileSync(gate, '');
  held.release();
  t.equal(await total.result(), (N * (N + 1)) / 2, 'the reduction is right');
  await t.rejects(after[0]!.result(), TaskError);
  await t.rejects(after[1]!.result(), TaskError);
  total.release();
  for (const f of after) f.release();
  boom.release();

  await page.waitForFunction((n) => document.querySelector('tr[data-group="chunk"] td.n-of-n')?.textContent === `${n}/${n}`, N, WAIT);
  const seen = await page.evaluate(() => (window as unknown as { seen: string[] }).seen);
  t.ok(seen.some((x) => partWay(x, N)) && seen.includes(`${N}/${N}`), `the chunk row showed the run part-way and at its end (${seen.join(', ')})`);
  t.same(seen.filter((s) => !s.endsWith(`/${N}`)), [], `the chunk total stayed ${N} while chunks were let go`);
  await page.waitForFunction(() => document.querySelector('tr[data-group="after-failure"] td.state-erred')?.textContent === '2', null, WAIT);
  // The combines' last change may come a push after the failures' (waited for, not assumed).
  await page.waitForFunction(() => document.querySelector('tr[data-group="combine"] td.n-of-n')?.textContent === '21/21', null, WAIT);
  t.pass('16 + 4 + 1 combines, all done though let go: 21/21');
  const header = await page.textContent('#totals');
  // The run: 64 chunks, 21 combines, the gate, 1 failing task, 2 erred dependents.
  t.match(header, /86\/89 tasks done · 3 erred/, `the header counts the run, released results included: ${header}`);
  t.notMatch(header, /\b0\/0\b/);
  const title = await page.title();
  t.match(title, /✗ 3 erred 86\/89/, `the tab title shows how the run ended: ${title}`);
  t.match(title, /Gluon scheduler 127\.0\.0\.1:\d+/, 'and names the scheduler');
});

t.test('the header counts tasks executing, not assigned; the tab title shows the run going', { skip }, async (t) => {
  const { source, page } = await memoryDashboard(t);
  source.emit({ kind: 'worker', row: worker('w1', { executing: 2, queued: 5 }) });
  move(source, 'sim', 10, ['released', 'waiting']);
  move(source, 'sim', 7, ['waiting', 'processing']);
  move(source, 'sim', 3, ['waiting', 'memory']);
  await page.waitForFunction(() => /running/.test(document.getElementById('totals')!.textContent ?? '') && /3\/10/.test(document.getElementById('totals')!.textContent ?? ''), null, WAIT);
  t.match(await page.textContent('#totals'), /· 2 running ·/, '2 executing on the worker, though 7 are assigned');
  t.match(await page.title(), /^30% \(3\/10\) · Gluon scheduler 127\.0\.0\.1:1$/, 'the tab title: the run\'s progress and the scheduler');
});

t.test('a gone worker shows no CPU, memory or task figures', { skip }, async (t) => {
  const { source, page } = await memoryDashboard(t);
  source.emit({ kind: 'worker', row: worker('w-live') });
  source.emit({ kind: 'worker', row: worker('w-gone', { alive: false, rss: 900 << 20, cpu: 80, executing: 3 }) });
  await page.waitForSelector('#workers tr.gone', WAIT);
  const gone = await page.$$eval('#workers tr.gone td', (tds) => tds.map((td) => td.textContent));
  t.equal(gone[4], '–', 'no CPU');
  t.equal(gone[5], '–', 'no memory figure (it described a process that is gone)');
  t.equal(gone[6], '–', 'no executing count');
  t.equal(await page.locator('#workers tr.gone .membar').count(), 0, 'no memory bar');
  t.equal(await page.locator('#workers tr.alive .membar').count(), 1, 'the live worker keeps its bar');
});

t.test('while disconnected the page is marked stale; reconnected, live again', { skip }, async (t) => {
  const { source, d, page } = await memoryDashboard(t);
  source.emit({ kind: 'worker', row: worker('w1') });
  await page.waitForSelector('#workers tr.alive', WAIT);
  t.notOk(await page.evaluate(() => document.body.classList.contains('stale')));
  await d.close();
  await page.waitForFunction(() => document.body.classList.contains('stale'), null, WAIT);
  t.match(await page.textContent('#conn'), /disconnected · figures as of \d\d:\d\d:\d\d/, 'says the figures are as of the last message');
  t.match(await page.title(), /^disconnected · /, 'and so does the tab title');
  const opacity = await page.$eval('main', (m) => Number(getComputedStyle(m).opacity));
  t.ok(opacity < 1, `the panels are greyed (opacity ${opacity})`);
});

t.test('the "sampled, N not drawn" note lasts while the sampled bars are in view, then goes', { skip }, async (t) => {
  const { source, page } = await memoryDashboard(t, { limits: { maxBarsPerPush: 5 } });
  // 20 bars that ended 117 s ago: in the 2-minute window for a few seconds more.
  const end = Date.now() - 117_000;
  for (let i = 0; i < 20; i++) source.emit({ kind: 'task-done', key: `old-${i}`, group: 'old', worker: 'w1', thread: 0, start: end - 1000 + i, stop: end + i });
  await page.waitForFunction(() => /sampled, 15 short tasks not drawn/.test(document.getElementById('stream-note')!.textContent ?? ''), null, WAIT);
  t.pass('the note says how many bars were left out');
  await page.waitForFunction(() => !/sampled/.test(document.getElementById('stream-note')!.textContent ?? ''), null, WAIT);
  t.pass('and goes once those bars are out of the window');
});

t.test('after 300 groups the page height stays bounded: active groups first, finished ones collapsed, old ones forgotten', { skip }, async (t) => {
  const { source, page } = await memoryDashboard(t);
  for (let i = 0; i < 300; i++) {
    move(source, `g-${i}`, 2, ['released', 'waiting'], ['waiting', 'memory'], ['memory', 'done']);
    if (i % 30 === 29) await page.waitForFunction((n) => document.querySelector(`tr[data-group="g-${n}"]`), i, WAIT);
  }
  move(source, 'still-running', 4, ['released', 'waiting']);
  move(source, 'still-running', 1, ['waiting', 'processing']);
  await page.waitForSelector('#progress tr[data-group="still-running"]', WAIT);
  const firstRow = await page.$eval('.progress-table tbody tr', (tr) => tr.getAttribute('data-group'));
  t.equal(firstRow, 'still-running', 'the active group comes first');
  const shown = await page.$$eval('.progress-table tbody tr', (trs) => trs.length);
  t.ok(shown <= 12, `${shown} rows in the progress table`);
  t.equal(await page.$eval('details.finished-groups', (d) => (d as HTMLDetailsElement).open), false, 'finished groups are collapsed');
  const listed = await page.$$eval('details.finished-groups tbody tr', (trs) => trs.length);
  t.ok(listed <= 50, `${listed} finished groups listed`);
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  t.ok(height < 3500, `page height ${height} px`);
});

t.test('nothing is redrawn while nothing changes', { skip }, async (t) => {
  const { source, page } = await memoryDashboard(t);
  source.emit({ kind: 'worker', row: worker('w1') });
  move(source, 'idle', 5, ['released', 'waiting'], ['waiting', 'memory']);
  await page.waitForFunction(() => document.querySelector('tr[data-group="idle"] td.n-of-n')?.textContent === '5/5', null, WAIT);
  // Pushes keep coming (4 a second, here 10) with nothing in them: count what the page changes
  // over PUSHES of them, each seen arrive and then drawn (not over a time, in which a loaded
  // machine may deliver none and the check pass without looking).
  const PUSHES = 10;
  await page.evaluate(() => {
    const w = window as unknown as { feedMessages: number; quiet: { from: number; draws: number; progress: number; workers: string[]; stop: () => void } };
    const canvas = document.querySelector('#progress .progress-chart') as HTMLElement;
    const quiet = w.quiet = { from: w.feedMessages, draws: Number(canvas.dataset.draws), progress: 0, workers: [] as string[], stop: () => {} };
    const a = new MutationObserver((m) => (quiet.progress += m.length));
    a.observe(document.getElementById('progress')!, { subtree: true, childList: true, characterData: true, attributes: true });
    // What changed in the workers table: the cell's class (the heartbeat age's is "num age").
    const b = new MutationObserver((m) => {
      for (const r of m) {
        const node = r.target.nodeType === Node.ELEMENT_NODE ? r.target as Element : r.target.parentElement;
        quiet.workers.push(node?.closest('td')?.className ?? node?.nodeName ?? '?');
      }
    });
    b.observe(document.getElementById('workers')!, { subtree: true, childList: true, characterData: true, attributes: true });
    quiet.stop = () => { a.disconnect(); b.disconnect(); };
  });
  await page.waitForFunction((n) => {
    const w = window as unknown as { feedMessages: number; quiet: { from: number } };
    return w.feedMessages - w.quiet.from >= n;
  }, PUSHES, WAIT);
  const counts = await page.evaluate(async () => {
    // The last push's redraw was asked for (an animation frame) while it was handled, before
    // these: two frames on, it has run.
    for (let i = 0; i < 2; i++) await new Promise((r) => requestAnimationFrame(r));
    const w = window as unknown as { feedMessages: number; quiet: { from: number; draws: number; progress: number; workers: string[]; stop: () => void } };
    w.quiet.stop();
    const canvas = document.querySelector('#progress .progress-chart') as HTMLElement;
    return { pushes: w.feedMessages - w.quiet.from, progress: w.quiet.progress, workers: w.quiet.workers, draws: Number(canvas.dataset.draws) - w.quiet.draws };
  });
  t.ok(counts.pushes >= PUSHES, `${counts.pushes} pushes arrived and were handled`);
  t.equal(counts.progress, 0, 'the progress panel is not touched');
  t.equal(counts.draws, 0, 'its chart is not redrawn');
  t.same(counts.workers.filter((c) => c !== 'num age'), [], `the workers table: only the heartbeat age moves (${counts.workers.length} changes to it)`);
});

t.test('at 1400 px the Occupancy table fits its half-width panel: its headers wrap, nothing scrolls sideways', { skip }, async (t) => {
  // Its last header, "work queued per thread", was cut at "work queued per thre" behind a
  // sideways scrollbar on a 1400 px screen (README's dashboard figure, 2 workers named vm-NNNNN).
  const { source, page } = await memoryDashboard(t);
  for (const name of ['vm-20475', 'vm-20476']) source.emit({ kind: 'worker', row: worker(name, { nthreads: 2, executing: 1, queued: 3 }) });
  await page.waitForSelector('#occupancy tr[data-worker="vm-20476"]', WAIT);
  const box = await page.evaluate(() => {
    const o = document.getElementById('occupancy')!;
    return { scrollWidth: o.scrollWidth, clientWidth: o.clientWidth, viewport: window.innerWidth };
  });
  t.equal(box.viewport, 1400);
  t.ok(box.scrollWidth <= box.clientWidth, `occupancy: ${box.scrollWidth} px of table in ${box.clientWidth} px of panel`);
});

t.test('tooltips, dark mode, a 400 px screen, and panels as tall as their content', { skip }, async (t) => {
  const { source, page } = await memoryDashboard(t);
  for (let i = 0; i < 3; i++) source.emit({ kind: 'worker', row: worker(`worker-with-a-long-name-${i}`) });
  move(source, 'a-group-with-a-rather-long-name', 10, ['released', 'waiting'], ['waiting', 'memory']);
  const rows = Array.from({ length: 30 }, (_, i) => Object.fromEntries(Array.from({ length: 12 }, (_, j) => [`column_${j}`, i * j + 0.5])));
  source.emit({ kind: 'publish', topic: 'wide/table', value: rows, time: Date.now() });
  source.emit({ kind: 'failure', row: { key: 'a-very-long-key-' + 'x'.repeat(200), group: 'g', message: 'm'.repeat(300), name: 'Error', stack: 'at '.repeat(100), worker: 'w', retriesUsed: 0, kind: 'exception', time: Date.now() } });
  for (let i = 0; i < 10; i++) source.emit({ kind: 'task-done', key: `s-${i}`, group: 'a-group-with-a-rather-long-name', worker: 'worker-with-a-long-name-0', thread: 0, start: Date.now() - 2000, stop: Date.now() - 1000 });
  await page.waitForSelector('.result[data-topic="wide/table"] table', WAIT);
  await page.waitForSelector('#failures .failure', WAIT);
  await page.waitForFunction(() => Number((document.getElementById('throughput') as HTMLElement).dataset.points) > 2, null, WAIT);

  // Tooltips: every panel title, table header, legend entry and chart says what it shows.
  const missing = await page.evaluate(() => {
    const out: string[] = [];
    for (const e of document.querySelectorAll('h2, th, .legend span, header > span')) if (!(e as HTMLElement).title && !e.closest('[title]')) out.push(`${e.tagName} ${e.textContent}`);
    // A chart: a tooltip of its own or its panel's title (the task stream has a hover card per bar instead).
    for (const c of document.querySelectorAll('canvas')) if (!c.closest('[title]') && !c.closest('.panel')?.querySelector('h2[title]')) out.push(`canvas in #${c.closest('[id]')?.id}`);
    return out;
  });
  t.same(missing, [], 'every heading, column, legend entry and chart has a tooltip');

  // The Throughput panel is as tall as its chart, not as the Results panel beside it.
  const heights = await page.evaluate(() => ['throughput-panel', 'results-panel'].map((id) => document.getElementById(id)!.getBoundingClientRect().height));
  t.ok(heights[0]! < heights[1]! - 100, `throughput ${heights[0]} px, results ${heights[1]} px`);

  // Dark mode follows the system setting (charts take its colours when drawn).
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.reload();
  await page.waitForSelector('#conn.up', WAIT);
  await page.waitForSelector('.result[data-topic="wide/table"] table', WAIT);
  const dark = await page.evaluate(() => {
    const lum = (c: string) => {
      const [r, g, b] = (c.match(/\d+(\.\d+)?/g) ?? []).map(Number);
      return (0.2126 * r! + 0.7152 * g! + 0.0722 * b!) / 255;
    };
    const panel = getComputedStyle(document.querySelector('.panel')!);
    const grid = getComputedStyle(document.documentElement).getPropertyValue('--chart-grid').trim();
    return { bg: lum(getComputedStyle(document.body).backgroundColor), panel: lum(panel.backgroundColor), ink: lum(panel.color), grid };
  });
  t.ok(dark.bg < 0.2 && dark.panel < 0.2, `dark backgrounds (${dark.bg.toFixed(2)}, ${dark.panel.toFixed(2)})`);
  t.ok(dark.ink > 0.7, `light text (${dark.ink.toFixed(2)})`);
  t.equal(dark.grid, '#2c3240', 'charts draw their grid in the dark theme\'s colour');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'dark.png'), await page.screenshot({ fullPage: true }));
  await page.emulateMedia({ colorScheme: 'light' });

  // 400 px wide: no sideways scrolling of the page; tables scroll inside their panel.
  await resizeTo(page, 400, 900);
  const narrow = await page.evaluate(() => {
    const over: string[] = [];
    for (const table of document.querySelectorAll('table')) {
      const box = table.parentElement!.getBoundingClientRect();
      const panel = table.closest('.panel')!.getBoundingClientRect();
      if (box.right > panel.right + 0.5 || box.left < panel.left - 0.5) over.push(table.closest('[id]')?.id ?? '?');
    }
    for (const c of document.querySelectorAll('canvas')) {
      const r = c.getBoundingClientRect();
      if (r.right > c.closest('.panel')!.getBoundingClientRect().right + 0.5) over.push(`canvas in ${c.closest('[id]')?.id}`);
    }
    // Anything wider than the screen that is not inside a box scrolling sideways.
    const scrolls = (e: Element | null): boolean => !!e && (/auto|scroll|hidden/.test(getComputedStyle(e).overflowX) || scrolls(e.parentElement));
    for (const e of document.querySelectorAll('body *')) {
      if (e.getBoundingClientRect().right > 400.5 && !scrolls(e.parentElement)) over.push(`${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''}.${e.className}`);
    }
    return { scrollWidth: document.documentElement.scrollWidth, over };
  });
  t.ok(narrow.scrollWidth <= 400, `page scroll width ${narrow.scrollWidth} px at 400 px`);
  t.same(narrow.over, [], 'no table or chart sticks out of its panel');
  writeFileSync(join(outDir, 'narrow.png'), await page.screenshot({ fullPage: true }));
});
