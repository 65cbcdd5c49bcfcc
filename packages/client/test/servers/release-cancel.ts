/**
 * Releasing and cancelling many futures (issue #17), against a fake scheduler that records what
 * the client sends (fake-scheduler.ts), with small slices (graphSliceTasks) so the tests stay
 * small. A release of many futures leaves in slices, each key once, one message per slice; a
 * cancel of tasks a graph built as it is sent has not built yet never builds them (seen through
 * getters on the arguments: the build walks them, the call's check walks them once), and their
 * futures reject with CancelledError. No time budgets: every wait is on an event.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import t, { type Test } from 'tap';
import { Client, delayed, remoteFrom, type Future } from '@gluon/client';
import type { Message } from '@gluon/protocol';
import { fakeScheduler } from '../fake-scheduler.js';

const here = dirname(fileURLToPath(import.meta.url));
const { noop } = remoteFrom<typeof import('@gluon/examples/tasks')>('@gluon/examples/tasks');
const { sumAll } = remoteFrom<typeof import('../fixtures/tasks.mjs')>(pathToFileURL(join(here, '../fixtures/tasks.mjs')));

const SLICE = 100;

interface Recorded {
  client: Client;
  messages: Message[];
  /** Every task spec received, in order. */
  tasks: () => Array<{ key: string; group: string; deps: string[] }>;
  /** Every key released, in order. */
  released: () => string[];
  /** Resolves once `cond` holds, checked as each message arrives (bounded by the test's timeout). */
  until: (cond: () => boolean) => Promise<void>;
}

/** A client of a fake scheduler that keeps every message it is sent; closed when the test ends. */
async function recorded(t: Test): Promise<Recorded> {
  const messages: Message[] = [];
  let waiters: Array<() => void> = [];
  const server = await fakeScheduler(t, (_conn, m) => {
    messages.push(m);
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  });
  const client = await Client.connect(server.address, { graphSliceTasks: SLICE, reconnectTimeoutMs: 0 });
  t.teardown(() => client.close());
  const until = async (cond: () => boolean): Promise<void> => {
    while (!cond()) await new Promise<void>((r) => waiters.push(r));
  };
  return {
    client, messages, until,
    tasks: () => messages.flatMap((m) => (m.op === 'update-graph' ? (m.tasks as Array<{ key: string; group: string; deps: string[] }>) : [])),
    released: () => messages.flatMap((m) => (m.op === 'release-keys' ? (m.keys as string[]) : [])),
  };
}

/** Plain objects whose property is read through a getter: counts the walks of each argument. */
function countedArgs(n: number): { objs: Array<{ x: number }>; reads: Int32Array } {
  const reads = new Int32Array(n);
  const objs = Array.from({ length: n }, (_, i) => ({
    get x() {
      reads[i]!++;
      return i;
    },
  }));
  return { objs, reads };
}

t.test('a release of many futures leaves in slices, each key once, even released twice', async (t) => {
  const { client, messages, released, until } = await recorded(t);
  const n = 1000;
  const futures = client.map(noop, Array.from({ length: n }, (_, i) => i));
  const keys = futures.map((f) => f.key);
  // A second future for the first key: its hold goes with the second of them only.
  const twin = client.submit(noop, 0);
  t.equal(twin.key, keys[0], 'the same key');
  await client.whenSent();
  client.release(futures);
  client.release(futures);
  for (const f of futures) f.release();
  t.ok(futures.every((f) => f.isReleased), 'every future is released for its caller at once');
  await t.rejects(futures[n - 1]!.result(), /was released/, 'and refuses its result at once');
  await until(() => released().length >= n - 1);
  const batches = messages.filter((m) => m.op === 'release-keys').map((m) => (m.keys as string[]).length);
  t.ok(batches.length >= (n - 1) / SLICE && batches.every((b) => b <= SLICE), `release-keys in ${batches.length} messages of at most ${SLICE} keys: ${batches.join(', ')}`);
  t.same([...released()].sort(), keys.slice(1).sort(), 'every key once, but the one its twin still holds');
  twin.release();
  await until(() => released().length >= n);
  t.same(released().filter((k) => k === keys[0]), [keys[0]], 'that one once its twin is released');
});

t.test('a key submitted again while its release waits for its slice stays held', async (t) => {
  const { client, released, messages, until } = await recorded(t);
  const n = 1000;
  const xs = Array.from({ length: n }, (_, i) => i);
  const futures = client.map(noop, xs);
  const last = futures[n - 1]!.key;
  await client.whenSent();
  client.release(futures);
  // The last released future's hold is still queued: the same call again shares it.
  const again = client.submit(noop, xs[n - 1]!);
  t.equal(again.key, last);
  await until(() => released().length >= n - 1);
  t.notOk(released().includes(last), 'its key was never released');
  const wantsAfter = messages.slice(messages.findIndex((m) => m.op === 'release-keys'))
    .flatMap((m) => (m.op === 'update-graph' ? (m.wants as string[]) : []));
  t.notOk(wantsAfter.includes(last), 'nor wanted again after a release (which would have lost it)');
  again.release();
  await until(() => released().length >= n);
  t.equal(released().filter((k) => k === last).length, 1, 'released once, with the last future');
});

t.test('a release, then the same task again in the same tick: released before it is wanted again', async (t) => {
  const { client, messages, until } = await recorded(t);
  const f = client.submit(noop, 'x');
  const key = f.key;
  await client.whenSent();
  f.release();
  const g = client.submit(noop, 'x');
  t.equal(g.key, key);
  await until(() => messages.filter((m) => m.op === 'update-graph').length >= 2 && messages.some((m) => m.op === 'release-keys'));
  const order = messages.flatMap((m) => {
    if (m.op === 'release-keys' && (m.keys as string[]).includes(key)) return ['release'];
    if (m.op === 'update-graph' && (m.wants as string[]).includes(key)) return ['want'];
    return [];
  });
  t.same(order, ['want', 'release', 'want'], 'the scheduler holds it at the end');
  g.release();
});

t.test('futures the garbage collector finds are released a slice at a time, each key once', async (t) => {
  // V8 runs a FinalizationRegistry's callbacks for a whole collection at once; dropping every
  // hold there held the event loop for 3-50 ms in bench/scheduler.ts (b) and sent one message of
  // thousands of keys. The default slice of a graph (49,152) is far above this many.
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const server = await fakeScheduler(t, (_conn, m) => {
    if (m.op === 'release-keys') batches.push(m.keys as string[]);
  });
  const batches: string[][] = [];
  const client = await Client.connect(server.address, { reconnectTimeoutMs: 0 });
  t.teardown(() => client.close());
  const n = 2000;
  const keys = await (async () => {
    const futures = client.map(noop, Array.from({ length: n }, (_, i) => i));
    await client.whenSent();
    return futures.map((f) => f.key);
  })(); // the futures are unreachable from here on
  const released = () => batches.reduce((s, b) => s + b.length, 0);
  for (let round = 0; round < 200 && released() < n; round++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
  const sizes = batches.map((b) => b.length);
  t.equal(released(), n, 'every collected future released its key');
  t.ok(sizes.every((b) => b <= 64), `release-keys in ${sizes.length} messages of at most 64 keys: ${sizes.join(', ')}`);
  t.same(batches.flat().sort(), [...keys].sort(), 'each key once');
});

t.test('cancel of a map not yet built: its tasks are never built nor sent, its futures are cancelled', async (t) => {
  const { client, tasks, until } = await recorded(t);
  const n = 2000;
  const { objs, reads } = countedArgs(n);
  const futures = client.map(sumAll, objs.map((o) => [o]));
  const checked = reads.slice();
  t.ok(checked.every((r) => r > 0), 'the call checked each argument');
  t.ok(client.unsentTasks === n && !futures[0]!.isBound, 'nothing built or sent yet');
  await client.cancel(futures);
  t.equal(client.unsentTasks, 0, 'nothing left to send');
  t.ok(futures.every((f) => f.status === 'cancelled' && f.done), 'every future is cancelled at once');
  await t.rejects(futures[5]!.result(), { name: 'CancelledError', message: 'map(): element 5 was cancelled before it was sent' });
  t.match(futures[5]!.key, /^unsent-\d+$/, 'a future cancelled unbuilt has a placeholder key');
  // Something submitted after it reaches the scheduler: the queue went past the cancelled map.
  const after = client.submit(noop, 'after');
  await until(() => tasks().some((x) => x.key === after.key));
  t.equal(tasks().length, 1, 'the scheduler heard of none of the map\'s tasks');
  t.same(reads, checked, 'and they were never built (their arguments were not walked again)');
  t.throws(() => client.submit(noop, futures[7]!), /was cancelled and cannot be used as an argument/);
});

t.test('cancel of part of a map being built: the rest is built and sent, dependents of the cancelled are cancelled', async (t) => {
  const { client, tasks, until } = await recorded(t);
  const n = 1000;
  const { objs, reads } = countedArgs(n);
  const firsts = client.map(sumAll, objs.map((o) => [o]));
  // A map over them, built as it is sent too, queued behind.
  const seconds = client.map(noop.with({ group: 'second' }), firsts);
  const checked = reads.slice();
  const odd = firsts.filter((_, i) => i % 2 === 1);
  const cancelling = client.cancel(odd);
  t.equal(client.unsentTasks, n / 2 + n, 'the even firsts and every second are still to send (a second finds its first cancelled as it is built)');
  await cancelling;
  await client.whenSent();
  await until(() => tasks().length >= n);
  const sent = tasks();
  t.equal(sent.filter((x) => x.group === 'sumAll').length, n / 2, 'the even firsts were sent');
  t.equal(sent.filter((x) => x.group === 'second').length, n / 2, 'their seconds were sent');
  t.ok(reads.every((r, i) => (i % 2 === 1 ? r === checked[i] : r > checked[i]!)), 'the cancelled firsts were never built, the others were');
  t.ok(seconds.every((f, i) => (i % 2 === 1) === (f.status === 'cancelled')), 'a second is cancelled exactly when its first was');
  await t.rejects(seconds[1]!.result(), { name: 'CancelledError', message: 'map(): element 1 was cancelled before it was sent' });
  client.release([...firsts, ...seconds]);
});

t.test('cancel of a persist root not yet built cancels the later roots that include it', async (t) => {
  const { client, tasks, until } = await recorded(t);
  const n = 300;
  const nodes = Array.from({ length: n }, (_, i) => delayed(noop)(i));
  // Root n + i includes root i.
  const roots = [...nodes, ...nodes.map((x) => delayed(sumAll)([x, 1]))];
  const futures = client.persist(roots);
  await client.cancel([futures[3]!]);
  await client.whenSent();
  await until(() => tasks().length >= 2 * n - 2);
  t.equal(futures[3]!.status, 'cancelled');
  t.equal(futures[n + 3]!.status, 'cancelled', 'the root that includes it');
  await t.rejects(futures[n + 3]!.result(), { name: 'CancelledError', message: 'persist(): root 303 was cancelled before it was sent' });
  t.equal(tasks().length, 2 * n - 2, 'every other root was sent');
  t.ok(futures.every((f, i) => f.status === (i === 3 || i === n + 3 ? 'cancelled' : 'pending')), 'the others are pending');
  client.release(futures);
});

t.test('cancel of a tree reduction not yet built: none of its nodes is built nor sent', async (t) => {
  const { client, tasks, until } = await recorded(t);
  const leaves = client.map(noop, Array.from({ length: 3000 }, (_, i) => i));
  const total = client.treeReduce(sumAll.with({ group: 'combine' }), leaves, { fanIn: 2 });
  await client.cancel([total]);
  await t.rejects(total.result(), { name: 'CancelledError', message: /^treeReduce\(\): node \d+ was cancelled before it was sent$/ });
  await client.whenSent();
  const marker = client.submit(noop, 'marker');
  await until(() => tasks().some((x) => x.key === marker.key));
  t.equal(client.unsentTasks, 0);
  t.equal(tasks().filter((x) => x.group === 'combine').length, 0, 'no node of the tree was sent');
  t.equal(tasks().length, 3001, 'the leaves were (and the marker after them)');
  client.release(leaves);
});

t.test('futures cancelled unbuilt, then passed on: a graph built later naming them is cancelled, not failed', async (t) => {
  const { client, tasks, until } = await recorded(t);
  const xs = client.map(noop, Array.from({ length: 500 }, (_, i) => i));
  const total = client.treeReduce(sumAll.with({ group: 'combine' }), xs as unknown as Array<Future<number>>, { fanIn: 4 });
  await client.cancel([xs[10]!]);
  await t.rejects(total.result(), { name: 'CancelledError' }, 'the root depends on it');
  await client.whenSent();
  // 500 inputs, fan-in 4: 125 + 32 + 8 + 2 + 1 nodes, of which one per level depends on input 10.
  await until(() => tasks().length >= 499 + 163);
  t.equal(tasks().filter((x) => x.group === 'noop').length, 499, 'the other inputs were sent');
  t.equal(tasks().filter((x) => x.group === 'combine').length, 163, 'the nodes not depending on it were sent');
  client.release(xs);
});

t.test('release of a map not yet built: its tasks are never built nor sent, nor released', async (t) => {
  const { client, tasks, released, until } = await recorded(t);
  const n = 1000;
  const { objs, reads } = countedArgs(n);
  const futures = client.map(sumAll, objs.map((o) => [o]));
  const checked = reads.slice();
  // Every other one released before anything was built.
  client.release(futures.filter((_, i) => i % 2 === 1));
  const after = client.submit(noop, 'after');
  await until(() => tasks().some((x) => x.key === after.key));
  t.equal(tasks().length, n / 2 + 1, 'the kept half and the task after it were sent');
  t.ok(reads.every((r, i) => (i % 2 === 1 ? r === checked[i] : r > checked[i]!)), 'the released ones were never built');
  t.equal(released().length, 0, 'nothing to release: they were never held');
  await t.rejects(futures[1]!.result(), /^future unsent-\d+ was released/);
  client.release(futures);
  after.release();
  await until(() => released().length >= n / 2 + 1);
  t.equal(new Set(released()).size, n / 2 + 1, 'the kept half released once each, with the task after it');
});

t.test('close() with a map not yet built: nothing more is built, its futures fail naming the element', async (t) => {
  const { client, tasks } = await recorded(t);
  const n = 1000;
  const { objs, reads } = countedArgs(n);
  const futures = client.map(sumAll, objs.map((o) => [o]));
  const checked = reads.slice();
  await client.close();
  // close() sends what is queued first: the slice under way may have been built.
  const built = reads.filter((r, i) => r > checked[i]!).length;
  t.ok(built <= 2 * SLICE, `${built} of ${n} built: what was under way, no more`);
  t.ok(tasks().length <= built, 'nothing else was sent');
  t.ok(futures.every((f) => f.status === 'lost' && f.done), 'every future is settled');
  await t.rejects(futures[n - 1]!.result(), { name: 'ClientClosedError', message: /the client was closed before map\(\): element 999 was sent$/ });
});
