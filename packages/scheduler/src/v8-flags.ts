/**
 * V8 flags the scheduler process runs with (`gluon-scheduler --v8-flags` overrides them).
 *
 * `--max-semi-space-size=1` (MiB): the scheduler's young objects are messages that die within a
 * tick, while its task records live long, and a scavenge costs what survives it: the records
 * made since the last one, copied while every message waits. With V8's default nursery (16 MiB
 * per semi-space) that space also stays resident (RSS with 50,000 tasks held: 136–153 MiB; 4 MiB:
 * 125–127 MiB). At 4 MiB a scavenge paused sequential round trips for 0.7–0.9 ms (median, 108
 * per 20,000 round trips) and was the largest single cause of their p99; at 1 MiB it pauses
 * 0.26–0.36 ms, short enough that the round trip it meets stays under 1 ms, with the same CPU
 * per task for maps of 20,000 and 200,000 tasks (docs/internals.md, "Where the tail of (b)
 * comes from").
 *
 * `--expose-gc`: the scheduler collects once a big release has settled (idle-gc.ts): V8 collects
 * only as it allocates, and an idle scheduler allocates almost nothing, so a million released
 * tasks otherwise stayed resident (~1 GiB) for good.
 * Kept in a module of its own so LocalCluster can import it without loading the scheduler.
 */
export const SCHEDULER_V8_FLAGS: readonly string[] = Object.freeze(['--max-semi-space-size=1', '--expose-gc']);

/**
 * Environment the scheduler process runs with (glibc's malloc reads it at start-up only; other C
 * libraries ignore it). A value already in the environment wins.
 *
 * By default glibc raises its mmap threshold to the size of each large block freed (up to
 * 32 MiB) and its trim threshold to twice that, so after a burst of big socket and codec buffers
 * later ones come from the main heap, which is given back to the system only from its top. After
 * a million tasks were held and released, the V8 heap was back to 17 MiB used while the
 * process kept 75–150 MiB of malloc heap that nothing used (RSS 1.9–3.0× its idle size, growing
 * with each round). Fixed thresholds keep blocks of 128 KiB and more in their own mappings and
 * trim the heap's free top beyond 128 KiB: 1.2–1.7× (bench/scale.ts).
 */
export const SCHEDULER_ENV: Readonly<Record<string, string>> = Object.freeze({
  MALLOC_MMAP_THRESHOLD_: '131072',
  MALLOC_TRIM_THRESHOLD_: '131072',
});

/** `env` with {@link SCHEDULER_ENV} added where it sets nothing itself. */
export function withSchedulerEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out = { ...env };
  for (const [k, v] of Object.entries(SCHEDULER_ENV)) if (out[k] === undefined) out[k] = v;
  return out;
}
