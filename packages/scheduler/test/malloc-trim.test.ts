import t from 'tap';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { connect, type Message } from '@gluon/protocol';
import { mallocTrim } from '../src/malloc-trim.js';
import { startCli, TOKEN } from './scheduler-proc.js';
import { until } from '../../../test/helpers/until.js';

const glibc = (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime;
const notGlibc = process.platform !== 'linux' || !glibc ? `glibc only: this is ${process.platform} without glibc` : false;

t.test('off glibc there is no trim, and the answer says why', { skip: notGlibc ? false : 'this is glibc Linux' }, async (t) => {
  const m = mallocTrim();
  t.type(m, 'string');
  t.match(m, /no malloc_trim/);
});

t.test('free pages glibc keeps below live blocks are given back', { skip: notGlibc }, async (t) => {
  const m = mallocTrim();
  if (typeof m === 'string') return t.fail(`glibc Linux, and still: ${m}`);
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as NodeJS.GCFunction;
  // The scheduler's shape after a big release: transient 60 KB buffers (below glibc's mmap
  // threshold, so in the heap, like Node's socket reads) interleaved with small ones that live on.
  let transient: Buffer[] | null = [];
  const kept: Buffer[] = [];
  for (let i = 0; i < 2000; i++) {
    transient.push(Buffer.allocUnsafeSlow(60_000).fill(1));
    kept.push(Buffer.allocUnsafeSlow(200).fill(2));
  }
  const buffers = process.memoryUsage().arrayBuffers;
  transient = null;
  // The backing stores are freed once V8 has collected their buffers (on Node 20 possibly after gc() returns).
  for (let i = 0; i < 200 && process.memoryUsage().arrayBuffers > buffers - 100 * 2 ** 20; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
  t.ok(process.memoryUsage().arrayBuffers < buffers - 100 * 2 ** 20, 'the transient buffers were freed');
  const before = process.memoryUsage.rss();
  t.equal(m.trim(), true, 'glibc says it gave memory back');
  const after = process.memoryUsage.rss();
  t.ok(before - after > 50 * 2 ** 20, `RSS ${mib(before)} -> ${mib(after)} MiB (117 MiB of 60 KB buffers freed below live blocks)`);
  t.equal(kept.filter((b) => b[199] === 2).length, 2000, 'the live blocks are intact');
});

t.test('the real scheduler trims the C heap after its idle collection of a big release, and again after a second collection once idle', { skip: notGlibc }, async (t) => {
  const s = await startCli(t, [], { GLUON_TOKEN: TOKEN });
  const worker = await connect(s.address, { role: 'worker', name: 'w', address: 'ws://127.0.0.1:1', nthreads: 64, memoryLimit: 0, pid: 1, host: 'test' }, { token: TOKEN });
  t.teardown(() => worker.conn.close());
  worker.conn.send({ op: 'holding', keys: {} });
  // Heartbeats, as a real worker sends them: without them the scheduler expires this worker a TTL
  // (30 s) after it registered, and on a loaded machine the 60,000 results may not all be back by
  // then ("0 so far": with --heartbeat-ttl 400ms and the client 3 s late, none ever came).
  const beat = setInterval(() => {
    worker.conn.send({ op: 'heartbeat', metrics: { cpu: 0, rss: 0, memoryLimit: 0, executing: 0, ready: 0, stored: 0, storedBytes: 0, time: Date.now() } });
  }, Math.max(50, Number(worker.welcome.heartbeatIntervalMs ?? 1000)));
  t.teardown(() => clearInterval(beat));
  worker.conn.on('message', (m: Message) => {
    if (m.op === 'compute-task') worker.conn.send({ op: 'task-finished', key: m.key, nbytes: 8, typeName: 'number', start: 1, stop: 2, thread: 0, value: 1, hasValue: true });
  });
  const client = await connect(s.address, { role: 'client', name: 'c' }, { token: TOKEN });
  t.teardown(() => client.conn.close());
  let done = 0;
  client.conn.on('message', (m: Message) => { if (m.op === 'key-in-memory') done++; });
  // More than the idle collection's threshold (50,000 forgotten tasks), sent in slices as a client does.
  const n = 60_000;
  const keys = Array.from({ length: n }, (_, i) => `trim-${i}`);
  for (let i = 0; i < n; i += 5_000) {
    const slice = keys.slice(i, i + 5_000);
    client.conn.send({ op: 'update-graph', tasks: slice.map((key) => ({ key, fn: { module: 'm', export: 'e' }, args: [], deps: [] })), wants: slice });
  }
  await until(() => done === n, `${n} results at the client (${done} so far); stderr: ${s.stderr().slice(-400)}`);
  client.conn.send({ op: 'release-keys', keys });
  await until(() => /malloc_trim after the idle collection/.test(s.stderr()), `the trim's log line; stderr: ${s.stderr().slice(-400)}`);
  const m = /malloc_trim after the idle collection: (gave back|nothing to give back), RSS ([\d.]+) -> ([\d.]+) MiB/.exec(s.stderr());
  t.ok(m, `the line says what it did: ${/malloc_trim.*$/m.exec(s.stderr())?.[0]}`);
  await until(() => /malloc_trim after a second collection, 6 s idle/.test(s.stderr()), 'the second collection\'s log line');
  t.match(s.stderr(), /malloc_trim after a second collection, 6 s idle: (gave back|nothing to give back), RSS [\d.]+ -> [\d.]+ MiB/, 'then, still idle, a second collection and trim');
  t.ok(/idle collection after 6\d,\d+ tasks were forgotten|idle collection after 6\d{4} tasks were forgotten/.test(s.stderr()), 'after the idle collection of the release');
});

function mib(b: number): string {
  return (b / 2 ** 20).toFixed(1);
}
