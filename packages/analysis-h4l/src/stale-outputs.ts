/**
 * A run written into a directory that holds an earlier run's outputs (`--out` given again, with
 * another selection) would leave the earlier run's other files beside its own, looking like
 * this run's (the framework's 13 plots beside a notebook run's m4l). The earlier run.json lists
 * what that run wrote; what this run does not write again is removed. Nothing else is touched.
 */
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';

/** The file names an earlier run recorded in `dir`/run.json (plain names only), or none. */
export function earlierOutputs(dir: string): string[] {
  try {
    const outputs = (JSON.parse(readFileSync(path.join(dir, 'run.json'), 'utf8')) as { outputs?: unknown }).outputs;
    if (!Array.isArray(outputs)) return [];
    // Only names inside dir: a damaged or hand-edited run.json must not reach other paths.
    return outputs.filter((n): n is string => typeof n === 'string' && n !== '' && n === path.basename(n) && n !== '.' && n !== '..');
  } catch {
    return [];
  }
}

/** Removes the `earlier` outputs that this run's `written` does not hold; returns their names. */
export function removeStaleOutputs(dir: string, earlier: readonly string[], written: readonly string[]): string[] {
  const now = new Set([...written, 'run.json']);
  const stale = earlier.filter((n) => !now.has(n));
  for (const n of stale) rmSync(path.join(dir, n), { force: true });
  return stale;
}
