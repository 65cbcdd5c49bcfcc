/**
 * Where (b)'s slow round trips spend their time: bench/scheduler.ts's sequential
 * `submit(inc).result()` on a LocalCluster of 2 workers × 1 thread, with every process's hop probe
 * on (`GLUON_HOP_PROBE`, protocol's hop-probe.ts). Each round trip is cut into its hops from the
 * stamps of the client, the scheduler, the worker and its thread (one clock: CLOCK_MONOTONIC);
 * each one over 1 ms is blamed on its largest hop, and what else its processes did during that
 * hop (a GC pause, a timer, a heartbeat, a message about no task) is tallied. Not a test, and its
 * latencies are not (b)'s figures: the probe itself costs a little in every process.
 *
 *   npx tsx bench/tail-hops.ts            ROUND_TRIPS=n (default 20,000), WARM_TRIPS=n unmeasured
 *                                         ones first (default 10,000)
 *   RUNQ=1 ...                            also each process's time waiting for a CPU (every
 *                                         thread's /proc schedstat) per round trip, read between
 *                                         round trips
 *   KEEP=DIR ...                          keep the probe files in DIR
 *   PERF_SCHED=FILE ...                   `perf sched record -a` into FILE while the round trips
 *                                         run, for who was on the CPUs while a hop waited (read
 *                                         it with `perf sched timehist`); the hop stamps' times
 *                                         are printed in seconds of the same clock
 */
// First: sets GLUON_HOP_PROBE before anything loads @gluon/protocol (bench/env.ts does).
import { probeDir } from './hop-probe-dir.js';
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runDelaySeconds } from './proc.js';
import { envInt, envString } from './env.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ROUND_TRIPS = envInt('ROUND_TRIPS', 20_000, 1, 1e9);
const WARM_TRIPS = envInt('WARM_TRIPS', 10_000, 0, 1e9);
const RUNQ = process.env.RUNQ === '1';
const KEEP = envString('KEEP');
const dir = probeDir;
const { LocalCluster, remoteFrom } = await import('@gluon/client');
const { hopProbe, hrNow } = await import('@gluon/protocol');
if (!hopProbe) throw new Error(`tail-hops: this process's hop probe is off although GLUON_HOP_PROBE=${process.env.GLUON_HOP_PROBE}: @gluon/protocol was loaded before it was set`);
const { noop, inc } = remoteFrom<typeof import('@gluon/examples/tasks')>('@gluon/examples/tasks');

interface Stamp { t: number; event: string; key: string }
type Who = 'client' | 'scheduler' | 'worker';

/** The hops of a round trip, in order: [name, the process it is spent in, start event, end event]. */
const HOPS: Array<[string, Who, string, string]> = [
  ['client submit → send', 'client', 'start', 'c send update-graph'],
  ['wire client → scheduler', 'scheduler', 'c send update-graph', 's recv update-graph'],
  ['scheduler update-graph → send', 'scheduler', 's recv update-graph', 's send compute-task'],
  ['wire scheduler → worker', 'worker', 's send compute-task', 'w recv compute-task'],
  ['worker recv → post to thread', 'worker', 'w recv compute-task', 'w post'],
  ['post → thread has it', 'worker', 'w post', 'w thread-received'],
  ['thread has it → starts', 'worker', 'w thread-received', 'w thread-start'],
  ['thread runs inc', 'worker', 'w thread-start', 'w thread-end'],
  ['thread end → posts', 'worker', 'w thread-end', 'w thread-posted'],
  ['thread posts → main thread has it', 'worker', 'w thread-posted', 'w thread-back'],
  ['worker result → send', 'worker', 'w thread-back', 'w send task-finished'],
  ['wire worker → scheduler', 'scheduler', 'w send task-finished', 's recv task-finished'],
  ['scheduler finished → send', 'scheduler', 's recv task-finished', 's send key-in-memory'],
  ['wire scheduler → client', 'client', 's send key-in-memory', 'c recv key-in-memory'],
  ['client recv → result()', 'client', 'c recv key-in-memory', 'end'],
];

function readStamps(file: string): Stamp[] {
  const out: Stamp[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    const [t, event, key] = line.split('\t');
    out.push({ t: Number(t), event: event!, key: key ?? '' });
  }
  return out.sort((a, b) => a.t - b.t);
}

/** `send compute-task worker w1 (…)` → `send compute-task`: the peer is not part of the hop's name. */
const opOf = (event: string) => event.split(' ').slice(0, 2).join(' ');

async function main(): Promise<void> {
  const load0 = loadavg()[0]!;
  const cluster = await LocalCluster.start({ nWorkers: 2, nthreads: 1, cwd: root });
  const pids = { scheduler: cluster.schedulerProcess.pid, workers: cluster.workerPids };
  const trips: Array<{ key: string; t0: number; t1: number; runq?: number[] }> = [];
  try {
    const client = await cluster.client();
    await client.gather(client.map(noop, Array.from({ length: 2000 }, (_, i) => -1e6 + i)));
    // Settled first, as bench/scheduler.ts's (b) (its WARM_TRIPS): the JIT and the nurseries still warm up before.
    for (let i = 0; i < WARM_TRIPS; i++) await client.submit(inc, -2e6 + i).result();
    const procs = [pids.scheduler, ...pids.workers, process.pid];
    const perf = process.env.PERF_SCHED
      ? spawn('perf', ['sched', 'record', '-a', '-k', 'CLOCK_MONOTONIC', '-o', process.env.PERF_SCHED], { stdio: ['ignore', 'ignore', 'pipe'] })
      : undefined;
    if (perf) await new Promise((r) => setTimeout(r, 1000)); // perf's start-up is not part of the round trips
    for (let i = 0; i < ROUND_TRIPS; i++) {
      const q0 = RUNQ ? procs.map(runDelaySeconds) : undefined;
      const t0 = hrNow();
      const f = client.submit(inc, 2e6 + i);
      await f.result();
      const t1 = hrNow();
      const runq = q0 ? procs.map((p, j) => (runDelaySeconds(p) - q0[j]!) * 1e6) : undefined;
      trips.push({ key: f.key, t0, t1, ...(runq ? { runq } : {}) });
    }
    if (perf) {
      const done = new Promise((r) => perf.once('exit', r));
      perf.kill('SIGINT');
      await done;
    }
  } finally {
    await cluster.close();
  }
  const load1 = loadavg()[0]!;
  hopProbe!.write();

  // Every process's stamps, by pid: the files are named <program>-<pid>.tsv.
  const byPid = new Map<number, Stamp[]>();
  for (const f of readdirSync(dir)) {
    const pid = Number(/-(\d+)\.tsv$/.exec(f)?.[1]);
    if (pid) byPid.set(pid, readStamps(join(dir, f)));
  }
  const roleOf = (pid: number): Who | undefined => (pid === process.pid ? 'client' : pid === pids.scheduler ? 'scheduler' : pids.workers.includes(pid) ? 'worker' : undefined);
  const prefix: Record<Who, string> = { client: 'c', scheduler: 's', worker: 'w' };
  // key → event → time (the first such stamp of each process's kind), and per-role timelines.
  const perKey = new Map<string, Map<string, number>>();
  const timeline: Record<Who, Stamp[]> = { client: [], scheduler: [], worker: [] };
  const keys = new Set(trips.map((t) => t.key));
  for (const [pid, stamps] of byPid) {
    const role = roleOf(pid);
    if (!role) continue;
    for (const s of stamps) {
      timeline[role].push(s);
      if (!keys.has(s.key)) continue;
      let m = perKey.get(s.key);
      if (!m) perKey.set(s.key, (m = new Map()));
      const name = `${prefix[role]} ${s.event.startsWith('send') || s.event.startsWith('recv') ? opOf(s.event) : s.event}`;
      if (!m.has(name)) m.set(name, s.t);
    }
  }
  for (const r of Object.values(timeline)) r.sort((a, b) => a.t - b.t);

  const hopUs: number[][] = HOPS.map(() => []);
  const slow: Array<{ total: number; hop: number; what: string[]; runq?: number[] }> = [];
  let complete = 0;
  for (const trip of trips) {
    const m = perKey.get(trip.key);
    if (!m) continue;
    m.set('start', trip.t0);
    m.set('end', trip.t1);
    const d = HOPS.map(([, , a, b]) => (m.has(a) && m.has(b) ? (m.get(b)! - m.get(a)!) / 1e3 : NaN));
    if (d.some((x) => !Number.isFinite(x))) continue;
    complete++;
    d.forEach((x, i) => hopUs[i]!.push(x));
    const total = (trip.t1 - trip.t0) / 1e3;
    if (total <= 1000) continue;
    const hop = d.indexOf(Math.max(...d));
    const [, who, a, b] = HOPS[hop]!;
    if (process.env.PERF_SCHED) console.log(`slow: ${(trip.t0 / 1e9).toFixed(6)} ${(total).toFixed(0)} µs, largest hop ${HOPS[hop]![0]} ${(m.get(a)! / 1e9).toFixed(6)} → ${(m.get(b)! / 1e9).toFixed(6)} (${who})`);
    slow.push({ total, hop, what: during(timeline[who], m.get(a)!, m.get(b)!, trip.key, who, timeline), ...(trip.runq ? { runq: trip.runq } : {}) });
  }

  const q = (xs: number[], p: number) => {
    const s = [...xs].sort((x, y) => x - y);
    return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN;
  };
  const lat = trips.map((t) => (t.t1 - t.t0) / 1e3);
  console.log(`${trips.length} round trips (${complete} with every stamp), load ${load0.toFixed(1)} → ${load1.toFixed(1)}; ` +
    `median ${q(lat, 0.5).toFixed(0)} µs, p90 ${q(lat, 0.9).toFixed(0)}, p99 ${q(lat, 0.99).toFixed(0)}, ${slow.length} over 1 ms (probe on)\n`);
  console.log('hop                                    median     p90     p99   max (µs)   largest hop of n slow');
  HOPS.forEach(([name], i) => {
    const xs = hopUs[i]!;
    const n = slow.filter((s) => s.hop === i).length;
    console.log(`${name.padEnd(36)} ${q(xs, 0.5).toFixed(0).padStart(7)} ${q(xs, 0.9).toFixed(0).padStart(7)} ${q(xs, 0.99).toFixed(0).padStart(7)} ${Math.max(...xs).toFixed(0).padStart(8)}   ${String(n).padStart(6)}`);
  });
  // What the slow hops had in common: each slow trip counts once per kind of thing seen.
  const tally = new Map<string, number>();
  for (const s of slow) for (const w of new Set(s.what)) tally.set(w, (tally.get(w) ?? 0) + 1);
  console.log(`\nwhat ran during the largest hop of the ${slow.length} slow round trips (a trip counts once per kind):`);
  for (const [w, n] of [...tally].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`  ${String(n).padStart(5)}  ${w}`);
  const nothing = slow.filter((s) => s.what.length === 0).length;
  console.log(`  ${String(nothing).padStart(5)}  nothing recorded`);
  // The stalls apart: a round trip over 5 ms is something that ran for milliseconds, not a late wake-up.
  const stalls = slow.filter((s) => s.total > 5000);
  if (stalls.length) {
    console.log(`\nthe ${stalls.length} over 5 ms: largest hop, and what ran during it`);
    const hops = new Map<string, number>();
    for (const s of stalls) hops.set(HOPS[s.hop]![0], (hops.get(HOPS[s.hop]![0]) ?? 0) + 1);
    for (const [h, n] of [...hops].sort((a, b) => b[1] - a[1])) console.log(`  ${String(n).padStart(5)}  largest hop: ${h}`);
    const met = new Map<string, number>();
    for (const s of stalls) for (const w of new Set(s.what)) met.set(w, (met.get(w) ?? 0) + 1);
    for (const [w, n] of [...met].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`  ${String(n).padStart(5)}  ${w}`);
    console.log(`  ${String(stalls.filter((s) => s.what.length === 0).length).padStart(5)}  nothing recorded`);
  }
  if (RUNQ) {
    const names = ['scheduler', 'worker 1', 'worker 2', 'client'];
    const all = trips.filter((t) => t.runq);
    console.log('\ntime waiting for a CPU per round trip (µs, all threads of each process): all trips mean / slow trips mean, slow trips with > 500 µs');
    names.forEach((n, j) => {
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
      const sl = slow.map((s) => s.runq![j]!);
      console.log(`  ${n.padEnd(10)} ${mean(all.map((t) => t.runq![j]!)).toFixed(0).padStart(6)} / ${mean(sl).toFixed(0).padStart(6)}   ${sl.filter((x) => x > 500).length}`);
    });
  }
  // At exit, after this process's own probe has written its file there (its exit handler was
  // registered first, when hop-probe.ts loaded): removed now, that write failed with ENOENT.
  if (!KEEP) process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
}

/**
 * What else a process did between `a` and `b` (hrtime ns): its GC pauses that overlap, its timers,
 * messages about no task or about another task; and GC pauses of the other processes.
 */
function during(own: Stamp[], a: number, b: number, key: string, who: Who, all: Record<Who, Stamp[]>): string[] {
  const out: string[] = [];
  for (const [role, stamps] of Object.entries(all) as Array<[Who, Stamp[]]>) {
    let lo = 0, hi = stamps.length;
    // First stamp at or after a - 100 ms (a GC stamp is its start: a long pause may begin before a).
    const from = a - 100e6;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (stamps[mid]!.t < from) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < stamps.length && stamps[i]!.t <= b; i++) {
      const s = stamps[i]!;
      if (s.event.startsWith('gc ')) {
        const us = Number(/(\d+)us$/.exec(s.event)?.[1] ?? 0);
        if (s.t + us * 1e3 >= a) out.push(`${role} ${s.event.replace(/ \d+us$/, '')} (GC kind; 1 scavenge, 2 mark-compact, 4 incremental, 8 weak callbacks)`);
        continue;
      }
      if (s.t < a || s.key === key || stamps !== own && role !== who) continue;
      out.push(`${role} ${s.key ? `${opOf(s.event)} of another task` : opOf(s.event)}`);
    }
  }
  return out;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
