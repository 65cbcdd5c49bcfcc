/**
 * V8 flags the scheduler process runs with (`gluon-scheduler --v8-flags` overrides them).
 *
 * `--max-semi-space-size=4` (MiB): the scheduler's young objects are messages that die within a
 * tick, while its task records live long. V8's default nursery grows to 16 MiB per semi-space
 * under a fast `map`, and that space stays resident: with 50,000 tasks held the scheduler's RSS
 * read 136–153 MiB across runs, and 125–127 MiB with 4 MiB, at the same throughput.
 *
 * `--expose-gc`: the scheduler collects once a big release has settled (idle-gc.ts): V8 collects
 * only as it allocates, and an idle scheduler allocates almost nothing, so a million released
 * tasks otherwise stayed resident (~1 GiB) for good.
 * Kept in a module of its own so LocalCluster can import it without loading the scheduler.
 */
export const SCHEDULER_V8_FLAGS: readonly string[] = Object.freeze(['--max-semi-space-size=4', '--expose-gc']);
