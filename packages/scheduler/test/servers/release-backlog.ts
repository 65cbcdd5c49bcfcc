/**
 * A big release-keys is forgotten a slice per turn of the event loop (release-backlog.ts): the
 * client's graph updates sent after it are handled without waiting for all of it, its other
 * messages after it, and every key is released in the end. The messages of each case travel in
 * one frame (a connection batches what is sent within one tick), so the scheduler meets them
 * back to back whatever the machine's load.
 */
import t, { type Test } from 'tap';
import { connect, type Message } from '@gluon/protocol';
import { startScheduler } from '@gluon/scheduler';
import { ReleaseBacklog } from '../../src/release-backlog.js';
import { until } from '../../../../test/helpers/until.js';

t.test('the backlog hands out slices in order, clients taking turns', (t) => {
  const b = new ReleaseBacklog(3);
  t.ok(b.handlesNow('c1', ['a', 'b', 'c']), 'a release of a slice or less is handled at once');
  t.notOk(b.handlesNow('c1', ['a', 'b', 'c', 'd']), 'a bigger one is not');
  b.add('c1', ['a1', 'a2', 'a3', 'a4', 'a5']);
  t.notOk(b.handlesNow('c1', ['x']), 'nor a small one behind a waiting one (order)');
  t.ok(b.handlesNow('c2', ['x']), 'another client is not held up');
  b.add('c2', ['b1', 'b2', 'b3', 'b4']);
  b.add('c1', ['a6']);
  t.equal(b.size, 10);
  t.same(b.take(), { clientId: 'c1', keys: ['a1', 'a2', 'a3'] });
  t.same(b.take(), { clientId: 'c2', keys: ['b1', 'b2', 'b3'] });
  t.same(b.takeAll('c1'), ['a4', 'a5', 'a6'], 'the rest of a client at once, in order');
  t.notOk(b.has('c1'));
  t.same(b.take(), { clientId: 'c2', keys: ['b4'] });
  t.equal(b.take(), undefined);
  t.equal(b.size, 0);
  t.same(b.takeAll('c2'), []);
  t.end();
});

/** An in-process scheduler, a raw worker that finishes every task at once, and a raw client. */
async function cluster(t: Test) {
  const s = await startScheduler({ host: '127.0.0.1', port: 0, dashboard: false, log: () => {} });
  t.teardown(() => s.close());
  const worker = await connect(s.address, { role: 'worker', name: 'w', address: 'ws://127.0.0.1:1', nthreads: 1, memoryLimit: 0, pid: 1, host: 'test' });
  t.teardown(() => worker.conn.close());
  const computed: string[] = [];
  const freed: string[][] = [];
  worker.conn.send({ op: 'holding', keys: {} });
  worker.conn.on('message', (m: Message) => {
    if (m.op === 'compute-task') {
      computed.push(String(m.key));
      worker.conn.send({ op: 'task-finished', key: m.key, nbytes: 8, typeName: 'number', start: 1, stop: 2, thread: 0, value: 1, hasValue: true });
    } else if (m.op === 'free-keys') freed.push(m.keys as string[]);
  });
  const client = await connect(s.address, { role: 'client', name: 'c' });
  t.teardown(() => client.conn.close());
  const inMemory = new Set<string>();
  const replies: Message[] = [];
  client.conn.on('message', (m: Message) => {
    if (m.op === 'key-in-memory') inMemory.add(String(m.key));
    if (m.op === 'who-has-reply') replies.push(m);
  });
  await until(() => s.state.workers.size === 1, 'the worker registered');
  const spec = (key: string) => ({ key, fn: { module: 'm', export: 'e' }, args: [], deps: [] });
  /** Submits `n` tasks and waits until all are in memory; returns their keys. */
  const submit = async (n: number): Promise<string[]> => {
    const keys = Array.from({ length: n }, (_, i) => `t-${i}`);
    client.conn.send({ op: 'update-graph', tasks: keys.map(spec), wants: keys });
    await until(() => keys.every((k) => inMemory.has(k)), `${n} tasks in memory`);
    return keys;
  };
  return { s, client, computed, freed, inMemory, replies, spec, submit };
}

t.test('a graph update sent after a big release is handled before the release has finished', async (t) => {
  const { s, client, computed, freed, inMemory, spec, submit } = await cluster(t);
  const N = 20_000;
  const keys = await submit(N);
  const forgottenAtUpdate: number[] = [];
  const updateGraph = s.state.updateGraph.bind(s.state);
  s.state.updateGraph = (...a: Parameters<typeof updateGraph>) => {
    forgottenAtUpdate.push(s.state.forgottenCount);
    return updateGraph(...a);
  };
  // One frame: the release, then a new task and one of the released keys wanted again.
  client.conn.send({ op: 'release-keys', keys });
  client.conn.send({ op: 'update-graph', tasks: [spec('late-1'), spec('t-7')], wants: ['late-1', 't-7'] });
  await until(() => inMemory.has('late-1'), 'the late task in memory');
  t.equal(forgottenAtUpdate.length, 1);
  t.ok(forgottenAtUpdate[0]! < N, `the update was handled with ${forgottenAtUpdate[0]} of ${N} released tasks forgotten, not after all of them`);
  await until(() => s.state.forgottenCount === N - 1, 'every released task not wanted again forgotten');
  t.same([...s.state.tasks.keys()].sort(), ['late-1', 't-7'], 'the scheduler holds only what the client still wants');
  t.equal(s.state.tasks.get('t-7')!.state, 'memory', 'the key wanted again kept its result');
  t.equal(computed.filter((k) => k === 't-7').length, 1, 'and was not computed again');
  // The state forgot them before its last free-keys slice reached the worker's socket: wait for
  // the messages themselves (a full package run at load ~20 read 19,967 of 19,999, one slice short).
  await until(() => freed.flat().length >= N - 1, 'every free-keys slice received');
  const allFreed = freed.flat();
  t.equal(allFreed.length, N - 1, 'the worker was told to free each released result once');
  t.notOk(allFreed.includes('t-7'));
  t.ok(Math.max(...freed.map((f) => f.length)) <= 256, 'in slices: no free-keys message carries more than one slice');
});

t.test("a client's other messages after a big release see it done", async (t) => {
  const { s, client, replies, submit } = await cluster(t);
  const keys = await submit(2_000);
  // who-has right after the release, in the same frame: it must not see the released keys.
  client.conn.send({ op: 'release-keys', keys });
  client.conn.send({ op: 'who-has', id: 1, keys: ['t-0', 't-1999'] });
  await until(() => replies.length === 1, 'the who-has reply');
  t.same(replies[0]!.whoHas, { 't-0': [], 't-1999': [] }, 'released before the who-has was answered: nobody holds them');
  t.equal(s.state.tasks.size, 0);
  // A release while the connection closes: released too, before the client is gone.
  const more = keys.slice(0, 1_000).map((k) => `${k}-b`);
  client.conn.send({ op: 'update-graph', tasks: more.map((key) => ({ key, fn: { module: 'm', export: 'e' }, args: [], deps: [] })), wants: more });
  await until(() => more.every((k) => s.state.tasks.get(k)?.state === 'memory'), 'the second batch in memory');
  client.conn.send({ op: 'release-keys', keys: more });
  client.conn.close();
  await until(() => s.state.tasks.size === 0, 'every task forgotten after the close');
  t.equal(s.state.forgottenCount, 3_000);
});
