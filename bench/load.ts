/**
 * Load on one scheduler (a real `gluon-scheduler` process, 2 worker processes × 1 thread; a
 * fresh scheduler and workers for every run, so each run's memory figure is its own):
 *
 *  baseline  one client maps inc over 20,000 numbers
 *  (a)       one client maps inc over 200,000 numbers
 *  (b)       50 clients at once, each mapping inc over its own 2,000 numbers (100,000 tasks)
 *
 * Every result is checked (inc(x) = x + 1 for every x, none missing), then released. For each
 * shape: the scheduler's CPU time (user + system, /proc) per task and as a ratio to the
 * baseline's, its RSS peak (VmHWM: the kernel's own high-water mark) and the wall time. On a shared, loaded machine
 * wall time is not a figure to quote; CPU time is. The order is baseline, a, b, b, a, baseline
 * (ABBA), each figure the mean of its two runs. Prints a table and writes bench/results/load.json.
 *
 *   npx tsc -b && npx tsx bench/load.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, remoteFrom } from '@gluon/client';
import { startScheduler, startWorker, type Owner, type Proc } from '../packages/client/test/procs.js';
import { cpuSeconds, rssMiB, rssPeakMiB } from './proc.js';

const { inc } = remoteFrom<typeof import('@gluon/examples/tasks')>('@gluon/examples/tasks');
const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const cleanups: Array<() => void> = [];
process.on('exit', () => cleanups.forEach((fn) => fn()));
process.on('SIGINT', () => process.exit(130));

interface Shape { id: string; what: string; clients: number; perClient: number }
const SHAPES: Record<string, Shape> = {
  base: { id: 'baseline', what: '1 client × 20,000 tasks', clients: 1, perClient: 20_000 },
  a: { id: 'a', what: '1 client × 200,000 tasks', clients: 1, perClient: 200_000 },
  b: { id: 'b', what: '50 clients × 2,000 tasks at once', clients: 50, perClient: 2_000 },
};

interface Run { cpuS: number; wallS: number; rssPeakMiB: number; rssAfterMiB: number; tasks: number }

/** Maps inc over `n` numbers from `offset` on one client and checks every result. */
async function mapAndCheck(client: Client, offset: number, n: number, what: string): Promise<void> {
  const xs = Array.from({ length: n }, (_, i) => offset + i);
  const futures = client.map(inc, xs);
  const values = await client.gather(futures);
  if (values.length !== n) throw new Error(`${what}: ${values.length} results for ${n} tasks`);
  for (let i = 0; i < n; i++) {
    if (values[i] !== xs[i]! + 1) throw new Error(`${what}: inc(${xs[i]}) came back as ${String(values[i])}`);
  }
  client.release(futures);
}

let nextOffset = 0;

/** One run of a shape on a fresh scheduler and workers (killed afterwards). */
async function run(shape: Shape): Promise<Run> {
  const procs: Proc[] = [];
  const own: Owner = { teardown: (fn) => cleanups.push(fn) };
  try {
    const s = await startScheduler(own, ['--heartbeat-ttl', '60s']);
    procs.push(s);
    const pid = s.child.pid!;
    for (let i = 0; i < 2; i++) procs.push(await startWorker(own, s.address, ['--nthreads', '1']));
    const clients = await Promise.all(Array.from({ length: shape.clients }, (_, i) => Client.connect(s.address, { name: `load-${shape.id}-${i}` })));
    try {
      // Warm-up (JIT, connections), not counted: a few tasks on every client.
      await Promise.all(clients.map((c, i) => mapAndCheck(c, -1e9 + i * 100, 100, 'warm-up')));
      const base = nextOffset;
      nextOffset += shape.clients * shape.perClient;
      const c0 = cpuSeconds(pid);
      const t0 = performance.now();
      await Promise.all(clients.map((c, i) => mapAndCheck(c, base + i * shape.perClient, shape.perClient, `${shape.what}, client ${i}`)));
      const wallS = (performance.now() - t0) / 1000;
      const cpuS = cpuSeconds(pid) - c0;
      return { cpuS, wallS, rssPeakMiB: rssPeakMiB(pid), rssAfterMiB: rssMiB(pid), tasks: shape.clients * shape.perClient };
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  } finally {
    for (const p of procs) p.child.kill('SIGKILL');
  }
}

async function main(): Promise<void> {
  const load0 = loadavg()[0]!;
  console.log(`gluon load benchmark: one scheduler, 2 worker processes × 1 thread, fresh for every run; load average ${load0.toFixed(1)}\n`);
  const order = ['base', 'a', 'b', 'b', 'a', 'base'];
  const runs = new Map<string, Run[]>();
  for (const k of order) {
    const r = await run(SHAPES[k]!);
    console.log(`  ${SHAPES[k]!.what.padEnd(34)} ${r.cpuS.toFixed(2).padStart(6)} s CPU  ${r.wallS.toFixed(1).padStart(6)} s wall  RSS peak ${r.rssPeakMiB.toFixed(0)} MiB, ${r.rssAfterMiB.toFixed(0)} MiB after its results were released`);
    runs.set(k, [...(runs.get(k) ?? []), r]);
  }
  const mean = (xs: Run[], f: (r: Run) => number) => xs.reduce((a, r) => a + f(r), 0) / xs.length;
  const perTaskUs = (k: string) => mean(runs.get(k)!, (r) => (r.cpuS / r.tasks) * 1e6);
  const baseUs = perTaskUs('base');
  const rows = Object.entries(SHAPES).map(([k, shape]) => ({
    id: shape.id,
    what: shape.what,
    tasks: shape.clients * shape.perClient,
    schedulerCpuS: +mean(runs.get(k)!, (r) => r.cpuS).toFixed(2),
    schedulerCpuUsPerTask: +perTaskUs(k).toFixed(1),
    cpuPerTaskRatioToBaseline: +(perTaskUs(k) / baseUs).toFixed(2),
    schedulerRssPeakMiB: +Math.max(...runs.get(k)!.map((r) => r.rssPeakMiB)).toFixed(1),
    wallS: +mean(runs.get(k)!, (r) => r.wallS).toFixed(2),
    allResultsChecked: true,
  }));
  const load1 = loadavg()[0]!;
  console.log(`\n${'shape'.padEnd(36)} ${'CPU µs/task'.padStart(12)} ${'× baseline'.padStart(11)} ${'RSS peak'.padStart(10)} ${'wall s'.padStart(8)}`);
  for (const r of rows) {
    console.log(`${`${r.id}: ${r.what}`.padEnd(36)} ${r.schedulerCpuUsPerTask.toFixed(1).padStart(12)} ${r.cpuPerTaskRatioToBaseline.toFixed(2).padStart(11)} ${`${r.schedulerRssPeakMiB.toFixed(0)} MiB`.padStart(10)} ${r.wallS.toFixed(1).padStart(8)}`);
  }
  console.log('\nEvery result of every run checked (inc(x) = x + 1 for each x, none missing).');
  console.log(`Load average ${load0.toFixed(1)} → ${load1.toFixed(1)}: wall times on a loaded machine are not quotable; CPU per task is.`);
  const out = join(root, 'bench/results');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'load.json'), `${JSON.stringify({
    date: new Date().toISOString(), node: process.version, loadAverage: [+load0.toFixed(2), +load1.toFixed(2)],
    workers: '2 processes × 1 thread', order, runs: Object.fromEntries(runs), rows,
  }, null, 2)}\n`);
  console.log('wrote bench/results/load.json');
}

main().then(() => process.exit(0), (err) => {
  console.error(err);
  process.exit(1);
});
