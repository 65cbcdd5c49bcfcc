/**
 * result() of a future whose key settled before the call, in every way a key settles: finished
 * with its value inline, finished on a worker it is fetched from, failed, cancelled by the
 * scheduler, lost with the scheduler. Against a fake scheduler and a fake worker data listener
 * (fake-scheduler.ts), so each answer is exactly the one the case needs. Each call gives what the
 * key's state says, and once it has, nothing is kept pinned on the state (a pin is what keeps an
 * awaited future alive; one left behind would keep a finished state's future for good). These
 * hold on the path taken for a pending key too, which a settled key now goes through. No time
 * budgets: every wait is on an event.
 */
import t, { type Test } from 'tap';
import { CancelledError, Client, ClientClosedError, remoteFrom, TaskError, type Future } from '@gluon/client';
import { listen, type Connection, type Message } from '@gluon/protocol';
import { fakeScheduler } from '../fake-scheduler.js';

const { inc } = remoteFrom<typeof import('@gluon/examples/tasks')>('@gluon/examples/tasks');

type Answer = 'inline' | 'on-worker' | 'erred' | 'cancelled' | 'none';

/** What the key's state keeps pinned (private): undefined once no wait goes on. */
function pinsOf(f: Future): unknown {
  return (f as unknown as { state: { pins?: unknown } }).state.pins;
}

/** A worker's data listener that serves `value` for any key; counts the fetches. */
async function fakeWorker(t: Test, value: unknown): Promise<{ address: string; fetches: () => number }> {
  let fetches = 0;
  const server = await listen({
    host: '127.0.0.1', port: 0, self: 'test worker', roles: ['peer', 'client'],
    onConnection(conn: Connection) {
      conn.on('message', (m: Message) => {
        if (m.op !== 'get-data') return;
        fetches++;
        const keys = m.keys as string[];
        conn.send({ op: 'data', replyTo: m.id, data: Object.fromEntries(keys.map((k) => [k, value])), missing: [] });
      });
    },
  });
  t.teardown(() => server.close());
  return { address: server.address, fetches: () => fetches };
}

/** A client whose fake scheduler answers each task as `answer(i)` says, i counting the tasks from 0; `graphTo`: the connection its first graph came on. */
async function settling(t: Test, worker: string, answer: (i: number) => Answer): Promise<{ client: Client; graphTo: Promise<Connection> }> {
  let i = 0;
  let heard!: (c: Connection) => void;
  const graphTo = new Promise<Connection>((r) => (heard = r));
  const server = await fakeScheduler(t, (conn, m) => {
    if (m.op !== 'update-graph') return;
    heard(conn);
    for (const key of m.wants as string[]) {
      const a = answer(i++);
      if (a === 'inline') conn.send({ op: 'key-in-memory', key, nbytes: 9, typeName: 'number', workers: [worker], value: 41 });
      else if (a === 'on-worker') conn.send({ op: 'key-in-memory', key, nbytes: 20_000, typeName: 'string', workers: [worker] });
      else if (a === 'cancelled') conn.send({ op: 'cancelled', key });
      else if (a === 'erred') {
        conn.send({ op: 'task-erred', key, error: { message: 'boom', name: 'RangeError', stack: 'RangeError: boom', key, worker: 'w1', retriesUsed: 0, kind: 'exception' } });
      }
    }
  });
  const client = await Client.connect(server.address, { reconnectTimeoutMs: 0 });
  t.teardown(() => client.close());
  return { client, graphTo };
}

/** Waits until the future's key settled, without calling result(). */
async function settled(f: Future): Promise<void> {
  await f.exception().catch(() => {});
  if (!f.done) throw new Error(`${f.key} is still ${f.status}`);
}

t.test('a settled key\'s result(): its value, inline or fetched, or its failure; nothing left pinned', async (t) => {
  const worker = await fakeWorker(t, 'x'.repeat(20_000));
  const answers: Answer[] = ['inline', 'on-worker', 'erred', 'cancelled'];
  const { client } = await settling(t, worker.address, (i) => answers[i]!);
  const [inline, onWorker, erred, cancelled] = answers.map((_, i) => client.submit(inc, i));
  for (const f of [inline, onWorker, erred, cancelled]) await settled(f!);
  t.equal(pinsOf(inline!), undefined, 'nothing pinned before the calls');

  t.equal(await inline!.result(), 41, 'finished, inline: its value');
  t.equal(pinsOf(inline!), undefined, 'and nothing kept pinned');
  const [a, b] = await Promise.all([inline!.result(), inline!.result()]);
  t.same([a, b], [41, 41], 'two calls at once: the same value');

  t.equal(await onWorker!.result(), 'x'.repeat(20_000), 'finished on a worker: fetched from it');
  t.equal(worker.fetches(), 1, 'one fetch');
  t.equal(pinsOf(onWorker!), undefined, 'nothing kept pinned after the fetch');

  const err = await erred!.result().then(() => undefined, (e: unknown) => e);
  t.ok(err instanceof TaskError, 'failed: a TaskError');
  t.match((err as Error).message, /boom/);
  t.equal(pinsOf(erred!), undefined, 'nothing kept pinned after the rejection');

  const c = await cancelled!.result().then(() => undefined, (e: unknown) => e);
  t.ok(c instanceof CancelledError, 'cancelled by the scheduler: a CancelledError');
  t.equal(pinsOf(cancelled!), undefined);
});

t.test('a key lost with the scheduler before the call: the client\'s error, nothing left pinned', async (t) => {
  const worker = await fakeWorker(t, 0);
  const { client, graphTo } = await settling(t, worker.address, () => 'none');
  const f = client.submit(inc, 1);
  const conn = await graphTo;
  const closed = new Promise<void>((r) => conn.once('close', () => r()));
  conn.close(1001, 'going away');
  await closed;
  await settled(f);
  t.equal(f.status, 'lost');
  const err = await f.result().then(() => undefined, (e: unknown) => e);
  t.ok(err instanceof ClientClosedError, `a ClientClosedError: ${(err as Error).message}`);
  t.equal(pinsOf(f), undefined);
});

t.test('a released future\'s result() is refused, settled or not', async (t) => {
  const worker = await fakeWorker(t, 0);
  const { client } = await settling(t, worker.address, () => 'inline');
  const f = client.submit(inc, 1);
  await settled(f);
  f.release();
  await t.rejects(f.result(), { name: 'ReleasedFutureError', message: `future ${f.key} was released by future.release(); its result is no longer held` });
});
