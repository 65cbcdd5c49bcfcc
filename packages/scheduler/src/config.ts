/** The scheduler state machine's tunables, with their defaults. */
export interface SchedulerConfig {
  /** Workers a task may kill before it fails instead of being rescheduled. */
  allowedFailures: number;
  /** A worker silent for this long is removed. */
  heartbeatTtlMs: number;
  /**
   * Scheduler↔worker round-trip budget used to size in-flight work for short tasks: a worker
   * gets enough of them to stay busy for this long without waiting for the next batch.
   */
  latencyBudgetMs: number;
  /** Upper bound on in-flight tasks per worker thread. */
  maxInFlightPerThread: number;
  /**
   * Bytes of small results (sent inline by workers) the scheduler keeps to hand to their
   * dependents with `compute-task`, so a worker needs no fetch from a peer for them.
   */
  inlineBudgetBytes: number;
  /** How long results of keys the scheduler does not know are kept on workers (see recovery.ts). */
  orphanGraceMs: number;
  /** Claims of keys the scheduler does not know kept at most at once (see Recovery.admits). */
  maxOrphans: number;
  /** How long a task a client saw in memory waits for its holder to re-register (see recovery.ts). */
  holderWaitMs: number;
  /**
   * How long tasks must have waited with every worker paused for memory before the scheduler
   * says the cluster is stuck (its log, the dashboard, the clients; see memory-stall.ts).
   */
  memoryStallMs: number;
  /** Published topics kept at most (see topics.ts). */
  maxTopics: number;
  /** Bytes of one published value at most (see topics.ts). */
  maxTopicBytes: number;
  /** Bytes of all published values together at most (see topics.ts). */
  maxPublishedBytes: number;
  /**
   * How long ready tasks wait when every running worker refuses their module and some refusal may
   * lift (a missing allowed path, file or package) before they fail (see module-refusal-rule.ts).
   */
  refusalWaitMs: number;
}

export const DEFAULT_CONFIG: SchedulerConfig = {
  allowedFailures: 3,
  heartbeatTtlMs: 30_000,
  latencyBudgetMs: 2,
  maxInFlightPerThread: 64,
  inlineBudgetBytes: 32 * 1024 * 1024,
  orphanGraceMs: 60_000,
  maxOrphans: 1_000_000,
  holderWaitMs: 15_000,
  memoryStallMs: 10_000,
  maxTopics: 1000,
  maxTopicBytes: 16 * 1024 * 1024,
  maxPublishedBytes: 256 * 1024 * 1024,
  refusalWaitMs: 60_000,
};
