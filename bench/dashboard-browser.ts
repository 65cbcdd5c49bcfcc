/**
 * What a real browser watching the dashboard costs the scheduler, and what the page itself does,
 * on a busy cluster (run with `npx tsx bench/dashboard-browser.ts` after `npm run build`; needs
 * Debian's chromium, scripts/setup-test-env.sh installs it).
 *
 * A LocalCluster (2 workers) runs rounds of ROUND_TASKS no-op tasks (submitted at once, gathered,
 * released), in the order A B C C B A, then C B A A B C, …: A with no viewer, B with chromium
 * showing the dashboard (a fresh page per round, open and live before the round starts), C with a
 * plain socket reading the live feed in another process (what bench/scheduler.ts (f) measures: the
 * scheduler's side of a viewer without a browser). Per round:
 *  - the scheduler's event-loop delay (p50, p99, max; prom-client's histogram from `metrics`,
 *    which each scrape resets: scraped just before and just after the round);
 *  - the scheduler's CPU per task (/proc) and the round's throughput; chromium's CPU (all its
 *    processes, /proc) as a share of a core;
 *  - in B rounds, the page: its renderer process's CPU (Chrome's ProcessTime) and its main thread's
 *    busy time (TaskDuration, wall time) as shares of the round's wall time, long tasks
 *    (PerformanceObserver, > 50 ms of wall time, which on a loaded machine
 *    includes time spent waiting for a core), DOM nodes and JS heap at the round's end.
 * Totals over all rounds of a kind, and B ÷ A, C ÷ A from the same run. Chromium runs on the same machine
 * as the cluster here, so B also pays for the page's CPU on the scheduler's cores: the CPU per
 * task is the figure a browser elsewhere would change, the throughput one a local browser does.
 *
 * Every round starts the same time after the previous one ended (GAP_MS, default 4 s), whatever its
 * viewer took to open, and releases at least the scheduler's idle-collection threshold (50,000
 * tasks, idle-gc.ts), so every round follows the same idle history (since the idle collection is
 * paced, IdlePacing, only the first rounds follow a collection; before, every one did): a round right after one costs
 * the scheduler more CPU by itself (no viewer, 20,000 tasks: 20.8 µs a task after a 3 s gap
 * holding a collection, 11.3 after none). Before, rounds of 20,000 started ~1 s after the last,
 * a page's after it had loaded plus 1 s: B rounds followed the collections, and the 1.46-1.56x of
 * B ÷ A was that, not the browser.
 *
 * Env: ROUNDS (pairs of ABBA, default 3), ROUND_TASKS (default 50,000), GAP_MS (default 4,000).
 * Writes bench/results/dashboard-browser.json.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadavg } from 'node:os';
import { LocalCluster, remoteFrom } from '@gluon/client';
import { chromium, type CDPSession, type Page } from 'playwright-core';
import { cpuSeconds, median } from './proc.js';
import { schedulerLoopDelay } from './loop-delay.js';
import { envInt } from './env.js';

const CHROMIUM = '/usr/bin/chromium';
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ROUNDS = envInt('ROUNDS', 3, 1, 50);
const ROUND_TASKS = envInt('ROUND_TASKS', 50_000, 100, 1_000_000);
const GAP_MS = envInt('GAP_MS', 4_000, 0, 600_000);
const { noop } = remoteFrom<typeof import('@gluon/examples/tasks')>('@gluon/examples/tasks');

if (!existsSync(CHROMIUM)) {
  console.log(`not measured: chromium not found at ${CHROMIUM} (scripts/setup-test-env.sh installs it)`);
  process.exit(0);
}

/** Every process under this one whose command is chromium's (the browser, its renderers, GPU, utilities). */
function chromiumPids(): number[] {
  const parent = new Map<number, number>();
  const names = new Map<number, string>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      names.set(Number(d), stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')));
      parent.set(Number(d), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch { /* gone meanwhile */ }
  }
  const under = (pid: number): boolean => { for (let p = parent.get(pid); p; p = parent.get(p)) if (p === process.pid) return true; return false; };
  return [...names].filter(([pid, name]) => /chrom/i.test(name) && under(pid)).map(([pid]) => pid);
}
/** CPU seconds of each chromium process now, by pid. */
function chromiumCpu(): Map<number, number> {
  const out = new Map<number, number>();
  for (const pid of chromiumPids()) { try { out.set(pid, cpuSeconds(pid)); } catch { /* gone */ } }
  return out;
}
/** CPU seconds chromium used between two readings: the processes alive at the second (one that exited meanwhile is left out). */
function chromiumSince(before: Map<number, number>): number {
  let s = 0;
  for (const [pid, cpu] of chromiumCpu()) s += cpu - (before.get(pid) ?? 0);
  return s;
}

/**
 * A viewer that is not a browser: a separate process holding one socket to the live feed and
 * reading every frame (as bench/scheduler.ts (f) does), so the scheduler's side of a viewer is
 * told from a real page's.
 */
async function socketViewer(url: string): Promise<{ close(): void }> {
  const live = new URL('live', url).href.replace(/^http/, 'ws');
  const code = `
    const { default: WebSocket } = await import('ws');
    const ws = new WebSocket(process.argv[1]);
    ws.on('open', () => process.stdout.write('ready\\n'));
    ws.on('message', () => {});
    ws.on('error', (e) => { process.stdout.write('error ' + e.message + '\\n'); process.exit(1); });
    process.on('SIGTERM', () => process.exit(0));`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code, live], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const first = await new Promise<string>((resolve) => {
    let buf = '';
    child.stdout.on('data', (d: Buffer) => { buf += d.toString(); if (buf.includes('\n')) resolve(buf.split('\n')[0]!); });
    child.once('exit', () => resolve(buf || 'the viewer process exited'));
  });
  if (first !== 'ready') throw new Error(`the socket viewer could not open ${live}: ${first}`);
  return { close: () => child.kill('SIGTERM') };
}

/** A: no viewer; B: chromium showing the page; C: a socket reading the feed, no browser. */
type Kind = 'A' | 'B' | 'C';

interface Round {
  kind: Kind; wallS: number; tasksPerS: number; schedCpuUsPerTask: number;
  loop: { p50Ms: number; p99Ms: number; maxMs: number };
  /** every chromium process's CPU over the round (cores): what a browser on this machine takes from the cluster */
  chromiumCores: number;
  page?: { cpuShare: number; busyShare: number; longTasks: number; longestMs: number; nodes: number; heapKiB: number };
}

const cluster = await LocalCluster.start({ nWorkers: 2, nthreads: 1, cwd: root, timeoutMs: 180_000 });
const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu', '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1'] });
const rounds: Round[] = [];
try {
  const client = await cluster.client();
  const pid = cluster.schedulerProcess.pid!;
  const dash = cluster.dashboardUrl!;
  let seed = 0;
  // Warm-up: code loaded on the workers, the scheduler's JIT warm, prom-client loaded by a scrape.
  { const w = client.map(noop, Array.from({ length: ROUND_TASKS }, () => seed++)); await client.gather(w); client.release(w); }
  await schedulerLoopDelay(dash);

  const metricsOf = async (cdp: CDPSession) => {
    const m = (await cdp.send('Performance.getMetrics')).metrics;
    return (name: string) => m.find((x) => x.name === name)?.value ?? NaN;
  };

  const order: Kind[] = [];
  for (let i = 0; i < ROUNDS; i++) order.push(...(i % 2 ? ['C', 'B', 'A', 'A', 'B', 'C'] as const : ['A', 'B', 'C', 'C', 'B', 'A'] as const));
  let lastEnd = performance.now();
  for (const kind of order) {
    let page: Page | undefined;
    const viewer = kind === 'C' ? await socketViewer(dash) : undefined;
    let cdp: CDPSession | undefined;
    if (kind === 'B') {
      const context = await browser.newContext({ viewport: { width: 1400, height: 1500 } });
      await context.addInitScript(`window.__long = []; new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__long.push(e.duration); }).observe({ type: 'longtask' });`);
      page = await context.newPage();
      cdp = await context.newCDPSession(page);
      await cdp.send('Performance.enable');
      await page.goto(dash);
      await page.waitForSelector('#conn.up', { timeout: 60_000 });
    }
    // The same idle gap before every kind of round (the header says why), at least 1 s after the
    // viewer opened (its first state sent and drawn: not per-task cost).
    const opened = performance.now();
    const gapLeft = Math.max(lastEnd + GAP_MS - opened, 1000);
    if (opened + 1000 > lastEnd + GAP_MS) console.log(`${kind}: its viewer took ${((opened - lastEnd) / 1000).toFixed(1)} s to open, so this round's gap is ${((opened + 1000 - lastEnd) / 1000).toFixed(1)} s, not ${GAP_MS / 1000} s (raise GAP_MS)`);
    await new Promise((r) => setTimeout(r, gapLeft));
    const m0 = cdp ? await metricsOf(cdp) : undefined;
    await schedulerLoopDelay(dash); // resets the histogram: the round's own delay is read after it
    const c0 = cpuSeconds(pid), b0 = chromiumCpu(), t0 = performance.now();
    const fs = client.map(noop, Array.from({ length: ROUND_TASKS }, () => seed++));
    await client.gather(fs);
    const wallS = (performance.now() - t0) / 1000;
    const cpu = cpuSeconds(pid) - c0;
    const chromiumCores = chromiumSince(b0) / wallS;
    const loop = (await schedulerLoopDelay(dash))!;
    client.release(fs);
    viewer?.close();
    lastEnd = performance.now();
    const r: Round = { kind, wallS, tasksPerS: ROUND_TASKS / wallS, schedCpuUsPerTask: (cpu / ROUND_TASKS) * 1e6, chromiumCores, loop: { p50Ms: loop.p50Ms, p99Ms: loop.p99Ms, maxMs: loop.maxMs } };
    if (page && cdp && m0) {
      const m1 = await metricsOf(cdp);
      const long = await page.evaluate(() => (globalThis as unknown as { __long: number[] }).__long.splice(0));
      r.page = { cpuShare: (m1('ProcessTime') - m0('ProcessTime')) / wallS, busyShare: (m1('TaskDuration') - m0('TaskDuration')) / wallS, longTasks: long.length, longestMs: Math.max(0, ...long), nodes: m1('Nodes'), heapKiB: m1('JSHeapUsedSize') / 1024 };
      await page.context().close();
    }
    rounds.push(r);
    console.log(`${kind}: ${ROUND_TASKS} tasks in ${wallS.toFixed(2)} s (${r.tasksPerS.toFixed(0)}/s), scheduler ${r.schedCpuUsPerTask.toFixed(1)} µs CPU/task, loop delay p50 ${r.loop.p50Ms.toFixed(2)} p99 ${r.loop.p99Ms.toFixed(2)} max ${r.loop.maxMs.toFixed(1)} ms, chromium ${(r.chromiumCores * 100).toFixed(0)}% of a core` +
      (r.page ? `; page: renderer ${(r.page.cpuShare * 100).toFixed(1)}% CPU, main thread busy ${(r.page.busyShare * 100).toFixed(1)}% of wall time, ${r.page.longTasks} long tasks (longest ${r.page.longestMs.toFixed(0)} ms wall), ${r.page.nodes} nodes, ${r.page.heapKiB.toFixed(0)} KiB heap` : ''));
  }
} finally {
  await browser.close();
  await cluster.close();
}

const of = (k: Kind) => rounds.filter((r) => r.kind === k);
const total = (k: Kind) => {
  const rs = of(k);
  const wall = rs.reduce((a, r) => a + r.wallS, 0);
  return {
    tasksPerS: (rs.length * ROUND_TASKS) / wall,
    schedCpuUsPerTask: rs.reduce((a, r) => a + r.schedCpuUsPerTask * r.wallS, 0) / wall,
    loopP99Ms: median(rs.map((r) => r.loop.p99Ms)), loopMaxMs: Math.max(...rs.map((r) => r.loop.maxMs)),
  };
};
const a = total('A'), b = total('B'), c = total('C');
const pages = of('B').map((r) => r.page!);
const summary = {
  when: new Date().toISOString(), load: loadavg(), rounds: ROUNDS, roundTasks: ROUND_TASKS, gapMs: GAP_MS,
  withoutPage: a, withPage: b, socketViewer: c,
  ratios: { throughput: b.tasksPerS / a.tasksPerS, schedCpuPerTask: b.schedCpuUsPerTask / a.schedCpuUsPerTask, loopP99: b.loopP99Ms / a.loopP99Ms },
  socketRatios: { throughput: c.tasksPerS / a.tasksPerS, schedCpuPerTask: c.schedCpuUsPerTask / a.schedCpuUsPerTask, loopP99: c.loopP99Ms / a.loopP99Ms },
  chromiumCoresMedian: median(of('B').map((r) => r.chromiumCores)),
  page: { cpuShareMedian: median(pages.map((p) => p.cpuShare)), busyShareMedian: median(pages.map((p) => p.busyShare)), longTasks: pages.reduce((n, p) => n + p.longTasks, 0), longestMs: Math.max(...pages.map((p) => p.longestMs)), nodesMax: Math.max(...pages.map((p) => p.nodes)), heapKiBMax: Math.max(...pages.map((p) => p.heapKiB)) },
  perRound: rounds,
};
console.log(`\nwithout a page (A, ${of('A').length} rounds): ${a.tasksPerS.toFixed(0)} tasks/s, scheduler ${a.schedCpuUsPerTask.toFixed(1)} µs CPU/task, loop delay p99 (median of rounds) ${a.loopP99Ms.toFixed(2)} ms, max ${a.loopMaxMs.toFixed(1)} ms`);
console.log(`with the page    (B, ${of('B').length} rounds): ${b.tasksPerS.toFixed(0)} tasks/s, scheduler ${b.schedCpuUsPerTask.toFixed(1)} µs CPU/task, loop delay p99 (median of rounds) ${b.loopP99Ms.toFixed(2)} ms, max ${b.loopMaxMs.toFixed(1)} ms`);
console.log(`a socket viewer (C, ${of('C').length} rounds): ${c.tasksPerS.toFixed(0)} tasks/s, scheduler ${c.schedCpuUsPerTask.toFixed(1)} µs CPU/task, loop delay p99 (median of rounds) ${c.loopP99Ms.toFixed(2)} ms, max ${c.loopMaxMs.toFixed(1)} ms`);
console.log(`C ÷ A: throughput ${summary.socketRatios.throughput.toFixed(3)}, scheduler CPU per task ${summary.socketRatios.schedCpuPerTask.toFixed(3)}, loop delay p99 ${summary.socketRatios.loopP99.toFixed(3)}`);
console.log(`chromium, all its processes, during B rounds: ${(summary.chromiumCoresMedian * 100).toFixed(0)}% of a core (median)`);
console.log(`B ÷ A: throughput ${summary.ratios.throughput.toFixed(3)}, scheduler CPU per task ${summary.ratios.schedCpuPerTask.toFixed(3)}, loop delay p99 ${summary.ratios.loopP99.toFixed(3)}`);
console.log(`the page: renderer process ${(summary.page.cpuShareMedian * 100).toFixed(1)}% CPU, main thread busy ${(summary.page.busyShareMedian * 100).toFixed(1)}% of wall time (medians of rounds), ${summary.page.longTasks} long tasks in all (longest ${summary.page.longestMs.toFixed(0)} ms wall), at most ${summary.page.nodesMax} DOM nodes and ${summary.page.heapKiBMax.toFixed(0)} KiB JS heap; load ${summary.load.map((x) => x.toFixed(1)).join(' ')}`);
mkdirSync(join(root, 'bench', 'results'), { recursive: true });
writeFileSync(join(root, 'bench', 'results', 'dashboard-browser.json'), JSON.stringify(summary, null, 2) + '\n');
