/**
 * Synthetic-sample generator throughput (packages/analysis-h4l/src/generate): CPU seconds and
 * events/s for (a) event generation into columns only, (b) generation + writing uncompressed,
 * (c) generation + writing zlib-1 — each as a ratio to (0) the baseline measured in the same run:
 * filling the same `mini` columns by copying one pre-generated event (no physics, no PRNG).
 * CPU time, not wall time, because the machine is shared. Writes bench/results/generate.json.
 * Env: GEN_BENCH_EVENTS (default 200000; llll events).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { envInt } from './env.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const gen = (await import('../packages/analysis-h4l/dist/generate/index.js' as string)) as typeof import('../packages/analysis-h4l/src/generate/index.js');
const cols = (await import('../packages/analysis-h4l/dist/generate/columns.js' as string)) as typeof import('../packages/analysis-h4l/src/generate/columns.js');

const N = envInt('GEN_BENCH_EVENTS', 200_000, 1, 1e9);
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };
const tmp = mkdtempSync(path.join(tmpdir(), 'gen-bench-'));

// Warm-up (JIT) so the first measurement does not pay for it.
new gen.SampleStream('llll', 0).next(20_000);

// (0) baseline: copy one event's values into fresh columns N times.
const one = gen.generateSampleColumns('llll', 1, 1);
let t = cpu();
{
  const b = new cols.MiniBuilder(N);
  const scalars: [ArrayLike<number> & { [i: number]: number }, number][] = [];
  const vectors: [{ push(v: number): void }, ArrayLike<number>][] = [];
  for (const [k, v] of Object.entries(one)) {
    if (ArrayBuffer.isView(v)) scalars.push([b.scalars[k], v[0]]);
    else vectors.push([b.vectors[k], Array.from(v.values)]);
  }
  for (let i = 0; i < N; i++) {
    for (const [col, x] of scalars) col[i] = x;
    for (const [vb, xs] of vectors) for (let j = 0; j < xs.length; j++) vb.push(xs[j]);
    b.close(i);
  }
  b.finish();
}
const base = cpu() - t;

t = cpu();
{ const s = new gen.SampleStream('llll', 1); for (let d = 0; d < N; d += 50_000) s.next(Math.min(50_000, N - d)); }
const generate = cpu() - t;

const write = async (compression: { algorithm: 'zlib' | 'none'; level: number }) => {
  const t0 = cpu();
  await gen.generateDataset({ outDir: path.join(tmp, compression.algorithm), seed: 1, samples: [{ name: 'llll', entries: N }], compression });
  return cpu() - t0;
};
const none = await write({ algorithm: 'none', level: 0 });
const zlib = await write({ algorithm: 'zlib', level: 1 });
rmSync(tmp, { recursive: true, force: true });

const row = (name: string, s: number) => ({ name, cpuSeconds: +s.toFixed(3), eventsPerSecond: Math.round(N / s), ratioToBaseline: +(s / base).toFixed(2) });
const results = { events: N, sample: 'llll', rows: [row('baseline: copy one event into columns', base), row('generate columns', generate),
  row('generate + write uncompressed', none), row('generate + write zlib-1', zlib)] };
for (const r of results.rows) console.log(`${r.name.padEnd(40)} ${r.cpuSeconds.toFixed(2).padStart(7)} s CPU  ${String(r.eventsPerSecond).padStart(9)} events/s  ×${r.ratioToBaseline} baseline`);
mkdirSync(path.join(root, 'bench', 'results'), { recursive: true });
writeFileSync(path.join(root, 'bench', 'results', 'generate.json'), JSON.stringify(results, null, 2) + '\n');
