/**
 * A/B of this checkout's scheduler, workers and client against other built checkouts (e.g. a
 * `git worktree` of an older commit), in the same run: all clusters are up at once and the work
 * alternates between them in ABBA order, so a noisy machine weighs on all alike. The shapes are
 * bench/scheduler.ts's:
 *
 *  (a) map(noop) in chunks of 5,000 tasks → CPU per task of each process, tasks/s
 *  (b) sequential `submit(inc).result()` in blocks of SEQ_BLOCK (default 100) round trips → CPU
 *      per round trip of each process, median and p99 (p90, p99.9 and how many took over 1 ms below). SEQ_BLOCK=1 alternates single round trips:
 *      each then runs with caches the other cluster just filled (see docs/internals.md)
 *  (c) 2,000 histograms merged by treeReduce fan-in 8, HIST_RUNS (default 4) runs per side →
 *      CPU per run of each process, wall seconds
 *  (e) the scheduler's RSS with 50,000 results held, measured twice per side (A B B A)
 *
 * DASHBOARD=0 starts both schedulers without a dashboard.
 *
 * Each process's CPU is read from /proc (Linux; every thread's schedstat, in ns) before and after
 * each piece of work of its own side, so the other side's work and idle time are never counted.
 *
 *   npx tsx bench/scheduler-ab.ts /path/to/other/checkout [label]
 *   npx tsx bench/scheduler-ab.ts /path/one=label1 /path/two=label2   (any number of others)
 *
 * The other checkouts must be built (`npx tsc -b` there). Not a test; prints figures, then this checkout against
 * each other one as ratios (a line `/label` per other side: < 1 means this one costs less), and writes
 * bench/results/scheduler-ab.json.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ownCpuSeconds, threadCpuSeconds } from './proc.js';
import { envInt } from './env.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const MAP_TASKS = envInt('MAP_TASKS', 60_000, 1, 1e9);
const CHUNK = 5000;
const ROUND_TRIPS = envInt('ROUND_TRIPS', 3000, 1, 1e9);
const SEQ_BLOCK = envInt('SEQ_BLOCK', 100, 1, 1e9);
const HIST_RUNS = envInt('HIST_RUNS', 4, 1, 1000);
const HELD = 50_000;
/** DASHBOARD=0 starts both schedulers without their dashboards (to see what the dashboard costs). */
const DASHBOARD = process.env.DASHBOARD !== '0';

/** CPU seconds of each process of one side. */
interface Cpu { scheduler: number; workers: number; client: number }
/** One timed piece of work (a chunk, a block, a run): its processes' CPU and how many units it did. */
type Piece = Cpu & { n: number };

interface Side {
  label: string;
  root: string;
  cluster: { schedulerProcess: { pid: number }; workerPids: number[]; close(): Promise<void>; client(): Promise<unknown> };
  client: {
    map(fn: unknown, args: number[]): unknown[];
    gather(f: unknown[]): Promise<unknown[]>;
    release(f: unknown[]): void;
    submit(fn: unknown, x: number): { result(): Promise<unknown> };
    treeReduce(fn: unknown, parts: unknown[], opts: { fanIn: number }): { result(): Promise<unknown>; release(): void };
  };
  tasks: { noop: unknown; inc: unknown; histogram: unknown; mergeHistograms: unknown };
  map: { pieces: Piece[]; ms: number; n: number };
  seq: { pieces: Piece[]; lat: number[] };
  hist: { pieces: Piece[]; s: number[] };
  rssMiB: number[];
}

async function open(label: string, dir: string): Promise<Side> {
  const entry = join(dir, 'packages', 'client', 'dist', 'index.js');
  if (!existsSync(entry)) throw new Error(`${dir} is not a built Gluon checkout (no ${entry}; run npx tsc -b there)`);
  const C = await import(pathToFileURL(entry).href);
  const cluster = await C.LocalCluster.start({ nWorkers: 2, nthreads: 1, cwd: dir, dashboard: DASHBOARD });
  const client = await cluster.client();
  const tasks = C.remoteFrom('@gluon/examples/tasks');
  const side: Side = {
    label, root: dir, cluster, client, tasks,
    map: { pieces: [], ms: 0, n: 0 }, seq: { pieces: [], lat: [] }, hist: { pieces: [], s: [] }, rssMiB: [],
  };
  // Warm-up of every path (JIT, connections), unmeasured.
  await client.gather(client.map(tasks.noop, Array.from({ length: 3000 }, (_, i) => -1e6 + i)));
  for (let i = 0; i < 300; i++) await client.submit(tasks.inc, -5e6 + i).result();
  await histograms(side, -1);
  return side;
}

function cpuNow(s: Side): Cpu {
  return {
    scheduler: threadCpuSeconds(s.cluster.schedulerProcess.pid),
    workers: s.cluster.workerPids.reduce((a, pid) => a + threadCpuSeconds(pid), 0),
    client: ownCpuSeconds(),
  };
}

/** Runs `work` (`n` units of it) on one side and records each of its processes' CPU over it. */
async function timed(s: Side, into: Piece[], n: number, work: () => Promise<void>): Promise<void> {
  const a = cpuNow(s);
  await work();
  const b = cpuNow(s);
  into.push({ scheduler: b.scheduler - a.scheduler, workers: b.workers - a.workers, client: b.client - a.client, n });
}

/** (c): 2,000 histograms of 10,000 values each, merged by treeReduce fan-in 8; checks the total. */
async function histograms(s: Side, run: number): Promise<void> {
  const { client, tasks } = s;
  const parts = client.map(tasks.histogram, Array.from({ length: 2000 }, (_, i) => 3e6 + run * 1e4 + i));
  const total = client.treeReduce(tasks.mergeHistograms, parts, { fanIn: 8 });
  client.release(parts);
  const merged = (await total.result()) as ArrayLike<number>;
  total.release();
  if (Array.from(merged).reduce((x, y) => x + y, 0) !== 2000 * 10_000) throw new Error(`${s.label}: treeReduce lost entries`);
}

function rssMiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;
}

/**
 * The other checkouts: `path [label]` (one), or any number of `path` or `path=label` (a label
 * defaults to the folder's name).
 */
function otherCheckouts(args: string[]): Array<{ dir: string; label: string }> {
  if (args.length === 2 && !args[1]!.includes('=') && !existsSync(args[1]!)) return [{ dir: resolve(args[0]!), label: args[1]! }];
  return args.map((a) => {
    const i = a.indexOf('=');
    return i > 0 ? { dir: resolve(a.slice(0, i)), label: a.slice(i + 1) } : { dir: resolve(a), label: basename(resolve(a)) };
  });
}

/** ABBA order of the sides for piece `k` (A B C, then C B A, …). */
const order = (sides: Side[], k: number): Side[] => (k % 2 ? [...sides].reverse() : sides);

async function main(): Promise<void> {
  const others = otherCheckouts(process.argv.slice(2));
  if (others.length === 0) {
    console.error('usage: npx tsx bench/scheduler-ab.ts /path/to/other/checkout [label]\n' +
      '       npx tsx bench/scheduler-ab.ts /path/one=label1 /path/two=label2 …');
    process.exit(2);
  }
  const sides = [await open('this', root)];
  for (const o of others) sides.push(await open(o.label, o.dir));
  try {
    // (a) map chunks, A B B A …
    for (let off = 0, k = 0; off < MAP_TASKS; off += CHUNK, k++) {
      for (const s of order(sides, k)) {
        const t = performance.now();
        await timed(s, s.map.pieces, CHUNK, async () => {
          const f = s.client.map(s.tasks.noop, Array.from({ length: CHUNK }, (_, i) => off + i));
          await s.client.gather(f);
          s.client.release(f);
        });
        s.map.ms += performance.now() - t;
        s.map.n += CHUNK;
      }
    }
    // (b) blocks of sequential round trips, A B B A …
    for (let i = 0, k = 0; i < ROUND_TRIPS; i += SEQ_BLOCK, k++) {
      for (const s of order(sides, k)) {
        await timed(s, s.seq.pieces, Math.min(ROUND_TRIPS, i + SEQ_BLOCK) - i, async () => {
          for (let j = i; j < Math.min(ROUND_TRIPS, i + SEQ_BLOCK); j++) {
            const t = performance.now();
            await s.client.submit(s.tasks.inc, 2e6 + j).result();
            s.seq.lat.push((performance.now() - t) * 1000);
          }
        });
      }
    }
    // (c) histogram runs, A B B A …
    for (let r = 0; r < HIST_RUNS; r++) {
      for (const s of order(sides, r)) {
        const t = performance.now();
        await timed(s, s.hist.pieces, 1, () => histograms(s, r));
        s.hist.s.push((performance.now() - t) / 1000);
      }
    }
    // (e) RSS with 50,000 results held, A B B A
    for (let r = 0; r < 2; r++) {
      for (const s of order(sides, r)) {
        const f = s.client.map(s.tasks.noop, Array.from({ length: HELD }, (_, i) => 1e7 + r * 1e6 + i));
        await s.client.gather(f);
        await new Promise((res) => setTimeout(res, 200));
        s.rssMiB.push(rssMiB(s.cluster.schedulerProcess.pid));
        s.client.release(f);
      }
    }
  } finally {
    for (const s of sides) await s.cluster.close();
  }
  report(sides);
}

function report(sides: Side[]): void {
  const q = (xs: number[], p: number) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]! : NaN);
  // Each process's CPU per unit: the median over the pieces (a piece that a loaded machine
  // stalled weighs no more than any other), and the mean over all of them for the JSON.
  const per = (pieces: Piece[], scale: number) => {
    const one = (k: keyof Cpu) => q(pieces.map((p) => p[k] / p.n), 0.5) * scale;
    return { scheduler: one('scheduler'), client: one('client'), workers: one('workers') };
  };
  const mean = (pieces: Piece[], scale: number) => {
    const n = pieces.reduce((a, p) => a + p.n, 0);
    const one = (k: keyof Cpu) => (pieces.reduce((a, p) => a + p[k], 0) / n) * scale;
    return { scheduler: one('scheduler'), client: one('client'), workers: one('workers') };
  };
  const out = sides.map((s) => ({
    side: s.label,
    root: s.root,
    mapCpuPerTaskUs: per(s.map.pieces, 1e6),
    mapCpuPerTaskUsMean: mean(s.map.pieces, 1e6),
    mapTasksPerSecond: s.map.n / (s.map.ms / 1000),
    seqCpuPerRoundTripUs: per(s.seq.pieces, 1e6),
    seqCpuPerRoundTripUsMean: mean(s.seq.pieces, 1e6),
    seqLatencyUs: { median: q(s.seq.lat, 0.5), p90: q(s.seq.lat, 0.9), p99: q(s.seq.lat, 0.99), p999: q(s.seq.lat, 0.999), over1ms: s.seq.lat.filter((x) => x > 1000).length },
    histCpuPerRunMs: per(s.hist.pieces, 1e3),
    histCpuPerRunMsMean: mean(s.hist.pieces, 1e3),
    histSeconds: s.hist.s,
    heldRssMiB: s.rssMiB,
  }));
  const f = (x: number, w = 8) => x.toFixed(1).padStart(w);
  const three = (c: { scheduler: number; client: number; workers: number }) => `${f(c.scheduler)} ${f(c.client)} ${f(c.workers)}`;
  console.log(`A/B in one run, ABBA: (a) map(noop) × ${MAP_TASKS} in chunks of ${CHUNK}; (b) ${ROUND_TRIPS} sequential round trips in blocks of ${SEQ_BLOCK}; ` +
    `(c) ${HIST_RUNS} × 2,000 histograms + treeReduce; (e) scheduler RSS with ${HELD.toLocaleString('en-US')} results held${DASHBOARD ? '' : '; no dashboards'}\n`);
  console.log(`${'side'.padEnd(8)}  ${'(a) CPU µs per task'.padEnd(26)}  ${'(b) CPU µs per round trip'.padEnd(26)}  ${'(b) µs'.padEnd(15)}  ${'(c) CPU ms per run'.padEnd(26)}  (c) s  (e) MiB`);
  console.log(`${''.padEnd(8)}  ${'   sched   client  workers'}  ${'   sched   client  workers'}  ${'median     p99'}  ${'   sched   client  workers'}  median`);
  for (const o of out) {
    console.log(`${o.side.padEnd(8)}  ${three(o.mapCpuPerTaskUs)}  ${three(o.seqCpuPerRoundTripUs)}  ${f(o.seqLatencyUs.median, 6)} ${f(o.seqLatencyUs.p99, 8)}  ` +
      `${three(o.histCpuPerRunMs)}  ${q(o.histSeconds, 0.5).toFixed(2).padStart(5)}  ${o.heldRssMiB.map((x) => x.toFixed(0)).join('/')}`);
  }
  // This checkout against each other one, figure by figure (< 1: this one costs less).
  const r = (a: number, b: number, w = 8) => (a / b).toFixed(2).padStart(w);
  const ratios = (a: { scheduler: number; client: number; workers: number }, b: typeof a) => `${r(a.scheduler, b.scheduler)} ${r(a.client, b.client)} ${r(a.workers, b.workers)}`;
  const mid = (xs: number[]) => q(xs, 0.5);
  const self = out[0]!;
  for (const o of out.slice(1)) {
    console.log(`${`/${o.side}`.padEnd(8)}  ${ratios(self.mapCpuPerTaskUs, o.mapCpuPerTaskUs)}  ${ratios(self.seqCpuPerRoundTripUs, o.seqCpuPerRoundTripUs)}  ` +
      `${r(self.seqLatencyUs.median, o.seqLatencyUs.median, 6)} ${r(self.seqLatencyUs.p99, o.seqLatencyUs.p99)}  ${ratios(self.histCpuPerRunMs, o.histCpuPerRunMs)}  ` +
      `${r(mid(self.histSeconds), mid(o.histSeconds), 5)}  ${self.heldRssMiB.map((x, i) => r(x, o.heldRssMiB[i]!, 1)).join('/')}`);
  }
  for (const o of out) {
    const l = o.seqLatencyUs;
    console.log(`${o.side.padEnd(8)}  (b) round trips: p90 ${l.p90.toFixed(0)} µs, p99.9 ${l.p999.toFixed(0)} µs, ${l.over1ms} of ${ROUND_TRIPS} over 1 ms`);
  }
  console.log('\nCPU: the median over the chunks, blocks or runs of each side (means in the JSON). workers: both worker processes with\n' +
    'their task threads. CPU from /proc stays meaningful on a loaded machine; wall figures (µs, s, tasks/s) do not.');
  const dir = join(root, 'bench', 'results');
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
  const file = join(dir, 'scheduler-ab.json');
  writeFileSync(file, `${JSON.stringify({ date: new Date().toISOString(), node: process.version, mapTasks: MAP_TASKS, roundTrips: ROUND_TRIPS, seqBlock: SEQ_BLOCK, histRuns: HIST_RUNS, dashboard: DASHBOARD, sides: out }, null, 2)}\n`);
  console.log(`written to ${file}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
