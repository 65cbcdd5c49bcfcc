/**
 * Delayed graphs deeper than the call stack. A graph of fewer nodes than a slice
 * (ConnectOptions.graphSliceTasks) is built at the call, and one of more roots than a slice is
 * checked at the call: both walks used to recurse once per nested node, so a chain of ~10,000
 * delayed calls threw `RangeError: Maximum call stack size exceeded` from persist/compute. Both
 * walks keep their own stack now: the depth is bounded by memory only.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import t, { type Test } from 'tap';
import { Client, delayed, LocalCluster, remoteFrom, type Delayed } from '@gluon/client';
import { fakeScheduler } from '../fake-scheduler.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../../../..');
const { inc, noop } = remoteFrom<typeof import('@gluon/examples/tasks')>('@gluon/examples/tasks');
const { sumAll } = remoteFrom<typeof import('../fixtures/tasks.mjs')>(pathToFileURL(join(here, '../fixtures/tasks.mjs')));

/** Well past the ~10,000 levels the recursive walks managed on Node's default stack. */
const DEPTH = 30_000;

/** inc(inc(…inc(first)…)): `depth` nodes, the last one returned. */
function chain(depth: number, first: unknown = 0): Delayed<number> {
  let x = delayed(inc)(first as number);
  for (let i = 1; i < depth; i++) x = delayed(inc)(x);
  return x;
}

type Task = { key: string; deps: string[]; args: unknown[] };

/** A fake scheduler recording every task spec sent, in order, and how many came before a dependency. */
async function recorder(t: Test, graphSliceTasks = 100_000) {
  const tasks: Task[] = [];
  const known = new Set<string>();
  let outOfOrder = 0;
  let onEnd: (() => void) | undefined;
  const server = await fakeScheduler(t, (_conn, m) => {
    if (m.op !== 'update-graph') return;
    for (const task of m.tasks as Task[]) {
      if (task.deps.some((d) => !known.has(d))) outOfOrder++;
      known.add(task.key);
      tasks.push(task);
      if (task.args[0] === 'end') onEnd?.();
    }
  });
  const client = await Client.connect(server.address, { graphSliceTasks, reconnectTimeoutMs: 0 });
  t.teardown(() => client.close());
  /** Resolves once a marker task submitted after everything else has arrived. */
  const flushed = (): Promise<void> => {
    const end = new Promise<void>((r) => (onEnd = r));
    client.submit(noop, 'end');
    return end;
  };
  return { client, tasks, outOfOrder: () => outOfOrder, flushed };
}

t.test(`a chain of ${DEPTH.toLocaleString('en-US')} delayed calls, fewer nodes than a slice: built at the call, in order`, async (t) => {
  const { client, tasks, outOfOrder, flushed } = await recorder(t);
  const x = chain(DEPTH);
  const f = client.persist(x);
  t.ok(f.isBound, 'fewer nodes than a slice: built at the call');
  await flushed();
  t.equal(tasks.length, DEPTH + 1, 'every node, then the task submitted after it');
  t.equal(outOfOrder(), 0, "each task's dependencies went before it");
  t.equal(tasks[DEPTH - 1]!.key, f.key, 'the root last');
  t.same(tasks[0]!.args, [0], 'the innermost call first');
  for (let i = 1; i < DEPTH; i += 9_999) t.same(tasks[i]!.deps, [tasks[i - 1]!.key], `node ${i} depends on node ${i - 1}`);
});

t.test('nodes named by several arguments: dependencies first, the first argument\'s first, each node once', async (t) => {
  const { client, tasks, outOfOrder, flushed } = await recorder(t);
  // Two deep chains sharing their first 1,000 nodes, and a node naming both and the shared one.
  const shared = chain(1_000, 'shared');
  let a: Delayed<number> = shared;
  let b: Delayed<number> = shared;
  for (let i = 0; i < DEPTH / 2; i++) a = delayed(inc)(a);
  for (let i = 0; i < DEPTH / 2; i++) b = delayed(inc)({ x: [b] } as never);
  const top = delayed(sumAll)([a, b, shared] as never);
  const f = client.persist(top);
  await flushed();
  t.equal(tasks.length, 1_000 + DEPTH + 1 + 1, 'each node once, then the task submitted after it');
  t.equal(outOfOrder(), 0, "each task's dependencies went before it");
  t.same(tasks[0]!.args, ['shared'], 'the shared chain first');
  t.equal(tasks[1_000 + DEPTH / 2 - 1]!.deps.length, 1, "the first argument's chain before the second's");
  t.equal(tasks[1_000 + DEPTH]!.key, f.key, 'the root last');
  t.equal(tasks[1_000 + DEPTH]!.deps.length, 3);
});

t.test('more roots than a slice, one of them a deep chain: checked at the call, then built in order', async (t) => {
  const { client, tasks, outOfOrder, flushed } = await recorder(t, 2);
  const deep = chain(DEPTH);
  const fs = client.persist([deep, delayed(inc)(1), delayed(inc)(2)]);
  t.notOk(fs[0]!.isBound, 'more roots than a slice: built as it is sent');
  await flushed();
  t.equal(tasks.length, DEPTH + 3, 'every node, then the task submitted after it');
  t.equal(outOfOrder(), 0, "each task's dependencies went before it");
  t.equal(tasks[DEPTH - 1]!.key, fs[0]!.key, 'the deep root after its chain');
});

t.test('a bad argument at the bottom of a deep chain: the error names the path, shortened, and nothing is queued', async (t) => {
  const { client, tasks, flushed } = await recorder(t, 2);
  const bad = chain(DEPTH, { f: () => 1 });
  t.throws(() => client.persist([bad, delayed(inc)(1), delayed(inc)(2)]), {
    name: 'SerializationError',
    message: /^persist\(\): root 0: args → inc\(…\) args → inc\(…\) args → inc\(…\) args → inc\(…\) args → … 29,991 more … → inc\(…\) args → inc\(…\) args → inc\(…\) args → inc\(…\) args\[0\]\.f is a function/,
  });
  t.equal(client.unsentTasks, 0, 'nothing was queued');
  // Built at the call (fewer nodes than a slice), it fails as it did: at the bad node's own arguments.
  const { client: eager } = await recorder(t);
  t.throws(() => eager.persist(bad), { name: 'SerializationError', message: /^args\[0\]\.f is a function/ });
  t.equal(eager.unsentTasks, 0, 'nothing was queued');
  await flushed();
  t.equal(tasks.length, 1, 'only the task submitted after');
});

t.test('a delayed graph whose arguments lead back to itself fails with a TypeError naming the node, not a stack overflow', async (t) => {
  const { client } = await recorder(t);
  const a = delayed(inc)(0);
  const b = delayed(sumAll)([a] as never);
  (a.args as unknown[])[0] = b; // only possible by changing a node's arguments after the call
  t.throws(() => client.persist(b), { name: 'TypeError', message: 'delayed graph: it has a cycle through sumAll(…)' });
  t.equal(client.unsentTasks, 0, 'nothing was queued');
});

t.test(`a chain of ${DEPTH.toLocaleString('en-US')} delayed calls computed by a real cluster`, async (t) => {
  const cluster = await LocalCluster.start({ nWorkers: 1, nthreads: 1, cwd: repo });
  t.teardown(() => cluster.close());
  // The default slice (49,152 tasks) is above the chain's nodes: it is built at the call.
  const client = await Client.connect(cluster.schedulerAddress);
  t.teardown(() => client.close());
  t.equal(await client.compute(chain(DEPTH)), DEPTH, 'compute(): the right result');
});
