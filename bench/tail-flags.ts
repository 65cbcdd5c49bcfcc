/**
 * (b) of bench/scheduler.ts — sequential `submit(inc).result()` — on clusters that differ only in
 * the V8 flags of their scheduler and workers, in the same run: every cluster is up at once and
 * the round trips alternate between them in blocks, in A B … B A order, so the machine's load
 * weighs on all alike. For choosing GC flags by the tail they give (docs/internals.md, "Where the
 * tail of (b) comes from").
 *
 *   npx tsx bench/tail-flags.ts 'LABEL=SCHEDULER FLAGS|WORKER FLAGS' ...
 *
 * Each argument is one cluster: its label, the scheduler's node/V8 flags and, after `|`, the
 * workers' (either part empty for Gluon's own: SCHEDULER_V8_FLAGS, WORKER_V8_FLAGS; flags given
 * are added after them, so a value given here wins). E.g. `now=` and `4MiB=--max-semi-space-size=4`.
 * A `NAME=value` word among the scheduler's flags is set in its environment instead (over
 * SCHEDULER_ENV's), e.g. `mmap16k=MALLOC_MMAP_THRESHOLD_=16384`.
 * ROUND_TRIPS per cluster (default 20,000), BLOCK round trips per block (default 1,000).
 * TRACE_GC=DIR writes each scheduler's `--trace-gc-nvp` log to DIR/LABEL-scheduler.log (and the
 * workers' to LABEL-worker-N.log), and prints from them what each process allocated per round
 * trip over the timed blocks and its collections per 10,000 round trips (a worker's main thread
 * and task thread apart; this client's from v8.GCProfiler). WARM=n unmeasured round trips per
 * cluster first (default 500; the JIT is still at work for several thousand, bench/scheduler.ts). RELEASE=1 releases each future right after its round trip (the
 * scheduler then forgets the task at once instead of when this process's GC finds the future
 * unreachable: what that leaves the scheduler's scavenges to copy). DASHBOARD=0 starts the
 * schedulers without their dashboards. Prints per cluster: p50, p90,
 * p99, p99.9, round trips over 1 ms, each process's CPU and time waiting for a CPU per round trip
 * (every thread's /proc schedstat), the hypervisor's steal and the idle time as shares of the CPUs'
 * time during its blocks (/proc/stat), and the scheduler's event-loop delay. Not a test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Client, remoteFrom } from '@gluon/client';
import { SCHEDULER_V8_FLAGS, withSchedulerEnv } from '@gluon/scheduler/v8-flags';
import { WORKER_V8_FLAGS } from '@gluon/worker/v8-flags';
import { schedulerLoopDelay } from './loop-delay.js';
import { tallyNvpLog, tallyOwnGc, type GcTally } from './gc-alloc.js';
import { median, runDelaySeconds, threadCpuSeconds } from './proc.js';
import { hostCpu, hostCpuSince, type HostCpu } from './host-cpu.js';
import { envInt } from './env.js';

const { inc } = remoteFrom<typeof import('@gluon/examples/tasks')>('@gluon/examples/tasks');
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ROUND_TRIPS = envInt('ROUND_TRIPS', 20_000, 1, 1e9);
const BLOCK = envInt('BLOCK', 1000, 1, 1e9);
const TRACE_GC = process.env.TRACE_GC;
const WARM = envInt('WARM', 500, 0, 1e9);
/** RELEASE=1 releases each future once timed, instead of when this process's GC finds it unreachable. */
const RELEASE = process.env.RELEASE === '1';
/** DASHBOARD=0 starts the schedulers without their dashboards (no event-loop delay then). */
const DASHBOARD = process.env.DASHBOARD !== '0';

interface Cluster {
  label: string;
  procs: ChildProcess[];
  client: Client;
  /** The scheduler's dashboard, whose /metrics give its event-loop delay. */
  dashboard: string | undefined;
  lat: number[];
  /** The scheduler's event-loop delay in each block (p50, p99 ms). */
  loop: Array<{ p50Ms: number; p99Ms: number }>;
  cpu: { scheduler: number; workers: number };
  /** Time the processes' threads waited for a CPU while runnable (/proc schedstat's second field). */
  wait: { scheduler: number; workers: number; client: number };
  /** What the machine's CPUs did during this cluster's blocks (/proc/stat ticks: steal, idle, busy). */
  host: HostCpu;
  /** When each of `procs` was started (performance.now() ms), and its GC log (with TRACE_GC). */
  spawnedAt: number[];
  logs: Array<string | null>;
}

/** Every process started, so that a failed start-up leaves none behind. */
const started: ChildProcess[] = [];
/** Each GC log's file stream having written all it was given (the process ended). */
const logsWritten: Array<Promise<unknown>> = [];

function words(s: string): string[] {
  return s.split(/\s+/).filter(Boolean);
}

/** A `NAME=value` word (an environment variable), not a flag. */
function isEnv(word: string): boolean {
  return /^[A-Z_][A-Z0-9_]*=/.test(word);
}

/** Starts a process and resolves with its stdout lines up to the first matching `pattern` (bounded: 60 s). */
function launch(args: string[], env: NodeJS.ProcessEnv, log: string | null, pattern: RegExp): Promise<{ child: ChildProcess; match: RegExpExecArray; lines: string[]; at: number }> {
  const at = performance.now();
  const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', log ? 'pipe' : 'ignore'] });
  started.push(child);
  if (log) {
    // --trace-gc-nvp writes to stdout, the process's own log to stderr: both go to the file.
    const file = createWriteStream(log);
    child.stdout!.pipe(file, { end: false });
    child.stderr!.pipe(file, { end: false });
    logsWritten.push(new Promise((r) => child.once('close', () => file.end(r))));
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill(); reject(new Error(`${args.join(' ')}: no line ${pattern} within 60 s`)); }, 60_000);
    child.once('exit', (code, sig) => { clearTimeout(timer); reject(new Error(`${args.join(' ')} exited (${sig ?? code}) during start-up`)); });
    const rl = createInterface({ input: child.stdout! });
    const lines: string[] = [];
    rl.on('line', (line) => {
      lines.push(line);
      const m = pattern.exec(line);
      if (m) { clearTimeout(timer); child.removeAllListeners('exit'); rl.close(); child.stdout!.resume(); resolve({ child, match: m, lines, at }); }
    });
  });
}

async function start(spec: string): Promise<Cluster> {
  const eq = spec.indexOf('=');
  if (eq <= 0) throw new Error(`tail-flags: "${spec}" is not LABEL=SCHEDULER FLAGS|WORKER FLAGS`);
  const label = spec.slice(0, eq);
  const [schedPart = '', workerPart = ''] = spec.slice(eq + 1).split('|');
  const trace = TRACE_GC ? ['--trace-gc-nvp'] : [];
  // NAME=value words among the scheduler's flags are its environment (e.g. glibc's MALLOC_*).
  const schedWords = words(schedPart);
  const schedEnv = Object.fromEntries(schedWords.filter(isEnv).map((w) => [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)]));
  const logOf = (what: string) => (TRACE_GC ? join(TRACE_GC, `${label}-${what}.log`) : null);
  // Not anchored: with TRACE_GC a line may follow a GC trace from another thread on the same line.
  const sched = await launch(
    [...SCHEDULER_V8_FLAGS, ...schedWords.filter((w) => !isEnv(w)), ...trace, join(root, 'packages/scheduler/dist/cli.js'), '--host', '127.0.0.1', '--port', '0', ...(DASHBOARD ? ['--dashboard-port', '0'] : ['--no-dashboard'])],
    withSchedulerEnv({ ...process.env, ...schedEnv }), logOf('scheduler'), /scheduler at (\S+)/);
  const address = sched.match[1]!;
  const dashboard = sched.lines.map((l) => /dashboard at (\S+)/.exec(l)?.[1]).find(Boolean);
  const workers = await Promise.all([0, 1].map((i) => launch(
    [...WORKER_V8_FLAGS, ...words(workerPart), ...trace, join(root, 'packages/worker/dist/cli.js'), address, '--nthreads', '1', '--name', `${label}-${i}`],
    process.env, logOf(`worker-${i}`), /worker \S+ at \S+ connected/)));
  const client = await Client.connect(address);
  // Warm-up of the sequential path in every process (JIT, connections), unmeasured.
  for (let i = 0; i < WARM; i++) await client.submit(inc, -1e6 + i).result();
  return {
    label, procs: [sched.child, ...workers.map((w) => w.child)], client, dashboard, lat: [], loop: [],
    cpu: { scheduler: 0, workers: 0 }, wait: { scheduler: 0, workers: 0, client: 0 }, host: { busy: 0, idle: 0, steal: 0 },
    spawnedAt: [sched.at, ...workers.map((w) => w.at)], logs: [logOf('scheduler'), logOf('worker-0'), logOf('worker-1')],
  };
}

async function block(c: Cluster, from: number, n: number): Promise<void> {
  const [s, ...w] = c.procs.map((p) => p.pid!);
  const cpu = () => ({ scheduler: threadCpuSeconds(s!), workers: w.reduce((t, pid) => t + threadCpuSeconds(pid), 0) });
  const wait = () => ({ scheduler: runDelaySeconds(s!), workers: w.reduce((t, pid) => t + runDelaySeconds(pid), 0), client: runDelaySeconds(process.pid) });
  await schedulerLoopDelay(c.dashboard); // opens a window for this block alone
  const c0 = cpu();
  const w0 = wait();
  const h0 = hostCpu();
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const f = c.client.submit(inc, from + i);
    await f.result();
    c.lat.push((performance.now() - t0) * 1000);
    if (RELEASE) f.release();
  }
  const c1 = cpu();
  const w1 = wait();
  const h = hostCpuSince(h0, hostCpu());
  c.host.busy += h.busy; c.host.idle += h.idle; c.host.steal += h.steal;
  for (const k of ['scheduler', 'workers', 'client'] as const) c.wait[k] += w1[k] - w0[k];
  const loop = await schedulerLoopDelay(c.dashboard);
  if (loop) c.loop.push(loop);
  c.cpu.scheduler += c1.scheduler - c0.scheduler;
  c.cpu.workers += c1.workers - c0.workers;
}

const q = (s: number[], p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;

async function main(): Promise<void> {
  const specs = process.argv.slice(2);
  if (specs.length === 0) throw new Error('tail-flags: give at least one LABEL=SCHEDULER FLAGS|WORKER FLAGS');
  if (TRACE_GC) mkdirSync(TRACE_GC, { recursive: true });
  const clusters: Cluster[] = [];
  try {
    for (const s of specs) clusters.push(await start(s));
    const loads: number[] = [loadavg()[0]!];
    const ownGc = tallyOwnGc();
    const t0 = performance.now();
    for (let done = 0, round = 0; done < ROUND_TRIPS; done += BLOCK, round++) {
      const n = Math.min(BLOCK, ROUND_TRIPS - done);
      const order = round % 2 === 0 ? clusters : [...clusters].reverse();
      for (const c of order) await block(c, round * 1e6 + done, n);
      loads.push(loadavg()[0]!);
    }
    window = { from: t0, to: performance.now(), client: ownGc() };
    console.log(`${ROUND_TRIPS} round trips per cluster in blocks of ${BLOCK}, ${((performance.now() - t0) / 1000).toFixed(0)} s; load ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}`);
    console.log('cluster'.padEnd(14) + ['p50', 'p90', 'p99', 'p99.9', 'max', '>1ms', 'sched CPU', 'wkrs CPU', 'sched wait', 'wkrs wait', 'clnt wait', 'steal %', 'idle %'].map((h) => h.padStart(11)).join(''));
    for (const c of clusters) {
      const s = [...c.lat].sort((a, b) => a - b);
      const us = (x: number) => x.toFixed(0);
      console.log(c.label.padEnd(14) + [q(s, 0.5), q(s, 0.9), q(s, 0.99), q(s, 0.999), s[s.length - 1]!].map((x) => us(x).padStart(11)).join('') +
        String(s.filter((x) => x > 1000).length).padStart(11) +
        [c.cpu.scheduler, c.cpu.workers, c.wait.scheduler, c.wait.workers, c.wait.client].map((x) => us((x / s.length) * 1e6).padStart(11)).join('') +
        [c.host.steal, c.host.idle].map((x) => ((100 * x) / (c.host.busy + c.host.idle + c.host.steal || 1)).toFixed(1).padStart(11)).join(''));
    }
    console.log('(µs; CPU and time waiting for a CPU per round trip, every thread of the process; steal and idle: shares of all CPUs\' time during the cluster\'s blocks, /proc/stat)');
    for (const c of clusters) {
      if (c.loop.length === 0) continue;
      const us = (ms: number) => (ms * 1000).toFixed(0);
      console.log(`${c.label}: scheduler event-loop delay, median over blocks of p50 ${us(median(c.loop.map((l) => l.p50Ms)))} µs and of p99 ${us(median(c.loop.map((l) => l.p99Ms)))} µs (largest p99 ${us(Math.max(...c.loop.map((l) => l.p99Ms)))} µs)`);
    }
  } finally {
    for (const c of clusters) await c.client.close().catch(() => undefined);
    for (const p of started) p.kill();
  }
  if (TRACE_GC && window) {
    await Promise.all(logsWritten);
    allocationReport(clusters, window);
  }
}

/** The timed blocks (performance.now() ms) and what this process's GC did meanwhile. */
let window: { from: number; to: number; client: GcTally } | undefined;

/**
 * What each process allocated per round trip over the timed blocks and its collections per 10,000
 * round trips, from the GC logs (TRACE_GC). A process's isolate clock starts about when it was
 * spawned; its task thread's somewhat later, so the thread's window is read a little late.
 */
function allocationReport(clusters: Cluster[], w: { from: number; to: number; client: GcTally }): void {
  const row = (who: string, t: GcTally, trips: number) =>
    console.log(`${who.padEnd(34)}${(t.allocated / trips).toFixed(0).padStart(10)}${((t.scavenges / trips) * 1e4).toFixed(0).padStart(12)}` +
      `${((t.majors / trips) * 1e4).toFixed(1).padStart(10)}${(t.scavenges + t.majors ? t.pauseMs / (t.scavenges + t.majors) : 0).toFixed(2).padStart(12)}`);
  console.log(`\n${'allocation over the timed blocks'.padEnd(34)}${'B/trip'.padStart(10)}${'scav/10k'.padStart(12)}${'major/10k'.padStart(10)}${'ms/pause'.padStart(12)}`);
  for (const c of clusters) {
    const trips = c.lat.length;
    c.procs.forEach((_, i) => {
      const log = c.logs[i];
      if (!log) return;
      const isolates = tallyNvpLog(log, w.from - c.spawnedAt[i]!, w.to - c.spawnedAt[i]!);
      const name = i === 0 ? 'scheduler' : `worker ${i - 1}`;
      isolates.forEach((t, j) => row(`${c.label} ${name}${i === 0 ? '' : j === 0 ? ' main thread' : ` task thread ${j}`}`, t, trips));
    });
  }
  row(`this client${clusters.length > 1 ? ` (all ${clusters.length} clusters)` : ''}`, w.client, clusters.reduce((n, c) => n + c.lat.length, 0));
}

main().catch((e) => { console.error(e); process.exitCode = 1; });
