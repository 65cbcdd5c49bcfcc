/**
 * How the scheduler's cost grows with the work: the REAL scheduler process (`gluon-scheduler`)
 * against simulated workers (bench/sim-workers.ts: many worker connections in this one
 * process, answering every task at once) and a real client. The primary figure is the
 * scheduler process's CPU time (every thread's /proc/PID/task/TID/schedstat), since the machine
 * is shared; wall-clock rates are printed too and are only as good as the machine's load
 * (printed with them).
 *
 * Figures (targets from issue #17):
 *   - scheduler CPU per task for 10k, 100k, 1M independent tasks and 10k, 100k, 1M tasks in a
 *     tree reduction (fan-in 8), each from submit until the client's release has been handled
 *     (so both shapes pay for forgetting their tasks): per-task cost at 1M ≤ 1.5× that at 10k,
 *     for the tree both against the tree of 10k and against 10k independent tasks. The 10k
 *     baselines are the median of SMALL_RUNS runs, half before the big sizes and half after
 *     them, after a warm-up of both shapes (see warmUp); their range is printed, and each growth
 *     ratio with the range it spans over the 10k runs (1M against the slowest and the fastest);
 *   - scheduler RSS per held task with 1M held (≤ 1 KiB) and after release (back to within 10%
 *     of the idle RSS measured before, after a warm-up the scheduler has collected as it collects
 *     after the release: WARM_UP_TASKS; both the median of five readings);
 *   - tasks per scheduler CPU-second (and per wall second) with 10, 100 and 1,000 workers
 *     (no drop beyond 20% from 10 to 1,000), the median of three runs with the workers'
 *     heartbeats paused; their cost while idle is printed beside it;
 *   - time to register 1,000 workers; 100 of 1,000 killed at once mid-run: every task they had
 *     is rescheduled (checked) and every result arrives (checked);
 *   - update-graph of 1M tasks from the client: the client's CPU time for map() to return and
 *     then to build, encode and send it (a map that large is built as it is sent, and the
 *     simulated workers run in this process between slices: bench/client-submit.ts has the
 *     client's own figures), and the time until the scheduler has sent the first task and has
 *     taken every task (a marker task submitted after the graph is placed);
 *   - the scheduler's V8 heap after a release (its own log line of the idle collection), next to
 *     its RSS, to tell live leftovers from memory the process keeps without using it.
 *
 * Run with `node --max-old-space-size=8192 --import tsx bench/scale.ts` (after `npx tsc -b`);
 * `--quick` for sizes ÷ 10; `--only sizes,tree,workers` for some sections;
 * `--scheduler-flags="--cpu-prof --cpu-prof-dir=DIR"` adds node flags to the scheduler;
 * `--scheduler-root=DIR` runs the scheduler of another checkout (built), for an A/B;
 * `--vs=DIR` runs the CPU-per-task figures (`--only growth`) on this checkout's scheduler and on
 * DIR's side by side, each with its own client and simulated workers (DIR's side with DIR's client
 * package and bench/sim-workers.ts, so each side speaks its own protocol version), every run
 * alternating between them (A B B A), and prints both and their ratios; `--small-runs=N`
 * (default 12). `--scheduler-root` uses this checkout's client: same protocol version only.
 * Writes bench/results/scale.json (scale-DIRNAME.json with --scheduler-root).
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Client, remote, type Future } from '@gluon/client';
import { SCHEDULER_V8_FLAGS } from '@gluon/scheduler/v8-flags';
import { median, ownCpuSeconds, residentByKind, threadCpuSeconds } from './proc.js';
import { rssRange, settledRss, startSchedulerProcess, steadyRss, until } from './scheduler-process.js';
import { SimFleet, type SimWorker } from './sim-workers.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, only: { type: 'string' }, 'scheduler-flags': { type: 'string', default: '' }, 'scheduler-root': { type: 'string' }, vs: { type: 'string' }, 'small-runs': { type: 'string', default: '12' } } });
const div = values.quick ? 10 : 1;
const only = values.only ? new Set(values.only.split(',')) : null;
const M = 1_000_000 / div;

// Nothing runs them: simulated workers answer every task at once with null.
const noop = remote<(x?: unknown) => null>('@gluon/examples/tasks', 'noop');
const combine = remote<(parts: Array<null>) => null>('@gluon/examples/tasks', 'noop', { group: 'combine' });
/** The task functions as one client package makes them (another checkout's side has its own: see growthAB). */
interface Fns { noop: typeof noop; combine: typeof combine }
const OWN_FNS: Fns = { noop, combine };

interface Row { figure: string; value: number; unit: string; target?: string; meets?: boolean; note?: string }
const rows: Row[] = [];
const extra: Record<string, unknown> = {};

function row(r: Row): void {
  rows.push(r);
  const meets = r.meets === undefined ? '' : r.meets ? '  meets' : '  MISSES';
  console.log(`${r.figure.padEnd(58)} ${fmt(r.value).padStart(12)} ${r.unit.padEnd(10)}${r.target ? ` target ${r.target}` : ''}${meets}${r.note ? `  (${r.note})` : ''}`);
}

function fmt(v: number): string {
  return Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(2);
}

const load = () => loadavg()[0]!.toFixed(1);

/**
 * The scheduler's CPU seconds so far, every thread, in nanoseconds' precision (schedstat):
 * /proc/PID/stat's 10 ms ticks were 7-10% of a 10k-task run's ~150 ms, and the 10k figure is
 * the denominator of both growth targets. The scheduler ends no thread while it runs.
 */
const schedulerCpu = (pid: number): number => threadCpuSeconds(pid);

// A run against another checkout's scheduler logs beside this one's, so both can run at once.
const other = values['scheduler-root'];
const schedulerLog = join(root, 'bench', 'results', other ? `scale-scheduler-${basename(resolve(other))}.log` : 'scale-scheduler.log');

/** The scheduler as its own process, with the flags and environment LocalCluster gives it. */
function startScheduler(from = values['scheduler-root'] ?? root, logPath = schedulerLog): Promise<{ child: ChildProcess; address: string }> {
  // --scheduler-flags=--trace-gc-nvp: V8 writes to its stdout, which goes to the log.
  return startSchedulerProcess(from, [...SCHEDULER_V8_FLAGS, ...values['scheduler-flags']!.split(/\s+/).filter(Boolean)], logPath);
}

/** The client's own CPU time per task to build the last graph (µs: map(), or map() and treeReduce()). */
let clientBuildUs = NaN;

/**
 * Runs `n` independent tasks (or a tree reduction over leaves), releases them, and returns the
 * scheduler's CPU per task from the submission until the release has been handled (a round
 * trip after it), so that both shapes include forgetting their tasks.
 */
async function run(client: Client, pid: number, fleet: SimFleet, n: number, shape: 'map' | 'tree', { noop, combine }: Fns = OWN_FNS):
  Promise<{ cpuUs: number; cpuS: number; wallS: number; wallRate: number; tasks: number }> {
  const before = fleet.answered;
  const freed0 = fleet.freed;
  const args = Array.from({ length: shape === 'map' ? n : Math.round((n * 7) / 8) }, (_, i) => i + Math.random());
  const cpu0 = schedulerCpu(pid);
  const own0 = ownCpuSeconds();
  const t0 = performance.now();
  let futures: Array<Future<unknown>>;
  let tasks = n;
  if (shape === 'map') {
    futures = client.map(noop, args);
    // A map larger than a slice is built as it is sent: count until it has all been sent.
    await client.whenSent();
    clientBuildUs = ((ownCpuSeconds() - own0) / n) * 1e6;
  } else {
    // Leaves such that leaves + reducers ≈ n (fan-in 8: reducers ≈ leaves / 7).
    const leaves = args.length;
    const parts = client.map(noop, args);
    let reducers = 0;
    for (let l = leaves; l > 1; l = Math.ceil(l / 8)) reducers += Math.ceil(l / 8);
    tasks = leaves + reducers;
    futures = [client.treeReduce(combine, parts, { fanIn: 8 })];
    client.release(parts);
    await client.whenSent();
    clientBuildUs = ((ownCpuSeconds() - own0) / tasks) * 1e6;
  }
  await client.wait(futures);
  await until(() => fleet.answered - before >= tasks, `${tasks} tasks answered`);
  client.release(futures);
  await released(client, fleet, freed0, tasks, noop);
  const cpu = schedulerCpu(pid) - cpu0;
  const wall = (performance.now() - t0) / 1000;
  return { cpuUs: (cpu / tasks) * 1e6, cpuS: cpu, wallS: wall, wallRate: tasks / wall, tasks };
}

/**
 * One scheduler under measurement, with its own client and simulated workers. Another
 * checkout's side uses that checkout's client and simulated workers (`fns` made by its client
 * package), so that both sides speak their own protocol version.
 */
interface Side { name: string; pid: number; client: Client; fleet: SimFleet; fns?: Fns }

/**
 * Runs of the 10k sizes, the denominators of every growth ratio. One run of 10k tasks costs the
 * scheduler ~0.1-0.3 s of CPU, so a single run moves with the machine by 2× and more (the 10k
 * tree's five runs once spread 9.7-30.5 µs/task): SMALL_RUNS of each, half before the big sizes
 * and half after them, so that neither the JIT still warming up nor what a big graph leaves
 * behind (a larger heap, its collections) falls only on the baseline.
 */
const SMALL_RUNS = Math.max(2, Number(values['small-runs']));

/**
 * Resolves once every side's scheduler has used under 20 ms of CPU in a second (bounded at 30 s).
 * After a big release the scheduler collects its heap once the release has settled (idle-gc.ts):
 * measured from the next run, that collection fell on the first small run after the big sizes
 * (36-41 µs/task against 12-22 for the others), counted in the baseline and flattering the
 * ratio. Not counted in any figure now, as before in the 1M figures.
 */
async function settle(sides: Side[]): Promise<void> {
  const t0 = performance.now();
  while (performance.now() - t0 < 30_000) {
    const before = sides.map((x) => schedulerCpu(x.pid));
    await new Promise((r) => setTimeout(r, 1000));
    if (sides.every((x, i) => schedulerCpu(x.pid) - before[i]! < 0.02)) return;
  }
}

/** A B B A …: the order of the sides for the i-th round of runs. */
const inTurn = (sides: Side[], i: number): Side[] => (i % 2 === 0 ? sides : [...sides].reverse());

/**
 * `times` runs of `n` tasks of a shape on each side, interleaved; CPU µs per task, per side.
 *
 * Runs of the 10k size start with one run of each side that is not counted (printed): the first
 * run after the scheduler was idle cost about twice the others (a probe, six 10k maps after each
 * of three idle collections: 30.2-31.5 µs/task against 11.6-22.1), with twice their scavenges
 * and a full collection: the idle collection's low-memory collection (Node 20) shrinks the
 * nursery back to 1 MiB and the heap's limits with it, and the next work grows them again. That is
 * a fixed cost of starting from idle, ~0.15 s of CPU, which a 1M run also pays (0.15 µs a task)
 * and a 10k run would carry as 15 µs a task.
 */
async function runsOf(sides: Side[], n: number, shape: 'map' | 'tree', times: number, round0 = 0): Promise<number[][]> {
  await settle(sides);
  const out = sides.map(() => [] as number[]);
  if (n <= 10_000 / div) {
    const first = [];
    for (const side of sides) first.push(`${(await run(side.client, side.pid, side.fleet, n, shape, side.fns)).cpuUs.toFixed(1)}${sides.length > 1 ? ` (${side.name})` : ''}`);
    console.log(`  ${shape} of ${n.toLocaleString('en')}, first run after idle, not counted: ${first.join(', ')} µs/task`);
  }
  for (let i = 0; i < times; i++) {
    for (const side of inTurn(sides, round0 + i)) out[sides.indexOf(side)]!.push((await run(side.client, side.pid, side.fleet, n, shape, side.fns)).cpuUs);
  }
  return out;
}

/** How a set of runs is printed: the median, then every run. */
function spread(xs: number[]): string {
  return `median of ${xs.length} runs, ${Math.min(...xs).toFixed(1)}-${Math.max(...xs).toFixed(1)}: ${xs.map((x) => x.toFixed(1)).join(', ')}`;
}

/**
 * A growth ratio and what it rests on: 1M's cost over the 10k median, and over the slowest and
 * the fastest 10k run (a ratio is only as good as its baseline).
 */
function growthRow(figure: string, big: number, small: number[]): number {
  const g = big / median(small);
  row({ figure, value: g, unit: '×', target: '≤ 1.5', meets: g <= 1.5, note: `${(big / Math.max(...small)).toFixed(2)}-${(big / Math.min(...small)).toFixed(2)}× against the slowest and the fastest of the ${small.length} small runs` });
  return g;
}

/**
 * Warm-up, the same for every size and shape measured after it: JIT, the groups' duration
 * estimates, connection buffers. A map and a tree, each past the idle collection's threshold, so
 * the tree's own code paths (dependencies, inline values) are not compiled during its 10k runs
 * alone; then a round trip.
 */
async function warmUp(side: Side): Promise<void> {
  await run(side.client, side.pid, side.fleet, WARM_UP_TASKS, 'map', side.fns);
  await run(side.client, side.pid, side.fleet, WARM_UP_TASKS, 'tree', side.fns);
  await roundTrip(side.client, side.fns?.noop);
}

/** The scheduler's idle-collection lines so far (see server.ts). */
function collectionLines(): string[] {
  const lines = existsSync(schedulerLog) ? readFileSync(schedulerLog, 'utf8').split('\n') : [];
  return lines.filter((l) => l.includes('idle collection'));
}

/** The scheduler's last idle-collection line (see server.ts): its heap right after a release. */
function lastCollection(): { heapUsed: number; heapTotal: number; external: number; rss: number } | null {
  const lines = collectionLines();
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = /idle collection .*: heap ([\d.]+) MiB used of ([\d.]+), external ([\d.]+) MiB, RSS ([\d.]+) MiB/.exec(lines[i]!);
    if (m) return { heapUsed: Number(m[1]), heapTotal: Number(m[2]), external: Number(m[3]), rss: Number(m[4]) };
  }
  return null;
}

/**
 * Tasks of the warm-up: more than the scheduler's idle-collection threshold (IdleCollector,
 * 50,000 forgotten tasks), so the idle RSS is measured after the same collection as the RSS
 * after the release, like for like. Warmed up with 20,000 tasks, the idle scheduler still held
 * their garbage (V8 collects only as it allocates): 98-103 MiB idle against 76 MiB once
 * collected, which made the release look 0.97-1.10x idle when it was 1.41-1.46x.
 */
const WARM_UP_TASKS = 60_000;

/** Where a resident size is (see residentByKind), for the RSS rows' notes. */
function kinds(k: { heap: number; anon: number; file: number }): string {
  return `glibc heap ${k.heap.toFixed(0)} MiB, other anonymous ${k.anon.toFixed(0)}, files ${k.file.toFixed(0)}`;
}

/**
 * Resolves once the scheduler has handled a release of `tasks` results: the workers have been
 * told to free that many keys since `freed0` (every task's result, a tree's intermediate ones
 * as they were consumed), then a round trip. A round trip alone did not always wait for it: one
 * run counted 0.0 µs/task for the release of 1M tasks, its marker task answered before the
 * scheduler had taken the release.
 */
async function released(client: Client, fleet: SimFleet, freed0: number, tasks: number, fn = noop): Promise<void> {
  await until(() => fleet.freed - freed0 >= tasks, `the workers told to free ${tasks} results`);
  await roundTrip(client, fn);
}

/** Resolves once the scheduler has handled everything this client sent before (a task after it has run). */
async function roundTrip(client: Client, fn = noop): Promise<void> {
  const f = client.submit(fn.with({ priority: 1e9, group: 'marker' }), Math.random());
  await f.result();
  client.release([f]);
}

/**
 * CPU per task of both shapes at every size, on this scheduler and (with `--vs=DIR`) on DIR's,
 * side by side: each side has its own scheduler process, client and simulated workers, and every
 * run alternates between the sides (A B B A …), so that the machine's load falls on both alike.
 * Prints each side's figures and growth ratios, then B/A for every figure.
 */
async function growthAB(self: Side, vsRoot: string | undefined): Promise<void> {
  const sides: Side[] = [self];
  const cleanup: Array<() => Promise<void> | void> = [];
  try {
    if (vsRoot) {
      const vsName = basename(resolve(vsRoot));
      const b = await startScheduler(resolve(vsRoot), join(root, 'bench', 'results', `scale-scheduler-vs-${vsName}.log`));
      cleanup.push(() => void b.child.kill('SIGTERM'));
      // That checkout's own client and simulated workers: its protocol may differ from this one's.
      const theirs = resolve(vsRoot);
      const c = await import(pathToFileURL(join(theirs, 'packages/client/dist/index.js')).href) as typeof import('@gluon/client');
      const sim = await import(pathToFileURL(join(theirs, 'bench/sim-workers.ts')).href) as typeof import('./sim-workers.js');
      const fns: Fns = {
        noop: c.remote<(x?: unknown) => null>('@gluon/examples/tasks', 'noop'),
        combine: c.remote<(parts: Array<null>) => null>('@gluon/examples/tasks', 'noop', { group: 'combine' }),
      };
      const client = await c.Client.connect(b.address, { name: 'scale-bench-vs' });
      cleanup.unshift(() => client.close());
      const fleet = new sim.SimFleet(b.address, {});
      cleanup.unshift(() => fleet.closeAll());
      await fleet.add(10, 2);
      const side: Side = { name: vsName, pid: b.child.pid!, client, fleet, fns };
      await warmUp(side);
      sides.push(side);
    }
    const small = 10_000 / div;
    const half = Math.ceil(SMALL_RUNS / 2);
    console.log(`\n-- growth, ${sides.map((x) => x.name).join(' and ')}${sides.length > 1 ? ', runs alternating A B B A' : ''} (${small.toLocaleString('en')}: ${half} runs of each shape before the big sizes, ${half} after) --`);
    const shapes = ['map', 'tree'] as const;
    const smallRuns = sides.map(() => ({ map: [] as number[], tree: [] as number[] }));
    const big = sides.map(() => ({} as Record<string, number>));
    const smallRound = async (round0: number) => {
      for (const shape of shapes) (await runsOf(sides, small, shape, half, round0)).forEach((xs, i) => smallRuns[i]![shape].push(...xs));
    };
    await smallRound(0);
    let round = 1;
    for (const shape of shapes) {
      for (const n of [100_000 / div, M]) (await runsOf(sides, n, shape, 1, round++)).forEach((xs, i) => (big[i]![`${shape} ${n}`] = xs[0]!));
    }
    await smallRound(1);
    const figures = sides.map(() => ({} as Record<string, number>));
    sides.forEach((side, i) => {
      console.log(`\n${side.name} (scheduler pid ${side.pid}):`);
      const f = figures[i]!;
      for (const shape of shapes) {
        const label = shape === 'map' ? 'independent tasks' : 'tasks in a tree reduction';
        f[`${shape} ${small}`] = median(smallRuns[i]![shape]);
        row({ figure: `${side.name}: ${small.toLocaleString('en')} ${label}`, value: f[`${shape} ${small}`]!, unit: 'µs/task', note: spread(smallRuns[i]![shape]) });
        for (const n of [100_000 / div, M]) {
          f[`${shape} ${n}`] = big[i]![`${shape} ${n}`]!;
          row({ figure: `${side.name}: ${n.toLocaleString('en')} ${label}`, value: f[`${shape} ${n}`]!, unit: 'µs/task' });
        }
      }
      f['map growth'] = growthRow(`${side.name}: growth, independent ${small.toLocaleString('en')} → ${M.toLocaleString('en')}`, f[`map ${M}`]!, smallRuns[i]!.map);
      f['tree growth'] = growthRow(`${side.name}: growth, tree ${small.toLocaleString('en')} → ${M.toLocaleString('en')}`, f[`tree ${M}`]!, smallRuns[i]!.tree);
      f['tree vs map'] = growthRow(`${side.name}: tree of ${M.toLocaleString('en')} / ${small.toLocaleString('en')} independent`, f[`tree ${M}`]!, smallRuns[i]!.map);
    });
    if (sides.length > 1) {
      console.log(`\n${sides[0]!.name} / ${sides[1]!.name}, same run:`);
      for (const k of Object.keys(figures[0]!)) row({ figure: `  ${k}`, value: figures[0]![k]! / figures[1]![k]!, unit: '×' });
    }
    extra.growth = sides.map((side, i) => ({ side: side.name, figures: figures[i], smallRuns: smallRuns[i] }));
  } finally {
    for (const c of cleanup) await c();
  }
}

async function main(): Promise<void> {
  console.log(`gluon scale benchmark: the real scheduler process against simulated workers; load average ${load()} on this machine`);
  console.log('(CPU figures are the scheduler process\'s own CPU time; wall-clock rates are under that load)\n');
  const { child, address } = await startScheduler();
  const pid = child.pid!;
  const client = await Client.connect(address, { name: 'scale-bench' });
  const seen = new Map<string, SimWorker[]>();
  let watch: Set<string> | null = null;
  let firstComputeAt = 0;
  let markerKey = '';
  let markerAt = 0;
  const fleet = new SimFleet(address, {
    onCompute(key, w) {
      if (firstComputeAt === 0) firstComputeAt = performance.now();
      if (key === markerKey) markerAt = performance.now();
      if (watch?.has(key)) {
        let l = seen.get(key);
        if (!l) seen.set(key, (l = []));
        l.push(w);
      }
    },
  });
  const want = (s: string) => !only || only.has(s);
  try {
    await fleet.add(10, 2);
    // Warm-up (see warmUp); then the idle collection.
    const collections0 = collectionLines().length;
    const self: Side = { name: other ? basename(resolve(other)) : 'this checkout', pid, client, fleet };
    await warmUp(self);
    // A scheduler of another checkout (--scheduler-root) may be older than its idle collection.
    const collected = await until(() => collectionLines().length > collections0, 'the idle collection', 60_000).then(() => true, () => false);
    const idle = await steadyRss(pid);
    const idleRss = idle.median;
    row({ figure: `scheduler RSS, idle after warm-up${collected ? ' and its collection' : ' (it logged no idle collection)'}`, value: idleRss, unit: 'MiB', note: `${rssRange(idle.readings)}; ${kinds(residentByKind(pid))}` });
    extra.idleRssMiB = idleRss;

    const small = 10_000 / div;
    const half = Math.ceil(SMALL_RUNS / 2);
    const per: Record<number, number> = {};
    /** The 10k independent runs, the baseline of both shapes' growth. */
    const smallMap: number[] = [];
    if (want('sizes')) {
      console.log(`\n-- scheduler CPU per task, 10 workers × 2 threads, submit until released (${small.toLocaleString('en')}: ${half} runs now, ${half} after ${M.toLocaleString('en')}) --`);
      smallMap.push(...(await runsOf([self], small, 'map', half))[0]!);
      await settle([self]);
      const r = await run(client, pid, fleet, 100_000 / div, 'map');
      per[100_000 / div] = r.cpuUs;
      row({ figure: `${(100_000 / div).toLocaleString('en')} independent tasks`, value: r.cpuUs, unit: 'µs/task', note: `${r.wallRate.toFixed(0)} tasks/s wall, client map() until sent ${clientBuildUs.toFixed(1)} µs/task CPU (with the simulated workers' share), load ${load()}` });
      // 1M: update-graph timing, then held for the memory figure.
      await settle([self]);
      firstComputeAt = 0;
      const args = Array.from({ length: M }, (_, i) => i + Math.random());
      const cpu0 = schedulerCpu(pid);
      const own0 = ownCpuSeconds();
      const t0 = performance.now();
      const futures = client.map(noop, args);
      const built = performance.now() - t0;
      const builtCpu = ownCpuSeconds() - own0;
      // The graph leaves in slices (frames of 4,096 tasks, a turn of the event loop between
      // slices); then a marker task, after it on the same connection: once the marker is placed,
      // the scheduler has taken every frame before it.
      await client.whenSent();
      const sent = performance.now() - t0;
      const sentCpu = ownCpuSeconds() - own0 - builtCpu;
      const marker = client.submit(noop.with({ priority: 1e9, group: 'marker' }), Math.random());
      markerKey = marker.key;
      await until(() => firstComputeAt > 0, 'the first compute-task of the 1M graph');
      const firstMs = firstComputeAt - t0;
      await until(() => markerAt > 0, 'the marker task submitted after the 1M graph');
      const knownMs = markerAt - t0;
      const graphCpu = schedulerCpu(pid) - cpu0;
      await client.wait([...futures, marker]);
      client.release([marker]);
      const ranCpu = schedulerCpu(pid) - cpu0;
      const wallRate = M / ((performance.now() - t0) / 1000);
      console.log(`\n-- update-graph of ${M.toLocaleString('en')} tasks from the client (wall, load ${load()}) --`);
      row({ figure: 'client: map() returns its futures, CPU', value: (builtCpu / M) * 1e6, unit: 'µs/task', note: `${built.toFixed(0)} ms wall` });
      row({ figure: 'client: … builds, encodes and sends every frame, CPU', value: (sentCpu / M) * 1e6, unit: 'µs/task', note: `all sent ${sent.toFixed(0)} ms wall after map() began; with the simulated workers' share, they run in this process between slices` });
      row({ figure: 'scheduler: first task sent to a worker', value: firstMs, unit: 'ms', note: 'wall, from map(); the workers live in the client\'s process, which runs them between slices' });
      row({ figure: 'scheduler: every task known (a marker after them placed)', value: knownMs, unit: 'ms', note: `wall; scheduler CPU until then ${graphCpu.toFixed(1)} s (${((graphCpu / M) * 1e6).toFixed(1)} µs/task)` });
      console.log('\n-- scheduler memory --');
      const heldRss = await settledRss(pid, 15_000, 3_000);
      const perTask = ((heldRss - idleRss) * 2 ** 20) / M;
      row({ figure: `RSS with ${M.toLocaleString('en')} tasks held`, value: heldRss, unit: 'MiB' });
      row({ figure: 'RSS per held task', value: perTask, unit: 'bytes', target: '≤ 1024', meets: perTask <= 1024 });
      const rel0 = schedulerCpu(pid);
      const freed0 = fleet.freed;
      const collectionsBefore = collectionLines().length;
      client.release(futures);
      futures.length = 0;
      await released(client, fleet, freed0, M);
      const releaseCpu = schedulerCpu(pid) - rel0;
      // The idle collection is paced (IdlePacing, idle-gc.ts): after the runs before, it may come
      // up to 30 s into the idle, later than settledRss's 10 s without a fall. Read after it.
      await until(() => collectionLines().length > collectionsBefore, 'the idle collection after the release', 90_000).catch(() => undefined);
      const after = await steadyRss(pid);
      const afterRss = after.median;
      const back = afterRss / idleRss;
      row({ figure: 'RSS after release / idle RSS', value: back, unit: '×', target: '≤ 1.10', meets: back <= 1.1, note: `${afterRss.toFixed(0)} MiB (${rssRange(after.readings)}): ${kinds(residentByKind(pid))}` });
      const heap = lastCollection();
      if (heap) {
        row({ figure: 'V8 heap used after release (idle collection)', value: heap.heapUsed, unit: 'MiB', note: `of ${heap.heapTotal} MiB committed, external ${heap.external} MiB; RSS ${heap.rss} MiB then` });
        extra.heapAfterRelease = heap;
      }
      const cpuM = ((ranCpu + releaseCpu) / M) * 1e6;
      per[M] = cpuM;
      console.log('');
      row({ figure: `${M.toLocaleString('en')} independent tasks`, value: cpuM, unit: 'µs/task', note: `${(((releaseCpu) / M) * 1e6).toFixed(1)} of it the release; ${wallRate.toFixed(0)} tasks/s wall, load ${load()}` });
      smallMap.push(...(await runsOf([self], small, 'map', half, 1))[0]!);
      per[small] = median(smallMap);
      row({ figure: `${small.toLocaleString('en')} independent tasks`, value: per[small], unit: 'µs/task', note: spread(smallMap) });
      growthRow(`growth of CPU per task, ${small.toLocaleString('en')} → ${M.toLocaleString('en')}`, cpuM, smallMap);
    }
    if (want('tree')) {
      console.log(`\n-- tree reduction (fan-in 8), submit until released (${small.toLocaleString('en')}: ${half} runs now, ${half} after ${M.toLocaleString('en')}) --`);
      const ownBaseline = smallMap.length === 0;
      if (ownBaseline) smallMap.push(...(await runsOf([self], small, 'map', half))[0]!);
      const smallTree = (await runsOf([self], small, 'tree', half))[0]!;
      const tree: Record<number, number> = {};
      let tasksM = M;
      let collectionsBeforeM = 0;
      for (const n of [100_000 / div, M]) {
        await settle([self]);
        collectionsBeforeM = collectionLines().length;
        const r = await run(client, pid, fleet, n, 'tree');
        tree[n] = r.cpuUs;
        if (n === M) tasksM = r.tasks;
        row({ figure: `${r.tasks.toLocaleString('en')} tasks in a tree reduction`, value: r.cpuUs, unit: 'µs/task', note: `${r.wallRate.toFixed(0)} tasks/s wall, client ${clientBuildUs.toFixed(1)} µs/task CPU, load ${load()}` });
      }
      // The scheduler's idle collection of the released 1M tree, before the small runs: settle()
      // alone let them start first (one run: the six after 38-47 µs/task, against 12-28 before),
      // so V8's sweeping of the dead graph fell on the baseline. The sizes section waits alike.
      await until(() => collectionLines().length > collectionsBeforeM, 'the idle collection after the big tree', 60_000).catch(() => undefined);
      smallTree.push(...(await runsOf([self], small, 'tree', half, 1))[0]!);
      if (ownBaseline) smallMap.push(...(await runsOf([self], small, 'map', half, 1))[0]!);
      tree[small] = median(smallTree);
      row({ figure: `${small.toLocaleString('en')} tasks in a tree reduction`, value: tree[small], unit: 'µs/task', note: spread(smallTree) });
      if (ownBaseline) {
        per[small] = median(smallMap);
        row({ figure: `${small.toLocaleString('en')} independent tasks (the baseline)`, value: per[small], unit: 'µs/task', note: spread(smallMap) });
      }
      growthRow(`growth of CPU per task, tree of ${small.toLocaleString('en')} → ${tasksM.toLocaleString('en')}`, tree[M]!, smallTree);
      growthRow(`tree of ${tasksM.toLocaleString('en')} / ${small.toLocaleString('en')} independent tasks`, tree[M]!, smallMap);
      extra.tree = tree;
      extra.smallRuns = { map: smallMap, tree: smallTree };
    }
    if (want('growth')) await growthAB(self, values.vs);
    extra.independent = per;
    if (want('workers')) {
      console.log(`\n-- workers: ${(100_000 / div).toLocaleString('en')} independent tasks on 10, 100, 1,000 workers × 2 threads --`);
      const rate: Record<number, number> = {};
      for (const nw of [10, 100, 1000]) {
        if (nw === 1000) {
          const t0 = performance.now();
          const cpu0 = schedulerCpu(pid);
          const added = await fleet.add(nw - fleet.workers.length, 2);
          const welcomed = performance.now() - t0;
          // Registered: each new worker is given a task (least-occupied placement reaches all).
          const before = new Map(added.map((w) => [w, w.received]));
          const probe = client.map(noop, Array.from({ length: 2 * nw }, (_, i) => -i - 1 - Math.random()));
          await until(() => added.every((w) => w.received > before.get(w)!), 'every new worker given a task', 120_000);
          const registered = performance.now() - t0;
          await client.wait(probe);
          client.release(probe);
          row({ figure: `register ${added.length} workers (all welcomed)`, value: welcomed, unit: 'ms', note: `wall, load ${load()}` });
          row({ figure: `… and each given a task`, value: registered, unit: 'ms', note: `scheduler CPU ${(schedulerCpu(pid) - cpu0).toFixed(2)} s` });
        } else if (fleet.workers.length < nw) {
          await fleet.add(nw - fleet.workers.length, 2);
        }
        await run(client, pid, fleet, 10_000 / div, 'map'); // warm the new workers' connections
        // The workers' heartbeats (one a second each) cost the scheduler CPU by the second,
        // whatever it runs: measured idle, and paused during the measured runs (the scheduler's
        // heartbeat TTL here is 600 s), so that the figure is CPU per task whatever the run's
        // wall time (under load, 1,000 workers' heartbeats were 5-11 µs of a 100k run's 20 µs/task).
        const bg0 = schedulerCpu(pid);
        const bgT0 = performance.now();
        await new Promise((r) => setTimeout(r, 10_000));
        const background = (schedulerCpu(pid) - bg0) / ((performance.now() - bgT0) / 1000);
        fleet.heartbeatsPaused = true;
        const runs = [];
        try {
          for (let i = 0; i < 3; i++) runs.push(await run(client, pid, fleet, 100_000 / div, 'map'));
        } finally {
          fleet.heartbeatsPaused = false;
        }
        const us = median(runs.map((r) => r.cpuUs));
        const r = runs.find((x) => x.cpuUs === us)!;
        rate[nw] = 1e6 / us;
        row({ figure: `${nw} workers`, value: rate[nw], unit: 'tasks/CPU-s', note: `${us.toFixed(1)} µs/task, median of ${runs.map((x) => x.cpuUs.toFixed(1)).join(', ')}; heartbeats ${(background * 1000).toFixed(0)} ms CPU/s idle (paused while measured); ${r.wallRate.toFixed(0)} tasks/s wall, load ${load()}` });
      }
      const drop = 1 - rate[1000]! / rate[10]!;
      row({ figure: 'drop in tasks per CPU-second, 10 → 1,000 workers', value: drop * 100, unit: '%', target: '≤ 20%', meets: drop <= 0.2 });

      console.log('\n-- 100 of 1,000 workers killed at once mid-run --');
      const n = 200_000 / div;
      const before = fleet.answered;
      const futures = client.map(noop, Array.from({ length: n }, (_, i) => i + 0.5 + Math.random()));
      await until(() => fleet.answered - before >= n / 2, 'half the tasks answered');
      const victims = fleet.workers.slice(-100);
      for (const v of victims) v.stuck = true;
      await until(() => victims.every((v) => v.pending.size > 0) || fleet.answered - before >= n * 0.95, 'every victim holding tasks');
      const lostKeys = new Set<string>();
      for (const v of victims) for (const k of v.pending) lostKeys.add(k);
      watch = lostKeys;
      const victimSet = new Set<SimWorker>(victims);
      const cpu0 = schedulerCpu(pid);
      const t0 = performance.now();
      for (const v of victims) v.kill();
      fleet.workers.splice(fleet.workers.length - 100, 100);
      const rescheduled = () => [...lostKeys].every((k) => seen.get(k)?.some((w) => !victimSet.has(w)));
      await until(rescheduled, 'every task of the killed workers sent to another worker');
      const ms = performance.now() - t0;
      const cpu = schedulerCpu(pid) - cpu0;
      const results = await client.gather(futures);
      const allBack = results.length === n && results.every((v) => v === null);
      client.release(futures);
      row({ figure: `tasks the 100 killed workers held, rescheduled`, value: lostKeys.size, unit: 'tasks', note: 'every one sent to a live worker: checked' });
      row({ figure: 'kill → all of them sent elsewhere', value: ms, unit: 'ms', note: `scheduler CPU ${(cpu * 1000).toFixed(0)} ms; wall, load ${load()}` });
      row({ figure: `results of the ${n.toLocaleString('en')}-task run that arrived`, value: results.length, unit: 'tasks', meets: allBack, target: `${n}` });
      if (!allBack) process.exitCode = 1;
    }
  } finally {
    fleet.closeAll();
    await client.close();
    child.kill('SIGTERM');
  }
  const out = join(root, 'bench', 'results');
  if (!existsSync(out)) mkdirSync(out, { recursive: true });
  writeFileSync(join(out, other ? `scale-${basename(resolve(other))}.json` : 'scale.json'), `${JSON.stringify({ date: new Date().toISOString(), node: process.version, quick: values.quick, loadavg: loadavg(), rows, ...extra }, null, 2)}\n`);
}

await main();
