import type { Future } from './future.js';
import { assertRemote, type RemoteFunction } from './remote.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFn = (...args: any[]) => any;

/** A lazy call of a remote function; build graphs from these, then `compute` or `persist` them. */
export class Delayed<T = unknown> {
  /** Set once the node has been turned into a task spec. */
  key: string | undefined;
  /** Phantom: the value type. */
  declare readonly __value?: T;
  constructor(readonly fn: RemoteFunction, readonly args: unknown[]) {}
}

/** An argument value, or something that stands for it on the cluster (nested anywhere). */
export type Deferred<T> =
  | T
  | Future<T>
  | Delayed<T>
  | (T extends ArrayBufferView ? never
    : T extends readonly (infer E)[] ? Array<Deferred<E>>
    : T extends Record<string, unknown> ? { [K in keyof T]: Deferred<T[K]> }
    : never);

/** A task's parameters, each of which may also be given as a future or delayed value. */
export type DeferredArgs<A extends unknown[]> = { [I in keyof A]: Deferred<A[I]> };

/**
 * Wraps a remote function so calling it builds a graph node instead of running:
 * `const total = delayed(add)(delayed(inc)(1), delayed(inc)(2))`.
 */
export function delayed<F extends AnyFn>(fn: RemoteFunction<F>): (...args: DeferredArgs<Parameters<F>>) => Delayed<Awaited<ReturnType<F>>> {
  assertRemote(fn, 'delayed()');
  return (...args) => new Delayed(fn, args);
}
