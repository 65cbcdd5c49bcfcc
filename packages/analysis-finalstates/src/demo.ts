#!/usr/bin/env node
/**
 * `npm run demo:finalstates`: generates the synthetic 4ℓ dataset (with jets and photons) once,
 * cached in .cache/finalstates-demo/, runs every stage on a 2-worker LocalCluster with the
 * embedded default configuration, and prints where the histograms and plots are.
 * Environment: FINALSTATES_DEMO_SCALE (default 0.2 of the real entry counts, ≈ 190k events),
 * FINALSTATES_DEMO_SEED (default 1).
 */
import { existsSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { generateDataset } from '@gluon/analysis-h4l/generate';
import { DEFAULT_CONFIG } from './config.js';
import { execute } from './app.js';

const scale = Number(process.env.FINALSTATES_DEMO_SCALE ?? 0.2);
const seed = Number(process.env.FINALSTATES_DEMO_SEED ?? 1);
const dir = path.resolve('.cache', 'finalstates-demo');
const marker = path.join(dir, 'generated.json');

async function ensureDataset(): Promise<void> {
  if (existsSync(marker)) {
    try {
      const have = JSON.parse(readFileSync(marker, 'utf8'));
      if (have.scale === scale && have.seed === seed) { console.log(`synthetic dataset: ${dir} (cached)`); return; }
    } catch { /* regenerate */ }
  }
  rmSync(dir, { recursive: true, force: true });
  console.log(`generating a synthetic dataset (scale ${scale}, seed ${seed}) in ${dir} …`);
  const t0 = performance.now();
  await generateDataset({ outDir: dir, scale, seed, log: (s: string) => console.log(`  ${s}`) });
  writeFileSync(marker, JSON.stringify({ scale, seed, generatedAt: new Date().toISOString() }));
  console.log(`generated in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

async function main(): Promise<void> {
  await ensureDataset();
  const { runDir } = await execute({ ...DEFAULT_CONFIG, run_name: 'demo', data_dir: dir, n_workers: 2, chunk_size: 50_000 },
    { argv: process.argv }, (s) => console.log(s));
  console.log(`\nHistograms: ${path.resolve(runDir, 'histograms', 'finalstates.root')}`);
  console.log(`Events per final state: ${path.resolve(runDir, 'plots', 'events_per_final_state.png')}`);
}

main().catch((e: unknown) => {
  console.error(`demo: ${e instanceof Error ? e.message : e}`);
  process.exit(1);
});
