import type { TaskError as TaskErrorInfo } from '@gluon/protocol';
import { CancelledError, ClientClosedError, ReleasedFutureError, TaskError } from './errors.js';
import type { LazyGraph } from './lazy-graph.js';

/** The shared empty worker list of keys not (or no longer) in memory. */
const NO_WORKERS: readonly string[] = Object.freeze([]);

/** Distinct one-worker lists kept by {@link WorkerLists}; beyond it the cache starts again. */
const SHARED_LISTS = 1024;

/**
 * One shared array per worker for the results that worker alone holds (nearly all of them), in
 * place of the array and address string each `key-in-memory` decodes: a state keeps its list
 * until its futures are released or collected, which for futures dropped without a release is the
 * client's next major collection, and every scavenge until then copies what it keeps (two of the
 * ~8 objects, ~100 of ~800 bytes, per sequential round trip; docs/internals.md, "(b) on a quiet
 * machine"). The lists are frozen: a state's list is replaced, never changed.
 */
export class WorkerLists {
  private readonly one = new Map<string, readonly string[]>();

  /** Distinct one-worker lists kept. */
  get size(): number {
    return this.one.size;
  }

  of(list: readonly string[]): readonly string[] {
    if (list.length === 0) return NO_WORKERS;
    if (list.length > 1) return list;
    const addr = list[0]!;
    let shared = this.one.get(addr);
    if (!shared) {
      if (this.one.size >= SHARED_LISTS) this.one.clear();
      shared = Object.freeze([addr]);
      this.one.set(addr, shared);
    }
    return shared;
  }
}

/**
 * `released`: this Future object was released (`future.release()`, `client.release()`): its
 * result is no longer held for it, whatever became of the task.
 */
export type FutureStatus = 'pending' | 'finished' | 'error' | 'cancelled' | 'lost' | 'released';

/**
 * What the client knows about one key, shared by every Future object for that key. The client
 * holds one reference on the scheduler per key; `handles` counts the live Future objects that
 * share it, and the reference is dropped when the last one is released or collected.
 */
export class KeyState {
  /** States made so far in this process: {@link order}'s counter. */
  static made = 0;
  /**
   * When this state was made, in the process's order: a graph built as it is sent takes the
   * scheduler to know a key held by an older state only (a newer hold's spec may still be
   * queued behind that graph).
   */
  readonly order = KeyState.made++;
  status: FutureStatus = 'pending';
  hasValue = false;
  value: unknown = undefined;
  error: TaskErrorInfo | null = null;
  /** Data addresses of the workers holding the result, from the latest `key-in-memory` (replaced, never changed). */
  workers: readonly string[] = NO_WORKERS;
  /** Bumped by every `key-in-memory`, so a stale who-has answer cannot override fresher news. */
  gen = 0;
  handles = 0;
  /**
   * Futures whose result() or exception() is being awaited. Holding them here (the client holds
   * this state) keeps `await client.submit(f, x).result()` from losing its only Future to the
   * garbage collector mid-wait, which would release the key and leave the wait hanging. One
   * future is kept as itself, several in a set: a Set and its table per round trip were garbage.
   */
  pin(future: object): void {
    const p = this.pins;
    if (p === undefined) this.pins = future;
    else if (p instanceof Set) p.add(future);
    else if (p !== future) this.pins = new Set([p, future]);
  }

  /**
   * The wait on `future` is over. The set goes once empty: a state outlives its awaits until the
   * client's next major collection finds its futures (thousands, in sequential round trips), and
   * an empty Set with its table was ~150 of the ~800 bytes each one kept alive meanwhile, copied
   * by every scavenge of the client's (docs/internals.md, "(b) on a quiet machine").
   */
  unpin(future: object): void {
    const p = this.pins;
    if (p === future) this.pins = undefined;
    else if (p instanceof Set && p.delete(future) && p.size === 0) this.pins = undefined;
  }
  /** False once the scheduler dropped this client's reference itself (cancel). */
  held = true;
  /** Why it settled without a result: the lost connection (`lost`), or the call that released it (`released`). */
  private lostReason = '';
  /** Set when the task was cancelled before it was built: what it was (`map(): element 7`). */
  private unsent: string | undefined;
  // Both made on first use: a million-task map() keeps a KeyState per key and waits on few.
  /** One awaited future (nearly always), or a set of several; see {@link pin}. */
  private pins: object | Set<object> | undefined;
  private waiters: Array<() => void> | undefined;

  constructor(readonly key: string) {}

  get done(): boolean {
    return this.status !== 'pending';
  }

  /** Resolves once the key is no longer pending. */
  settled(): Promise<void> {
    if (this.done) return Promise.resolve();
    return new Promise((r) => (this.waiters ??= []).push(r));
  }

  /** Calls `cb` once the key is no longer pending (at once if it already is). */
  onSettled(cb: () => void): void {
    if (this.done) cb();
    else (this.waiters ??= []).push(cb);
  }

  /** The result is in memory on `workers`; `inline` carries it when it was small. */
  inMemory(workers: readonly string[], inline: { value: unknown } | undefined): void {
    this.gen++;
    this.status = 'finished';
    this.error = null;
    this.workers = workers;
    if (inline) this.setValue(inline.value);
    this.wake();
  }

  setValue(value: unknown): void {
    this.hasValue = true;
    this.value = value;
  }

  erred(error: TaskErrorInfo): void {
    this.status = 'error';
    this.error = error;
    this.wake();
  }

  /** The client lost its scheduler before this key finished (`unsent`: before its task was built). */
  disconnected(reason: string, unsent?: string): void {
    this.unsent = unsent;
    this.status = 'lost';
    this.lostReason = reason;
    this.wake();
  }

  /** Cancelled; `unsent` names a task cancelled before it was built (it has no key). */
  cancelled(unsent?: string): void {
    this.unsent = unsent;
    this.status = 'cancelled';
    this.held = false;
    this.wake();
  }

  /**
   * The client let go of this key while it was pending: its last future was released (`by` names
   * the call) or collected. No news of the key comes any more (the client dropped it), so it
   * settles as released: a `wait()`, `asCompleted()` or `gather()` on it waited for ever.
   */
  letGo(by: string): void {
    if (this.done) return;
    this.status = 'released';
    this.lostReason = by;
    this.wake();
  }

  /** Back to pending: a retry, or the only copy was lost and is being recomputed. */
  reset(): void {
    this.status = 'pending';
    this.hasValue = false;
    this.value = undefined;
    this.error = null;
    this.workers = NO_WORKERS;
  }

  /** The error a caller sees for a key that did not finish. */
  failure(): Error {
    if (this.status === 'cancelled') return new CancelledError(this.key, this.unsent);
    if (this.status === 'released') return new ReleasedFutureError(this.key, this.lostReason);
    if (this.status === 'lost' && !this.error) {
      return new ClientClosedError(`${this.lostReason} before ${this.unsent ? `${this.unsent} was sent` : `${this.key} finished`}`);
    }
    if (this.error) return new TaskError(this.error);
    return new Error(`task ${this.key} is ${this.status}`);
  }

  private wake(): void {
    const w = this.waiters;
    if (!w) return;
    this.waiters = undefined;
    for (const f of w) f();
  }
}

/** The operations a Future delegates to its client. */
export interface FutureHost {
  resultOf(state: KeyState): Promise<unknown>;
  releaseFuture(future: Future): void;
  cancel(futures: Future[]): Promise<void>;
  retry(futures: Future[]): Promise<void>;
}

/**
 * A task's eventual result, living on a worker. Passing a future as a task argument makes a
 * dependency; the value never visits the client. Futures are not thenable on purpose: `await
 * future` would be ambiguous between "the future" and "its value"; call `result()`.
 */
export class Future<T = unknown> {
  /** The call that released this future (`future.release()`, `client.release()`); undefined while it is not. */
  private releasedBy: string | undefined = undefined;
  /**
   * Tasks of a graph still being built (see LazyGraph) that will name this future: until they
   * are built, its hold on the key stays (a release waits), so their dependency is still there.
   */
  private pins = 0;
  /** Phantom: the value type. */
  declare readonly __value?: T;
  private bound: KeyState | undefined;

  /**
   * @internal A future of a large `map()`, `persist()` or `treeReduce()` is made before its
   * task is built (unit `index` of `job`): it is bound to its key's state when the graph is
   * built up to it (see LazyGraph).
   */
  constructor(state: KeyState | undefined, private readonly host: FutureHost, private job?: LazyGraph, private readonly index = 0) {
    this.bound = state;
  }

  /** @internal What the client knows about the key (builds a lazy map up to this future). */
  get state(): KeyState {
    if (!this.bound) {
      // Cancelled before it was built: settled, without building anything.
      if (this.job!.isSettled(this.index)) this.bind(this.job!.settledState(this.index));
      else this.job!.bindThrough(this.index);
    }
    return this.bound!;
  }

  /** @internal */
  bind(state: KeyState): void {
    this.bound = state;
    this.job = undefined;
  }

  /** @internal False while its map is still to be built up to it (and it was not cancelled meanwhile). */
  get isBound(): boolean {
    return this.bound !== undefined || this.job!.isSettled(this.index);
  }

  /** @internal Resolves once this future is bound (at once unless its map is still being built). */
  whenBound(): Promise<void> {
    return this.bound ? Promise.resolve() : this.job!.whenBound(this.index);
  }

  /**
   * @internal Cancels this future's task if it has not been built yet (it never will be);
   * false if it has a key already (built, or known: the cancel goes by its key).
   */
  cancelUnbuilt(): boolean {
    if (this.bound || !this.job!.cancellable(this.index)) return false;
    this.job!.cancelUnit(this.index);
    return true;
  }

  /**
   * The task's key. A future cancelled before its task was built has none: it gets a
   * placeholder, `unsent-N`.
   */
  get key(): string {
    return this.state.key;
  }

  get status(): FutureStatus {
    if (this.releasedBy !== undefined) return 'released';
    return this.bound ? this.bound.status : this.job!.isSettled(this.index) ? this.state.status : 'pending';
  }

  /** True once the task finished, failed or was cancelled, or this future was released. */
  get done(): boolean {
    if (this.releasedBy !== undefined) return true;
    return this.bound ? this.bound.done : this.job!.isSettled(this.index);
  }

  /**
   * The value: inline from the scheduler for small results, otherwise fetched from a worker that
   * holds it. Rejects with `TaskError` if the task failed, `CancelledError` if it was cancelled,
   * `ReleasedFutureError` if this future was released (before the call or while it waited).
   */
  result(): Promise<T> {
    if (this.releasedBy !== undefined) return Promise.reject(this.releasedError());
    if (!this.isBound) return this.whenBound().then(() => this.result());
    const state = this.state;
    // One promise, settled from the state's wake-up when the value came inline (at once when the
    // key settled already: onSettled calls back then), the usual case of `await client.submit(f,
    // x).result()`. Through resultOf (an async function awaiting the state's own promise) and a
    // `finally`, the caller's `await` resumed four microtasks after the scheduler's notice was
    // taken in, behind five promises and their closures.
    return new Promise<T>((resolve, reject) => {
      state.pin(this);
      state.onSettled(() => {
        if (this.releasedBy !== undefined) {
          state.unpin(this);
          reject(this.releasedError());
          return;
        }
        if (state.status === 'finished' && state.hasValue) {
          state.unpin(this);
          resolve(state.value as T);
          return;
        }
        this.host.resultOf(state).then((v) => {
          state.unpin(this);
          resolve(v as T);
        }, (err: unknown) => {
          state.unpin(this);
          reject(err);
        });
      });
    });
  }

  /**
   * The failure, if the task failed; undefined if it finished (waits for the task). A released
   * future's is the `ReleasedFutureError` its `result()` rejects with.
   */
  exception(): Promise<Error | undefined> {
    if (this.releasedBy !== undefined) return Promise.resolve(this.releasedError());
    if (!this.isBound) return this.whenBound().then(() => this.exception());
    return this.whileAwaited(this.state.settled().then(() => {
      if (this.releasedBy !== undefined) return this.releasedError();
      return this.state.status === 'finished' ? undefined : this.state.failure();
    }));
  }

  /** @internal Why this released future has no result; `asked` names the call that wanted it. */
  releasedError(asked?: string): ReleasedFutureError {
    return new ReleasedFutureError(this.key, this.releasedBy ?? 'release()', asked);
  }

  /** Keeps this future alive (see KeyState.pin) until `p` settles. */
  private whileAwaited<V>(p: Promise<V>): Promise<V> {
    const state = this.state;
    state.pin(this);
    return p.finally(() => state.unpin(this));
  }

  /** Cancels the task (and everything depending on it) unless it already finished. */
  cancel(): Promise<void> {
    return this.host.cancel([this]);
  }

  /** Runs the task again if it failed. */
  retry(): Promise<void> {
    return this.host.retry([this]);
  }

  /** @internal A graph being built will name this future (see {@link pins}). */
  pin(): void {
    this.pins++;
  }

  /** @internal That graph's task naming it was built; a release made meanwhile takes effect. */
  unpin(): void {
    if (--this.pins === 0 && this.releasedBy !== undefined && this.bound) this.host.releaseFuture(this);
  }

  /** @internal Still to be named by a graph being built (see {@link pins}). */
  get pinned(): boolean {
    return this.pins > 0;
  }

  /**
   * Drops this future's hold on the result; the cluster frees it once nothing needs it. Its
   * `status` reads `released` from now on, and its `result()` rejects with `ReleasedFutureError`.
   */
  release(): void {
    this.releaseBy('future.release()');
  }

  /** @internal {@link release}, by the call named (`client.release()`, `compute()`). */
  releaseBy(by: string): void {
    if (this.releasedBy !== undefined) return;
    this.releasedBy = by;
    // Not bound yet: its map, when built up to it, holds nothing for it (unless pinned: then
    // it is built, held, and let go at the unpin). Pinned: the hold goes at the unpin.
    if (this.bound && this.pins === 0) this.host.releaseFuture(this);
  }

  get isReleased(): boolean {
    return this.releasedBy !== undefined;
  }

  /** @internal The call that released this future, if it was. */
  get releaseCall(): string | undefined {
    return this.releasedBy;
  }

  toString(): string {
    return `Future(${this.bound ? this.key : 'not yet built'}, ${this.status})`;
  }
}
