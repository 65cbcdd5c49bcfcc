import type { RemoteFunction } from './remote.js';

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

/** Arguments may be values, futures or other delayed calls. */
export type Lazy<T> = T | Delayed<T> | { readonly key: string; result(): Promise<T> };
type LazyArgs<A extends unknown[]> = { [I in keyof A]: Lazy<A[I]> };

/**
 * Wraps a remote function so calling it builds a graph node instead of running:
 * `const total = delayed(add)(delayed(inc)(1), delayed(inc)(2))`.
 */
export function delayed<F extends AnyFn>(fn: RemoteFunction<F>): (...args: LazyArgs<Parameters<F>>) => Delayed<Awaited<ReturnType<F>>> {
  return (...args) => new Delayed(fn, args);
}
