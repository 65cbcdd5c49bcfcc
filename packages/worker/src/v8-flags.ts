/**
 * V8 flags every worker process runs with (`gluon-worker --v8-flags` overrides them).
 *
 * `--single-threaded-gc`: a worker's task threads already use the cores it was given, so V8's
 * concurrent and parallel GC helper threads only compete with them and with the other workers on
 * the host. Measured on the H→4ℓ analysis: the helpers add ~12% CPU per task for no gain in task
 * time, which is the difference between a 2-worker speed-up of ~1.5× and ~1.7× on two cores.
 * (Dask's nanny sets OMP_NUM_THREADS=1 in its workers for the same reason: no oversubscription.)
 * Kept in a module of its own so LocalCluster can import it without loading the worker.
 */
export const WORKER_V8_FLAGS: readonly string[] = Object.freeze(['--single-threaded-gc']);
