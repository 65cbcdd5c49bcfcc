/**
 * bench/finalstates.ts — every final state's masses over a synthetic dataset of ≥ 2 million
 * events (analysis-h4l's generator, with jets and photons; zlib), in the same run: in-process
 * serial, a LocalCluster with 1 worker and with 2 workers (each cluster warmed up before timing;
 * the 1- and 2-worker clusters started in ABBA order, so a drift in the machine's load hits both).
 *
 * Two kinds of figures, because the machine may be shared:
 *   - wall: events/s and masses/s of whole runs (preprocessing, tasks, merge) and the 2-worker
 *     speed-up over 1 worker — only meaningful on an otherwise idle machine;
 *   - CPU: the CPU seconds every process of the run used (this client, the scheduler, each worker;
 *     /proc/PID/stat and process.cpuUsage), so events per CPU-second, and an idle-machine
 *     estimate of the 2-worker speed-up from them: a 1-worker run is bound by its worker's CPU,
 *     a 2-worker run on 2 cores by the larger of its busiest process's CPU and half the CPU of
 *     all its processes.
 * Targets: 2 workers ≥ 1.8× one worker; ≥ 1 M events/s on 2 workers.
 * Writes bench/results/finalstates.json. Env: FINALSTATES_BENCH_SCALE (default 2.2 of the real
 * 4lep entry counts ≈ 2.08 M events), FINALSTATES_BENCH_REPEATS (3), FINALSTATES_BENCH_WARMUPS
 * (2 per worker thread), FINALSTATES_BENCH_STARTS (2), FINALSTATES_BENCH_DATA (an existing dataset).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalCluster, type Client } from '@gluon/client';
import { generateDataset } from '@gluon/analysis-h4l/generate';
import { listFiles, mergeConfig, physicsOptions, runFinalStates } from '@gluon/analysis-finalstates';
import { cpuSeconds, median } from './proc.js';
import { envInt, envNumber, envString } from './env.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const scale = envNumber('FINALSTATES_BENCH_SCALE', 2.2, 0.01, 100), repeats = envInt('FINALSTATES_BENCH_REPEATS', 3, 1, 1000);
const warmups = envInt('FINALSTATES_BENCH_WARMUPS', 2, 0, 1000), starts = envInt('FINALSTATES_BENCH_STARTS', 2, 1, 100);
const givenData = envString('FINALSTATES_BENCH_DATA');
const dataDir = givenData ?? path.join(root, '.cache', `finalstates-bench-${scale}`);
const marker = path.join(dataDir, 'generated.json');
const chunkSize = 100_000;

if (!existsSync(marker) && !givenData) {
  console.log(`generating the synthetic dataset (scale ${scale}) in ${dataDir} …`);
  const t0 = performance.now();
  const m = await generateDataset({ outDir: dataDir, scale, seed: 1 });
  writeFileSync(marker, JSON.stringify({ scale, seed: 1, events: m.events }));
  console.log(`generated ${m.events} events in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
const files = listFiles(dataDir);
const physics = physicsOptions(mergeConfig({}, {}));

/** CPU seconds of one run: this process (client or serial run), the scheduler, each worker. */
interface Cpu { client: number; scheduler: number; workers: number[]; total: number }
interface Run { wallMs: number; cpu: Cpu; load: number }
interface Figure {
  mode: string; runs: Run[]; warmupMs: number[]; medianMs: number; events: number; combinations: number;
  eventsPerSecond: number; combinationsPerSecond: number;
  /** Medians over the timed runs. */
  cpuSeconds: number; workerCpuSeconds: number; busiestCpuSeconds: number;
  eventsPerCpuSecond: number; eventsPerWorkerCpuSecond: number;
}

const own = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };

/** The CPU seconds used so far by this process and the cluster's processes. */
function cpuNow(c: LocalCluster | undefined): Cpu {
  const client = own();
  const scheduler = c ? cpuSeconds(c.schedulerProcess.pid) : 0;
  const workers = c ? c.workerPids.map(cpuSeconds) : [];
  return { client, scheduler, workers, total: client + scheduler + workers.reduce((a, b) => a + b, 0) };
}

function cpuSince(c: LocalCluster | undefined, a: Cpu): Cpu {
  const b = cpuNow(c);
  const workers = b.workers.map((w, i) => w - (a.workers[i] ?? 0));
  const client = b.client - a.client, scheduler = b.scheduler - a.scheduler;
  return { client, scheduler, workers, total: client + scheduler + workers.reduce((x, y) => x + y, 0) };
}

/** Runs `warm` untimed runs, then `repeats` timed ones (whole runs: preprocessing, tasks, merge). */
async function measure(mode: string, cluster: LocalCluster | undefined, client: Client | undefined, warm: number): Promise<Figure> {
  const once = async () => {
    const c0 = cpuNow(cluster), t0 = performance.now();
    const r = await runFinalStates({ files, physics, nWorkers: 0, chunkSize, publish: false, dashboard: false, ...(client ? { client } : {}) });
    const wallMs = performance.now() - t0;
    return { run: { wallMs: Math.round(wallMs), cpu: cpuSince(cluster, c0), load: +loadavg()[0]!.toFixed(1) }, events: r.result.events, combinations: r.result.combinations };
  };
  const warmupMs: number[] = [];
  for (let i = 0; i < warm; i++) warmupMs.push((await once()).run.wallMs);
  const runs: Run[] = [];
  let last = { events: 0, combinations: 0 };
  for (let i = 0; i < repeats; i++) { const r = await once(); runs.push(r.run); last = r; }
  const m = median(runs.map((r) => r.wallMs));
  const cpu = median(runs.map((r) => r.cpu.total));
  const workerCpu = cluster ? median(runs.map((r) => r.cpu.workers.reduce((a, b) => a + b, 0))) : cpu;
  const busiest = median(runs.map((r) => Math.max(r.cpu.client, r.cpu.scheduler, ...r.cpu.workers)));
  const f: Figure = { mode, runs, warmupMs, medianMs: m, events: last.events, combinations: last.combinations,
    eventsPerSecond: Math.round(last.events / (m / 1000)), combinationsPerSecond: Math.round(last.combinations / (m / 1000)),
    cpuSeconds: +cpu.toFixed(3), workerCpuSeconds: +workerCpu.toFixed(3), busiestCpuSeconds: +busiest.toFixed(3),
    eventsPerCpuSecond: Math.round(last.events / cpu), eventsPerWorkerCpuSecond: Math.round(last.events / workerCpu) };
  const n = (x: number) => x.toLocaleString('en');
  console.log(`${mode.padEnd(22)} wall ${(m / 1000).toFixed(2)} s: ${n(f.eventsPerSecond)} events/s, ${n(f.combinationsPerSecond)} masses/s (runs ${runs.map((r) => r.wallMs).join(', ')} ms; warm-up ${warmupMs.join(', ')} ms; load ${runs.map((r) => r.load).join(', ')})`);
  const parts = runs.at(-1)!.cpu;
  console.log(`${''.padEnd(22)} CPU ${cpu.toFixed(2)} s: ${n(f.eventsPerCpuSecond)} events per CPU-second, ${n(f.eventsPerWorkerCpuSecond)} per worker CPU-second (last run: client ${parts.client.toFixed(2)} s${cluster ? `, scheduler ${parts.scheduler.toFixed(2)} s, workers ${parts.workers.map((w) => w.toFixed(2)).join(' + ')} s` : ''})`);
  return f;
}

async function cluster(n: number): Promise<Figure> {
  const c = await LocalCluster.start({ nWorkers: n, dashboard: false, cwd: path.join(root, 'packages', 'analysis-finalstates') });
  try {
    return await measure(`LocalCluster ${n} worker${n > 1 ? 's' : ''}`, c, await c.client(), warmups * n);
  } finally {
    await c.close();
  }
}

console.log(`${files.length} files in ${dataDir}; chunks of ${chunkSize}; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${(await import('node:os')).cpus().length} CPUs`);
const serial = await measure('in-process serial', undefined, undefined, 1);
const ones: Figure[] = [], twos: Figure[] = [], ratios: number[] = [], cpuRatios: number[] = [];
for (let i = 0; i < starts; i++) {
  // ABBA: 1, 2, 2, 1, 1, 2, …
  if (i % 2 === 0) { ones.push(await cluster(1)); twos.push(await cluster(2)); } else { twos.push(await cluster(2)); ones.push(await cluster(1)); }
  const one = ones.at(-1)!, two = twos.at(-1)!;
  ratios.push(one.medianMs / two.medianMs);
  // Idle 2-core estimate: 1 worker is bound by its worker's CPU; 2 workers by their busiest
  // process or by all their processes' CPU shared over 2 cores.
  cpuRatios.push(one.workerCpuSeconds / Math.max(two.busiestCpuSeconds, two.cpuSeconds / 2));
  console.log(`  start ${i + 1}: 2 workers / 1 worker = ${ratios.at(-1)!.toFixed(2)}× wall; ${cpuRatios.at(-1)!.toFixed(2)}× estimated from CPU for an idle 2-core machine`);
}
const speedup = median(ratios), cpuSpeedup = median(cpuRatios);
const twoMs = median(twos.map((f) => f.medianMs));
const twoRate = Math.round(serial.events / (twoMs / 1000));
// Idle 2-core estimate of the 2-worker rate, from the same bound.
const twoIdleRate = Math.round(serial.events / median(twos.map((f) => Math.max(f.busiestCpuSeconds, f.cpuSeconds / 2))));
const n = (x: number) => x.toLocaleString('en');
console.log(`2-worker speed-up over 1 worker: ${speedup.toFixed(2)}× wall (starts: ${ratios.map((r) => r.toFixed(2)).join(', ')}), ${cpuSpeedup.toFixed(2)}× estimated from CPU (target ≥ 1.8×)`);
console.log(`2 workers: ${n(twoRate)} events/s wall, ${n(Math.round(serial.combinations / (twoMs / 1000)))} masses/s; ${n(twoIdleRate)} events/s estimated from CPU for an idle 2-core machine (target ≥ 1,000,000 events/s); vs serial ${(serial.medianMs / twoMs).toFixed(2)}× wall`);
console.log(`events per CPU-second (all processes): serial ${n(serial.eventsPerCpuSecond)}, 1 worker ${n(median(ones.map((f) => f.eventsPerCpuSecond)))}, 2 workers ${n(median(twos.map((f) => f.eventsPerCpuSecond)))}`);
mkdirSync(path.join(root, 'bench', 'results'), { recursive: true });
writeFileSync(path.join(root, 'bench', 'results', 'finalstates.json'), JSON.stringify({
  date: new Date().toISOString(), scale, repeats, warmups, starts, chunkSize, dataDir, events: serial.events, combinations: serial.combinations,
  serial, oneWorker: ones, twoWorkers: twos, speedups2over1: ratios.map((r) => +r.toFixed(3)), speedup2over1: +speedup.toFixed(3),
  cpuEstimatedSpeedups2over1: cpuRatios.map((r) => +r.toFixed(3)), cpuEstimatedSpeedup2over1: +cpuSpeedup.toFixed(3),
  twoWorkersMedianMs: twoMs, twoWorkersEventsPerSecond: twoRate, twoWorkersCpuEstimatedEventsPerSecond: twoIdleRate,
}, null, 1));
