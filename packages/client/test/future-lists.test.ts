/**
 * The calls that take futures (wait, asCompleted, cancel, retry, release, treeReduce), and map's
 * iterables, given something else: a TypeError naming the call, the element and what it got. Plain JavaScript
 * callers (and Dask habits: `client.cancel(future)`) used to get `futures is not iterable`,
 * `f.cancelUnbuilt is not a function`, `futures[i].whenBound is not a function`; `retry([5])`
 * did nothing, and `treeReduce(fn, future)` returned undefined instead of a future.
 */
import t from 'tap';
import { remoteFrom } from '@gluon/client';
import { sharedCluster } from './shared-cluster.js';

const { inc, add, mergeHistograms } = remoteFrom<typeof import('@gluon/examples/tasks')>('@gluon/examples/tasks');

const { client } = await sharedCluster(t, { nWorkers: 1, dashboard: false });

/** The error `f` throws or rejects with. */
async function refusal(f: () => unknown): Promise<Error | undefined> {
  try {
    await f();
  } catch (e) {
    return e as Error;
  }
  return undefined;
}

t.test('a single future, a number or a non-future element is named, with what it is', async (t) => {
  const f = client.submit(inc, 1);
  await f.result();
  const key = f.key;
  const any = client as unknown as Record<string, (...a: unknown[]) => unknown>;
  const drain = async (x: unknown) => { for await (const _ of client.asCompleted(x as never)); };
  const cases: Array<[string, () => unknown, RegExp]> = [
    ['wait(future)', () => any.wait!(f), new RegExp(`^wait\\(\\): takes an array of futures, got a Future \\(${key}\\); pass \\[future\\]$`)],
    ['wait([5])', () => any.wait!([5]), /^wait\(\): element 0 is not a future: got the number 5$/],
    ['wait(5)', () => any.wait!(5), /^wait\(\): takes an array of futures, got the number 5$/],
    ['asCompleted(future)', () => drain(f), /^asCompleted\(\): takes an array of futures, got a Future \(.*\); pass \[future\]$/],
    ['asCompleted([f, "x"])', () => drain([f, 'x']), /^asCompleted\(\): element 1 is not a future: got the string "x"$/],
    ['cancel(future)', () => any.cancel!(f), /^cancel\(\): takes an array of futures, got a Future \(.*\); pass \[future\], or call future\.cancel\(\)$/],
    ['cancel([5])', () => any.cancel!([5]), /^cancel\(\): element 0 is not a future: got the number 5$/],
    ['retry([5])', () => any.retry!([5]), /^retry\(\): element 0 is not a future: got the number 5$/],
    ['retry(future)', () => any.retry!(f), /^retry\(\): takes an array of futures, got a Future \(.*\); pass \[future\], or call future\.retry\(\)$/],
    ['release([f, {}])', () => any.release!([f, {}]), /^release\(\): element 1 is not a future: got a plain object$/],
    ['release(future)', () => any.release!(f), /^release\(\): takes an array of futures, got a Future \(.*\); pass \[future\], or call future\.release\(\)$/],
    ['treeReduce(fn, future)', () => any.treeReduce!(add, f), /^treeReduce\(\): takes an array \(or another iterable\) of futures, delayed calls or values to reduce, got a Future \(.*\); pass \[future\]$/],
    ['treeReduce(fn, 5)', () => any.treeReduce!(add, 5), /^treeReduce\(\): takes an array \(or another iterable\) of futures, delayed calls or values to reduce, got the number 5$/],
    // map's iterables were numbered from 1 after the function, without what came instead
    // (`map(): argument 1 is not iterable` for map(inc, 5), whose 5 is the call's second argument).
    ['map(fn, 5)', () => any.map!(inc, 5), /^map\(\): argument 2 \(iterable 1 of the tasks' arguments\) is not an iterable object: got the number 5; pass an array of arguments, one element per task$/],
    ['map(fn, [1], "ab")', () => any.map!(add, [1], 'ab'), /^map\(\): argument 3 \(iterable 2 of the tasks' arguments\) is not an iterable object: got the string "ab"; /],
  ];
  for (const [name, call, re] of cases) {
    const err = await refusal(call);
    t.type(err, TypeError, `${name} throws a TypeError`);
    t.match(err?.message, re, name);
  }
  // Nothing was released or cancelled by the refused calls: the future still has its result.
  t.equal(f.status, 'finished');
  t.equal(await f.result(), 2);
  // Iterables other than arrays still work where they did (a Set of futures).
  const g = client.submit(inc, 2);
  t.same((await client.wait(new Set([f, g]) as never)).done.length, 2, 'wait() of a Set');
  const seen: number[] = [];
  for await (const x of client.asCompleted(new Set([f, g]))) seen.push(await x.result());
  t.same(seen.sort(), [2, 3], 'asCompleted() of a Set');
});

t.test('treeReduce of no inputs says inputs, not futures (they may be delayed calls or values)', async (t) => {
  // Before: `treeReduce: no futures to reduce`, for a call whose inputs need not be futures.
  t.throws(() => client.treeReduce(mergeHistograms, []), { name: 'RangeError', message: 'treeReduce: no inputs to reduce' }, 'an empty array');
  t.throws(() => client.treeReduce(mergeHistograms, new Set<Float64Array>()), { name: 'RangeError', message: 'treeReduce: no inputs to reduce' }, 'an empty Set');
});

t.test('the async calls reject with the refusal, the others throw it, as the README says', async (t) => {
  const f = client.submit(inc, 1);
  await f.result();
  const any = client as unknown as Record<string, (...a: unknown[]) => unknown>;
  for (const name of ['wait', 'cancel', 'retry', 'compute']) {
    let p: unknown;
    t.doesNotThrow(() => { p = any[name]!(name === 'compute' ? 5 : f); }, `${name}() does not throw`);
    await t.rejects(p as Promise<unknown>, TypeError, `${name}() rejects`);
  }
  const gen = client.asCompleted(f as never);
  await t.rejects(gen.next(), TypeError, 'asCompleted() throws from its first step');
  t.throws(() => any.release!(f), TypeError, 'release() throws');
  t.throws(() => any.treeReduce!(add, f), TypeError, 'treeReduce() throws');
  t.throws(() => any.persist!(5), TypeError, 'persist() throws');
  t.equal(await f.result(), 2, 'nothing was done to the future');
});
