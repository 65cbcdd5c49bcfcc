/**
 * Whether a client process gives back what it held after a big run: its V8 heap (used, after full
 * collections) and its RSS before, at the peak of, and after N no-op tasks (100k and 1M by
 * default) submitted in one map(), every result in, every future released (or, `--how=drop`,
 * dropped for the garbage collector to find). Against the real scheduler process and simulated
 * workers in a CHILD process (bench/fleet-process.ts), so this process is the client alone. The
 * baseline is this same process with a fresh client connected and nothing submitted yet,
 * measured in the same run; every figure is printed beside it, and the client's own tables
 * (`client.tableSizes()`) after each release.
 *
 *   - heap: `process.memoryUsage().heapUsed` after full collections (and the turns of the event
 *     loop in which the client drops what they found), so live objects only;
 *   - peak: the largest heap used and RSS seen every 50 ms while the tasks ran (garbage included);
 *   - RSS after: at once after the collections, and once it has stopped falling for 5 s (V8 and
 *     glibc give pages back over the following seconds, or keep them).
 *
 * `--snap=DIR`: heap snapshots there of the fresh client and after each size's release, and their
 * difference per task by kind (bench/heap-census.ts): what a released run leaves behind. Writing
 * a snapshot takes ~50 MiB of malloc that stays: quote RSS from a run without `--snap`.
 *
 *   node --max-old-space-size=8192 --import tsx bench/client-rss.ts [--sizes=100000,1000000] [--how=release|drop] [--snap=DIR]
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { getHeapSpaceStatistics, setFlagsFromString, writeHeapSnapshot } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Client, remote, type Future } from '@gluon/client';
import { SCHEDULER_V8_FLAGS } from '@gluon/scheduler/v8-flags';
import { startFleetProcess } from './fleet-process.js';
import { census, printCensusDifference } from './heap-census.js';
import { residentByKind } from './proc.js';
import { settledRss, startSchedulerProcess, until } from './scheduler-process.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { sizes: { type: 'string', default: '100000,1000000' }, how: { type: 'string', default: 'release' }, snap: { type: 'string' } } });
const sizes = values.sizes!.split(',').map(Number);
if (!sizes.every((n) => Number.isInteger(n) && n > 0)) throw new Error(`client-rss: --sizes must be positive integers, got ${values.sizes}`);
const how = values.how!;
if (how !== 'release' && how !== 'drop') throw new Error(`client-rss: --how must be release or drop, got ${how}`);

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const noop = remote<(x?: unknown) => null>('@gluon/examples/tasks', 'noop');
const MiB = 2 ** 20;

interface Reading { heap: number; rss: number }

const read = (): Reading => {
  const m = process.memoryUsage();
  return { heap: m.heapUsed / MiB, rss: m.rss / MiB };
};

/**
 * Where this process's RSS is now: V8's heap pages (resident, every space), glibc's main heap
 * (`[heap]`), the other anonymous mappings (V8's pages among them, other malloc arenas), files.
 */
function whereRss(): string {
  const v8 = getHeapSpaceStatistics().reduce((a, sp) => a + sp.physical_space_size, 0) / MiB;
  const young = (getHeapSpaceStatistics().find((sp) => sp.space_name === 'new_space')?.physical_space_size ?? 0) / MiB;
  const k = residentByKind(process.pid);
  return `V8 heap ${f1(v8)} (young ${f1(young)}), glibc heap ${f1(k.heap)}, other anonymous ${f1(k.anon - v8)}, files ${f1(k.file)}`;
}

/**
 * Full collections, each followed by turns of the event loop (a FinalizationRegistry's callbacks
 * and the client's collected queue run there), until the heap stops shrinking (at most 10).
 */
async function collected(): Promise<Reading> {
  let last = Infinity;
  for (let i = 0; i < 10; i++) {
    gc();
    for (let t = 0; t < 3; t++) await new Promise((r) => setImmediate(r));
    const h = process.memoryUsage().heapUsed;
    if (h > last - 64 * 1024) break;
    last = h;
  }
  return read();
}

/** The largest heap used and RSS seen every 50 ms until stopped. */
function peakSampler(): { stop(): Reading } {
  const peak = read();
  const timer = setInterval(() => {
    const r = read();
    peak.heap = Math.max(peak.heap, r.heap);
    peak.rss = Math.max(peak.rss, r.rss);
  }, 50);
  return { stop: () => (clearInterval(timer), peak) };
}

/** Resolves once the scheduler has handled everything this client sent before (a task after it has run). */
async function roundTrip(client: Client): Promise<void> {
  const f = client.submit(noop.with({ priority: 1e9, group: 'marker' }), Math.random());
  await f.result();
  f.release();
}

const f1 = (x: number) => x.toFixed(1);
const snapDir = values.snap;
if (snapDir) mkdirSync(snapDir, { recursive: true });
const snapshot = (name: string): string | undefined => (snapDir ? writeHeapSnapshot(join(snapDir, `${name}.heapsnapshot`)) : undefined);

let sched: ChildProcess | undefined;
let fleet: ChildProcess | undefined;
try {
  const s = await startSchedulerProcess(root, SCHEDULER_V8_FLAGS, join(root, 'bench', 'results', 'client-rss-scheduler.log'));
  sched = s.child;
  fleet = await startFleetProcess(s.address);
  const client = await Client.connect(s.address, { name: 'client-rss' });
  const base = await collected();
  const baseRss = await settledRss(process.pid, 30_000, 5_000);
  const baseSnap = snapshot('fresh-client');
  console.log(`client-rss: ${how === 'release' ? 'every future released' : 'every future dropped unreleased'}; node ${process.version}; load ${loadavg()[0]!.toFixed(1)}`);
  console.log(`fresh client (the baseline): heap ${f1(base.heap)} MiB, RSS ${f1(base.rss)} MiB (settled ${f1(baseRss)}: ${whereRss()})`);
  for (const n of sizes) {
    const before = await collected();
    const sampler = peakSampler();
    const t0 = performance.now();
    let futures: Array<Future<unknown>> | undefined = client.map(noop, Array.from({ length: n }, (_, i) => i + Math.random()));
    await client.wait(futures);
    const wallS = (performance.now() - t0) / 1000;
    const held = await collected();
    const heldWhere = whereRss();
    const peak = sampler.stop();
    if (how === 'release') client.release(futures);
    futures = undefined;
    await client.whenSent();
    await roundTrip(client);
    let after = await collected();
    if (how === 'drop') {
      // The collector found the futures; their holds are dropped a slice per turn (collected-queue.ts).
      await until(() => client.tableSizes().collectedQueued === 0, 'the collected queue drained', 300_000);
      await client.whenSent();
      await roundTrip(client);
      after = await collected();
    }
    const afterRss = await settledRss(process.pid, 30_000, 5_000);
    const tables = client.tableSizes();
    console.log(`\n${n.toLocaleString('en')} tasks (${f1(wallS)} s, load ${loadavg()[0]!.toFixed(1)}):`);
    console.log(`  heap used MiB  before ${f1(before.heap)}  held ${f1(held.heap)}  peak ${f1(peak.heap)}  after ${f1(after.heap)}` +
      `   after / fresh ${(after.heap / base.heap).toFixed(2)}×, ${(((after.heap - base.heap) * MiB) / n).toFixed(1)} bytes a task left; held ${(((held.heap - before.heap) * MiB) / n).toFixed(0)} bytes a task`);
    console.log(`  RSS MiB        before ${f1(before.rss)}  held ${f1(held.rss)}  peak ${f1(peak.rss)}  after ${f1(after.rss)}  settled ${f1(afterRss)}` +
      `   settled / fresh ${(afterRss / baseRss).toFixed(2)}×`);
    console.log(`  RSS held: ${heldWhere}`);
    console.log(`  RSS settled: ${whereRss()}`);
    console.log(`  client tables after: ${Object.entries(tables).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    const snap = snapshot(`after-${n}`);
    if (baseSnap && snap) printCensusDifference(`  left after ${n.toLocaleString('en')} ${how === 'release' ? 'released' : 'dropped'}, against the fresh client`, n, census(baseSnap), census(snap), 15);
  }
  await client.close();
} finally {
  fleet?.kill();
  sched?.kill();
}
