import t from 'tap';
import { connect, type Message } from '@gluon/protocol';
import { startCli, TOKEN } from './scheduler-proc.js';
import { until } from '../../../test/helpers/until.js';

t.test('the real scheduler collects once a big burst of work has settled with its results held, and keeps them', async (t) => {
  const s = await startCli(t, [], { GLUON_TOKEN: TOKEN });
  const worker = await connect(s.address, { role: 'worker', name: 'w', address: 'ws://127.0.0.1:1', nthreads: 64, memoryLimit: 0, pid: 1, host: 'test' }, { token: TOKEN });
  t.teardown(() => worker.conn.close());
  worker.conn.send({ op: 'holding', keys: {} });
  const ran: string[] = [];
  worker.conn.on('message', (m: Message) => {
    if (m.op !== 'compute-task') return;
    ran.push(String(m.key));
    worker.conn.send({ op: 'task-finished', key: m.key, nbytes: 8, typeName: 'number', start: 1, stop: 2, thread: 0, value: 1, hasValue: true });
  });
  const client = await connect(s.address, { role: 'client', name: 'c' }, { token: TOKEN });
  t.teardown(() => client.conn.close());
  const inMemory = new Set<string>();
  client.conn.on('message', (m: Message) => { if (m.op === 'key-in-memory') inMemory.add(String(m.key)); });
  // Past the collection's thresholds: 3 state changes a task, 210,000 in all, at least 4 x the
  // idle collection's 50,000 and twice the 70,000 tasks held. Sent in slices as a client does.
  const n = 70_000;
  const keys = Array.from({ length: n }, (_, i) => `held-${i}`);
  for (let i = 0; i < n; i += 5_000) {
    const slice = keys.slice(i, i + 5_000);
    client.conn.send({ op: 'update-graph', tasks: slice.map((key) => ({ key, fn: { module: 'm', export: 'e' }, args: [], deps: [] })), wants: slice });
  }
  await until(() => inMemory.size === n, `${n} results at the client (${inMemory.size} so far); stderr: ${s.stderr().slice(-600)}`);
  // The first tick without work (ticks are a second apart here) collects; bounded generously.
  await until(() => /collection after \d+ task state changes, 70000 tasks held/.test(s.stderr()), `the collection's log line; stderr: ${s.stderr().slice(-400)}`, 60_000);
  const m = /collection after (\d+) task state changes, 70000 tasks held \(RSS before ([\d.]+) MiB\): heap ([\d.]+) MiB used of ([\d.]+), external [\d.]+ MiB, RSS ([\d.]+) MiB/.exec(s.stderr());
  t.ok(m, `the line says what it collected: ${/collection after.*$/m.exec(s.stderr())?.[0]}`);
  t.ok(Number(m![1]) >= 200_000, `counted ${m![1]} state changes, at least 4 x 50,000`);
  t.notMatch(s.stderr(), /idle collection/, 'nothing was released: no idle collection');
  // The held results are intact: a task on one of them runs with it.
  client.conn.send({ op: 'update-graph', tasks: [{ key: 'after', fn: { module: 'm', export: 'e' }, args: [], deps: [keys[12_345]!] }], wants: ['after'] });
  await until(() => inMemory.has('after'), 'the dependent task of a held result');
  t.ok(ran.includes('after'), 'it ran');
  t.equal((s.stderr().match(/collection after \d+ task state changes/g) ?? []).length, 1, 'one collection: a task more is not a burst');
});
