#!/usr/bin/env node
/**
 * `npm run demo`: generates a small synthetic 4ℓ dataset once (cached in
 * .cache/synthetic-4lep/scale-S-seed-N/, shared with `npm run demo:finalstates`),
 * starts a LocalCluster with 2 workers, runs selection A, writes the outputs and prints where
 * they are. Environment: H4L_DEMO_SCALE (default 0.2 of the real entry counts:
 * ≈ 190k events, generated once, one file per core at a time), H4L_DEMO_SEED. `npm run demo -- --linger` keeps the
 * cluster and its dashboard up after the run until Ctrl-C.
 */
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { DEFAULT_CONFIG } from './config.js';
import { execute } from './app.js';
import { parseFlags } from './cli-args.js';
import { demoDatasetDir, ensureDataset } from './generate/index.js';
import { demoNumbers } from './generate-flags.js';

async function main(): Promise<void> {
  const { scale, seed } = demoNumbers('H4L_DEMO');
  const dir = demoDatasetDir(scale, seed);
  const linger = parseFlags('demo', process.argv.slice(2), { linger: { type: 'boolean' } }).linger === true;
  await ensureDataset({ outDir: dir, scale, seed, threads: availableParallelism(), log: (s) => console.log(s) });
  const { outDir } = await execute({ ...DEFAULT_CONFIG, run_name: 'demo', data_dir: dir, selection: 'notebook',
    n_workers: 2, chunk_size: 50_000, entry_cache: path.join('.cache', 'h4l-entries.json'), linger }, (s) => console.log(s));
  console.log(`\nThe ATLAS-style plot: ${path.resolve(outDir, 'm4l.png')}`);
}

main().catch((e: unknown) => {
  console.error(`demo: ${e instanceof Error ? e.message : e}`);
  process.exit(1);
});
