/**
 * The path of a sequential `await client.submit(f, x).result()` (bench/scheduler.ts (b)), against
 * a fake scheduler that answers each update-graph with key-in-memory at once (fake-scheduler.ts):
 * a small submit leaves as its own frame in the client's flush, and a result that came inline
 * reaches the awaiting caller in the first microtask after the client took in the notice (it
 * took four more, through an async function, the state's own promise and a `finally`). Failures and
 * results awaited after they came keep their meaning. No time budgets: every wait is on an event.
 */
import t, { type Test } from 'tap';
import { Client, remoteFrom, TaskError } from '@gluon/client';
import type { Connection, Message } from '@gluon/protocol';
import { fakeScheduler } from '../fake-scheduler.js';

const { inc } = remoteFrom<typeof import('@gluon/examples/tasks')>('@gluon/examples/tasks');

/** A client whose tasks the fake scheduler finishes (`answer` says how) as soon as it hears of them. */
async function answered(t: Test, answer: (key: string) => Message): Promise<{ client: Client; frames: Message[][] }> {
  const frames: Message[][] = [];
  const server = await fakeScheduler(t, (conn, m) => {
    if (m.op !== 'update-graph') return;
    frames.push([m]);
    for (const key of m.wants as string[]) conn.send(answer(key));
  });
  const client = await Client.connect(server.address, { reconnectTimeoutMs: 0 });
  t.teardown(() => client.close());
  return { client, frames };
}

/** The client's connection (private): its `message` listeners run in the order they were added. */
function connOf(client: Client): Connection {
  return (client as unknown as { conn: Connection }).conn;
}

t.test('an inline result reaches the awaiting caller in the first microtask after the notice', async (t) => {
  const { client } = await answered(t, (key) => ({ op: 'key-in-memory', key, nbytes: 8, typeName: 'number', workers: ['ws://w1'], value: 42 }));
  // Added after the client's own listener: runs right after the client took in the notice.
  let turns = -1;
  let resolvedAt = -1;
  connOf(client).on('message', (m: Message) => {
    if (m.op !== 'key-in-memory') return;
    turns = 0;
    const tick = (): void => {
      if (resolvedAt >= 0 || turns > 20) return;
      turns++;
      void Promise.resolve().then(tick);
    };
    void Promise.resolve().then(tick);
  });
  const value = await client.submit(inc, 1).result().then((v) => {
    resolvedAt = turns;
    return v;
  });
  t.equal(value, 42);
  t.ok(resolvedAt >= 0 && resolvedAt <= 1, `resumed ${resolvedAt} microtask(s) after the notice (four on the old path)`);
});

t.test('sequential submits each leave as one frame, and each result is its own', async (t) => {
  const { client, frames } = await answered(t, (key) => ({ op: 'key-in-memory', key, nbytes: 8, typeName: 'number', workers: ['ws://w1'], value: `v:${key}` }));
  for (let i = 0; i < 50; i++) {
    const f = client.submit(inc, i);
    t.equal(await f.result(), `v:${f.key}`);
  }
  t.equal(frames.length, 50, 'one update-graph per submit');
  t.ok(frames.every((f) => (f[0]!.tasks as unknown[]).length === 1), 'each with its one task');
  t.equal(client.unsentTasks, 0, 'nothing left queued');
});

t.test('a result awaited after it came, and twice at once, is the same value', async (t) => {
  const { client } = await answered(t, (key) => ({ op: 'key-in-memory', key, nbytes: 8, typeName: 'number', workers: ['ws://w1'], value: 7 }));
  const f = client.submit(inc, 2);
  const [a, b] = await Promise.all([f.result(), f.result()]);
  t.same([a, b], [7, 7], 'two waits on one future, both resolved');
  t.equal(await f.result(), 7, 'and after it finished');
});

t.test('a failure rejects the awaiting caller with the task\'s error', async (t) => {
  const { client } = await answered(t, (key) => ({
    op: 'task-erred', key,
    error: { message: 'boom', name: 'RangeError', stack: 'RangeError: boom', key, worker: 'w1', retriesUsed: 0, kind: 'exception' },
  }));
  const f = client.submit(inc, 3);
  const err = await f.result().then(() => undefined, (e: unknown) => e);
  t.ok(err instanceof TaskError, 'a TaskError');
  t.match((err as Error).message, /boom/);
  const again = await f.result().then(() => undefined, (e: unknown) => e);
  t.ok(again instanceof TaskError, 'awaited again after it failed: the same kind of error');
});
