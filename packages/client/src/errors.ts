import type { TaskError as TaskErrorInfo } from '@gluon/protocol';

/**
 * A task failed. The message names the task key and the worker; `remoteName` and `remoteStack`
 * are the thrown error's name and its stack from the worker thread, `code` (and a system error's
 * `errno`, `syscall`, `path`) its own fields.
 */
export class TaskError extends Error {
  readonly key: string;
  readonly worker: string;
  readonly remoteName: string;
  readonly remoteStack: string;
  readonly kind: TaskErrorInfo['kind'];
  readonly retriesUsed: number;
  /**
   * The thrown error's `code` (`'ENOENT'`, a library's `'BAD_INPUT'`; a number arrives as its
   * decimal string), to branch on; undefined when it had none (or one over 256 characters, with
   * a control character, or not a string or number). Dependents failing with it carry it too.
   */
  readonly code: string | undefined;
  /** A system error's `errno` (`-2`), `syscall` (`'open'`) and `path`, as Node gives them. */
  readonly errno: number | undefined;
  readonly syscall: string | undefined;
  readonly path: string | undefined;

  constructor(info: TaskErrorInfo, askedFor?: string) {
    const where = info.worker ? ` on worker ${info.worker}` : '';
    const via = askedFor && askedFor !== info.key ? ` (needed by ${askedFor})` : '';
    super(`task ${info.key} failed${where}${via}: ${info.name}: ${info.message}`);
    this.name = 'TaskError';
    this.key = info.key;
    this.worker = info.worker;
    this.remoteName = info.name;
    this.remoteStack = info.stack;
    this.kind = info.kind;
    this.retriesUsed = info.retriesUsed;
    this.code = info.code;
    this.errno = info.errno;
    this.syscall = info.syscall;
    this.path = info.path;
    if (info.stack) this.stack = `${this.name}: ${this.message}\n--- remote stack (${info.worker || 'worker'}) ---\n${info.stack}`;
  }
}

/** The future was cancelled before it finished. */
export class CancelledError extends Error {
  /** `unsent` names a task cancelled before it was built or sent (`map(): element 7`): it had no key. */
  constructor(readonly key: string, unsent?: string) {
    super(unsent ? `${unsent} was cancelled before it was sent` : `task ${key} was cancelled`);
    this.name = 'CancelledError';
  }
}

/**
 * The future was released (`future.release()`, `client.release()`), so its result is no longer
 * held for it: `result()` and `gather()` reject with this, `exception()` resolves with it. The
 * message names the key and the call that released it; `releasedBy` holds that call.
 */
export class ReleasedFutureError extends Error {
  constructor(readonly key: string, readonly releasedBy: string, asked?: string) {
    super(`${asked ? `${asked}: ` : ''}future ${key} was released by ${releasedBy}; its result is no longer held`);
    this.name = 'ReleasedFutureError';
  }
}

/** An argument cannot travel to a worker; the message carries its path, e.g. `args[1].config.fn`. */
export class SerializationError extends TypeError {
  constructor(readonly path: string, what: string) {
    super(`${path} ${what}`);
    this.name = 'SerializationError';
  }
}

/** The client is closed, or lost its scheduler connection; the message says which. */
export class ClientClosedError extends Error {
  constructor(reason: string) {
    super(`this client cannot be used: ${reason || 'it is closed'}`);
    this.name = 'ClientClosedError';
  }
}

/**
 * A finished result cannot be brought to this client: its value is over a message limit (the
 * client's `maxMessageBytes` or the worker's `--max-message-bytes`). The message names the key,
 * the size and the limit. Fetching it again would fail the same way, so it is not retried.
 */
export class ResultTooLargeError extends Error {
  constructor(readonly key: string, readonly reason: string) {
    super(`cannot fetch the result of ${key}: ${reason}`);
    this.name = 'ResultTooLargeError';
  }
}
