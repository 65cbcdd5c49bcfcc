/**
 * What one of (b)'s round trips (bench/scheduler.ts: sequential `submit(inc).result()`) costs each
 * process and each of its threads: context switches (voluntary: it slept and was woken;
 * involuntary: preempted) and CPU as user and system time, from /proc/PID/task/TID/{status,
 * schedstat,stat}, over ROUND_TRIPS (default 5,000) after WARM (default 5,000) unmeasured. With
 * STRACE=1 a second block runs under one `strace -c` per busy thread (of the client, the scheduler
 * and the workers), and each one's system calls per round trip are printed (strace slows every
 * call: the counts are what to read, not the times).
 * Not a test; for counting the messages, wake-ups and system calls of a round trip
 * (docs/internals.md, "(b): messages, system calls and wake-ups per round trip").
 *
 *   npx tsx bench/round-trip-costs.ts
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalCluster, remoteFrom } from '@gluon/client';
import { hostCpu, hostCpuSince } from './host-cpu.js';
import { envInt } from './env.js';

const { inc } = remoteFrom<typeof import('@gluon/examples/tasks')>('@gluon/examples/tasks');
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ROUND_TRIPS = envInt('ROUND_TRIPS', 5000, 1, 1e9);
const WARM = envInt('WARM', 5000, 0, 1e9);
const STRACE = process.env.STRACE === '1';

interface ThreadStat { vol: number; invol: number; cpuNs: number; userTicks: number; sysTicks: number }

function threads(pid: number): Map<string, ThreadStat> {
  const out = new Map<string, ThreadStat>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
      const vol = Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(status)![1]);
      const invol = Number(/nonvoluntary_ctxt_switches:\s+(\d+)/.exec(status)![1]);
      const cpuNs = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      // utime and stime (fields 14 and 15; the name, field 2, may hold spaces)
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      out.set(tid, { vol, invol, cpuNs, userTicks: Number(stat[11]), sysTicks: Number(stat[12]) });
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

/** Each round trip's argument is new, so that its task is too (the client names tasks by content). */
let next = 0;

async function trips(client: Awaited<ReturnType<LocalCluster['client']>>, n: number): Promise<number[]> {
  const lat: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await client.submit(inc, next++).result();
    lat.push((performance.now() - t0) * 1000);
  }
  return lat.sort((a, b) => a - b);
}

const cluster = await LocalCluster.start({ nWorkers: 2, nthreads: 1, cwd: root });
try {
  const client = await cluster.client();
  await trips(client, WARM);
  const procs: Array<[string, number]> = [['client', process.pid], ['scheduler', cluster.schedulerProcess.pid], ...cluster.workerPids.map((p, i): [string, number] => [`worker${i}`, p])];
  const before = procs.map(([, pid]) => threads(pid));
  const host0 = hostCpu();
  const load = loadavg()[0]!;
  const lat = await trips(client, ROUND_TRIPS);
  const host = hostCpuSince(host0, hostCpu());
  const after = procs.map(([, pid]) => threads(pid));
  const q = (p: number): string => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]!.toFixed(0);
  const all = host.busy + host.idle + host.steal;
  const pct = (t: number): string => `${((100 * t) / all).toFixed(1)}%`;
  console.log(`${ROUND_TRIPS} round trips after ${WARM}: p50 ${q(0.5)} µs, p90 ${q(0.9)}, p99 ${q(0.99)}; load ${load.toFixed(2)}; ` +
    `the CPUs meanwhile (/proc/stat): busy ${pct(host.busy)}, idle ${pct(host.idle)}, steal ${pct(host.steal)}`);
  console.log('per round trip, each thread that ran: voluntary switches (it slept), involuntary (preempted), CPU µs (user / system, from 10 ms ticks)');
  procs.forEach(([label], i) => {
    for (const [tid, a] of after[i]!) {
      const b = before[i]!.get(tid) ?? { vol: 0, invol: 0, cpuNs: 0, userTicks: 0, sysTicks: 0 };
      const tickUs = (t: number): string => ((t * 1e4) / ROUND_TRIPS).toFixed(0);
      const vol = (a.vol - b.vol) / ROUND_TRIPS;
      const cpu = (a.cpuNs - b.cpuNs) / 1e3 / ROUND_TRIPS;
      if (vol < 0.01 && cpu < 0.5) continue;
      const which = tid === String(procs[i]![1]) ? 'main' : `thread ${tid}`;
      console.log(`  ${label} ${which}: ${vol.toFixed(2)} / ${((a.invol - b.invol) / ROUND_TRIPS).toFixed(2)}, ${cpu.toFixed(1)} (${tickUs(a.userTicks - b.userTicks)} / ${tickUs(a.sysTicks - b.sysTicks)})`);
    }
  });
  if (STRACE) {
    // One strace per busy thread (a thread that ran over 5 µs a round trip above), so each
    // thread's calls are counted apart.
    const traced: Array<[string, string]> = [];
    procs.forEach(([label], i) => {
      for (const [tid, a] of after[i]!) {
        const b = before[i]!.get(tid);
        if (b && (a.cpuNs - b.cpuNs) / 1e3 / ROUND_TRIPS > 5) traced.push([`${label} ${tid === String(procs[i]![1]) ? 'main' : `thread ${tid}`}`, tid]);
      }
    });
    const files = traced.map((_, i) => join(tmpdir(), `round-trip-strace-${process.pid}-${i}.txt`));
    const tracers = traced.map(([, tid], i) => spawn('strace', ['-c', '-o', files[i]!, '-p', tid], { stdio: 'ignore' }));
    await new Promise((r) => setTimeout(r, 1000));
    await trips(client, ROUND_TRIPS);
    for (const t of tracers) t.kill('SIGINT');
    await Promise.all(tracers.map((t) => new Promise((r) => t.once('exit', r))));
    traced.forEach(([label], i) => {
      const lines = readFileSync(files[i]!, 'utf8').split('\n');
      const calls: string[] = [];
      for (const l of lines) {
        const m = /^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)$/.exec(l);
        if (m && m[2] !== 'total' && Number(m[1]) / ROUND_TRIPS >= 0.05) calls.push(`${m[2]} ${(Number(m[1]) / ROUND_TRIPS).toFixed(2)}`);
      }
      console.log(`system calls per round trip, ${label}: ${calls.join(', ')}`);
      rmSync(files[i]!, { force: true });
    });
  }
} finally {
  await cluster.close();
}
