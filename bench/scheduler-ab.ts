/**
 * A/B of this checkout's scheduler, workers and client against another built checkout (e.g. a
 * `git worktree` of an older commit), in the same run: both clusters are up at once and the work
 * alternates between them in small pieces (map chunks of 5,000 no-op tasks in ABBA order, then
 * single sequential `submit(inc).result()` round trips, A B B A …), so a noisy machine weighs on
 * both alike. Prints, for each side, the CPU time per task (map) and per round trip (sequential)
 * of each process, read from /proc (Linux), and the round trips' median and p99.
 *
 *   npx tsx bench/scheduler-ab.ts /path/to/other/checkout [label]
 *
 * The other checkout must be built (`npx tsc -b` there). Not a test; prints figures and writes
 * bench/results/scheduler-ab.json.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cpuSeconds, ownCpuSeconds } from './proc.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const MAP_TASKS = Number(process.env.MAP_TASKS ?? 60_000);
const CHUNK = 5000;
const ROUND_TRIPS = Number(process.env.ROUND_TRIPS ?? 3000);

interface Side {
  label: string;
  root: string;
  cluster: { schedulerProcess: { pid: number }; workerPids: number[]; close(): Promise<void>; client(): Promise<unknown> };
  client: {
    map(fn: unknown, args: number[]): unknown[];
    gather(f: unknown[]): Promise<unknown[]>;
    release(f: unknown[]): void;
    submit(fn: unknown, x: number): { result(): Promise<unknown> };
  };
  noop: unknown;
  inc: unknown;
  map: { scheduler: number; workers: number; client: number; ms: number; n: number };
  seq: { scheduler: number; workers: number; client: number; n: number; lat: number[] };
}


async function open(label: string, dir: string): Promise<Side> {
  const entry = join(dir, 'packages', 'client', 'dist', 'index.js');
  if (!existsSync(entry)) throw new Error(`${dir} is not a built Gluon checkout (no ${entry}; run npx tsc -b there)`);
  const C = await import(pathToFileURL(entry).href);
  const cluster = await C.LocalCluster.start({ nWorkers: 2, nthreads: 1, cwd: dir });
  const client = await cluster.client();
  const tasks = C.remoteFrom('@gluon/examples/tasks');
  const side: Side = {
    label, root: dir, cluster, client, noop: tasks.noop, inc: tasks.inc,
    map: { scheduler: 0, workers: 0, client: 0, ms: 0, n: 0 },
    seq: { scheduler: 0, workers: 0, client: 0, n: 0, lat: [] },
  };
  // Warm-up of both paths (JIT, connections), unmeasured.
  await client.gather(client.map(side.noop, Array.from({ length: 3000 }, (_, i) => -1e6 + i)));
  for (let i = 0; i < 300; i++) await client.submit(side.inc, -5e6 + i).result();
  return side;
}

function clusterCpu(s: Side): { scheduler: number; workers: number } {
  return { scheduler: cpuSeconds(s.cluster.schedulerProcess.pid), workers: s.cluster.workerPids.reduce((a, pid) => a + cpuSeconds(pid), 0) };
}

async function main(): Promise<void> {
  const other = process.argv[2];
  if (!other) {
    console.error('usage: npx tsx bench/scheduler-ab.ts /path/to/other/checkout [label]');
    process.exit(2);
  }
  const sides = [await open('this', root), await open(process.argv[3] ?? 'other', resolve(other))];
  try {
    // Map: chunks alternate A B, then B A, …; each side's processes are timed over its own chunks.
    for (let off = 0, k = 0; off < MAP_TASKS; off += CHUNK, k++) {
      for (const s of k % 2 ? [...sides].reverse() : sides) {
        const a = clusterCpu(s), c = ownCpuSeconds(), t = performance.now();
        const f = s.client.map(s.noop, Array.from({ length: CHUNK }, (_, i) => off + i));
        await s.client.gather(f);
        s.client.release(f);
        const b = clusterCpu(s);
        s.map.ms += performance.now() - t;
        s.map.client += ownCpuSeconds() - c;
        s.map.scheduler += b.scheduler - a.scheduler;
        s.map.workers += b.workers - a.workers;
        s.map.n += CHUNK;
      }
    }
    // Sequential round trips alternate one by one; a side's processes only work for its own, so
    // their CPU over the whole phase is theirs (plus the idle side's timers, alike for both).
    const before = sides.map(clusterCpu);
    for (let i = 0; i < ROUND_TRIPS; i++) {
      for (const s of i % 2 ? [...sides].reverse() : sides) {
        const c = ownCpuSeconds(), t = performance.now();
        await s.client.submit(s.inc, 2e6 + i).result();
        s.seq.lat.push((performance.now() - t) * 1000);
        s.seq.client += ownCpuSeconds() - c;
        s.seq.n++;
      }
    }
    sides.forEach((s, i) => {
      const b = clusterCpu(s);
      s.seq.scheduler = b.scheduler - before[i]!.scheduler;
      s.seq.workers = b.workers - before[i]!.workers;
    });
  } finally {
    for (const s of sides) await s.cluster.close();
  }
  report(sides);
}

function report(sides: Side[]): void {
  const us = (sec: number, n: number) => (sec / n) * 1e6;
  const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
  const out = sides.map((s) => ({
    side: s.label,
    root: s.root,
    mapCpuPerTaskUs: { scheduler: us(s.map.scheduler, s.map.n), client: us(s.map.client, s.map.n), workers: us(s.map.workers, s.map.n) },
    mapTasksPerSecond: s.map.n / (s.map.ms / 1000),
    seqCpuPerRoundTripUs: { scheduler: us(s.seq.scheduler, s.seq.n), client: us(s.seq.client, s.seq.n), workers: us(s.seq.workers, s.seq.n) },
    seqLatencyUs: { median: q(s.seq.lat, 0.5), p99: q(s.seq.lat, 0.99) },
  }));
  const f = (x: number) => x.toFixed(1).padStart(8);
  console.log(`A/B in one run: map(noop) × ${MAP_TASKS} in chunks of ${CHUNK} (ABBA), ${ROUND_TRIPS} sequential round trips each (alternating)\n`);
  console.log(`${'side'.padEnd(8)}  ${'CPU µs per task (map)'.padEnd(32)}  ${'CPU µs per round trip (sequential)'.padEnd(32)}  round trip µs`);
  console.log(`${''.padEnd(8)}  ${'   sched   client  workers'.padEnd(32)}  ${'   sched   client  workers'.padEnd(32)}  median    p99`);
  for (const o of out) {
    const m = o.mapCpuPerTaskUs, s = o.seqCpuPerRoundTripUs;
    console.log(`${o.side.padEnd(8)}  ${(f(m.scheduler) + ' ' + f(m.client) + ' ' + f(m.workers)).padEnd(32)}  ${(f(s.scheduler) + ' ' + f(s.client) + ' ' + f(s.workers)).padEnd(32)}  ${f(o.seqLatencyUs.median)} ${f(o.seqLatencyUs.p99)}`);
  }
  console.log('\nworkers: both worker processes with their task threads; CPU from /proc stays meaningful on a loaded machine, the latencies do not.');
  const dir = join(root, 'bench', 'results');
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
  const file = join(dir, 'scheduler-ab.json');
  writeFileSync(file, `${JSON.stringify({ date: new Date().toISOString(), node: process.version, mapTasks: MAP_TASKS, roundTrips: ROUND_TRIPS, sides: out }, null, 2)}\n`);
  console.log(`written to ${file}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
