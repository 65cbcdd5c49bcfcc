import type { TaskError as TaskErrorInfo } from '@gluon/protocol';
import { CancelledError, TaskError } from './errors.js';

export type FutureStatus = 'pending' | 'finished' | 'error' | 'cancelled' | 'lost';

/**
 * What the client knows about one key, shared by every Future object for that key.
 * `refs` counts live Future objects: each holds one reference on the scheduler.
 */
export class KeyState {
  status: FutureStatus = 'pending';
  hasValue = false;
  value: unknown = undefined;
  error: TaskErrorInfo | null = null;
  refs = 0;
  private waiters: Array<() => void> = [];

  constructor(readonly key: string) {}

  get done(): boolean {
    return this.status !== 'pending';
  }

  /** Resolves once the key is no longer pending. */
  settled(): Promise<void> {
    if (this.done) return Promise.resolve();
    return new Promise((r) => this.waiters.push(r));
  }

  finished(value: { value: unknown } | undefined): void {
    this.status = 'finished';
    if (value) {
      this.hasValue = true;
      this.value = value.value;
    }
    this.wake();
  }

  erred(error: TaskErrorInfo): void {
    this.status = 'error';
    this.error = error;
    this.wake();
  }

  cancelled(): void {
    this.status = 'cancelled';
    this.wake();
  }

  reset(): void {
    this.status = 'pending';
    this.hasValue = false;
    this.value = undefined;
    this.error = null;
  }

  /** The error a caller sees for a key that did not finish. */
  failure(): Error {
    if (this.status === 'cancelled') return new CancelledError(this.key);
    if (this.error) return new TaskError(this.error);
    return new Error(`task ${this.key} is ${this.status}`);
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}

/** The operations a Future delegates to its client. */
export interface FutureHost {
  resultOf(state: KeyState): Promise<unknown>;
  releaseKey(state: KeyState): void;
  cancel(futures: Future[]): Promise<void>;
  retry(futures: Future[]): Promise<void>;
}

/**
 * A task's eventual result, living on a worker. Passing a future as a task argument makes a
 * dependency; the value never visits the client.
 */
export class Future<T = unknown> {
  private released = false;

  /** @internal */
  constructor(readonly state: KeyState, private readonly host: FutureHost) {}

  get key(): string {
    return this.state.key;
  }

  get status(): FutureStatus {
    return this.state.status;
  }

  get done(): boolean {
    return this.state.done;
  }

  /** The value, fetched from the worker that holds it; throws `TaskError` if the task failed. */
  result(): Promise<T> {
    if (this.released) return Promise.reject(new Error(`future ${this.key} was released`));
    return this.host.resultOf(this.state) as Promise<T>;
  }

  /** The failure, if the task failed; undefined otherwise (waits for the task). */
  async exception(): Promise<Error | undefined> {
    await this.state.settled();
    return this.state.status === 'finished' ? undefined : this.state.failure();
  }

  cancel(): Promise<void> {
    return this.host.cancel([this]);
  }

  retry(): Promise<void> {
    return this.host.retry([this]);
  }

  /** Drops this future's hold on the result; the cluster frees it once nothing needs it. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.host.releaseKey(this.state);
  }

  get isReleased(): boolean {
    return this.released;
  }

  toString(): string {
    return `Future(${this.key}, ${this.status})`;
  }
}
