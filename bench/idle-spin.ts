/**
 * How much of (b) is the virtual machine's idle path: bench/scheduler.ts's sequential
 * `submit(inc).result()` on one LocalCluster (2 workers × 1 thread), in blocks that alternate
 * (A B B A …) between the machine as it is and the machine with every CPU kept busy by spinners
 * at SCHED_IDLE priority (`chrt -i 0`: they run only when nothing else wants the CPU, and give it
 * up at once when anything does). On a virtual machine whose idle CPUs halt, each hop of a round
 * trip may wake a halted virtual CPU, which the host must schedule again; with the spinners no
 * CPU halts. The spinners are stopped (SIGSTOP) in the A blocks and run (SIGCONT) in the B
 * blocks, so both arms share the cluster, its warm-up and the machine's load. An experiment about
 * the machine, not about Gluon: it measures what the host's wake-ups cost, and changes nothing.
 *
 *   npx tsx bench/idle-spin.ts      ROUND_TRIPS=n per arm (default 10,000), BLOCK=n (default 500),
 *                                   WARM=n unmeasured round trips first (default 10,000)
 *
 * Prints per arm: median, p90, p99, p99.9, round trips over 1 ms, each process's CPU per round trip
 * (every thread's schedstat; the spinners' CPU is theirs, not counted), our processes' time waiting
 * for a CPU, and the machine's steal, idle and other processes' share of the CPUs (/proc/stat; the
 * spinners are among the others in B). Linux only; needs `chrt` (util-linux). Not a test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalCluster, remoteFrom } from '@gluon/client';
import { hostCpu, hostCpuSince, type HostCpu } from './host-cpu.js';
import { ownCpuSeconds, runDelaySeconds, threadCpuSeconds } from './proc.js';
import { envInt } from './env.js';

const { inc } = remoteFrom<typeof import('@gluon/examples/tasks')>('@gluon/examples/tasks');
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ROUND_TRIPS = envInt('ROUND_TRIPS', 10_000, 1, 1e9);
const BLOCK = envInt('BLOCK', 500, 1, 1e9);
const WARM = envInt('WARM', 10_000, 0, 1e9);

type Arm = 'as is' | 'spinners';
interface Tally { lat: number[]; cpu: { scheduler: number; client: number; workers: number }; wait: number; host: HostCpu }

const q = (s: number[], p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;

/** One spinner per CPU at SCHED_IDLE, stopped until {@link setSpinning}. */
function startSpinners(): ChildProcess[] {
  return cpus().map(() => {
    // A spinner ends itself once this process is gone (its parent changes), whatever ended it.
    const spin = `const parent = ${process.pid}; for (let i = 1; ; i++) if ((i & 0xffffff) === 0 && process.ppid !== parent) process.exit(0);`;
    const p = spawn('chrt', ['-i', '0', process.execPath, '-e', spin], { stdio: 'ignore' });
    p.on('error', (e) => { console.error(`chrt: ${e.message}`); process.exit(1); });
    return p;
  });
}

function setSpinning(spinners: ChildProcess[], on: boolean): void {
  for (const p of spinners) p.kill(on ? 'SIGCONT' : 'SIGSTOP');
}

async function main(): Promise<void> {
  const spinners = startSpinners();
  setSpinning(spinners, false);
  const cluster = await LocalCluster.start({ nWorkers: 2, nthreads: 1, cwd: root });
  try {
    const client = await cluster.client();
    for (let i = 0; i < WARM; i++) await client.submit(inc, -1e7 + i).result();
    const pids = { scheduler: cluster.schedulerProcess.pid!, workers: cluster.workerPids };
    const cpu = () => ({ scheduler: threadCpuSeconds(pids.scheduler), client: ownCpuSeconds(), workers: pids.workers.reduce((s, p) => s + threadCpuSeconds(p), 0) });
    const wait = () => runDelaySeconds(pids.scheduler) + runDelaySeconds(process.pid) + pids.workers.reduce((s, p) => s + runDelaySeconds(p), 0);
    const arms: Record<Arm, Tally> = {
      'as is': { lat: [], cpu: { scheduler: 0, client: 0, workers: 0 }, wait: 0, host: { busy: 0, idle: 0, steal: 0 } },
      spinners: { lat: [], cpu: { scheduler: 0, client: 0, workers: 0 }, wait: 0, host: { busy: 0, idle: 0, steal: 0 } },
    };
    const loads = [loadavg()[0]!];
    let n = 0;
    for (let block = 0; arms['as is'].lat.length < ROUND_TRIPS || arms.spinners.lat.length < ROUND_TRIPS; block++) {
      // A B B A …
      const arm: Arm = (block % 4 === 0 || block % 4 === 3) ? 'as is' : 'spinners';
      const t = arms[arm];
      if (t.lat.length >= ROUND_TRIPS) continue;
      setSpinning(spinners, arm === 'spinners');
      // Let a resumed spinner reach its CPU before timing.
      await new Promise((r) => setTimeout(r, 20));
      const c0 = cpu(), w0 = wait(), h0 = hostCpu();
      for (let i = 0; i < BLOCK; i++) {
        const t0 = performance.now();
        await client.submit(inc, n++).result();
        t.lat.push((performance.now() - t0) * 1000);
      }
      const c1 = cpu(), w1 = wait(), h = hostCpuSince(h0, hostCpu());
      t.cpu.scheduler += c1.scheduler - c0.scheduler;
      t.cpu.client += c1.client - c0.client;
      t.cpu.workers += c1.workers - c0.workers;
      t.wait += w1 - w0;
      t.host.busy += h.busy; t.host.idle += h.idle; t.host.steal += h.steal;
      loads.push(loadavg()[0]!);
    }
    setSpinning(spinners, false);
    console.log(`${ROUND_TRIPS} round trips per arm in blocks of ${BLOCK} (A B B A), after ${WARM} unmeasured; load ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}`);
    console.log('arm'.padEnd(10) + ['p50', 'p90', 'p99', 'p99.9', '>1ms', 'sched CPU', 'clnt CPU', 'wkrs CPU', 'our wait', 'steal %', 'idle %', 'busy %'].map((h) => h.padStart(10)).join(''));
    for (const [name, t] of Object.entries(arms)) {
      const s = [...t.lat].sort((a, b) => a - b);
      const per = (x: number) => ((x / s.length) * 1e6).toFixed(0);
      const all = t.host.busy + t.host.idle + t.host.steal;
      const pc = (x: number) => ((100 * x) / all).toFixed(1);
      console.log(name.padEnd(10) + [q(s, 0.5), q(s, 0.9), q(s, 0.99), q(s, 0.999)].map((x) => x.toFixed(0).padStart(10)).join('') +
        String(s.filter((x) => x > 1000).length).padStart(10) +
        [t.cpu.scheduler, t.cpu.client, t.cpu.workers, t.wait].map((x) => per(x).padStart(10)).join('') +
        [t.host.steal, t.host.idle, t.host.busy].map((x) => pc(x).padStart(10)).join(''));
    }
    console.log('(µs; CPU and our processes\' wait for a CPU per round trip; steal, idle and busy as shares of the CPUs\' time, /proc/stat, busy including the spinners in their arm)');
  } finally {
    for (const p of spinners) { p.kill('SIGCONT'); p.kill('SIGKILL'); }
    await cluster.close();
  }
}

main().catch((e) => { console.error(e); process.exitCode = 1; });
