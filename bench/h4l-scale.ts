/**
 * bench/h4l-scale.ts — the H→4ℓ selection on 2 workers over the synthetic dataset at scale 1
 * (≈ 0.94 M events) and at a big scale (default 20: ≈ 19 M events, 20× the events and chunks in
 * the same 12 files): per-event cost must not grow with the size of the run (events/s at scale
 * 20 within 10% of scale 1), and the scheduler's RSS must stay flat through the big run.
 *
 * One LocalCluster of 2 workers × 1 thread serves every run (warmed up first). Timed blocks
 * alternate A B B A (3 rounds by default, after an untimed one), so the machine's load drifts
 * equally over both sizes; an A block is BIG back-to-back runs at scale 1 and a B block one run
 * at scale BIG, so both read the same events. Primary figure: CPU seconds per million events of the workers (/proc/PID/stat,
 * user and system apart), since the machine is shared; events/s (wall) is printed too and is
 * only as good as the load. Also per block: the scheduler's CPU and wake-ups (voluntary context
 * switches) per task, each worker's RSS before and after; the scheduler's RSS is sampled every
 * 0.5 s through every timed block, and "flat" is the soak's: the last round's median within 10%
 * of the first's.
 *
 * The datasets are generated once (on as many threads as there are cores; the big one takes a
 * few minutes on an idle 2-core machine) into `<cache>/h4l-bench-<scale>` and reused while their
 * `generated.json` names the same scale and seed. Scale 20 is ≈ 6.7 GB: keep the cache outside
 * the repository's disk budget and delete it when done.
 *
 *   npx tsx bench/h4l-scale.ts [--cache DIR (default .cache)] [--big N (default 20)] [--rounds N (default 3)] [--cold]
 *
 * --cold: afterwards, one big run with its files dropped from the page cache first, and one warm:
 * what reading from disk adds to the workers' CPU (system time) and to the wall time.
 *
 * (after `npx tsc -b`). Writes bench/results/h4l-scale.json.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { LocalCluster, type Client } from '@gluon/client';
import { runAnalysis, type RunOptions } from '@gluon/analysis-h4l';
import { ensureDataset, type Manifest } from '../packages/analysis-h4l/dist/generate/index.js';
import { cpuTimes, median, ownCpuSeconds, rssMiB } from './proc.js';
import { envInt } from './env.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({ options: { cache: { type: 'string' }, big: { type: 'string' }, rounds: { type: 'string' }, cold: { type: 'boolean' } } });
const cacheDir = path.resolve(args.cache ?? path.join(root, '.cache'));
const BIG = args.big === undefined ? envInt('H4L_SCALE_BIG', 20, 2, 100) : Number(args.big);
if (!(Number.isInteger(BIG) && BIG > 1 && BIG <= 100)) throw new Error(`--big must be an integer scale from 2 to 100, got ${args.big}`);
const ROUNDS = Number(args.rounds ?? 3);
if (!(Number.isInteger(ROUNDS) && ROUNDS >= 1 && ROUNDS <= 20)) throw new Error(`--rounds must be an integer from 1 to 20, got ${args.rounds}`);
const FAN_IN = 8;
const CHUNK = 100_000;

/** The cached dataset of a scale, generated when absent. */
async function dataset(scale: number): Promise<string> {
  const dir = path.join(cacheDir, `h4l-bench-${scale}`);
  await ensureDataset({ outDir: dir, scale, seed: 1, threads: availableParallelism(), log: console.log });
  return dir;
}

/**
 * Reads every file of a dataset once, so that what the runs measure is the analysis and not the
 * first read from disk (that shows as the workers' system time when RAM cannot hold the files).
 */
function warmPageCache(dir: string): number {
  const m = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as Manifest;
  const buf = Buffer.allocUnsafe(8 << 20);
  let bytes = 0;
  for (const s of m.samples) {
    const fd = openSync(path.join(dir, s.file), 'r');
    try { for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0;) bytes += n; } finally { closeSync(fd); }
  }
  return bytes;
}

/**
 * Drops a dataset's files from the page cache (posix_fadvise DONTNEED, through GNU dd: node has
 * no fadvise), so that the next run reads them from disk. Only these files' pages go.
 */
function evictPageCache(dir: string): void {
  const m = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as Manifest;
  for (const s of m.samples) {
    const r = spawnSync('dd', [`if=${path.join(dir, s.file)}`, 'iflag=nocache', 'count=0', 'status=none']);
    if (r.status !== 0) throw new Error(`dd could not drop ${s.file} from the page cache: ${r.stderr}`);
  }
}

/** Tasks a treeReduce of n inputs adds (fan-in FAN_IN). */
function mergeTasks(n: number): number {
  let tasks = 0;
  while (n > 1) { n = Math.ceil(n / FAN_IN); tasks += n; }
  return tasks;
}

interface Cpu { user: number; system: number }
const cpuOf = (pids: number[]): Cpu => pids.map(cpuTimes).reduce((a, t) => ({ user: a.user + t.user, system: a.system + t.system }), { user: 0, system: 0 });
const minus = (a: Cpu, b: Cpu): Cpu => ({ user: a.user - b.user, system: a.system - b.system });
/** Times a process has waited for something (a message, a read): each is a wake-up afterwards. */
function voluntarySwitches(pid: number): number {
  return Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
}

/** One timed block: `runs` back-to-back runs of one scale. */
interface Block {
  scale: number; runs: number; events: number; tasks: number; wallS: number; load: [number, number];
  workers: Cpu; scheduler: Cpu;
  /** this process (the client: listing, entry counts, map, as-completed) CPU seconds. */
  clientCpuS: number;
  /** workers' CPU (user + system) per million events; the same for user time alone. */
  cpuSPerMEvents: number; userSPerMEvents: number;
  /** scheduler CPU per task (chunks and merges), µs, and its wake-ups per task. */
  schedulerUsPerTask: number; schedulerWakeupsPerTask: number;
  eventsPerS: number;
  workerRssMiB: { before: number[]; after: number[] };
  schedulerRssMiB: number[];
}

/**
 * Runs the analysis `runs` times over one dataset. A block of scale 1 has 20 runs for one of
 * scale 20, so both read the same number of events: CPU clocks tick at 10 ms, and one
 * scale-1 run costs the scheduler about one tick.
 */
async function block(client: Client, cluster: LocalCluster, scale: number, dataDir: string, runs: number): Promise<Block> {
  const opts: RunOptions = {
    dataDir, selection: 'notebook', nWorkers: 0, chunkSize: CHUNK, lumiFb: 10, skipBadFiles: false, publish: false, dashboard: false,
    cacheFile: path.join(cacheDir, 'h4l-bench-entries.json'), client,
  };
  const pids = cluster.workerPids;
  const sched = cluster.schedulerProcess.pid;
  const rss: number[] = [rssMiB(sched)];
  const sampler = setInterval(() => rss.push(rssMiB(sched)), 500);
  const workerRssBefore = pids.map(rssMiB);
  const load0 = loadavg()[0]!;
  const w0 = cpuOf(pids), s0 = cpuTimes(sched), v0 = voluntarySwitches(sched), c0 = ownCpuSeconds();
  const t0 = performance.now();
  let events = 0, tasks = 0;
  try {
    for (let i = 0; i < runs; i++) {
      const r = await runAnalysis(opts);
      events += r.result.events;
      tasks += r.result.chunks + mergeTasks(r.result.chunks);
    }
  } finally {
    clearInterval(sampler);
  }
  const wallS = (performance.now() - t0) / 1000;
  const workers = minus(cpuOf(pids), w0), scheduler = minus(cpuTimes(sched), s0), clientCpuS = ownCpuSeconds() - c0;
  rss.push(rssMiB(sched));
  const b: Block = {
    scale, runs, events, tasks, wallS, load: [load0, loadavg()[0]!], workers, scheduler, clientCpuS,
    cpuSPerMEvents: (workers.user + workers.system) / (events / 1e6), userSPerMEvents: workers.user / (events / 1e6),
    schedulerUsPerTask: (scheduler.user + scheduler.system) / tasks * 1e6, schedulerWakeupsPerTask: (voluntarySwitches(sched) - v0) / tasks,
    eventsPerS: events / wallS, workerRssMiB: { before: workerRssBefore, after: pids.map(rssMiB) }, schedulerRssMiB: rss,
  };
  const f = (x: number) => x.toFixed(2);
  console.log(`scale ${String(scale).padStart(2)} ×${String(runs).padStart(2)}: ${events.toLocaleString('en')} events, ${tasks} tasks, ${wallS.toFixed(1)} s wall ` +
    `(${Math.round(b.eventsPerS).toLocaleString('en')} events/s, load ${load0.toFixed(1)}–${b.load[1].toFixed(1)}); ` +
    `workers' CPU per M events ${f(b.cpuSPerMEvents)} s (user ${f(b.userSPerMEvents)}, system ${f(workers.system / (events / 1e6))}); ` +
    `client ${f(clientCpuS / (events / 1e6))} s per M events; scheduler ${b.schedulerUsPerTask.toFixed(0)} µs CPU and ${b.schedulerWakeupsPerTask.toFixed(1)} wake-ups per task, RSS ${Math.min(...rss).toFixed(0)}–${Math.max(...rss).toFixed(0)} MiB; ` +
    `workers' RSS ${workerRssBefore.map((x) => x.toFixed(0)).join('/')} → ${b.workerRssMiB.after.map((x) => x.toFixed(0)).join('/')} MiB`);
  return b;
}

const small = await dataset(1);
const big = await dataset(BIG);
for (const d of [small, big]) {
  const t = performance.now();
  console.log(`page cache: read ${(warmPageCache(d) / 1e9).toFixed(2)} GB of ${path.basename(d)} in ${((performance.now() - t) / 1000).toFixed(1)} s`);
}
const cluster = await LocalCluster.start({ nWorkers: 2, dashboard: false, cwd: path.join(root, 'packages', 'analysis-h4l') });
const blocks: Block[] = [];
/** One round: A B B A, an A block being BIG runs of scale 1. */
const ROUND = [[1, small, BIG], [BIG, big, 1], [BIG, big, 1], [1, small, BIG]] as const;
let cold: Block[] = [];
try {
  const client = await cluster.client();
  console.log('warm-up: scale 1 ×3 (imports, V8 tiering in the task threads, the files\' metadata), scale ' + BIG + ' ×1 (its files\' metadata)');
  await block(client, cluster, 1, small, 3);
  await block(client, cluster, BIG, big, 1);
  // One untimed round as well: the scheduler's heap (young generation, compiled code) reaches its
  // working size over the first ~30 s of this load, and the soak's "flat" is also after that.
  console.log('warm-up round (A B B A, untimed):');
  for (const [scale, dir, n] of ROUND) await block(client, cluster, scale, dir, n);
  console.log(`timed, ${ROUNDS} × (A B B A), each block ≈ ${BIG} × scale 1 of events:`);
  for (let r = 0; r < ROUNDS; r++) {
    for (const [scale, dir, n] of ROUND) blocks.push(await block(client, cluster, scale, dir, n));
  }
  if (args.cold) {
    // What reading from disk adds (not part of the ratios): the big dataset evicted first.
    evictPageCache(big);
    console.log(`cold: scale ${BIG} with its files evicted from the page cache first (read from disk), then warm again:`);
    cold = [await block(client, cluster, BIG, big, 1), await block(client, cluster, BIG, big, 1)];
  }
} finally {
  await cluster.close();
}
const of = (s: number) => blocks.filter((b) => b.scale === s);
const ratio = (f: (b: Block) => number) => median(of(BIG).map(f)) / median(of(1).map(f));
const cpuRatio = ratio((b) => b.cpuSPerMEvents);
const userRatio = ratio((b) => b.userSPerMEvents);
const schedRatio = ratio((b) => b.schedulerUsPerTask);
const rateRatio = ratio((b) => b.eventsPerS);
// The fastest block of each scale: the least disturbed by other processes on a shared machine.
const best = (s: number) => Math.max(...of(s).map((b) => b.eventsPerS));
const bestRateRatio = best(BIG) / best(1);
const bigRss = of(BIG).flatMap((b) => b.schedulerRssMiB);
// The spread of all samples through the big runs: V8's GC cycle alone swings a ~65 MiB
// scheduler by ~10 MiB (its old space grows to twice the live heap between major collections).
const rssSpread = Math.max(...bigRss) / Math.min(...bigRss);
// Whether a big run makes the scheduler bigger than a small one, in the same (ABBA) stretch of time.
const rssBigVsSmall = median(bigRss) / median(of(1).flatMap((b) => b.schedulerRssMiB));
const med = (f: (b: Block) => number, s: number) => median(of(s).map(f));
// Per round (4 blocks), to tell a rise that levels off from one that goes on.
const byRound = Array.from({ length: ROUNDS }, (_, r) => blocks.slice(4 * r, 4 * r + 4).flatMap((b) => b.schedulerRssMiB));
const roundRss = byRound.map((x) => `${Math.min(...x).toFixed(0)}–${Math.max(...x).toFixed(0)}`);
// Flat, as the soak defines it: the end within 10% of the start (after the warm-up round), here
// the median sample of the last round against that of the first.
const rssTrend = median(byRound[byRound.length - 1]!) / median(byRound[0]!);
console.log(`\nworkers' CPU per million events (medians): scale 1 ${med((b) => b.cpuSPerMEvents, 1).toFixed(3)} s, scale ${BIG} ${med((b) => b.cpuSPerMEvents, BIG).toFixed(3)} s: ` +
  `${cpuRatio.toFixed(3)}× (user time alone ${userRatio.toFixed(3)}×; target ≤ 1.10: ${cpuRatio <= 1.1 ? 'meets' : 'MISSES'})`);
// Per task the big runs look dearer, but they have fewer tasks for the same events, and the
// scheduler's time-driven work (heartbeats) is the same per block: per event is the figure to compare.
const schedPerM = (b: Block) => (b.scheduler.user + b.scheduler.system) / (b.events / 1e6) * 1000;
console.log(`scheduler CPU per task: scale 1 ${med((b) => b.schedulerUsPerTask, 1).toFixed(0)} µs, scale ${BIG} ${med((b) => b.schedulerUsPerTask, BIG).toFixed(0)} µs: ${schedRatio.toFixed(3)}×; ` +
  `per million events: ${med(schedPerM, 1).toFixed(1)} and ${med(schedPerM, BIG).toFixed(1)} ms: ${ratio(schedPerM).toFixed(3)}×`);
console.log(`events/s (wall, load ${loadavg()[0]!.toFixed(1)}): scale 1 ${Math.round(med((b) => b.eventsPerS, 1)).toLocaleString('en')}, scale ${BIG} ${Math.round(med((b) => b.eventsPerS, BIG)).toLocaleString('en')}: ` +
  `${rateRatio.toFixed(3)}×; fastest blocks ${Math.round(best(1)).toLocaleString('en')} and ${Math.round(best(BIG)).toLocaleString('en')}: ${bestRateRatio.toFixed(3)}× ` +
  `(target ≥ 0.90: ${rateRatio >= 0.9 ? 'meets' : 'misses'} by medians, ${bestRateRatio >= 0.9 ? 'meets' : 'misses'} by fastest; wall figures move with the machine's load)`);
console.log(`scheduler RSS by round ${roundRss.join(', ')} MiB; last round / first (medians) ${rssTrend.toFixed(3)} (flat: ≤ 1.10, ${rssTrend <= 1.1 ? 'meets' : 'MISSES'}); ` +
  `scale-${BIG} blocks / scale-1 blocks (medians) ${rssBigVsSmall.toFixed(3)}; through the scale-${BIG} runs ${Math.min(...bigRss).toFixed(0)}–${Math.max(...bigRss).toFixed(0)} MiB (max/min ${rssSpread.toFixed(3)}, V8's GC cycle)`);
mkdirSync(path.join(root, 'bench', 'results'), { recursive: true });
writeFileSync(path.join(root, 'bench', 'results', 'h4l-scale.json'), `${JSON.stringify({
  date: new Date().toISOString(), node: process.version, big: BIG, rounds: ROUNDS, loadavg: loadavg(), blocks, cold, cpuRatio, userRatio, schedRatio, rateRatio, bestRateRatio, rssSpread, rssTrend, rssBigVsSmall, roundRss,
}, null, 1)}\n`);
