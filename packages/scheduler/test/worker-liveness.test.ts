/**
 * The real scheduler counts any message from a worker as a sign of life, not only its heartbeat.
 * Protocol-level workers in the tests answer compute-tasks without heartbeats, and the scheduler
 * used to drop them `--heartbeat-ttl` after they registered whatever they sent, so every such
 * test had that long (30 s) to finish: at load ~17 one got 0 of 60,000 results.
 */
import t from 'tap';
import { connect, type Message } from '@gluon/protocol';
import { startCli, TOKEN } from './scheduler-proc.js';
import { until } from '../../../test/helpers/until.js';

t.test('a worker that sends results but no heartbeats outlives the TTL', async (t) => {
  const ttlMs = 3_000;
  const s = await startCli(t, ['--heartbeat-ttl', `${ttlMs}ms`], { GLUON_TOKEN: TOKEN });
  const worker = await connect(s.address, { role: 'worker', name: 'quiet', address: 'ws://127.0.0.1:1', nthreads: 1, memoryLimit: 0, pid: 1, host: 'test' }, { token: TOKEN });
  t.teardown(() => worker.conn.close());
  let closed: number | undefined;
  worker.conn.on('close', (code: number) => { closed = code; });
  worker.conn.send({ op: 'holding', keys: {} });
  worker.conn.on('message', (m: Message) => {
    if (m.op === 'compute-task') worker.conn.send({ op: 'task-finished', key: m.key, nbytes: 8, typeName: 'number', start: 1, stop: 2, thread: 0, value: 1, hasValue: true });
  });
  const client = await connect(s.address, { role: 'client', name: 'c' }, { token: TOKEN });
  t.teardown(() => client.conn.close());
  const done = new Set<string>();
  client.conn.on('message', (m: Message) => { if (m.op === 'key-in-memory') done.add(String(m.key)); });
  // One task at a time, each after the last one's result, for well over two TTLs.
  const began = Date.now();
  let i = 0;
  while (Date.now() - began < 2.5 * ttlMs && i < 100_000) {
    const key = `alive-${i++}`;
    client.conn.send({ op: 'update-graph', tasks: [{ key, fn: { module: 'm', export: 'e' }, args: [], deps: [] }], wants: [key] });
    await until(() => done.has(key) || closed !== undefined, `${key}'s result; stderr: ${s.stderr().slice(-600)}`);
    if (closed !== undefined) break;
  }
  t.equal(closed, undefined, `the worker was not dropped (stderr: ${s.stderr().slice(-300)})`);
  t.notMatch(s.stderr(), /no heartbeat for more than/, 'nor expired');
  t.equal(done.size, i, `all ${i} results came back`);
});
