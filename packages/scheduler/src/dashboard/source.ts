/**
 * The seam between the scheduler and its dashboard. The scheduler server implements
 * {@link DashboardSource}; the dashboard only reads through it, so it can never change cluster
 * state, and the scheduler never formats anything for a browser.
 */

/** Task states as the dashboard counts them per task group. */
export type GroupState = 'waiting' | 'queued' | 'processing' | 'memory' | 'erred';

/**
 * What a task had come to before a transition: 0 nothing yet (or it is being computed again),
 * 1 a result, 2 an error, 3 cancelled (by a client's `cancel`). A result released or forgotten
 * still counts as done in the Progress panel, an error as erred, a cancelled task as cancelled
 * (see src/progress-state.ts).
 */
export type Outcome = 0 | 1 | 2 | 3;

/**
 * A task's place in the Progress panel: a {@link GroupState} while the scheduler holds it;
 * `done` / `failed` once a finished / erred task was let go (released or forgotten: it still
 * counts as finished / erred); `cancelled` once a client cancelled it (its futures say
 * cancelled: the panel's counts add up to the tasks the clients submitted); `released` /
 * `forgotten` for a task that never finished otherwise (counted nowhere). A task computed again
 * moves from `done`/`failed`/`cancelled` back to `waiting`.
 */
export type ProgressState = GroupState | 'done' | 'failed' | 'cancelled' | 'released' | 'forgotten';

/** One row of the Workers panel. */
export interface WorkerRow {
  id: string;
  name: string;
  address: string;
  host: string;
  nthreads: number;
  cpu: number;
  rss: number;
  memoryLimit: number;
  executing: number;
  queued: number;
  stored: number;
  storedBytes: number;
  /** ms since epoch of the last heartbeat. */
  lastSeen: number;
  /** false once the worker left or was removed; kept so the panel can show it as gone. */
  alive: boolean;
  /** the worker said it is over its memory limit: it starts no new tasks until it is below 90%. */
  paused?: boolean;
  /**
   * cancelled tasks whose threads the worker terminated since it started, because they still ran
   * after the cancel grace (its last heartbeat; absent while none). Each is a line of its log.
   */
  cancelledStopped?: number;
  /**
   * the worker said it is leaving (retiring at the end of its lifetime, or stopped): it takes no
   * new tasks and will go.
   */
  closing?: boolean;
  /**
   * beside `closing`: it leaves because its lifetime ended (it retires). A batch cluster submits
   * its replacement on seeing it (deploy's job-plan.ts); a worker closing without it was stopped
   * (a SIGTERM: a job cancelled, rerun or killed at its walltime), and the cluster goes by the
   * batch system's listing of its job instead. Kept on a gone worker's row (`alive` false): it left
   * by retiring at the end of its lifetime, which a batch cluster says of its job's end.
   */
  lifetime?: boolean;
}

/** One row of the Failures panel. */
export interface FailureRow {
  key: string;
  group: string;
  message: string;
  name: string;
  stack: string;
  /** the name of the worker it failed on ('' when none). */
  worker: string;
  /** that worker's id, when it failed on one: its page (workers may share a name). */
  workerId?: string;
  retriesUsed: number;
  kind: string;
  time: number;
  /** the thrown error's code (protocol 19), when it had one: what a script branches on. */
  code?: string;
}

/** What a freshly opened dashboard needs to draw every panel. */
export interface ClusterSnapshot {
  time: number;
  schedulerAddress: string;
  workers: WorkerRow[];
  /** counts per task group and state; groups in first-seen order. */
  groups: Array<{ group: string; counts: Record<GroupState, number>; total: number }>;
  failures: FailureRow[];
  /** the latest value per published topic. */
  topics: Record<string, unknown>;
  /** the most recent log entries, oldest first. */
  log: LogEntry[];
}

export interface LogEntry {
  time: number;
  kind: 'worker-added' | 'worker-removed' | 'client-connected' | 'client-disconnected' | 'retry' | 'reschedule' | 'erred' | 'info'
    /** tasks wait and every worker is paused for memory (memory-stall.ts), workers cannot reach each other (unreachable-peers.ts), or every worker refuses a module tasks need and a refusal may lift (module-refusals.ts); `unstuck`: that ended. */
    | 'stuck' | 'unstuck';
  text: string;
  /**
   * The workers the text names, where it names them: the page shows each as a link to its own
   * page, told apart from workers of the same name (see src/log-line.ts). Absent when it names none.
   */
  workers?: LogWorker[];
}

/** A worker named in a {@link LogEntry}'s text: its id, and its name at `text.slice(at, at + name.length)`. */
export interface LogWorker {
  id: string;
  name: string;
  at: number;
}

/** Incremental events, pushed as they happen; the dashboard aggregates before sending. */
export type ClusterEvent =
  /** `worker`: the worker's name; `workerId`: its id (its task-stream rows: workers may share a name; sources without ids key by name). */
  | { kind: 'task-done'; key: string; group: string; worker: string; workerId?: string; thread: number; start: number; stop: number; events?: number; nbytes?: number }
  /** `from`/`to`: the workers' names (the peer's address when unknown); `fromId`/`toId`: their ids, which tell apart workers named alike. */
  | { kind: 'transfer'; keys: string[]; from: string; to: string; fromId?: string; toId?: string; start: number; stop: number; bytes: number }
  | { kind: 'task-state'; group: string; from: GroupState | 'released' | 'forgotten'; to: GroupState | 'released' | 'forgotten'; outcome?: Outcome }
  | { kind: 'worker'; row: WorkerRow }
  | { kind: 'failure'; row: FailureRow }
  | { kind: 'publish'; topic: string; value: unknown; time: number }
  | { kind: 'log'; entry: LogEntry }
  /** a line a worker logged (its stderr), forwarded to the scheduler for its page. */
  | { kind: 'worker-log'; worker: string; workerId?: string; time: number; text: string };

/** A task as the dashboard's views read it; the scheduler's own records satisfy it. */
export interface ProbeTask {
  readonly key: string;
  readonly group: string;
  /** released, waiting, queued, processing, memory, erred, forgotten */
  readonly state: string;
  readonly deps: readonly ProbeTask[];
  /** the result's size estimate, while in memory. */
  readonly nbytes: number;
}

/** A worker as the dashboard's views read it; the scheduler's own records satisfy it. */
export interface ProbeWorker {
  readonly id: string;
  readonly name: string;
  readonly nthreads: number;
  /** tasks sent to it and not finished (executing or waiting there for a thread). */
  readonly processing: Iterable<ProbeTask> & { readonly size: number };
  /** results it holds. */
  readonly has: ReadonlySet<ProbeTask>;
  /** the sum of their sizes (the workers' estimates). */
  readonly storedBytes: number;
}

/**
 * Read access to the scheduler's live records, for the views that are pulled on the push timer
 * (occupancy, the task graph, a worker's page) instead of following every event. Reading only:
 * the dashboard never changes them, and never reads them in the scheduler's event path.
 */
export interface ClusterProbe {
  readonly tasks: ReadonlyMap<string, ProbeTask>;
  /** live workers by id. */
  readonly workers: ReadonlyMap<string, ProbeWorker>;
  /** the recent mean run time of a group's tasks (ms); NaN before one finished. */
  meanMs(group: string): number;
}

export interface DashboardSource {
  snapshot(): ClusterSnapshot;
  /** the scheduler's records, for pulled views; absent in sources without them (tests, replays). */
  readonly probe?: ClusterProbe;
  /** Subscribe to events; returns the unsubscribe function. */
  subscribe(listener: (event: ClusterEvent) => void): () => void;
}
