#!/usr/bin/env node
/**
 * `npm run demo:finalstates`: generates the synthetic 4ℓ dataset (with jets and photons) once,
 * cached in .cache/synthetic-4lep/scale-S-seed-N/ (shared with `npm run demo`), runs every stage on a 2-worker LocalCluster with the
 * embedded default configuration, and prints where the histograms and plots are.
 * Environment: FINALSTATES_DEMO_SCALE (default 0.2 of the real entry counts, ≈ 190k events),
 * FINALSTATES_DEMO_SEED (default 1).
 */
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { demoDatasetDir, ensureDataset } from '@gluon/analysis-h4l/generate';
import { demoNumbers } from '@gluon/analysis-h4l';
import { DEFAULT_CONFIG } from './config.js';
import { execute } from './app.js';

async function main(): Promise<void> {
  const { scale, seed } = demoNumbers('FINALSTATES_DEMO');
  const dir = demoDatasetDir(scale, seed);
  await ensureDataset({ outDir: dir, scale, seed, threads: availableParallelism(), log: (s) => console.log(s) });
  const { runDir } = await execute({ ...DEFAULT_CONFIG, run_name: 'demo', data_dir: dir, n_workers: 2, chunk_size: 50_000 },
    { argv: process.argv }, (s) => console.log(s));
  console.log(`\nHistograms: ${path.resolve(runDir, 'histograms', 'finalstates.root')}`);
  console.log(`Events per final state: ${path.resolve(runDir, 'plots', 'events_per_final_state.png')}`);
}

main().catch((e: unknown) => {
  console.error(`demo: ${e instanceof Error ? e.message : e}`);
  process.exit(1);
});
