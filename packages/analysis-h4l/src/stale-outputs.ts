/**
 * A run written into a directory that holds an earlier run's outputs (`--out` or `--run-dir`
 * given again, with another selection, other data or other stages) would leave the earlier run's
 * other files beside its own, looking like this run's (the framework's 13 plots beside a notebook
 * run's m4l; gluon-finalstates' plots of histograms the new data does not have). The earlier
 * manifest (run.json's `outputs`) lists what that run wrote; what this run does not write again
 * is removed. Nothing else is touched: a file the tools did not write is never in a manifest.
 * Shared by gluon-h4l and gluon-finalstates.
 */
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';

/**
 * The files an earlier run recorded in `dir`/`manifest` (paths relative to dir, such as
 * `plots/timing.svg`), or none.
 */
export function earlierOutputs(dir: string, manifest = 'run.json'): string[] {
  try {
    const outputs = (JSON.parse(readFileSync(path.join(dir, manifest), 'utf8')) as { outputs?: unknown }).outputs;
    if (!Array.isArray(outputs)) return [];
    // Only paths inside dir: a damaged or hand-edited manifest must not reach other paths.
    return outputs.filter((n): n is string => typeof n === 'string' && insideDir(n));
  } catch {
    return [];
  }
}

/** A relative path that stays inside its directory: not absolute, no `..` or `.` segment, no empty one. */
function insideDir(n: string): boolean {
  return n !== '' && !path.isAbsolute(n) && !n.includes('\\') && n.split('/').every((s) => s !== '' && s !== '.' && s !== '..');
}

/** Removes the `earlier` outputs that this run's `written` (and its manifest) do not hold; returns them. */
export function removeStaleOutputs(dir: string, earlier: readonly string[], written: readonly string[], manifest = 'run.json'): string[] {
  const now = new Set([...written, manifest]);
  const stale = earlier.filter((n) => !now.has(n));
  for (const n of stale) rmSync(path.join(dir, n), { force: true });
  return stale;
}

/** The console's line for what was removed. */
export function staleOutputsLine(dir: string, stale: readonly string[]): string {
  return `removed ${stale.length} file${stale.length === 1 ? '' : 's'} an earlier run wrote in ${dir} that this run does not write: ${stale.join(', ')}`;
}
