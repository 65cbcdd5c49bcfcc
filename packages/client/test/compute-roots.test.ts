/**
 * compute() and persist() given something other than delayed calls: a TypeError naming the call,
 * the root and what it got, before anything is built or sent. They failed deep in the graph walk
 * with `TypeError: Cannot read properties of undefined (reading 'length')` (or `'args'`).
 */
import t from 'tap';
import { delayed, remoteFrom, type Delayed } from '@gluon/client';
import { sharedCluster } from './shared-cluster.js';

const { inc } = remoteFrom<typeof import('@gluon/examples/tasks')>('@gluon/examples/tasks');

const { client } = await sharedCluster(t, { nWorkers: 1, dashboard: false });

t.test('a root that is not a delayed call is named, with what it is', async (t) => {
  // Plain JavaScript callers (and casts) can pass anything; each case is what a user tried.
  const call = (f: (x: never) => unknown, x: unknown) => () => f(x as never);
  const compute = (x: unknown) => call((y) => client.compute(y), x);
  const persist = (x: unknown) => call((y) => client.persist(y), x);
  const cases: Array<[string, () => unknown, RegExp]> = [
    ['compute(5)', compute(5), /^compute\(\): its argument is not a delayed call: got the number 5; compute\(\) takes a delayed call, delayed\(fn\)\(…args\), or an array of them$/],
    ['compute([d, 5])', compute([delayed(inc)(1), 5]), /^compute\(\): root 1 is not a delayed call: got the number 5; /],
    ['compute(future)', compute(client.submit(inc, 1)), /^compute\(\): its argument is not a delayed call: got a Future \(inc-[0-9a-f]+\), which is submitted already: its value is future\.result\(\), or client\.gather\(futures\) for several$/],
    ['compute({a: d})', compute({ a: delayed(inc)(1) }), /^compute\(\): its argument is not a delayed call: got a plain object; .* or an array of them$/],
    ['compute()', compute(undefined), /^compute\(\): its argument is not a delayed call: got undefined; /],
    ['persist([d, "x"])', persist([delayed(inc)(1), 'x']), /^persist\(\): root 1 is not a delayed call: got the string "x"; persist\(\) takes/],
    ['persist(null)', persist(null), /^persist\(\): its argument is not a delayed call: got null; /],
  ];
  for (const [name, f, re] of cases) {
    let err: unknown;
    try { await f(); } catch (e) { err = e; }
    t.type(err, TypeError, `${name} throws a TypeError`);
    t.match((err as Error)?.message, re, name);
  }
  t.equal(client.unsentTasks, 0, 'nothing was queued by the refused calls');
  // The client is still usable, and an array of delayed calls still computes.
  const ok: Delayed<number>[] = [delayed(inc)(1), delayed(inc)(2)];
  t.same(await client.compute(ok), [2, 3]);
});
