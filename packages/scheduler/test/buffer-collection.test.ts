import t from 'tap';
import { readFileSync } from 'node:fs';
import { connect, type Message } from '@gluon/protocol';
import { startCli, TOKEN } from './scheduler-proc.js';
import { until } from '../../../test/helpers/until.js';

t.test('the real scheduler frees the buffers of one big task argument once it is idle again', async (t) => {
  // One task with a 64 MiB argument passes through the scheduler (client -> scheduler -> worker):
  // reading, decoding and re-encoding it left ~3x its size in dead ArrayBuffers that nothing
  // collected, since the JS heap barely grew and the scheduler then idles (a probe: external
  // 210 MiB, RSS 283 MiB against 60 before, for good; one gc() took them to 2 and 91).
  // This raw worker sends no heartbeats: a TTL a loaded machine cannot reach, or the worker and
  // the task's result are dropped before the release.
  const s = await startCli(t, ['--heartbeat-ttl', '1h'], { GLUON_TOKEN: TOKEN });
  const worker = await connect(s.address, { role: 'worker', name: 'w', address: 'ws://127.0.0.1:1', nthreads: 1, memoryLimit: 0, pid: 1, host: 'test' }, { token: TOKEN, timeoutMs: 120_000 });
  t.teardown(() => worker.conn.close());
  worker.conn.send({ op: 'holding', keys: {} });
  let received = 0;
  worker.conn.on('message', (m: Message) => {
    if (m.op !== 'compute-task') return;
    received = ((m.args as unknown[])[0] as Float64Array).length;
    worker.conn.send({ op: 'task-finished', key: m.key, nbytes: 8, typeName: 'number', start: 1, stop: 2, thread: 0, value: 1, hasValue: true });
  });
  const rss = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${s.child.pid}/status`, 'utf8'))![1]) / 1024;
  const before = rss();
  const client = await connect(s.address, { role: 'client', name: 'c' }, { token: TOKEN, timeoutMs: 120_000 });
  t.teardown(() => client.conn.close());
  let done = false;
  client.conn.on('message', (m: Message) => { if (m.op === 'key-in-memory' && m.key === 'big') done = true; });
  const n = 8 * 2 ** 20; // 64 MiB of float64
  client.conn.send({ op: 'update-graph', tasks: [{ key: 'big', fn: { module: 'm', export: 'e' }, args: [new Float64Array(n).fill(0.5)], deps: [] }], wants: ['big'] });
  await until(() => done, `the big task's result at the client; stderr: ${s.stderr().slice(-600)}`);
  t.equal(received, n, 'the worker got the whole argument');
  const mark = s.stderr().length;
  client.conn.send({ op: 'release-keys', keys: ['big'] });
  // Ticks are a second apart here; the first settled one once the task is forgotten collects
  // (one may come before, while the argument is alive; then the release is collected all the
  // same, also when V8 has freed the argument itself meanwhile: idle-gc.test), and says so with
  // what the collection left, freed before the line is written. Bounded generously.
  const line = () => /collection of big buffers \(([\d.]+) MiB in ArrayBuffers, 0 tasks held[^)]*\): heap [\d.]+ MiB used of [\d.]+, external [\d.]+ MiB, RSS ([\d.]+) MiB/.exec(s.stderr().slice(mark));
  await until(() => line() !== null, `a collection after the release; stderr: ${s.stderr().slice(-600)}`);
  const m = line()!;
  // RSS, not V8's external count (on Node 20 that lags until V8 next collects): without the
  // collection it stayed 220-260 MiB above where it was before; with it, 38-67.
  t.ok(Number(m[2]) < before + 128, `RSS ${m[2]} MiB after, ${before.toFixed(1)} before the argument: not its copies (${m[0]})`);
});
