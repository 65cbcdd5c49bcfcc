/**
 * Message shapes exchanged between the roles. docs/internals.md explains who sends what; the
 * schemas every received message is checked against are in ops.ts, which also checks that the
 * interfaces here agree with them.
 */

/** The roles a connection can have; `peer` fetches data from a worker's own listener. */
export type Role = 'client' | 'worker' | 'peer' | 'dashboard';

/** Names a task's code: a module specifier and one of its exports. */
export interface FnRef {
  module: string;
  export: string;
}

/** Marks a dependency inside task arguments; the worker replaces it with the value. */
export interface KeyRef {
  __gluonRef: string;
}

/** Longest task `timeoutMs`: the most a Node timer can wait (about 24.8 days). */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** A task as the client submits it. */
export interface TaskSpec {
  key: string;
  fn: FnRef;
  /**
   * The task's group for the dashboard and statistics (the user's prefix or the function's
   * export name). Carried explicitly: keys are never parsed for it. Default: `fn.export`.
   */
  group?: string;
  args: unknown[];
  deps: string[];
  priority?: number;
  retries?: number;
  /**
   * Milliseconds the task may run on a worker before it is stopped (its thread terminated) and
   * fails with a timeout error; counted against `retries` like an exception. Default: no limit.
   */
  timeoutMs?: number;
}

/** Why a task failed, as clients and the dashboard see it. */
export interface TaskError {
  message: string;
  name: string;
  stack: string;
  key: string;
  worker: string;
  retriesUsed: number;
  kind: 'exception' | 'worker-died' | 'not-allowed' | 'cancelled' | 'lost' | 'bad-input' | 'too-large';
  /**
   * Protocol 19: the thrown error's `code` (a string; a number arrives as its decimal string),
   * and a system error's `errno`, `syscall` and `path`, when it had them within their bounds
   * (ops.ts, MAX_ERROR_CODE, MAX_ERROR_PATH).
   */
  code?: string;
  errno?: number;
  syscall?: string;
  path?: string;
}

/** Resource figures a worker reports in each heartbeat. */
export interface WorkerMetrics {
  cpu: number;
  rss: number;
  memoryLimit: number;
  executing: number;
  ready: number;
  stored: number;
  storedBytes: number;
  time: number;
  /** RSS is over `memoryLimit`: the worker starts no new tasks, and the scheduler places none on it. */
  paused?: boolean;
  /**
   * Cancelled tasks whose threads the worker terminated since it started, because they still ran
   * after the cancel grace (protocol 18; the worker logs each).
   */
  cancelledStopped?: number;
}

export interface Hello {
  op: 'hello';
  role: Role;
  protocol: number;
  version: string;
  token?: string;
  name?: string;
  /** The sender's largest accepted frame and (chunked) message, so the listener sends nothing larger. */
  maxFrameBytes?: number;
  maxMessageBytes?: number;
  /** worker only: its data listener address */
  address?: string;
  nthreads?: number;
  memoryLimit?: number;
  pid?: number;
  host?: string;
  /**
   * client: an id the client keeps across reconnects, so the scheduler can retire the client's
   * previous connection once the new one has re-sent its graph. worker (protocol 13): random, one
   * per worker process, so the scheduler tells the same worker reconnecting (its old connection
   * may not be seen closed yet) from another process claiming its data address.
   */
  session?: string;
}

export interface Welcome {
  op: 'welcome';
  protocol: number;
  version: string;
  /** The listener's limits, as in {@link Hello}. */
  maxFrameBytes?: number;
  maxMessageBytes?: number;
  /** What the listener checked (protocol 22): a token, a client certificate (see guard.ts). */
  tokenRequired: boolean;
  clientCertRequired: boolean;
  [field: string]: unknown;
}

export interface Rejected {
  op: 'rejected';
  reason: string;
  code: number;
}

/** Any message: an `op` plus fields. Handlers narrow by `op`. */
export interface Message {
  op: string;
  id?: number;
  replyTo?: number;
  [field: string]: unknown;
}

/** Close codes used by every listener. */
export const CloseCode = {
  normal: 1000,
  going: 1001,
  tooLarge: 1009,
  badToken: 4001,
  versionMismatch: 4002,
  protocolError: 4003,
  handshakeTimeout: 4004,
  replaced: 4005,
  /**
   * Not a close frame: the listener answered the upgrade with HTTP 403 (its `Host` or `Origin`
   * check refused the request). Reported by `connect` so callers can tell it from a network error.
   */
  forbidden: 4006,
  /** The scheduler declared the worker dead (no heartbeat within its TTL); it may register anew. */
  expired: 4007,
  /**
   * Not a close frame either: a TLS mismatch found while connecting (a plain client to a TLS
   * listener or the reverse, an unknown CA, an expired or misnamed certificate, a client
   * certificate missing or refused). Retrying cannot fix it.
   */
  tls: 4008,
  /**
   * A keep-alive gave up: nothing (no frame, no pong) arrived for its limit. Sent in a close
   * frame before the socket is let go, so a peer that was only stalled learns why it was dropped.
   */
  silent: 4009,
  /**
   * The peer did not read: more than the send-backlog limit (`maxSendBacklogBytes`) waited to be
   * written to it. Its state is handled as for any lost connection.
   */
  backlog: 4010,
  /**
   * The hello was refused for one of its fields (a missing or mistyped one, a name or host over
   * its bound or holding a control character): the same process would send the same hello
   * again, so retrying cannot fix it. Before, this was 4003 and a worker retried forever.
   */
  badHello: 4011,
  /**
   * A worker's hello gave the data address of a worker registered and alive here, and it is not
   * that worker's own reconnect (another session): one address is one live worker, so the first
   * keeps its registration and the newcomer is refused until the first is gone (it left, or was
   * expired after the heartbeat TTL of silence). A worker retries. Before, the newcomer replaced
   * the live worker: its connection closed and its tasks were run again elsewhere.
   */
  addressInUse: 4012,
  /**
   * A worker holding a token found that the scheduler requires none (nor a client certificate):
   * anyone who reaches that scheduler could run tasks on it, so it refuses to serve it and
   * closes with this (the scheduler's log names why). Retrying cannot fix it.
   */
  tokenUnchecked: 4013,
  /**
   * The listener does not serve the role the hello gave: a worker given another worker's data
   * address (its `worker … at …` line) instead of the scheduler's. Retrying cannot fix it. Before,
   * this was 4003 and the worker waited for ever, saying only `waiting for the scheduler`.
   */
  wrongRole: 4014,
} as const;
