/**
 * The charts' axis labels as chromium draws them (their ink boxes, recorded at each fillText): none
 * over another, none cut by its canvas's edge or outside its panel. A time axis's first label
 * carries the date on a second line, wider than uPlot's tick spacing: it ran into the next
 * minute's label; the Scheduler chart's right axis (56 px) cut '1000 ms' at the canvas's edge.
 * Debian's chromium through playwright-core; skips with a message when it is absent.
 */
import t from 'tap';
import { chromiumSkip } from '../fixtures/browser.js';
import { memoryDashboard } from '../fixtures/memory-dashboard.js';
import { chartTexts, labelProblems, recordCanvasText } from '../fixtures/dashboard-canvas-text.js';
import { resizeTo } from '../fixtures/dashboard-resize.js';
import type { WorkerRow } from '../../src/dashboard/source.js';

const skip = chromiumSkip();
const WAIT = { timeout: 60_000 };
/** The widths the dashboard's browser tests look at: a desktop screen and a phone's. */
const WIDTHS = [1400, 400];

function worker(id: string): WorkerRow {
  return {
    id, name: id, address: `ws://127.0.0.1:4${id.length}00`, host: 'node-1', nthreads: 2, cpu: 50, rss: 300 << 20, memoryLimit: 1 << 30,
    executing: 1, queued: 2, stored: 3, storedBytes: 1000, lastSeen: Date.now(), alive: true,
  };
}

t.test('the live page at 1400 and 400 px: every axis label inside its canvas and its panel, none over another', { skip }, async (t) => {
  // The scheduler's loop lag at 1.3 s puts '1000 ms' on the Scheduler chart's right axis.
  const { source, page } = await memoryDashboard(t, { sampler: () => [35, 300 << 20, 1300, 40] });
  await recordCanvasText(page.context());
  await page.reload();
  await page.waitForSelector('#conn.up', WAIT);
  for (const id of ['w1', 'w2']) source.emit({ kind: 'worker', row: worker(id) });
  const now = Date.now();
  for (let i = 0; i < 40; i++) {
    source.emit({ kind: 'task-state', group: 'histogram', from: 'released', to: 'waiting', outcome: 0 });
    source.emit({ kind: 'task-done', key: `h-${i}`, group: 'histogram', worker: i % 2 ? 'w1' : 'w2', workerId: i % 2 ? 'w1' : 'w2', thread: i % 2, start: now - 4000 + i * 50, stop: now - 3000 + i * 50, events: 25_000 });
  }
  // Every chart with figures on both axes: a few samples of the scheduler and of memory, rates.
  await page.waitForFunction(() => Number(document.getElementById('scheduler-stats')!.dataset.samples) >= 3
    && Number(document.getElementById('memory')!.dataset.samples) >= 3
    && Number(document.getElementById('throughput')!.dataset.points) >= 3
    && Number(document.getElementById('stream')!.dataset.bars) > 0, null, WAIT);
  for (const width of WIDTHS) {
    await resizeTo(page, width, 1200);
    const charts = await chartTexts(page);
    const scheduler = charts.find((c) => c.chart.startsWith('scheduler-panel/') && c.labels.some((l) => / ms$/.test(l.text)));
    t.ok(scheduler, `${width} px: the Scheduler chart's right axis is drawn`);
    t.ok(scheduler?.labels.some((l) => l.text === '1000 ms'), `${width} px: it says 1000 ms (${scheduler?.labels.map((l) => l.text).join(', ')})`);
    for (const id of ['throughput-panel', 'memory-panel', 'scheduler-panel', 'stream-panel', 'progress-panel']) {
      t.ok(charts.some((c) => c.chart.startsWith(`${id}/`) && c.labels.length > 0), `${width} px: ${id} has axis labels`);
    }
    t.same(labelProblems(charts), [], `${width} px: ${charts.reduce((n, c) => n + c.labels.length, 0)} labels on ${charts.length} charts fit`);
  }
});

t.test('time axes over windows that end at a date change and mid-hour, from 1400 px down to 320: no label over another or cut', { skip }, async (t) => {
  const { page } = await memoryDashboard(t);
  await recordCanvasText(page.context());
  await page.reload();
  await page.waitForSelector('#conn.up', WAIT);
  // The page's own Scheduler, Memory and Throughput charts, in panels of the page's layout, fed
  // samples with chosen times (the live feed's are now's): half-width panels as on the page, and a wide one.
  await page.evaluate(async () => {
    const at = (p: string) => new URL(`assets/${p}`, document.baseURI).href;
    const [{ SchedulerPanel }, { MemoryPanel }, { ThroughputChart }] = await Promise.all([at('scheduler-stats.js'), at('memory.js'), at('charts.js')].map((u) => import(u)));
    const main = document.querySelector('main')!;
    const section = (id: string, wide: boolean) => {
      const s = document.createElement('section');
      s.id = id;
      s.className = wide ? 'panel wide' : 'panel';
      const box = document.createElement('div');
      box.id = `${id}-chart`;
      s.append(box);
      main.prepend(s);
      return box;
    };
    const header = document.createElement('span');
    const w = window as unknown as { testCharts: unknown };
    w.testCharts = {
      scheduler: new SchedulerPanel(section('test-scheduler', false), header),
      throughput: new ThroughputChart(section('test-throughput', false)),
      memory: new MemoryPanel(section('test-memory', true)),
    };
  });
  /**
   * Feeds the test charts samples a second apart, `spanS` of them, the last at local time `end`
   * (plus `lastMs`), and draws them. `windowMs`: a performance report's window of that length
   * ending at the last sample (showTimeWindow, as the report page sets it), not the data's.
   */
  const feed = (end: number[], spanS: number, windowMs?: number, lastMs = 0) => page.evaluate(async ([end, spanS, windowMs, lastMs]) => {
    const [y, mo, d, h, mi, s] = end as number[];
    const last = new Date(y!, mo! - 1, d!, h!, mi!, s!).getTime() + (lastMs as number);
    if (windowMs) (await import(new URL('assets/charts.js', document.baseURI).href)).showTimeWindow(last - (windowMs as number), last);
    const times = Array.from({ length: spanS as number }, (_, i) => last - ((spanS as number) - 1 - i) * 1000);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const c = (window as unknown as { testCharts: any }).testCharts;
    c.scheduler.setState({ samples: times.map((x, i) => [x, 20 + (i % 7) * 10, (300 + i) << 20, (i * 37) % 1400, 3]) });
    c.scheduler.render();
    c.memory.setState({ samples: times.map((x, i) => [x, [['w1', i << 16, (400 + i) << 20, 2 ** 31, 0], ['w2', i << 15, (350 + i) << 20, 2 ** 31, 0]]]) });
    c.memory.render({ labels: new Map() });
    c.throughput.update(times.map((x, i) => [x, 10 + (i % 5), 30_000 + i * 10]));
    for (const p of [c.scheduler, c.memory, c.throughput]) p.resize();
    // uPlot draws in a microtask after setData and setSize: this await comes after it.
    await null;
  }, [end, spanS, windowMs ?? 0, lastMs] as const);
  /** Local times (the page's zone, as the axes show them): the window ends there. */
  const ends = [[2026, 12, 3, 23, 59, 40], [2026, 12, 6, 10, 43, 20], [2026, 12, 31, 23, 59, 55]];
  let checked = 0;
  for (const width of [1400, 1000, 700, 520, 400, 320]) {
    await resizeTo(page, width, 1200);
    for (const end of ends) {
      for (const spanS of [60, 200, 600]) {
        await feed(end, spanS);
        const charts = (await chartTexts(page)).filter((c) => c.chart.startsWith('test-'));
        t.equal(charts.length, 5, 'two scheduler charts, throughput, two memory charts');
        t.ok(charts.every((c) => c.labels.length > 0), 'each has labels');
        const problems = labelProblems(charts);
        t.same(problems, [], `${width} px, ${spanS} s to ${end.slice(0, 3).join('-')} ${end.slice(3).join(':')}`);
        checked += charts.length;
      }
    }
  }
  t.equal(checked, 6 * 3 * 3 * 5);

  // A short performance report's window (set last: it holds for the page from here on): the
  // charts' samples are a second apart, and a 12 s report was labelled every half second
  // (':08.500', ':09.500', …), a 1.2 s one every 50 ms, by uPlot's own tick steps.
  for (const width of [1400, 400]) {
    await resizeTo(page, width, 1200);
    for (const windowMs of [1200, 3500, 5000, 12_000, 30_000]) {
      await feed([2026, 12, 6, 10, 43, 20], Math.ceil(windowMs / 1000), windowMs, 300);
      const charts = (await chartTexts(page)).filter((c) => c.chart.startsWith('test-'));
      t.equal(charts.length, 5, 'two scheduler charts, throughput, two memory charts');
      const times = charts.map((c) => c.labels.map((l) => l.text).filter((x) => /^:\d\d|\d(am|pm)$/.test(x)));
      t.ok(times.every((l) => l.length > 0), `${width} px, a ${windowMs} ms report: each chart has time labels (${JSON.stringify(times)})`);
      t.same(times.flat().filter((x) => /:\d\d\.\d/.test(x)), [], `${width} px, a ${windowMs} ms report: whole seconds, no fraction`);
      t.same(labelProblems(charts), [], `${width} px, a ${windowMs} ms report: no label over another or cut`);
    }
  }
});
