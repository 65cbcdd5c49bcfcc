/**
 * bench/h4l-scale.ts — the H→4ℓ selection on 2 workers over the synthetic dataset at scale 1
 * (≈ 0.94 M events) and at scale 20 (≈ 19 M events, 20× the files and chunks): per-event cost
 * must not grow with the size of the run (events/s at scale 20 within 10% of scale 1), and the
 * scheduler's RSS must stay flat through the big run.
 *
 * One LocalCluster of 2 workers × 1 thread serves every run (warmed up first). Runs alternate
 * A B B A (scale 1, 20, 20, 1) so the machine's load drifts equally over both. Primary figure:
 * the workers' CPU seconds per million events (/proc/PID/stat), since the machine is shared;
 * events/s (wall) is printed too and is only as good as the load. The scheduler's RSS is
 * sampled every second during the scale-20 runs.
 *
 * The datasets are generated once into .cache/h4l-bench-1 and .cache/h4l-bench-20 (gitignored;
 * scale 20 is ≈ 2 GB: delete it when done). Run with `npx tsx bench/h4l-scale.ts` (after
 * `npx tsc -b`). Writes bench/results/h4l-scale.json.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalCluster, type Client } from '@gluon/client';
import { runAnalysis, type RunOptions } from '@gluon/analysis-h4l';
import { generateDataset } from '../packages/analysis-h4l/dist/generate/index.js';
import { cpuSeconds, median, rssMiB } from './proc.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIG = Number(process.env.H4L_SCALE_BIG ?? 20);

async function dataset(scale: number): Promise<string> {
  const dir = path.join(root, '.cache', `h4l-bench-${scale}`);
  const marker = path.join(dir, 'generated.json');
  if (!existsSync(marker)) {
    console.log(`generating the synthetic dataset (scale ${scale}, zlib) in ${dir} …`);
    await generateDataset({ outDir: dir, scale, seed: 1, compression: { algorithm: 'zlib', level: 1 } });
    writeFileSync(marker, JSON.stringify({ scale, seed: 1 }));
  }
  return dir;
}

interface Run { scale: number; events: number; wallS: number; workerCpuS: number; cpuSPerMEvents: number; eventsPerS: number; schedulerRssMiB: number[] }

async function run(client: Client, cluster: LocalCluster, scale: number, dataDir: string): Promise<Run> {
  const opts: RunOptions = {
    dataDir, selection: 'notebook', nWorkers: 0, chunkSize: 100_000, lumiFb: 10, skipBadFiles: false, publish: false, dashboard: false,
    cacheFile: path.join(root, '.cache', 'h4l-entries.json'), client,
  };
  const pids = cluster.workerPids;
  const sched = cluster.schedulerProcess.pid;
  const rss: number[] = [rssMiB(sched)];
  const sampler = setInterval(() => rss.push(rssMiB(sched)), 1000);
  const cpu0 = pids.reduce((s, p) => s + cpuSeconds(p), 0);
  const t0 = performance.now();
  try {
    const r = await runAnalysis(opts);
    const wallS = (performance.now() - t0) / 1000;
    const workerCpuS = pids.reduce((s, p) => s + cpuSeconds(p), 0) - cpu0;
    rss.push(rssMiB(sched));
    const events = r.result.events;
    const out = { scale, events, wallS, workerCpuS, cpuSPerMEvents: workerCpuS / (events / 1e6), eventsPerS: events / wallS, schedulerRssMiB: rss };
    console.log(`scale ${String(scale).padStart(2)}: ${events.toLocaleString('en')} events in ${wallS.toFixed(1)} s wall (${Math.round(out.eventsPerS).toLocaleString('en')} events/s, load ${loadavg()[0]!.toFixed(1)}); ` +
      `workers' CPU ${out.cpuSPerMEvents.toFixed(2)} s per million events; scheduler RSS ${Math.min(...rss).toFixed(0)}–${Math.max(...rss).toFixed(0)} MiB`);
    return out;
  } finally {
    clearInterval(sampler);
  }
}

const small = await dataset(1);
const big = await dataset(BIG);
const cluster = await LocalCluster.start({ nWorkers: 2, dashboard: false, cwd: path.join(root, 'packages', 'analysis-h4l') });
const runs: Run[] = [];
try {
  const client = await cluster.client();
  console.log('warm-up (scale 1, ×3: imports, page cache, V8 tiering in the task threads)');
  for (let i = 0; i < 3; i++) await run(client, cluster, 1, small);
  console.log('timed, A B B A:');
  for (const [scale, dir] of [[1, small], [BIG, big], [BIG, big], [1, small]] as const) runs.push(await run(client, cluster, scale, dir));
} finally {
  await cluster.close();
}
const of = (s: number) => runs.filter((r) => r.scale === s);
const cpuRatio = median(of(BIG).map((r) => r.cpuSPerMEvents)) / median(of(1).map((r) => r.cpuSPerMEvents));
const rateRatio = median(of(BIG).map((r) => r.eventsPerS)) / median(of(1).map((r) => r.eventsPerS));
const bigRss = of(BIG).flatMap((r) => r.schedulerRssMiB);
// Flat: the RSS after the first tenth of the big runs bounds the rest within 10%.
const settle = bigRss.slice(Math.floor(bigRss.length / 10));
const rssGrowth = Math.max(...settle) / Math.min(...settle);
console.log(`\nworkers' CPU per event, scale ${BIG} / scale 1: ${cpuRatio.toFixed(3)}× (target ≤ 1.10: ${cpuRatio <= 1.1 ? 'meets' : 'MISSES'})`);
console.log(`events/s (wall, under load ${loadavg()[0]!.toFixed(1)}), scale ${BIG} / scale 1: ${rateRatio.toFixed(3)}× (target ≥ 0.90: ${rateRatio >= 0.9 ? 'meets' : 'misses'}; wall figures move with the machine's load)`);
console.log(`scheduler RSS during the scale-${BIG} runs: ${Math.min(...bigRss).toFixed(0)}–${Math.max(...bigRss).toFixed(0)} MiB; after the first tenth, max/min ${rssGrowth.toFixed(3)} (flat: ≤ 1.10, ${rssGrowth <= 1.1 ? 'meets' : 'MISSES'})`);
mkdirSync(path.join(root, 'bench', 'results'), { recursive: true });
writeFileSync(path.join(root, 'bench', 'results', 'h4l-scale.json'), `${JSON.stringify({
  date: new Date().toISOString(), node: process.version, big: BIG, loadavg: loadavg(), runs, cpuRatio, rateRatio, rssGrowth,
}, null, 1)}\n`);
