/**
 * bench/finalstates.ts — every final state's masses over a synthetic dataset of ≥ 2 million
 * events (analysis-h4l's generator, with jets and photons; zlib), in the same run: in-process
 * serial, a LocalCluster with 1 worker and with 2 workers (each cluster warmed up before timing;
 * 1- and 2-worker clusters started alternately). Prints events/s and masses (combinations)/s and
 * the 2-worker speed-up over 1 worker (median over starts).
 * Targets: 2 workers ≥ 1.8× one worker; ≥ 1 M events/s on 2 workers.
 * Writes bench/results/finalstates.json. Env: FINALSTATES_BENCH_SCALE (default 2.2 of the real
 * 4lep entry counts ≈ 2.07 M events), FINALSTATES_BENCH_REPEATS (3), FINALSTATES_BENCH_WARMUPS
 * (2 per worker thread), FINALSTATES_BENCH_STARTS (2), FINALSTATES_BENCH_DATA (an existing dataset).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalCluster, type Client } from '@gluon/client';
import { generateDataset } from '@gluon/analysis-h4l/generate';
import { listFiles, mergeConfig, physicsOptions, runFinalStates } from '@gluon/analysis-finalstates';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const env = (k: string, d: number) => Number(process.env[`FINALSTATES_BENCH_${k}`] ?? d);
const scale = env('SCALE', 2.2), repeats = env('REPEATS', 3), warmups = env('WARMUPS', 2), starts = env('STARTS', 2);
const dataDir = process.env.FINALSTATES_BENCH_DATA ?? path.join(root, '.cache', `finalstates-bench-${scale}`);
const marker = path.join(dataDir, 'generated.json');
const chunkSize = 100_000;

if (!existsSync(marker) && !process.env.FINALSTATES_BENCH_DATA) {
  console.log(`generating the synthetic dataset (scale ${scale}) in ${dataDir} …`);
  const t0 = performance.now();
  const m = await generateDataset({ outDir: dataDir, scale, seed: 1 });
  writeFileSync(marker, JSON.stringify({ scale, seed: 1, events: m.events }));
  console.log(`generated ${m.events} events in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
const files = listFiles(dataDir);
const physics = physicsOptions(mergeConfig({}, {}));

interface Figure { mode: string; wallMs: number[]; warmupMs: number[]; medianMs: number; events: number; combinations: number; eventsPerSecond: number; combinationsPerSecond: number }

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Runs `warm` untimed-in-the-median runs, then `repeats` timed ones (whole runs: preprocessing, tasks, merge). */
async function measure(mode: string, client: Client | undefined, warm: number): Promise<Figure> {
  const once = async () => {
    const t0 = performance.now();
    const r = await runFinalStates({ files, physics, nWorkers: 0, chunkSize, publish: false, dashboard: false, ...(client ? { client } : {}) });
    return { ms: performance.now() - t0, events: r.result.events, combinations: r.result.combinations };
  };
  const warmupMs: number[] = [];
  for (let i = 0; i < warm; i++) warmupMs.push(Math.round((await once()).ms));
  const wallMs: number[] = [];
  let last = { events: 0, combinations: 0 };
  for (let i = 0; i < repeats; i++) { const r = await once(); wallMs.push(Math.round(r.ms)); last = r; }
  const m = median(wallMs);
  const f: Figure = { mode, wallMs, warmupMs, medianMs: m, events: last.events, combinations: last.combinations,
    eventsPerSecond: Math.round(last.events / (m / 1000)), combinationsPerSecond: Math.round(last.combinations / (m / 1000)) };
  console.log(`${mode.padEnd(22)} ${(m / 1000).toFixed(2)} s  ${f.eventsPerSecond.toLocaleString('en')} events/s  ${f.combinationsPerSecond.toLocaleString('en')} masses/s  (runs ${wallMs.join(', ')} ms; warm-up ${warmupMs.join(', ')} ms)`);
  return f;
}

async function cluster(n: number): Promise<Figure> {
  const c = await LocalCluster.start({ nWorkers: n, dashboard: false, cwd: path.join(root, 'packages', 'analysis-finalstates') });
  try {
    return await measure(`LocalCluster ${n} worker${n > 1 ? 's' : ''}`, await c.client(), warmups * n);
  } finally {
    await c.close();
  }
}

console.log(`${files.length} files in ${dataDir}; chunks of ${chunkSize}`);
const serial = await measure('in-process serial', undefined, 1);
const ones: Figure[] = [], twos: Figure[] = [], ratios: number[] = [];
for (let i = 0; i < starts; i++) {
  ones.push(await cluster(1));
  twos.push(await cluster(2));
  ratios.push(ones.at(-1)!.medianMs / twos.at(-1)!.medianMs);
  console.log(`  start ${i + 1}: 2 workers / 1 worker = ${ratios.at(-1)!.toFixed(2)}×`);
}
const speedup = median(ratios);
const twoMs = median(twos.map((f) => f.medianMs));
const twoRate = Math.round(serial.events / (twoMs / 1000));
console.log(`2-worker speed-up over 1 worker: ${speedup.toFixed(2)}× (starts: ${ratios.map((r) => r.toFixed(2)).join(', ')}; target ≥ 1.8×)`);
console.log(`2 workers: ${twoRate.toLocaleString('en')} events/s, ${Math.round(serial.combinations / (twoMs / 1000)).toLocaleString('en')} masses/s (target ≥ 1,000,000 events/s); vs serial ${(serial.medianMs / twoMs).toFixed(2)}×`);
mkdirSync(path.join(root, 'bench', 'results'), { recursive: true });
writeFileSync(path.join(root, 'bench', 'results', 'finalstates.json'), JSON.stringify({
  date: new Date().toISOString(), scale, repeats, warmups, starts, chunkSize, dataDir, events: serial.events, combinations: serial.combinations,
  serial, oneWorker: ones, twoWorkers: twos, speedups2over1: ratios.map((r) => +r.toFixed(3)), speedup2over1: +speedup.toFixed(3),
  twoWorkersMedianMs: twoMs, twoWorkersEventsPerSecond: twoRate,
}, null, 1));
