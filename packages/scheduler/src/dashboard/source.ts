/**
 * The seam between the scheduler and its dashboard. The scheduler server implements
 * {@link DashboardSource}; the dashboard only reads through it, so it can never change cluster
 * state, and the scheduler never formats anything for a browser.
 */

/** Task states as the dashboard counts them per task group. */
export type GroupState = 'waiting' | 'queued' | 'processing' | 'memory' | 'erred';

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
}

/** One row of the Failures panel. */
export interface FailureRow {
  key: string;
  group: string;
  message: string;
  name: string;
  stack: string;
  worker: string;
  retriesUsed: number;
  kind: string;
  time: number;
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
  kind: 'worker-added' | 'worker-removed' | 'client-connected' | 'client-disconnected' | 'retry' | 'reschedule' | 'erred' | 'info';
  text: string;
}

/** Incremental events, pushed as they happen; the dashboard aggregates before sending. */
export type ClusterEvent =
  | { kind: 'task-done'; key: string; group: string; worker: string; thread: number; start: number; stop: number; events?: number }
  | { kind: 'transfer'; keys: string[]; from: string; to: string; start: number; stop: number; bytes: number }
  | { kind: 'task-state'; group: string; from: GroupState | 'released' | 'forgotten'; to: GroupState | 'released' | 'forgotten' }
  | { kind: 'worker'; row: WorkerRow }
  | { kind: 'failure'; row: FailureRow }
  | { kind: 'publish'; topic: string; value: unknown; time: number }
  | { kind: 'log'; entry: LogEntry };

export interface DashboardSource {
  snapshot(): ClusterSnapshot;
  /** Subscribe to events; returns the unsubscribe function. */
  subscribe(listener: (event: ClusterEvent) => void): () => void;
}
