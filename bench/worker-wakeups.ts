/**
 * How often the worker's threads sleep and wake per (b) round trip, and what they cost, against
 * the floor's worker (bench/round-trip-floor.ts, `ws`) in the same run: (b)'s round trips and the
 * floor's in blocks of BLOCK_TRIPS (default 500), A B B A, ROUND_TRIPS (default 10,000) an arm
 * after WARM (default 10,000) unmeasured each. Per thread of each worker process, per round trip:
 * voluntary switches (it slept), involuntary (preempted), CPU µs and moves to another CPU
 * (/proc/PID/task/TID/{status,schedstat,sched}); and the round trips' median and p99.
 *
 *  - PIN=gluon|floor: three arms of one side instead, its worker's main and task thread both on
 *    CPU 1 ('same'), on CPUs 0 and 1 ('split'), or anywhere ('free'; `taskset -p` per thread
 *    before each block); PIN=both: (b) and the floor, each 'same' and 'split' (four arms).
 *  - SYSCALLS=1: then 5,000 round trips a side under `perf stat` of each worker thread's futex,
 *    epoll_pwait, read and write calls (tracepoints: no strace slowdown), printed per round trip.
 *  - PERF=FILE: then `perf record -g` of each side's worker over 5,000 round trips, into FILE and
 *    FILE.floor (with NODE_OPTIONS=--perf-basic-prof for the JavaScript frames' names).
 *  - STRACE=FILE: then `strace -f -tt` of each side's worker over 300 round trips, into FILE and
 *    FILE.floor: every system call of both its threads in order.
 *
 * Not a test; for finding a worker's wake-ups beyond the two of its main thread and the one of its
 * task thread that a round trip needs (docs/internals.md, "(b): the worker's wake-ups").
 *
 *   flock /work/bench.lock setsid /tmp/prio.sh npx tsx bench/worker-wakeups.ts
 */
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalCluster, remoteFrom } from '@gluon/client';
import { envInt, envString } from './env.js';
import { latencySummary, startFloor } from './round-trip-floor.js';

const { inc } = remoteFrom<typeof import('@gluon/examples/tasks')>('@gluon/examples/tasks');
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ROUND_TRIPS = envInt('ROUND_TRIPS', 10_000, 1, 1e9);
const WARM = envInt('WARM', 10_000, 0, 1e9);
const BLOCK = envInt('BLOCK_TRIPS', 500, 1, 1e9);
const STRACE = envString('STRACE');
const PERF = envString('PERF');
const SYSCALLS = process.env.SYSCALLS === '1';
/**
 * PIN=gluon (or PIN=floor): instead of (b) against the floor, (b)'s round trips (or the floor's)
 * in three arms: the worker's main and task thread both on CPU 1 ('same'), on CPUs 0 and 1
 * ('split'), or free to run anywhere ('free'), set with `taskset -p` per thread before each block.
 * PIN=both: four arms, (b) and the floor, each with its worker's threads on one CPU and on two.
 */
const PIN = envString('PIN');
if (PIN !== undefined && PIN !== 'gluon' && PIN !== 'floor' && PIN !== 'both') {
  console.error(`worker-wakeups.ts: $PIN is gluon, floor or both, not ${JSON.stringify(PIN)}`);
  process.exit(2);
}

interface ThreadStat { name: string; vol: number; invol: number; cpuNs: number; migrations: number }

/** Every live thread of a process: its name and its switch and CPU counters so far. */
function threads(pid: number): Map<string, ThreadStat> {
  const out = new Map<string, ThreadStat>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const dir = `/proc/${pid}/task/${tid}`;
      const status = readFileSync(`${dir}/status`, 'utf8');
      out.set(tid, {
        name: tid === String(pid) ? 'main' : readFileSync(`${dir}/comm`, 'utf8').trim(),
        vol: Number(/\nvoluntary_ctxt_switches:\s+(\d+)/.exec(status)![1]),
        invol: Number(/nonvoluntary_ctxt_switches:\s+(\d+)/.exec(status)![1]),
        cpuNs: Number(readFileSync(`${dir}/schedstat`, 'utf8').split(' ')[0]),
        migrations: Number(/se\.nr_migrations\s+:\s+(\d+)/.exec(readFileSync(`${dir}/sched`, 'utf8'))?.[1] ?? NaN),
      });
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

/** Adds the counters' growth from `a` to `b` into `sum`, by process label and thread. */
function accumulate(sum: Map<string, ThreadStat>, label: string, a: Map<string, ThreadStat>, b: Map<string, ThreadStat>): void {
  for (const [tid, s] of b) {
    const s0 = a.get(tid) ?? { name: s.name, vol: 0, invol: 0, cpuNs: 0, migrations: 0 };
    const k = `${label} ${s.name} (${tid})`;
    const t = sum.get(k) ?? { name: s.name, vol: 0, invol: 0, cpuNs: 0, migrations: 0 };
    t.vol += s.vol - s0.vol;
    t.invol += s.invol - s0.invol;
    t.cpuNs += s.cpuNs - s0.cpuNs;
    t.migrations += s.migrations - s0.migrations;
    sum.set(k, t);
  }
}

let next = 0;
const cluster = await LocalCluster.start({ nWorkers: 2, nthreads: 1, cwd: root });
const floor = await startFloor('ws');
try {
  const client = await cluster.client();
  const gluonTrip = async () => { await client.submit(inc, next++).result(); };
  for (let i = 0; i < WARM; i++) await gluonTrip();
  for (let i = 0; i < WARM; i++) await floor.roundTrip();
  const workers = cluster.workerPids.map((p, i): [string, number] => [`worker${i}`, p]);
  /** The worker that runs (b)'s tasks: the one whose threads have used the most CPU. */
  const busyWorker = (): number => {
    const cpu = (pid: number) => [...threads(pid).values()].reduce((s, t) => s + t.cpuNs, 0);
    return cluster.workerPids.reduce((a, b) => (cpu(b) > cpu(a) ? b : a));
  };
  /** Before a block of an arm (PIN): where the threads of the arm's worker may run. */
  const pinTo = (which: 'gluon' | 'floor', main: string, thread: string) => () => {
    const pid = which === 'floor' ? floor.pids.worker : busyWorker();
    for (const tid of readdirSync(`/proc/${pid}/task`)) execFileSync('taskset', ['-p', '-c', tid === String(pid) ? main : thread, tid], { stdio: 'ignore' });
  };
  const side = {
    gluon: { trip: gluonTrip, pids: workers },
    floor: { trip: () => floor.roundTrip(), pids: [['worker', floor.pids.worker]] as Array<[string, number]> },
  };
  type Arm = { name: string; trip: () => Promise<void>; pids: Array<[string, number]>; lat: number[]; sum: Map<string, ThreadStat>; before?: () => void };
  const arm = (which: 'gluon' | 'floor', placement?: 'free' | 'same' | 'split'): Arm => ({
    name: placement ? `${which} ${placement}` : which, ...side[which], lat: [], sum: new Map(),
    ...(placement ? { before: pinTo(which, placement === 'same' ? '1' : placement === 'split' ? '0' : '0-1', placement === 'free' ? '0-1' : '1') } : {}),
  });
  const arms: Arm[] = PIN === 'both' ? [arm('gluon', 'same'), arm('floor', 'same'), arm('gluon', 'split'), arm('floor', 'split')]
    : PIN ? [arm(PIN, 'free'), arm(PIN, 'same'), arm(PIN, 'split')]
    : [arm('gluon'), arm('floor')];
  // A B B A with two arms, A B C C B A with three, and so on.
  const order = [...arms.keys(), ...[...arms.keys()].reverse()];
  const loads: number[] = [];
  for (let block = 0; arms.some((a) => a.lat.length < ROUND_TRIPS); block++) {
    const arm = arms[order[block % order.length]!]!;
    if (arm.lat.length >= ROUND_TRIPS) continue;
    arm.before?.();
    const before = arm.pids.map(([, pid]) => threads(pid));
    for (let i = 0; i < BLOCK && arm.lat.length < ROUND_TRIPS; i++) {
      const t0 = performance.now();
      await arm.trip();
      arm.lat.push((performance.now() - t0) * 1000);
    }
    arm.pids.forEach(([label, pid], i) => accumulate(arm.sum, label, before[i]!, threads(pid)));
    loads.push(loadavg()[0]!);
  }
  console.log(`${ROUND_TRIPS} round trips an arm in blocks of ${BLOCK} (${order.map((i) => 'ABCD'[i]).join(' ')}) after ${WARM}; load ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}`);
  for (const arm of arms) {
    const s = latencySummary(arm.lat);
    console.log(`${arm.name}: p50 ${s.median.toFixed(0)} µs, p99 ${s.p99.toFixed(0)} µs, ${s.over1ms} over 1 ms; per round trip, slept / preempted, CPU µs, moved to another CPU:`);
    for (const [k, t] of arm.sum) {
      const n = arm.lat.length;
      if (t.vol / n < 0.005 && t.cpuNs / 1e3 / n < 0.5) continue;
      console.log(`  ${k}: ${(t.vol / n).toFixed(2)} / ${(t.invol / n).toFixed(2)}, ${(t.cpuNs / 1e3 / n).toFixed(1)}, ${(t.migrations / n).toFixed(2)}`);
    }
  }
  const busy = busyWorker();
  if (SYSCALLS) {
    // Each worker thread's system calls per round trip (perf's tracepoints; no strace slowdown).
    const events = ['futex', 'epoll_pwait', 'read', 'write', 'writev'].map((c) => `syscalls:sys_enter_${c}`).join(',');
    for (const [name, pid, trip] of [['gluon', busy, gluonTrip], ['floor', floor.pids.worker, () => floor.roundTrip()]] as const) {
      const stat = spawn('perf', ['stat', '--per-thread', '-x', ',', '-e', events, '-p', String(pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
      let out = '';
      stat.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
      await new Promise((r) => setTimeout(r, 1000));
      const n = 5000;
      for (let i = 0; i < n; i++) await trip();
      stat.kill('SIGINT');
      await new Promise((r) => stat.once('exit', r));
      for (const line of out.split('\n')) {
        const [thread, count, , event] = line.split(',');
        if (event && Number(count) / n >= 0.01) console.log(`  ${name} ${thread}: ${event.replace('syscalls:sys_enter_', '')} ${(Number(count) / n).toFixed(2)} per round trip`);
      }
    }
  }
  if (PERF) {
    // perf record of each worker (run the script with NODE_OPTIONS=--perf-basic-prof for JS names).
    for (const [file, pid, trip] of [[PERF, busy, gluonTrip], [`${PERF}.floor`, floor.pids.worker, () => floor.roundTrip()]] as const) {
      const rec = spawn('perf', ['record', '-F', '20000', '-g', '-o', file, '-p', String(pid)], { stdio: 'ignore' });
      await new Promise((r) => setTimeout(r, 1000));
      for (let i = 0; i < 5000; i++) await trip();
      rec.kill('SIGINT');
      await new Promise((r) => rec.once('exit', r));
      console.log(`perf record of ${pid} over 5,000 round trips: ${file}`);
    }
  }
  if (STRACE) {
    for (const [file, pid, trip] of [[STRACE, busy, gluonTrip], [`${STRACE}.floor`, floor.pids.worker, () => floor.roundTrip()]] as const) {
      const tracer = spawn('strace', ['-f', '-tt', '-o', file, '-p', String(pid)], { stdio: 'ignore' });
      await new Promise((r) => setTimeout(r, 1000));
      for (let i = 0; i < 300; i++) await trip();
      tracer.kill('SIGINT');
      await new Promise((r) => tracer.once('exit', r));
      console.log(`strace of ${pid}'s threads over 300 round trips: ${file}`);
    }
  }
} finally {
  await floor.close();
  await cluster.close();
}
