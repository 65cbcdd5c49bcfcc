/**
 * A run directory of two batch slices and their merge, made by the real CLI, and a snapshot of a
 * directory's files (analysis-h4l's): the set-up and the check of the tests of --merge-only that
 * must leave a run directory as it was (merge-interrupt, merge-unwritable).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { generateDataset } from '@gluon/analysis-h4l/generate';

export const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const run = promisify(execFile);

/** `tmp`/run: slices 0 and 1 of 2 of a small synthetic dataset (in `tmp`/data), and their merge. */
export async function mergedRun(tmp: string): Promise<string> {
  const data = path.join(tmp, 'data');
  await generateDataset({ outDir: data, scale: 0.01, seed: 9, samples: ['data_A', 'data_B', 'llll'] });
  const runDir = path.join(tmp, 'run');
  for (const i of ['0', '1']) {
    await run(process.execPath, [CLI, '--data-dir', data, '--n-workers', '0', '--batch-job-index', i, '--total-batch-jobs', '2', '--run-dir', runDir], { cwd: tmp });
  }
  await run(process.execPath, [CLI, '--merge-only', '--run-dir', runDir], { cwd: tmp });
  return runDir;
}

export { snapshot } from '../../analysis-h4l/test/dir-snapshot.js';
