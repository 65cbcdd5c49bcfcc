/**
 * A large graph leaves the client in slices (ConnectOptions.graphSliceTasks), with turns of the
 * event loop between them: the client keeps answering its scheduler and taking in results
 * while it sends. Checked here with small slices so that the tests stay small: the loop runs
 * between slices, a result arrives before the last slice leaves, a slice's tasks may depend on
 * tasks of earlier slices, a cancel mid-submit drops what was not sent, and a scheduler lost
 * mid-submit gets the whole held graph again. No time budgets: every wait is on an event.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import t, { type Test } from 'tap';
import { Client, delayed, remoteFrom, type ConnectOptions, type Future } from '@gluon/client';
import type { Connection, Message } from '@gluon/protocol';
import { startScheduler, startWorker, type Proc } from '../../worker/test/procs.js';
import { fakeScheduler } from './fake-scheduler.js';

const here = dirname(fileURLToPath(import.meta.url));
const { inc, noop } = remoteFrom<typeof import('@gluon/examples/tasks')>('@gluon/examples/tasks');
const { sumAll } = remoteFrom<typeof import('./fixtures/tasks.mjs')>(pathToFileURL(join(here, 'fixtures/tasks.mjs')));
const fixtures = join(here, 'fixtures');

const procs: Proc[] = [];
t.teardown(() => {
  for (const p of procs) p.kill('SIGKILL');
});

/** A scheduler process and one worker with two threads. */
async function cluster(port = 0): Promise<{ address: string; scheduler: Proc }> {
  const s = await startScheduler(port);
  procs.push(s.proc);
  procs.push((await startWorker(s.address, ['--nthreads', '2', '--allow-module', fixtures])).proc);
  return { address: s.address, scheduler: s.proc };
}

/**
 * The cluster the tests that leave their scheduler running share: one scheduler and worker
 * started for the file, not one per test (each start is two processes). The tests run one after
 * another and each closes its own client, so none sees another's futures.
 */
let shared: Promise<{ address: string; scheduler: Proc }> | undefined;

/**
 * A client with `opts` of the shared cluster, or, with `own`, of a cluster of the test's own
 * (for a test that kills its scheduler); the client is closed when the test ends.
 */
async function connected(t: Test, opts: ConnectOptions, own = false): Promise<{ address: string; scheduler: Proc; client: Client }> {
  const c = await (own ? cluster() : (shared ??= cluster()));
  const client = await Client.connect(c.address, opts);
  t.teardown(() => client.close());
  return { ...c, client };
}

/** Kills the scheduler and starts a new one (with a worker) on the same address. */
async function replaceScheduler(address: string, scheduler: Proc): Promise<void> {
  scheduler.kill('SIGKILL');
  await scheduler.exited();
  const s2 = await startScheduler(Number(new URL(address).port));
  procs.push(s2.proc);
  procs.push((await startWorker(s2.address, ['--nthreads', '2', '--allow-module', fixtures])).proc);
}

/** Runs `step` once per turn of the event loop (setImmediate) until it returns false; bounded. */
function everyTurn(step: () => boolean, maxTurns = 1_000_000): Promise<number> {
  return new Promise((resolve, reject) => {
    let turns = 0;
    const tick = (): void => {
      turns++;
      if (!step()) return resolve(turns);
      if (turns >= maxTurns) return reject(new Error(`still going after ${maxTurns} turns of the event loop`));
      setImmediate(tick);
    };
    setImmediate(tick);
  });
}

/** A fake scheduler (see fake-scheduler.ts) that hands each update-graph to `onGraph`. */
function graphListener(t: Test, onGraph: (conn: Connection, m: Message) => void) {
  return fakeScheduler(t, (conn, m) => {
    if (m.op === 'update-graph') onGraph(conn, m);
  });
}

t.test('a map of many slices: the event loop runs between them, and every result arrives', async (t) => {
  const { client } = await connected(t, { graphSliceTasks: 500 });
  const n = 10_000;
  const xs = Array.from({ length: n }, (_, i) => i);
  const futures = client.map(inc, xs);
  t.equal(futures.length, n, 'map() returns every future at once');
  const seen = new Set<number>();
  const turns = await everyTurn(() => {
    seen.add(client.unsentTasks);
    return client.unsentTasks > 0;
  });
  t.ok(turns >= 10, `the loop turned ${turns} times while the graph was being sent`);
  t.ok(seen.size >= 10, `${seen.size} different amounts left to send were seen (it left in slices)`);
  t.ok(client.graphSlices >= n / 500, `${client.graphSlices} slices`);
  const values = await client.gather(futures);
  t.same(values, xs.map((x) => x + 1), 'every result, in order');
  client.release(futures);
});

t.test("a timer due when a submit's first slice leaves runs before the second slice", async (t) => {
  // The first slice leaves in the call's turn; the pump's yield before the second one was a
  // setImmediate, which runs in that same turn's check phase when the call came from a timer or
  // an I/O callback: the first two slices went back to back, with no timer (a heartbeat, a
  // progress bar) between them.
  const { client } = await connected(t, { graphSliceTasks: 100 });
  const xs = Array.from({ length: 300 }, (_, i) => i + 0.25);
  const { before, atTimer, futures } = await new Promise<{ before: number; atTimer: number; futures: Future[] }>((resolve) => {
    setTimeout(() => {
      const before = client.graphSlices;
      const futures = client.map(inc, xs);
      setTimeout(() => resolve({ before, atTimer: client.graphSlices, futures }), 0);
    }, 0);
  });
  t.equal(atTimer - before, 1, 'one slice had left when the timer ran');
  t.same(await client.gather(futures), xs.map((x) => x + 1), 'every result, in order');
  t.ok(client.graphSlices - before >= 3, `${client.graphSlices - before} slices in all`);
  client.release(futures);
});

t.test('tasks depending on tasks of earlier slices (delayed chain, tree reduction)', async (t) => {
  const { client } = await connected(t, { graphSliceTasks: 64 });
  // A chain of 700 graph nodes, only its end wanted: each slice's first task depends on the
  // last one of the slice before, and the intermediate nodes are wanted by nobody but it.
  let x = delayed(inc)(0);
  for (let i = 1; i < 700; i++) x = delayed(inc)(x);
  const chain = client.persist(x);
  // A tree of 3,000 leaves, fan-in 4: reducers in later slices than their inputs.
  const leaves = client.map(noop, Array.from({ length: 3000 }, (_, i) => i));
  const parts = client.map(inc, Array.from({ length: 3000 }, (_, i) => i));
  const total = client.treeReduce(sumAll, parts, { fanIn: 4 });
  t.ok(client.unsentTasks > 64 * 3, `${client.unsentTasks} tasks queued: many slices`);
  t.equal(await chain.result(), 700, 'the chain across slices');
  t.equal(await total.result(), (3000 * 3001) / 2, 'the tree across slices');
  await client.gather(leaves);
  t.ok(client.graphSlices > 20, `${client.graphSlices} slices`);
  client.release([chain, total, ...leaves, ...parts]);
});

t.test('a result arrives before the last slice leaves (a scheduler that answers the first task at once)', async (t) => {
  // A listener speaking the scheduler's side of the protocol, so that the order on the wire is
  // fixed: the first task's result goes out before the answer to the first slice's marker,
  // and the client sends at most two slices ahead of the markers answered.
  let frames = 0;
  let answered = false;
  const server = await graphListener(t, (conn, m) => {
    frames++;
    const first = (m.tasks as Array<{ key: string }>)[0];
    if (!answered && first) {
      answered = true;
      conn.send({ op: 'key-in-memory', key: first.key, nbytes: 8, typeName: 'string', workers: [], value: 'first' });
    }
  });
  const client = await Client.connect(server.address, { graphSliceTasks: 100, reconnectTimeoutMs: 0 });
  t.teardown(() => client.close());
  const futures = client.map(noop, Array.from({ length: 2000 }, (_, i) => i));
  t.equal(await futures[0]!.result(), 'first', 'the first result');
  const left = client.unsentTasks;
  t.ok(left >= 2000 - 3 * 100, `${left} of 2,000 tasks were still to be sent when it arrived (${frames} frames received)`);
  await client.whenSent();
  t.equal(client.unsentTasks, 0, 'then the rest was sent');
  client.release(futures);
});

t.test('cancel mid-submit: what was not sent is cancelled here, what was sent by the scheduler', async (t) => {
  const { client } = await connected(t, { graphSliceTasks: 200 });
  const n = 10_000;
  const futures = client.map(inc, Array.from({ length: n }, (_, i) => -i - 1));
  await everyTurn(() => client.graphSlices < 3);
  const unsent = client.unsentTasks;
  t.ok(unsent > 0 && unsent < n, `${unsent} of ${n} not yet sent when cancelling`);
  await client.cancel(futures);
  t.equal(client.unsentTasks, 0, 'nothing left to send');
  const results = await Promise.allSettled(futures.map((f) => f.result()));
  const cancelled = results.filter((r) => r.status === 'rejected' && (r.reason as Error).name === 'CancelledError').length;
  const finished = results.filter((r) => r.status === 'fulfilled').length;
  t.equal(cancelled + finished, n, `every future settled: ${cancelled} cancelled, ${finished} had finished`);
  t.ok(cancelled >= unsent, 'at least the unsent ones were cancelled');
  // The client still works: a later submit of one of the cancelled calls runs it.
  t.equal(await client.submit(inc, -n).result(), 1 - n, 'a later submit runs');
});

t.test('the scheduler lost mid-submit: a new one on the same address gets the whole held graph', async (t) => {
  const { address, scheduler, client } = await connected(t, { graphSliceTasks: 300, reconnectTimeoutMs: 60_000 }, true);
  const n = 12_000;
  const xs = Array.from({ length: n }, (_, i) => i * 2);
  // Built as it is sent (more elements than a slice, nothing nested): cut mid-build.
  const futures: Array<Future<number>> = client.map(inc, xs);
  // Queued behind it: a tree over another map, dependencies across slices.
  const ys = Array.from({ length: 2000 }, (_, i) => -i);
  const total = client.treeReduce(sumAll, client.map(inc, ys), { fanIn: 8 });
  await everyTurn(() => client.graphSlices < 4);
  t.ok(client.unsentTasks > 0, `${client.unsentTasks} tasks not yet sent when the scheduler dies`);
  await replaceScheduler(address, scheduler);
  t.equal(await total.result(), ys.reduce((a, y) => a + y + 1, 0), 'the reduction queued behind the map');
  t.same(await client.gather(futures), xs.map((x) => x + 1), 'every result');
  t.equal(client.reconnects, 1, 'one reconnect');
  t.equal(client.unsentTasks, 0, 'nothing left to send');
  client.release([total, ...futures]);
});

t.test('futures of a map built as it is sent: released before they were built, or asked for their key', async (t) => {
  const { client } = await connected(t, { graphSliceTasks: 500 });
  const n = 6000;
  const futures = client.map(inc, Array.from({ length: n }, (_, i) => i + 0.5));
  t.equal(futures[0]!.status, 'pending', 'pending before it is built');
  // The odd ones go before they are built: nothing is held or sent for them.
  client.release(futures.filter((_, i) => i % 2 === 1));
  const before = client.unsentTasks;
  t.match(futures[n - 2]!.key, /^inc-[0-9a-f]{16}$/, 'asking for a key builds the map up to it');
  t.ok(client.unsentTasks <= before, 'built, not yet sent');
  const even = futures.filter((_, i) => i % 2 === 0);
  t.same(await client.gather(even), even.map((_, j) => 2 * j + 1.5), 'the even ones, in order');
  await client.whenSent();
  t.equal(client.unsentTasks, 0, 'the rest was sent');
  client.release(even);
});

t.test('a large map is built as it is sent: futures released before they were built are never sent', async (t) => {
  // A listener speaking the scheduler's side, counting the tasks it is sent.
  const keys: string[] = [];
  let endSeen: (() => void) | undefined;
  const server = await graphListener(t, (_conn, m) => {
    for (const task of m.tasks as Array<{ key: string; args: unknown[] }>) {
      keys.push(task.key);
      if (task.args[0] === 'end') endSeen?.();
    }
  });
  const client = await Client.connect(server.address, { graphSliceTasks: 100, reconnectTimeoutMs: 0 });
  t.teardown(() => client.close());
  const n = 2000;
  const futures = client.map(noop, Array.from({ length: n }, (_, i) => i));
  client.release(futures.filter((_, i) => i % 2 === 1));
  const end = new Promise<void>((r) => (endSeen = r));
  const last = client.submit(noop, 'end');
  await end;
  t.equal(keys.length, n / 2 + 1, `${keys.length} tasks sent: the kept half of the map and the one after it`);
  t.equal(keys.at(-1), last.key, 'the task submitted after the map came after all of it');
  t.same(keys.slice(0, n / 2), futures.filter((_, i) => i % 2 === 0).map((f) => f.key), 'the kept ones, in order');
});

t.test('maps over futures and objects, persist and treeReduce larger than a slice are built as they are sent', async (t) => {
  const { client } = await connected(t, { graphSliceTasks: 200 });
  const n = 3000;
  const xs = Array.from({ length: n }, (_, i) => i);
  const firsts = client.map(inc, xs);
  // Over futures of a map itself still being built; the inputs released at once: each stays
  // held until the task naming it has been sent.
  const seconds = client.map(inc, firsts);
  client.release(firsts);
  t.notOk(seconds[n - 1]!.isBound, 'map() over futures returned before its last task was built');
  const pairs = client.map(sumAll, xs.map((x) => [x, 1]));
  t.notOk(pairs[n - 1]!.isBound, 'map() over arrays returned before its last task was built');
  const nodes = client.persist(xs.map((x) => delayed(inc)(delayed(inc)(x))));
  t.notOk(nodes[n - 1]!.isBound, 'persist() returned before its last root was built');
  const leaves = client.map(inc, xs.map((x) => -x));
  const total = client.treeReduce(sumAll, leaves, { fanIn: 3 });
  client.release(leaves);
  t.notOk(total.isBound, 'treeReduce() returned before its root was built');
  t.ok(client.unsentTasks > 4 * n, `${client.unsentTasks} tasks to send`);
  t.same(await client.gather(seconds), xs.map((x) => x + 2), 'map over futures');
  t.same(await client.gather(pairs), xs.map((x) => x + 1), 'map over arrays');
  t.same(await client.gather(nodes), xs.map((x) => x + 2), 'persist');
  t.equal(await total.result(), xs.reduce((a, x) => a + 1 - x, 0), 'treeReduce');
  t.ok(client.graphSlices >= (5 * n) / 200, `${client.graphSlices} slices`);
  client.release([...seconds, ...pairs, ...nodes, total]);
});

t.test('a bad argument in a call built as it is sent throws at the call, naming where, and queues nothing', async (t) => {
  const { client } = await connected(t, { graphSliceTasks: 100 });
  const arrays: unknown[][] = Array.from({ length: 1000 }, (_, i) => [i]);
  arrays[700] = [1, { f: () => 1 }];
  t.throws(() => client.map(sumAll, arrays as number[][]), { name: 'SerializationError', message: /^map\(\): element 700: args\[0\]\[1\]\.f is a function/ });
  const xs = client.map(inc, Array.from({ length: 300 }, (_, i) => i));
  await client.gather(xs);
  xs[250]!.release();
  t.throws(() => client.map(inc, xs), { message: /^map\(\): element 250: future inc-[0-9a-f]+ was released/ });
  t.throws(() => client.treeReduce(sumAll, xs), { message: /^treeReduce\(\): inputs 248–255: future inc-[0-9a-f]+ was released/ });
  const nodes = Array.from({ length: 300 }, (_, i) => delayed(inc)(i));
  nodes[299] = delayed(inc)(Symbol('x') as never);
  t.throws(() => client.persist(nodes), { name: 'SerializationError', message: /^persist\(\): root 299: args\[0\] is a symbol/ });
  t.equal(client.unsentTasks, 0, 'nothing was queued');
  client.release(xs);
});

t.test('arguments changed after the call into something that cannot travel fail their own future, naming it', async (t) => {
  const { client } = await connected(t, { graphSliceTasks: 100 });
  const arrays = Array.from({ length: 1000 }, (_, i) => [i]);
  const futures = client.map(sumAll, arrays);
  (arrays[900] as unknown[]).push(() => 1);
  const results = await Promise.allSettled(futures.map((f) => f.result()));
  const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [[i, r.reason as Error] as const] : []));
  t.equal(failed.length, 1, 'one future failed');
  t.equal(failed[0]![0], 900, 'the one changed');
  t.match(failed[0]![1].message, /map\(\): element 900 could not be built when its slice was sent: args\[0\]\[1\] is a function/);
  t.equal((failed[0]![1] as { kind?: string }).kind, 'bad-input');
  t.same(results.slice(0, 900).map((r) => (r.status === 'fulfilled' ? r.value : null)), arrays.slice(0, 900).map((a) => a[0]), 'the others ran');
  client.release(futures);
});

t.test('the scheduler lost while a tree reduction is being built: its inner nodes sent already are sent again', async (t) => {
  const { address, scheduler, client } = await connected(t, { graphSliceTasks: 200, reconnectTimeoutMs: 60_000 }, true);
  const xs = Array.from({ length: 4000 }, (_, i) => i);
  const leaves = client.map(inc, xs);
  // Fan-in 2: ~4,000 inner nodes, 20 slices; the leaves take 20 before them.
  const total = client.treeReduce(sumAll, leaves, { fanIn: 2 });
  client.release(leaves);
  await everyTurn(() => client.graphSlices < 30);
  t.ok(client.unsentTasks > 0 && client.unsentTasks < 4000, `${client.unsentTasks} tasks not yet sent: mid-tree`);
  await replaceScheduler(address, scheduler);
  t.equal(await total.result(), xs.reduce((a, x) => a + x + 1, 0), 'the reduction');
  t.equal(client.reconnects, 1, 'one reconnect');
  total.release();
});

t.test('cancel while a tree reduction is being built: the root and what was not sent are cancelled', async (t) => {
  const { client } = await connected(t, { graphSliceTasks: 100 });
  const leaves = client.map(inc, Array.from({ length: 3000 }, (_, i) => i));
  const total = client.treeReduce(sumAll, leaves, { fanIn: 2 });
  await everyTurn(() => client.graphSlices < 33);
  t.ok(client.unsentTasks > 0, `${client.unsentTasks} tasks not yet sent`);
  await client.cancel([total]);
  await t.rejects(total.result(), { name: 'CancelledError' }, 'the root is cancelled');
  await client.whenSent();
  t.equal((await client.gather(leaves)).length, 3000, 'the leaves still finish');
  client.release(leaves);
});

t.test('one delayed root whose graph has more nodes than a slice is built as it is sent', async (t) => {
  const { client } = await connected(t, { graphSliceTasks: 100 });
  let chain = delayed(inc)(0);
  for (let i = 1; i < 600; i++) chain = delayed(inc)(chain);
  const deep = client.persist(chain);
  t.notOk(deep.isBound, 'a chain of 600 nodes: the call returned before building it');
  const parts = Array.from({ length: 300 }, (_, i) => delayed(inc)(i));
  const wide = client.submit(sumAll, parts);
  t.notOk(wide.isBound, 'a task over 300 nodes: likewise');
  t.equal(await deep.result(), 600, 'the chain');
  t.equal(await wide.result(), 300 * 301 / 2, 'the sum');
  t.ok(client.graphSlices >= 9, `${client.graphSlices} slices`);
  // A root cancelled before it was built: none of its graph is built.
  let again = delayed(inc)(1000);
  for (let i = 1; i < 300; i++) again = delayed(inc)(again);
  const cancelled = client.persist(again);
  await client.cancel([cancelled]);
  await t.rejects(cancelled.result(), { name: 'CancelledError', message: /^delayed graph: node 299 was cancelled before it was sent$/ });
  t.equal(client.unsentTasks, 0, 'nothing of it left to send');
  // A bad argument deep in such a graph throws at the call, naming it, and queues nothing.
  let bad = delayed(inc)(0);
  for (let i = 1; i < 300; i++) bad = i === 150 ? delayed(sumAll)([bad, { f: () => 1 }] as never) : delayed(inc)(bad);
  t.throws(() => client.persist(bad), { name: 'SerializationError', message: /^persist\(\): root 0: sumAll\(…\) args\[0\]\[1\]\.f is a function/ });
  t.equal(client.unsentTasks, 0, 'nothing was queued');
  client.release([deep, wide]);
});

t.test('a chain of 20,000 delayed calls: built as it is sent, in order, without overflowing the stack', async (t) => {
  const keys: string[] = [];
  const known = new Set<string>();
  let outOfOrder = 0;
  let endSeen: (() => void) | undefined;
  const server = await graphListener(t, (_conn, m) => {
    for (const task of m.tasks as Array<{ key: string; deps: string[]; args: unknown[] }>) {
      if (task.deps.some((d) => !known.has(d))) outOfOrder++;
      known.add(task.key);
      keys.push(task.key);
      if (task.args[0] === 'end') endSeen?.();
    }
  });
  const client = await Client.connect(server.address, { graphSliceTasks: 1000, reconnectTimeoutMs: 0 });
  t.teardown(() => client.close());
  const n = 20_000;
  let x = delayed(inc)(0);
  for (let i = 1; i < n; i++) x = delayed(inc)(x);
  const f = client.persist(x);
  t.notOk(f.isBound, 'returned before building');
  const end = new Promise<void>((r) => (endSeen = r));
  const last = client.submit(noop, 'end');
  await end;
  t.equal(keys.length, n + 1, 'every node, then the task submitted after it');
  t.equal(outOfOrder, 0, 'each after what it depends on');
  t.equal(keys[n - 1], f.key, 'the root last');
  t.equal(keys[n], last.key);
  t.ok(client.graphSlices >= n / 1000, `${client.graphSlices} slices`);
});
