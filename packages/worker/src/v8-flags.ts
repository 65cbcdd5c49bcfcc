/**
 * V8 flags every worker process runs with (`gluon-worker --v8-flags` overrides them).
 *
 * `--single-threaded-gc`: a worker's task threads already use the cores it was given, so V8's
 * concurrent and parallel GC helper threads only compete with them and with the other workers on
 * the host. Measured on the H→4ℓ analysis: the helpers add ~12% CPU per task for no gain in task
 * time, which is the difference between a 2-worker speed-up of ~1.5× and ~1.7× on two cores.
 * (Dask's nanny sets OMP_NUM_THREADS=1 in its workers for the same reason: no oversubscription.)
 */
export const WORKER_V8_FLAGS: readonly string[] = Object.freeze(['--single-threaded-gc']);

/**
 * Parses a `--v8-flags` value: whitespace-separated `--flag` or `--flag=value` words.
 * Throws an error naming the offending word otherwise.
 */
export function parseV8Flags(text: string): string[] {
  const words = text.split(/\s+/).filter(Boolean);
  for (const w of words) {
    if (!/^--[a-z0-9][a-z0-9_-]*(=\S+)?$/i.test(w)) throw new Error(`--v8-flags: "${w}" is not a V8 flag (expected --name or --name=value)`);
  }
  return words;
}

/** The flags of `wanted` this process was not started with. */
export function missingV8Flags(wanted: readonly string[], execArgv: readonly string[] = process.execArgv): string[] {
  const have = new Set(execArgv.map((a) => a.replace(/_/g, '-')));
  return wanted.filter((f) => !have.has(f.replace(/_/g, '-')));
}
