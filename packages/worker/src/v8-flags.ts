import { setFlagsFromString } from 'node:v8';

/**
 * The main thread's nursery: 1 MiB per semi-space. The main thread only moves messages and
 * stores results, and a scavenge costs what survives it (the results and records made since the
 * last one), copied while every message waits: with V8's default (16 MiB) a scavenge paused a
 * sequential round trip for 1.2–1.3 ms (median, 38 per 20,000 round trips); at 1 MiB it pauses
 * ~0.2 ms, short enough that the round trip it meets stays under 1 ms (docs/internals.md, "Where
 * the tail of (b) comes from"). Task threads keep V8's default: see {@link restoreThreadNursery}.
 */
const MAIN_NURSERY_FLAG = '--max-semi-space-size=1';

/**
 * V8 flags every worker process runs with (`gluon-worker --v8-flags` overrides them).
 *
 * `--single-threaded-gc`: a worker's task threads already use the cores it was given, so V8's
 * concurrent and parallel GC helper threads only compete with them and with the other workers on
 * the host. Measured on the H→4ℓ analysis: the helpers add ~12% CPU per task for no gain in task
 * time, which is the difference between a 2-worker speed-up of ~1.5× and ~1.7× on two cores.
 * (Dask's nanny sets OMP_NUM_THREADS=1 in its workers for the same reason: no oversubscription.)
 *
 * `--max-semi-space-size=1`: the main thread's small nursery (see {@link MAIN_NURSERY_FLAG}).
 * Kept in a module of its own so LocalCluster can import it without loading the worker.
 */
export const WORKER_V8_FLAGS: readonly string[] = Object.freeze(['--single-threaded-gc', MAIN_NURSERY_FLAG]);

/**
 * Gives task threads started from now on V8's own nursery size rather than the main thread's.
 * Tasks allocate freely (an analysis chunk makes hundreds of MiB of short-lived arrays), and a
 * 1 MiB nursery would scavenge them sixteen times as often. V8 sizes each isolate's heap from its
 * flags when the isolate is created, so resetting the flag once the main thread runs leaves the
 * main thread's nursery as it was and sizes every later thread's by V8's defaults. Done only
 * when the process runs with Gluon's own value: a size set by hand (`--v8-flags`, node's command
 * line, `NODE_OPTIONS`) applies to every thread. Returns whether it reset the flag.
 */
export function restoreThreadNursery(execArgv: readonly string[] = process.execArgv, nodeOptions: string = process.env.NODE_OPTIONS ?? ''): boolean {
  const given = [...execArgv, ...nodeOptions.split(/\s+/)].filter((a) => a.replace(/_/g, '-').startsWith('--max-semi-space-size'));
  if (given.length !== 1 || given[0]!.replace(/_/g, '-') !== MAIN_NURSERY_FLAG) return false;
  setFlagsFromString('--max-semi-space-size=0');
  return true;
}
