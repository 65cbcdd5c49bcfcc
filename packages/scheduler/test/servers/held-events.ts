/**
 * The dashboard's events of a peer's message reach the server's subscribers after the message's
 * answers were handed to the socket (held-events.ts): a sequential round trip no longer waits
 * for the live feed's and `/metrics`' bookkeeping of its task. First the holding itself, then a
 * real scheduler with a real worker and client in this process: a subscriber that sees a task's
 * `task-done` finds its `key-in-memory` already written to the client's socket. Last, the same
 * when the task-finished comes second in a worker's frame, behind a heartbeat (which makes an
 * event too): a raw worker connection sends the two in one frame every time.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import t from 'tap';
import { Client, remoteFrom } from '@gluon/client';
import { connect, decodeFrame, type Connection, type Message } from '@gluon/protocol';
import { startScheduler, type ClusterEvent } from '@gluon/scheduler';
import { startWorker } from '@gluon/worker';
import { HeldEvents } from '../../src/held-events.js';
import { until } from '../../../../test/helpers/until.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../../../..');
const fx = remoteFrom<typeof import('../fixtures/dashboard-tasks.mjs')>(pathToFileURL(join(here, '../fixtures/dashboard-tasks.mjs')));

t.test('held events pass on in order, after those held before them, once released', async (t) => {
  const errors: unknown[] = [];
  const ev = new HeldEvents<number>((e) => errors.push(e));
  const seen: number[] = [];
  ev.subscribe((n) => seen.push(n));
  ev.emit(1);
  t.same(seen, [1], 'not holding: passed on at once');
  ev.hold();
  ev.emit(2);
  ev.emit(3);
  t.same(seen, [1], 'holding: kept');
  t.equal(ev.stop(), true, 'events wait');
  ev.emit(4);
  t.same(seen, [1, 2, 3, 4], 'an event after the hold passes on those held first');
  t.equal(ev.stop(), false, 'nothing waits');
  ev.hold();
  ev.emit(5);
  ev.stop();
  const late: number[] = [];
  ev.subscribe((n) => late.push(n));
  t.same(seen, [1, 2, 3, 4, 5], 'a new subscription passes on what was held to those before it');
  t.same(late, [], 'and not to itself');
  ev.subscribe(() => {
    throw new Error('listener bug');
  });
  ev.emit(6);
  t.same(late, [6]);
  t.equal(errors.length, 1, 'a throwing listener is reported, not thrown');
});

t.test('a task\'s task-done reaches a subscriber after its key-in-memory was written to the client', async (t) => {
  const quiet = (): void => {};
  const s = await startScheduler({ host: '127.0.0.1', port: 0, dashboardPort: 0, log: quiet });
  const worker = await startWorker({ scheduler: s.address, nthreads: 1, name: 'held-w', cwd: repo, allowModules: [join(here, '../fixtures')], log: quiet });
  const client = await Client.connect(s.address, { name: 'held-events-test' });
  t.teardown(async () => {
    await client.close();
    await worker.close('test over', 2000);
    await s.close();
  });
  await until(() => s.state.clients.size === 1 && s.state.workers.size === 1, 'the worker and the client register');
  // What the scheduler hands its client connection's socket, in order (the real socket, watched).
  const written = watchKeyInMemory(s);
  const atEvent = new Map<string, boolean>();
  const off = s.subscribe((e: ClusterEvent) => {
    if (e.kind === 'task-done') atEvent.set(e.key, written.includes(e.key));
  });
  t.teardown(off);
  for (let i = 0; i < 5; i++) {
    const f = client.submit(fx.work, i, 0, 0);
    t.equal(await f.result(), i + 1);
    await until(() => atEvent.has(f.key), `task-done of ${f.key}`);
    t.equal(atEvent.get(f.key), true, `${f.key}: key-in-memory was written before its task-done reached the subscriber`);
  }
});

/** Records the keys of the key-in-memory messages the scheduler hands its only client connection's socket. */
function watchKeyInMemory(s: Awaited<ReturnType<typeof startScheduler>>): string[] {
  const conn = [...(s as unknown as { clients: Map<string, Connection> }).clients.values()][0]!;
  const written: string[] = [];
  const send = conn.ws.send.bind(conn.ws);
  conn.ws.send = ((data: Buffer, ...rest: unknown[]) => {
    for (const m of decodeFrame(data)) if (m.op === 'key-in-memory') written.push(m.key as string);
    return (send as (...a: unknown[]) => void)(data, ...rest);
  }) as typeof conn.ws.send;
  return written;
}

t.test("a task-done behind a heartbeat in the worker's frame still reaches a subscriber after the key-in-memory was written", async (t) => {
  const s = await startScheduler({ host: '127.0.0.1', port: 0, dashboardPort: 0, log: () => {} });
  t.teardown(() => s.close());
  const worker = await connect(s.address, { role: 'worker', name: 'w', address: 'ws://127.0.0.1:1', nthreads: 1, memoryLimit: 0, pid: 1, host: 'test' });
  t.teardown(() => worker.conn.close());
  worker.conn.send({ op: 'holding', keys: {} });
  const metrics = { cpu: 0, rss: 1, memoryLimit: 0, executing: 0, ready: 0, stored: 0, storedBytes: 0, time: Date.now() };
  worker.conn.on('message', (m: Message) => {
    if (m.op !== 'compute-task') return;
    // Sent in one tick: one frame, the heartbeat first.
    worker.conn.send({ op: 'heartbeat', metrics: { ...metrics, time: Date.now() } });
    worker.conn.send({ op: 'task-finished', key: m.key, nbytes: 8, typeName: 'number', start: 1, stop: 2, thread: 0, value: 1, hasValue: true });
  });
  const client = await connect(s.address, { role: 'client', name: 'c' });
  t.teardown(() => client.conn.close());
  const inMemory = new Set<string>();
  client.conn.on('message', (m: Message) => {
    if (m.op === 'key-in-memory') inMemory.add(String(m.key));
  });
  await until(() => s.state.workers.size === 1 && s.state.clients.size === 1, 'the worker and the client register');
  const written = watchKeyInMemory(s);
  const atEvent = new Map<string, boolean>();
  let workerEvents = 0;
  const off = s.subscribe((e: ClusterEvent) => {
    if (e.kind === 'task-done') atEvent.set(e.key, written.includes(e.key));
    if (e.kind === 'worker') workerEvents++;
  });
  t.teardown(off);
  for (let i = 0; i < 5; i++) {
    const key = `held-${i}`;
    client.conn.send({ op: 'update-graph', tasks: [{ key, fn: { module: 'm', export: 'e' }, args: [], deps: [] }], wants: [key] });
    await until(() => inMemory.has(key) && atEvent.has(key), `${key} in memory and its task-done seen`);
    t.equal(atEvent.get(key), true, `${key}: key-in-memory was written before its task-done reached the subscriber`);
  }
  t.ok(workerEvents >= 5, `the heartbeats' worker events reached the subscriber too (${workerEvents})`);
});
