/**
 * Dashboard cost on the scheduler's side, per task, measured in-process (run with
 * `npx tsx bench/dashboard.ts` after `npx tsc -b packages/scheduler`):
 *
 *  (1) the synchronous part: the events one task causes (4 state changes + task-done) applied to
 *      the aggregator, against the same events delivered to an empty listener (baseline);
 *  (2) the timer part: one 250 ms push of a 20,000 tasks/s burst (5,000 tasks) encoded and sent
 *      to two live browsers over real loopback WebSockets;
 *  (3) a push with no browser watching, while the scheduler holds bench/scheduler.ts (c)'s graph
 *      (2,000 histograms and their treeReduce, 2,285 tasks) and tasks change state between
 *      pushes: µs per push, the mean of 1,000 (it keeps the history a page opened later draws, nothing else);
 *  and both as a share of the 50 µs a task may cost at the 20,000 tasks/s target.
 *
 * The end-to-end figure (10,000 no-op tasks with two dashboards open / without) is case (f) of
 * bench/scheduler.ts. Writes bench/results/dashboard.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { Aggregator } from '../packages/scheduler/dist/dashboard/aggregate.js';
import { startDashboard } from '../packages/scheduler/dist/dashboard/server.js';
import type { ClusterEvent, ClusterSnapshot, DashboardSource } from '@gluon/scheduler';
import type { ClusterProbe, ProbeTask, ProbeWorker } from '../packages/scheduler/dist/dashboard/source.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const TASKS = 200_000;
const snapshot = (): ClusterSnapshot => ({ time: Date.now(), schedulerAddress: 'ws://x', workers: [], groups: [], failures: [], topics: {}, log: [] });

function eventsOf(i: number): ClusterEvent[] {
  const group = `g${i % 8}`;
  return [
    { kind: 'task-state', group, from: 'released', to: 'waiting' },
    { kind: 'task-state', group, from: 'waiting', to: 'queued' },
    { kind: 'task-state', group, from: 'queued', to: 'processing' },
    { kind: 'task-state', group, from: 'processing', to: 'memory' },
    { kind: 'task-done', key: `${group}-${i}`, group, worker: `w${i % 2}`, thread: i % 4, start: i, stop: i + 1 },
  ];
}

/** ns per task to deliver its events to `listener`, best of 5 rounds. */
function perTask(listener: (e: ClusterEvent) => void, tick?: () => void): number {
  const events = Array.from({ length: 1000 }, (_, i) => eventsOf(i));
  let best = Infinity;
  for (let round = 0; round < 5; round++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < TASKS; i++) {
      for (const e of events[i % 1000]!) listener(e);
      if (tick && i % 5000 === 4999) tick();
    }
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / TASKS);
  }
  return best;
}

async function pushCost(): Promise<number> {
  let emit: (e: ClusterEvent) => void = () => {};
  const source: DashboardSource = { snapshot, subscribe: (l) => ((emit = l), () => {}) };
  const d = await startDashboard(source, { host: '127.0.0.1', port: 0, feed: { intervalMs: 3_600_000 } });
  const sockets = await Promise.all([0, 1].map(() => new Promise<WebSocket>((resolve, reject) => {
    const ws = new WebSocket(`${d.url.replace(/^http/, 'ws')}live`);
    ws.on('message', () => {});
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  })));
  while (d.feed.viewerCount < 2) await new Promise((r) => setTimeout(r, 5));
  d.feed.tick(Date.now()); // the first state
  const times: number[] = [];
  for (let round = 0; round < 20; round++) {
    for (let i = 0; i < 5000; i++) for (const e of eventsOf(round * 5000 + i)) emit(e);
    const t0 = process.hrtime.bigint();
    d.feed.tick(Date.now());
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    await new Promise((r) => setTimeout(r, 20));
  }
  for (const s of sockets) s.close();
  await d.close();
  times.sort((a, b) => a - b);
  return times[times.length >> 1]!;
}

/** (3): µs per unwatched push (the mean of 1,000; a push is synchronous), tasks changing state between pushes. */
async function unwatchedPushUs(): Promise<number> {
  const leaves: ProbeTask[] = Array.from({ length: 2000 }, (_, i) => ({ key: `histogram-${i}`, group: 'histogram', state: 'memory', deps: [], nbytes: 806 }));
  const tasks = new Map<string, ProbeTask>(leaves.map((t) => [t.key, t]));
  let level = leaves;
  for (let depth = 0; level.length > 1; depth++) {
    const next: ProbeTask[] = [];
    for (let i = 0; i < level.length; i += 8) next.push({ key: `merge-${depth}-${i}`, group: 'mergeHistograms', state: 'waiting', deps: level.slice(i, i + 8), nbytes: 0 });
    for (const t of next) tasks.set(t.key, t);
    level = next;
  }
  const workers = new Map<string, ProbeWorker>(['w1', 'w2'].map((id, i) => [id, { id, name: id, nthreads: 1, processing: new Set(leaves.slice(i * 2, i * 2 + 2)), has: new Set(leaves.slice(i * 1000, i * 1000 + 1000)), storedBytes: 806_000 }]));
  const probe: ClusterProbe = { tasks, workers, meanMs: () => 1 };
  const row = (id: string) => ({ id, name: id, address: `ws://127.0.0.1:1/${id}`, host: 'h', nthreads: 1, cpu: 0, rss: 1e8, memoryLimit: 0, executing: 1, queued: 1, stored: 1000, storedBytes: 806_000, lastSeen: Date.now(), alive: true });
  let emit: (e: ClusterEvent) => void = () => {};
  const source: DashboardSource = { snapshot: () => ({ ...snapshot(), workers: [row('w1'), row('w2')] }), probe, subscribe: (l) => ((emit = l), () => {}) };
  const d = await startDashboard(source, { host: '127.0.0.1', port: 0, feed: { intervalMs: 3_600_000 } });
  const times: number[] = [];
  let now = Date.now();
  for (let push = 0; push < 1000; push++) {
    for (let i = 0; i < 100; i++) for (const e of eventsOf(push * 100 + i)) emit(e);
    const t0 = process.hrtime.bigint();
    d.feed.tick((now += 250));
    times.push(Number(process.hrtime.bigint() - t0) / 1e3);
  }
  await d.close();
  // The mean, not the median: a push that reads the task graph (once a second) would not show in a median.
  return times.reduce((x, y) => x + y, 0) / times.length;
}

const baseline = perTask(() => {});
const agg = new Aggregator(snapshot());
const withAgg = perTask((e) => agg.apply(e), () => agg.delta(Date.now()));
const pushMs = await pushCost();
const unwatchedUs = await unwatchedPushUs();
const budgetNs = 1e9 / 20_000;
const rows = {
  baselineNsPerTask: baseline,
  aggregatorNsPerTask: withAgg,
  ratioToBaseline: withAgg / baseline,
  pushOf5000TasksTo2BrowsersMs: pushMs,
  shareOfTaskBudget: (withAgg + (pushMs * 1e6) / 5000) / budgetNs,
  unwatchedPushCpuUs: unwatchedUs,
};
console.log(`events of one task → empty listener:     ${baseline.toFixed(1)} ns (baseline)`);
console.log(`events of one task → aggregator (+delta): ${withAgg.toFixed(1)} ns (${rows.ratioToBaseline.toFixed(1)}× baseline)`);
console.log(`one push of 5,000 tasks to 2 browsers:    ${pushMs.toFixed(2)} ms (${((pushMs * 1e6) / 5000).toFixed(0)} ns per task)`);
console.log(`dashboard share of a 50 µs task budget (20k tasks/s): ${(rows.shareOfTaskBudget * 100).toFixed(2)}%`);
console.log(`one push with no browser watching, 2,285 tasks held and changing state: ${unwatchedUs.toFixed(1)} µs (${(unwatchedUs * 4 / 1000).toFixed(2)} ms a second at 4 pushes a second)`);
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(join(root, 'bench/results/dashboard.json'), JSON.stringify({ date: new Date().toISOString(), node: process.version, ...rows }, null, 2));
