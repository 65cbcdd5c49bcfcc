import { describeValue } from './describe.js';
import { Future } from './future.js';
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

/**
 * The roots of `persist()`/`compute()` (one delayed call, or an array of them), each checked
 * before anything is built: anything else is a TypeError naming the call, the root and what it
 * got (it used to fail inside the graph walk: `Cannot read properties of undefined`).
 */
export function delayedRoots(x: unknown, what: 'persist()' | 'compute()'): Delayed[] {
  const roots: unknown[] = Array.isArray(x) ? x : [x];
  for (let i = 0; i < roots.length; i++) {
    const r = roots[i];
    if (r instanceof Delayed) continue;
    const where = Array.isArray(x) ? `root ${i}` : 'its argument';
    const hint = r instanceof Future
      ? `, which is submitted already: its value is future.result(), or client.gather(futures) for several`
      : `; ${what} takes a delayed call, delayed(fn)(…args), or an array of them`;
    throw new TypeError(`${what}: ${where} is not a delayed call: got ${describeValue(r)}${hint}`);
  }
  return roots as Delayed[];
}
