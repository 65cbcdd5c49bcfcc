/**
 * What a reconnecting client names to the scheduler it comes back to. A restarted scheduler gives
 * out no task until the workers the client names have re-registered (bounded): naming only the
 * workers it had seen results on let a slow worker's finished results, which the client never
 * heard of, be run again on a worker that was back first (restart.test.ts, leaves run twice at
 * load ~10). So the scheduler tells the client every worker it has (the welcome's `workers`,
 * then `worker-joined` / `worker-left`), and the re-sent graph names them all (`workers`).
 */
import t from 'tap';
import type { Connection, Message } from '@gluon/protocol';
import { Client, remoteFrom } from '@gluon/client';
import { fakeScheduler } from '../fake-scheduler.js';

const { noop } = remoteFrom<typeof import('@gluon/examples/tasks')>('@gluon/examples/tasks');

t.test('the re-sent graph names every worker the scheduler had told of, besides where results were seen', async (t) => {
  const graphs: Message[] = [];
  let first: Connection | undefined;
  let resent!: (m: Message) => void;
  const second = new Promise<Message>((r) => (resent = r));
  const server = await fakeScheduler(t, (conn, m) => {
    if (m.op !== 'update-graph') return;
    graphs.push(m);
    if (graphs.length === 1) {
      first = conn;
      // The first scheduler: ws://c joins and ws://b leaves after the welcome, and the task's
      // result is on ws://a. ws://d is known from the welcome alone: no result seen there.
      conn.send({ op: 'worker-joined', address: 'ws://c' });
      conn.send({ op: 'worker-left', address: 'ws://b' });
      const key = (m.tasks as Array<{ key: string }>)[0]!.key;
      conn.send({ op: 'key-in-memory', key, nbytes: 8, typeName: 'number', workers: ['ws://a'], value: 1 });
    } else {
      resent(m);
    }
  }, (n) => (n === 1 ? { workers: ['ws://a', 'ws://b', 'ws://d'] } : { workers: [] }));
  const client = await Client.connect(server.address, { reconnectTimeoutMs: 60_000 });
  t.teardown(() => client.close());
  const f = client.submit(noop);
  await f.result();
  // The scheduler goes away (restarted: its new welcome names no worker).
  first!.close(1012, 'restarting');
  const m = await second;
  t.equal(client.reconnects, 1);
  t.same(m.held, { [f.key]: ['ws://a'] }, 'where the result was seen');
  t.same([...(m.workers as string[])].sort(), ['ws://a', 'ws://c', 'ws://d'],
    'every worker the scheduler had told of and not seen leave, ws://d too, though no result was seen on it');
  t.same(m.wants, [f.key]);
});

t.test('a client that never reconnected sends no workers; nor does its first graph', async (t) => {
  const seen: Message[] = [];
  let got!: () => void;
  const one = new Promise<void>((r) => (got = r));
  const server = await fakeScheduler(t, (_conn, m) => {
    if (m.op !== 'update-graph') return;
    seen.push(m);
    got();
  }, () => ({ workers: ['ws://a'] }));
  const client = await Client.connect(server.address, { reconnectTimeoutMs: 0 });
  t.teardown(() => client.close());
  client.submit(noop);
  await one;
  t.equal(seen[0]!.workers, undefined);
  t.equal(seen[0]!.held, undefined);
});

t.test('back on the same scheduler (its schedulerId unchanged: only the link was lost), the client names no worker and no holder', async (t) => {
  // The same scheduler knows where every result is, and a worker it told of that is not
  // registered has left: the client missed the worker-left while its link was down. Named, such
  // a worker was waited for (holderWaitMs, every client's tasks held) once the scheduler had
  // forgotten its leaving (it remembers the last 100 workers that left).
  const graphs: Message[] = [];
  const conns: Connection[] = [];
  let next!: (m: Message) => void;
  let arrived = new Promise<Message>((r) => (next = r));
  const server = await fakeScheduler(t, (conn, m) => {
    if (m.op !== 'update-graph') return;
    graphs.push(m);
    conns.push(conn);
    if (graphs.length === 1) {
      conn.send({ op: 'worker-joined', address: 'ws://c' });
      const key = (m.tasks as Array<{ key: string }>)[0]!.key;
      conn.send({ op: 'key-in-memory', key, nbytes: 8, typeName: 'number', workers: ['ws://a'], value: 1 });
    } else next(m);
  }, (n) => (n === 1 ? { workers: ['ws://a', 'ws://b'], schedulerId: 'one' } : n === 2 ? { workers: ['ws://a'], schedulerId: 'one' } : { workers: [], schedulerId: 'two' }));
  const client = await Client.connect(server.address, { reconnectTimeoutMs: 60_000 });
  t.teardown(() => client.close());
  const f = client.submit(noop);
  await f.result();
  conns[0]!.close(1011, 'link lost');
  const again = await arrived;
  t.equal(client.reconnects, 1);
  t.equal(again.workers, undefined, 'no worker named: ws://b left while the link was down, and the scheduler knows it');
  t.equal(again.held, undefined, 'nor where results were seen: the scheduler knows that too');
  t.same(again.wants, [f.key], 'the graph is re-sent all the same');
  // Then the scheduler does restart (a new schedulerId): the client names what this one told it,
  // ws://a from its welcome; not ws://b, which it had not listed, nor ws://c from the first.
  arrived = new Promise<Message>((r) => (next = r));
  conns[1]!.close(1012, 'restarting');
  const third = await arrived;
  t.equal(client.reconnects, 2);
  t.same(third.workers, ['ws://a'], 'after a restart it names the workers the scheduler it had last told of');
  t.same(third.held, { [f.key]: ['ws://a'] });
});
