/**
 * The worker state machine's vocabulary (state.ts): what the scheduler asks, the events the I/O
 * shell feeds in, the commands it carries out, and the records the state keeps per task and per
 * fetch. Types and constants only, split from state.ts to keep it about decisions.
 */
import type { FnRef, Message } from '@gluon/protocol';
import { MAX_INLINE_RESULT_BYTES } from '@gluon/protocol/values';
import type { ThrownError } from './thrown.js';

/**
 * Results at most this size ride along in `task-finished`, saving the client a round trip. The
 * protocol's bound: the scheduler measures an inline value against it and keeps or passes on none
 * larger, whatever `nbytes` says.
 */
export const INLINE_RESULT_BYTES = MAX_INLINE_RESULT_BYTES;

/** Lexicographic priority as the scheduler sends it; smaller runs first. */
export type Priority = number[];

/** What the scheduler asks the worker to compute. */
export interface ComputeTask {
  key: string;
  fn: FnRef;
  args: unknown[];
  /** Each dependency with the data addresses of the workers that hold it. */
  deps: Record<string, string[]>;
  /** Values of small dependencies the scheduler sent along: used as if fetched. */
  values?: Record<string, unknown>;
  priority?: Priority;
  /** Stop the task when it has run this long (ms), failing it (the scheduler's TaskSpec.timeoutMs). */
  timeoutMs?: number;
}

/** Why a task failed, on the worker side. */
export type FailureKind = 'exception' | 'worker-died' | 'too-large';

export interface TaskTiming {
  start: number;
  stop: number;
  thread: number;
}

export type WorkerEvent =
  | { type: 'compute'; task: ComputeTask }
  | { type: 'free-keys'; keys: string[] }
  /**
   * The scheduler asks for a task back (`steal-request`). `withdrawn`: the shell took it out of
   * the pool unstarted (it was handed to the pool, and no thread had claimed it; ThreadPool.withdraw).
   */
  | { type: 'steal'; key: string; withdrawn?: boolean }
  /**
   * A peer answered a `fetch`: the values it had, and the keys it did not. `start`/`stop` (ms
   * since epoch, request sent / reply received) make it reported to the scheduler as a
   * `transfer` when data arrived. `later`: keys it holds but that did not fit in this answer
   * (asked for again one per request); `tooLarge`: keys whose value alone is over a message
   * limit, with the reason (their dependents fail).
   */
  | {
    type: 'fetched'; peer: string; data: Record<string, unknown>; missing: string[]; start?: number; stop?: number;
    later?: string[]; tooLarge?: Record<string, string>;
  }
  /**
   * The scheduler asks this worker to keep a retiring peer's results (`acquire`, protocol 8):
   * fetch them from `peer` and store them as if computed here; `acquired` answers.
   */
  | { type: 'acquire'; peer: string; keys: string[] }
  /** A `fetch` failed outright (peer unreachable, connection lost, timeout). */
  | { type: 'fetch-failed'; peer: string; keys: string[]; reason: string }
  /** `nbytes`: the result's wire size when known (the thread measured it); else it is estimated. */
  | ({ type: 'done'; key: string; value: unknown; nbytes?: number; events?: number } & TaskTiming)
  | ({ type: 'erred'; key: string; error: ThrownError; kind: FailureKind } & TaskTiming)
  /**
   * Resident memory now (at `now`, ms): pauses or resumes task starts against the memory limit,
   * and over the limit stops a running task (at most once per {@link SHED_COOLDOWN_MS}).
   */
  | { type: 'memory'; rss: number; now?: number }
  /** The scheduler connection is gone; it will reassign whatever has not started. */
  | { type: 'scheduler-lost' }
  /** Stop taking work and give back everything that has not started. */
  /** Leaving: `reason` is what the scheduler is told (closing's `reason`). */
  /** `lifetime`: it leaves because its lifetime ended (closing's `lifetime`). */
  | { type: 'shutdown'; reason?: string; lifetime?: boolean };

export type WorkerCommand =
  /** A message for the scheduler. */
  | { type: 'send'; msg: Message }
  /** Ask `peer` (a worker data address) for these keys, in one request. */
  | { type: 'fetch'; peer: string; keys: string[] }
  /** Run a task; `data` holds the values of its dependencies, for the `__gluonRef`s in `args`. */
  | { type: 'execute'; key: string; fn: FnRef; args: unknown[]; data: Record<string, unknown>; timeoutMs?: number }
  /** A running task's result is no longer wanted: stop it (after a short grace, its thread). */
  | { type: 'cancel'; key: string }
  /** A cancelled running task is wanted again: let it finish after all. */
  | { type: 'resume'; key: string }
  /** RSS is over the memory limit (`why` says by how much): stop a running task to free memory. */
  | { type: 'shed'; why: string }
  | { type: 'log'; text: string };

export type TaskState = 'fetching' | 'ready' | 'running';

export interface LocalTask {
  key: string;
  fn: FnRef;
  args: unknown[];
  deps: Record<string, string[]>;
  priority: Priority;
  timeoutMs?: number;
  /** Arrival order, the tie-break after priority. */
  seq: number;
  state: TaskState;
  /** Dependencies that have not arrived yet. */
  waiting: Set<string>;
  /** Fetched dependencies this task holds a reference on (released when it leaves). */
  holds: Set<string>;
  /** Freed or stolen while running: its result is not wanted any more. */
  cancelled: boolean;
}

/** A dependency on its way from a peer. */
export interface Fetch {
  peer: string;
  /** Peers that already failed to give it. */
  tried: Set<string>;
  /** Every address that was said to hold it. */
  holders: string[];
  dependents: Set<LocalTask>;
  /** Asked for by `acquire`: stored here on arrival (and reported), whether a task needs it or not. */
  acquire?: boolean;
}

export interface WorkerStateOptions {
  name: string;
  /** This worker's own data address; a dependency "held" here needs no fetch. */
  address: string;
  /** How many tasks may be inside the thread pool at once. */
  capacity: number;
  /** Bytes; 0 = no limit. */
  memoryLimit?: number;
}
