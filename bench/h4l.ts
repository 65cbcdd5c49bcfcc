/**
 * bench/h4l.ts — selection A over the full-size synthetic 4ℓ dataset (≈ 943k events, zlib):
 * wall time and events/s in-process (serial), on a LocalCluster with 1 worker and with
 * 2 workers (clusters started and warmed up before timing), and the 2-worker speed-up over
 * 1 worker. Targets on a 2-core machine: ≤ 2 s with 2 workers; speed-up ≥ 1.8×.
 * Writes bench/results/h4l.json. Env: H4L_BENCH_SCALE (default 1), H4L_BENCH_REPEATS (default 5), H4L_BENCH_WARMUPS (default 4),
 * H4L_BENCH_DATA (an existing dataset directory instead of the generated one).
 */
import { existsSync, mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalCluster } from '@gluon/client';
import { runAnalysis, type RunOptions } from '@gluon/analysis-h4l';
import { generateDataset } from '../packages/analysis-h4l/dist/generate/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const scale = Number(process.env.H4L_BENCH_SCALE ?? 1);
const repeats = Number(process.env.H4L_BENCH_REPEATS ?? 5);
const warmups = Number(process.env.H4L_BENCH_WARMUPS ?? 4);
const dataDir = process.env.H4L_BENCH_DATA ?? path.join(root, '.cache', `h4l-bench-${scale}`);
const marker = path.join(dataDir, 'generated.json');

async function ensureDataset(): Promise<void> {
  if (existsSync(marker) || process.env.H4L_BENCH_DATA) return;
  console.log(`generating the synthetic dataset (scale ${scale}, zlib) in ${dataDir} …`);
  const t0 = performance.now();
  await generateDataset({ outDir: dataDir, scale, seed: 1, compression: { algorithm: 'zlib', level: 1 } });
  writeFileSync(marker, JSON.stringify({ scale, seed: 1 }));
  console.log(`generated in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

const base: RunOptions = { dataDir, selection: 'notebook', nWorkers: 0, chunkSize: 100_000, lumiFb: 10, skipBadFiles: false,
  publish: false, dashboard: false, cacheFile: path.join(root, '.cache', 'h4l-entries.json') };

interface Figure { mode: string; warmupMs: number[]; wallMs: number[]; medianMs: number; events: number; eventsPerSecond: number }

function median(xs: number[]): number { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; }

async function wallOf(opts: RunOptions): Promise<[number, number]> {
  const t0 = performance.now();
  const r = await runAnalysis(opts);
  return [performance.now() - t0, r.result.events];
}

async function timed(mode: string, opts: RunOptions): Promise<Figure> {
  // Warm-up, timed and printed but not in the median: worker imports, page cache, entry cache,
  // open files, and V8 tiering up the decode and selection loops in each worker thread, which
  // takes longer with two workers since each sees half the chunks.
  const warmup: number[] = [];
  for (let i = 0; i < warmups; i++) warmup.push((await wallOf(opts))[0]);
  const wall: number[] = [];
  let events = 0;
  for (let i = 0; i < repeats; i++) {
    const [ms, n] = await wallOf(opts);
    wall.push(ms);
    events = n;
  }
  const m = median(wall);
  const f = { mode, warmupMs: warmup.map((x) => Math.round(x)), wallMs: wall.map((x) => Math.round(x)), medianMs: Math.round(m), events, eventsPerSecond: Math.round(events / (m / 1000)) };
  console.log(`${mode.padEnd(22)} ${(m / 1000).toFixed(3)} s  ${f.eventsPerSecond.toLocaleString('en')} events/s  (runs: ${f.wallMs.join(', ')} ms; warm-up: ${f.warmupMs.join(', ')} ms)`);
  return f;
}

async function onCluster(n: number): Promise<Figure> {
  const cluster = await LocalCluster.start({ nWorkers: n, dashboard: false, cwd: path.join(root, 'packages', 'analysis-h4l'),
    allowModules: ['@gluon/analysis-h4l'] });
  try {
    const client = await cluster.client();
    return await timed(`LocalCluster ${n} worker${n > 1 ? 's' : ''}`, { ...base, client });
  } finally {
    await cluster.close();
  }
}

await ensureDataset();
const serial = await timed('in-process serial', base);
const one = await onCluster(1);
const two = await onCluster(2);
const speedup = one.medianMs / two.medianMs;
console.log(`2-worker speed-up over 1 worker: ${speedup.toFixed(2)}× (target ≥ 1.8×); 2 workers vs serial: ${(serial.medianMs / two.medianMs).toFixed(2)}×`);
console.log(`2 workers, whole dataset: ${(two.medianMs / 1000).toFixed(2)} s (target ≤ 2 s)`);
mkdirSync(path.join(root, 'bench', 'results'), { recursive: true });
writeFileSync(path.join(root, 'bench', 'results', 'h4l.json'), JSON.stringify({
  date: new Date().toISOString(), scale, repeats, chunkSize: base.chunkSize, dataDir, generated: existsSync(marker) ? JSON.parse(readFileSync(marker, 'utf8')) : null,
  serial, oneWorker: one, twoWorkers: two, speedup2over1: +speedup.toFixed(3), speedup2overSerial: +(serial.medianMs / two.medianMs).toFixed(3),
}, null, 1));
