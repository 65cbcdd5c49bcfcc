/**
 * V8 flags the scheduler process runs with (`gluon-scheduler --v8-flags` overrides them).
 *
 * `--max-semi-space-size=8` (MiB): V8 starts the nursery at 1 MiB per semi-space and doubles it
 * (up to this cap) once as much as its size has survived scavenges since the last doubling; a
 * scavenge costs what survives it plus a fixed part. 8, not 4: in sequential round trips
 * (bench/scheduler.ts (b)) what survives is the records of the tasks the client still holds,
 * and each scavenge held the round trip in flight past 1 ms on a quiet machine (57 of the 200
 * over 1 ms in 20,000, the lead's run of 2026-12-04 19:38); at 8 MiB a third to a half as many
 * scavenges (16 against 47 per 10,000 round trips), each ~1.7× as long (median 1.20 against
 * 0.70 ms under load; docs/internals.md, "(b): the scheduler's nursery, third look"). With V8's
 * default cap (16 MiB) the space stays resident (RSS with 50,000 tasks held: 136–153 MiB; 4 MiB:
 * 125–127 MiB; 8 MiB beside 4 in six same-run A/Bs: 117–129 against 116–130 MiB). A 1 MiB cap was
 * tried for the round-trip tail and taken back: while a big graph is held each scavenge costs
 * ~4 ms whatever survives, so four times as many of them made a 1M-task tree reduction cost
 * 27.8–40.0 µs of scheduler CPU per task against 21.6–27.1 at 4 MiB (three pairs of runs), and it
 * did not lower the p99 of sequential round trips, which on a shared machine is time spent
 * waiting for a CPU (docs/internals.md, "Where the tail of (b) comes from").
 *
 * `--expose-gc`: the scheduler collects once a big release has settled (idle-gc.ts): V8 collects
 * only as it allocates, and an idle scheduler allocates almost nothing, so a million released
 * tasks otherwise stayed resident (~1 GiB) for good.
 * Kept in a module of its own so LocalCluster can import it without loading the scheduler.
 */
export const SCHEDULER_V8_FLAGS: readonly string[] = Object.freeze(['--max-semi-space-size=8', '--expose-gc']);

/**
 * Environment the scheduler process runs with (glibc's malloc reads it at start-up only; other C
 * libraries ignore it). A value already in the environment wins.
 *
 * By default glibc raises its mmap threshold to the size of each large block freed (up to
 * 32 MiB) and its trim threshold to twice that, so after a burst of big socket and codec buffers
 * later ones come from the main heap, which is given back to the system only from its top. After
 * a million tasks were held and released, the V8 heap was back to 17 MiB used while the
 * process kept 75–150 MiB of malloc heap that nothing used (RSS 1.9–3.0× its idle size, growing
 * with each round). A fixed mmap threshold keeps blocks of 128 KiB and more in their own
 * mappings, given back when freed; a fixed trim threshold gives back a heap's free top beyond
 * 2 MiB (bench/scale.ts, 1M tasks: RSS after the release 1.03–1.04× the idle RSS).
 *
 * The trim threshold is 2 MiB, not 128 KiB: with 128 KiB every heap (the main one and each
 * thread's arena) was cut back and refilled all the time, as 64 KiB socket buffers and the GC
 * threads' work lists came and went at its top: 130–170 minor page faults per 100 sequential
 * round trips against 20–25 (and 19 for 0cbbd89's dynamic thresholds), each fault a zeroed page
 * and each cut an madvise, ~2–3 µs of scheduler CPU a round trip. A heap keeps at most 2 MiB of
 * free top; the release figure did not get worse (1.21–1.22× with 128 KiB in the same runs).
 */
export const SCHEDULER_ENV: Readonly<Record<string, string>> = Object.freeze({
  MALLOC_MMAP_THRESHOLD_: '131072',
  MALLOC_TRIM_THRESHOLD_: '2097152',
});

/** `env` with {@link SCHEDULER_ENV} added where it sets nothing itself. */
export function withSchedulerEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out = { ...env };
  for (const [k, v] of Object.entries(SCHEDULER_ENV)) if (out[k] === undefined) out[k] = v;
  return out;
}
