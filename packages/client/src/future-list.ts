import { describeValue } from './describe.js';
import { Future } from './future.js';

/** What a single future may be told to do instead, per call that takes many. */
const ONE: Record<string, string> = {
  'cancel()': ', or call future.cancel()',
  'retry()': ', or call future.retry()',
  'release()': ', or call future.release()',
};

/**
 * The futures a call that takes many of them (`wait`, `asCompleted`, `cancel`, `retry`,
 * `release`) was given, as an array, every element checked before the call does anything: a
 * single future (Dask's `client.cancel(future)` habit), a number or a non-future element is a
 * TypeError naming the call, the element and what it got. Unchecked, they failed inside the call
 * (`futures is not iterable`, `f.cancelUnbuilt is not a function`), after acting on the elements
 * before them, or (`retry`) did nothing.
 */
export function futureList<T>(x: Iterable<Future<T>>, what: string): Array<Future<T>> {
  const list = iterableList(x, what, 'an array of futures');
  for (let i = 0; i < list.length; i++) {
    if (!(list[i] instanceof Future)) throw new TypeError(`${what}: element ${i} is not a future: got ${describeValue(list[i])}`);
  }
  return list as Array<Future<T>>;
}

/**
 * `x` as an array when it is an array or another iterable (not a string); otherwise a TypeError
 * saying the call takes `takes` and what it got instead.
 */
export function iterableList(x: unknown, what: string, takes: string): unknown[] {
  if (Array.isArray(x)) return x;
  if (x !== null && typeof x === 'object' && !(x instanceof Future) && typeof (x as Iterable<unknown>)[Symbol.iterator] === 'function') return [...(x as Iterable<unknown>)];
  const single = x instanceof Future ? `; pass [future]${ONE[what] ?? ''}` : '';
  throw new TypeError(`${what}: takes ${takes}, got ${describeValue(x)}${single}`);
}

/**
 * The iterables `map()` was given (one per parameter of the task), as arrays: each must be an
 * iterable object, else a TypeError names it as the call's argument and says what came instead.
 */
export function mapLists(iterables: readonly unknown[]): unknown[][] {
  return (iterables as Array<Iterable<unknown>>).map((it, i) => {
    // Counted as the call's arguments (the function is the first), with what came instead: a
    // string is refused too (its characters would be the elements, one task each).
    if (it === null || typeof it !== 'object' || !(Symbol.iterator in it)) {
      throw new TypeError(`map(): argument ${i + 2} (iterable ${i + 1} of the tasks' arguments) is not an iterable object: got ${describeValue(it)}; pass an array of arguments, one element per task`);
    }
    return Array.isArray(it) ? it : [...it];
  });
}
