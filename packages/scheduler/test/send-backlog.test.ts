/**
 * A worker or client that stops reading its socket while the scheduler keeps sending to it:
 * the real scheduler process drops it with 4010 once more than `--max-send-backlog` waits for
 * it, handles it as any lost connection, and everyone else finishes.
 */
import t from 'tap';
import { connect, MAX_INLINE_RESULT_BYTES, wireSizeUpTo, type Connection, type Message } from '@gluon/protocol';
import { startCli, type TapTest } from './scheduler-proc.js';
import { until } from '../../../test/helpers/until.js';

const fn = { module: 'm', export: 'e' };

/** A protocol-level worker answering every task with `value`. */
async function worker(t: TapTest, address: string, name: string, nthreads: number, value: unknown): Promise<Connection> {
  const { conn } = await connect(address, { role: 'worker', name, address: `ws://127.0.0.1:${name.length}`, nthreads, memoryLimit: 0, pid: 1, host: 'test' });
  t.teardown(() => conn.terminate());
  conn.send({ op: 'holding', keys: {} });
  conn.on('message', (m: Message) => {
    if (m.op === 'compute-task') conn.send({ op: 'task-finished', key: m.key, nbytes: wireSizeUpTo(value, Infinity), typeName: 'string', start: 1, stop: 2, thread: 0, value, hasValue: true });
  });
  return conn;
}

/** Resolves once `conn` has been told every one of `keys` is in memory. */
function allInMemory(conn: Connection, keys: string[]): Promise<void> {
  const left = new Set(keys);
  return new Promise((resolve) => {
    const on = (m: Message) => {
      if (m.op === 'key-in-memory' && left.delete(m.key as string) && left.size === 0) {
        conn.off('message', on);
        resolve();
      }
    };
    conn.on('message', on);
  });
}

t.test('a client that stops reading is dropped with 4010 (its session grace applies) while another client\'s results go on', async (t) => {
  const proc = await startCli(t, ['--max-send-backlog', '8MiB']);
  // As large as a result sent inline may be (16 KiB as the scheduler measures it: a string's
  // length and 5); a larger one is not passed on (units/hostile-state).
  await worker(t, proc.address, 'w1', 2, 'x'.repeat(MAX_INLINE_RESULT_BYTES - 5));
  const good = (await connect(proc.address, { role: 'client', name: 'good' })).conn;
  t.teardown(() => good.terminate());
  const paused = (await connect(proc.address, { role: 'client', name: 'paused', session: 'paused-session' })).conn;
  t.teardown(() => paused.terminate());
  paused.ws.pause();
  const dropped = () => /client paused .* lost: connection closed \(4010: not reading/.test(proc.stderr());
  // Each batch: 64 results of 16 KiB that both clients hold (1 MiB, well under the limit for the
  // client that reads); bounded far past the limit plus what loopback's kernel buffers take
  // (150 MiB in all).
  let batches = 0;
  for (; batches < 150 && !dropped(); batches++) {
    const tasks = Array.from({ length: 64 }, (_, i) => ({ key: `r-${batches}-${i}`, fn, args: [], deps: [] }));
    const keys = tasks.map((x) => x.key);
    const done = allInMemory(good, keys);
    paused.send({ op: 'update-graph', tasks, wants: keys });
    good.send({ op: 'update-graph', tasks, wants: keys });
    await done;
    good.send({ op: 'release-keys', keys });
  }
  if (!dropped()) {
    t.fail(`the paused client is still connected after ${batches} batches (${batches} MiB of results sent to it)`);
    return;
  }
  t.match(proc.stderr(), /closing connection to client paused .*: not reading: .* over the scheduler's send-backlog limit of 8\.0 MiB \(8388608 bytes, maxSendBacklogBytes\)/, 'the log names the limit');
  t.match(proc.stderr(), /client paused .* lost: connection closed \(4010: .*\); keeping its keys for 60000 ms in case it reconnects/, 'its keys are kept for its session grace, as for any lost client');
  // The other client is served as before.
  const tasks = Array.from({ length: 50 }, (_, i) => ({ key: `after-${i}`, fn, args: [], deps: [] }));
  const done = allInMemory(good, tasks.map((x) => x.key));
  good.send({ op: 'update-graph', tasks, wants: tasks.map((x) => x.key) });
  await done;
  t.pass('the other client\'s next tasks finish');
});

t.test('a worker that stops reading is dropped with 4010 and its tasks run elsewhere', async (t) => {
  const proc = await startCli(t, ['--max-send-backlog', '8MiB', '--heartbeat-ttl', '600s']);
  // Many threads: the scheduler sends it many tasks at once, each with a 1 MiB argument (the
  // worker that reads holds two at a time: 2 MiB, well under the limit).
  const stuck = await worker(t, proc.address, 'stuck', 48, 0);
  stuck.ws.pause();
  await worker(t, proc.address, 'ok', 1, 1);
  const client = (await connect(proc.address, { role: 'client', name: 'c' })).conn;
  t.teardown(() => client.terminate());
  const arg = 'y'.repeat(1024 * 1024);
  const tasks = Array.from({ length: 48 }, (_, i) => ({ key: `big-${i}`, fn, args: [arg, i], deps: [] }));
  const done = allInMemory(client, tasks.map((x) => x.key));
  client.send({ op: 'update-graph', tasks, wants: tasks.map((x) => x.key) });
  await until(() => /worker stuck .* lost: connection closed \(4010: not reading/.test(proc.stderr()), 'the stuck worker is dropped');
  await done;
  t.pass('every task finished on the worker that reads');
});
