import { readFileSync } from 'node:fs';

/**
 * The start-up deadline of a `LocalCluster`'s processes, in time they could have run.
 *
 * A fixed wall-clock budget fails on a busy machine: at a load average of 100 on 2 cores a
 * process gets a few percent of a CPU, and the scheduler's start (well under a second of CPU)
 * took over 30 s of wall time, so `npm run demo` and every LocalCluster script failed with "did
 * not start within 30000 ms" while nothing was wrong. The time a process spent runnable but
 * waiting for a CPU is what the machine's load adds, and Linux counts it per thread
 * (`/proc/PID/schedstat`, second field, ns): the deadline does not count it. Waiting on another
 * process counts as waiting for a CPU when that process was (a worker cannot connect to a
 * starved scheduler), so the wait subtracted is the largest among the processes started
 * together. A hard cap in wall time (`WALL_CAP` × the budget) keeps the wait bounded however
 * busy the machine stays. Where `/proc` has no schedstat (not Linux), the budget is wall time.
 */
export class StartupDeadline {
  /** Run delay of each process when the deadline began, ms; `undefined`: not readable. */
  private readonly base = new Map<number, number | undefined>();
  /** The latest run delay read for each process, kept once it has exited. */
  private readonly last = new Map<number, number>();
  private readonly started: number;

  /**
   * @param budgetMs time the processes may take to start, not counting their waits for a CPU
   * @param pids the processes started together (more can be added with {@link watch})
   */
  constructor(
    readonly budgetMs: number,
    pids: Iterable<number | undefined> = [],
    private readonly clock: DeadlineClock = SYSTEM_CLOCK,
  ) {
    this.started = clock.now();
    for (const pid of pids) this.watch(pid);
  }

  /** Counts `pid`'s waits for a CPU from now on. */
  watch(pid: number | undefined): void {
    if (pid === undefined || this.base.has(pid)) return;
    this.base.set(pid, this.clock.runDelayMs(pid));
  }

  /** Wall time since the deadline began, and the largest CPU wait of the watched processes. */
  elapsed(): { wallMs: number; waitedMs: number } {
    let waitedMs = 0;
    for (const [pid, base] of this.base) {
      if (base === undefined) continue;
      const now = this.clock.runDelayMs(pid);
      if (now !== undefined) this.last.set(pid, now);
      const latest = this.last.get(pid) ?? base;
      waitedMs = Math.max(waitedMs, latest - base);
    }
    const wallMs = this.clock.now() - this.started;
    // Linux adds a wait to run_delay when it ends, so a wait begun before the deadline can show more than its wall time.
    return { wallMs, waitedMs: Math.min(waitedMs, wallMs) };
  }

  /** Why the deadline has passed (for "the scheduler did not start …"), or `undefined`. */
  expired(): string | undefined {
    const { wallMs, waitedMs } = this.elapsed();
    const cap = this.budgetMs * WALL_CAP;
    if (wallMs - waitedMs < this.budgetMs && wallMs < cap) return undefined;
    const waited = waitedMs >= 1 ? ` (${Math.round(wallMs)} ms of wall time, of which ${Math.round(waitedMs)} ms waiting for a CPU on a busy machine)` : '';
    return wallMs >= cap && wallMs - waitedMs < this.budgetMs
      ? `did not start within ${Math.round(wallMs)} ms of wall time (${WALL_CAP}× its ${this.budgetMs} ms budget: the machine stayed too busy; ${Math.round(waitedMs)} ms waiting for a CPU)`
      : `did not start within ${this.budgetMs} ms${waited}`;
  }

  /** How long to wait before asking {@link expired} again, ms. */
  nextCheckMs(): number {
    const { wallMs, waitedMs } = this.elapsed();
    const left = Math.min(this.budgetMs - (wallMs - waitedMs), this.budgetMs * WALL_CAP - wallMs);
    return Math.max(1, Math.min(left, CHECK_EVERY_MS));
  }
}

/** The deadline never stretches beyond this many times its budget in wall time. */
export const WALL_CAP = 10;
/** While the processes start, the run delays are read at most this often. */
const CHECK_EVERY_MS = 500;

/** Where a deadline reads the time and the processes' waits for a CPU (replaced in tests). */
export interface DeadlineClock {
  /** Milliseconds, monotonic. */
  now(): number;
  /** Time `pid`'s main thread has spent runnable but not running, ms; `undefined` where unknown. */
  runDelayMs(pid: number): number | undefined;
}

/** The process's clock and Linux's `/proc/PID/schedstat`. */
export const SYSTEM_CLOCK: DeadlineClock = {
  now: () => performance.now(),
  runDelayMs(pid) {
    try {
      const [, delayNs] = readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ');
      const ns = Number(delayNs);
      return Number.isFinite(ns) ? ns / 1e6 : undefined;
    } catch {
      return undefined; // not Linux, no schedstat, or the process is gone
    }
  },
};
