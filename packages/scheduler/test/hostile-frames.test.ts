/**
 * A real scheduler (in this process, on loopback) against hostile peers speaking the protocol:
 * malformed, oversized, out-of-order and duplicated messages. Each gets a clear reason, the
 * scheduler keeps serving, and nothing of the other peers' work is lost: a protocol-level
 * worker and a well-behaved client run tasks before and after each attempt.
 */
import t, { type Test } from 'tap';
import { CloseCode, connect, encodeFrame, type Connection, type Message } from '@gluon/protocol';
import { startScheduler } from '@gluon/scheduler';
import { until } from '../../../test/helpers/until.js';

type Scheduler = Awaited<ReturnType<typeof startScheduler>>;

/** A scheduler with its log kept, a protocol-level worker answering every task with 42, and a good client. */
async function cluster(t: Test): Promise<{ s: Scheduler; lines: string[]; computed: string[]; good: Connection; run: (key: string) => Promise<unknown> }> {
  const lines: string[] = [];
  const s = await startScheduler({ host: '127.0.0.1', port: 0, dashboardPort: 0, log: (l) => lines.push(l) });
  t.teardown(() => s.close());
  const worker = await connect(s.address, { role: 'worker', name: 'w1', address: 'ws://127.0.0.1:1', nthreads: 2, memoryLimit: 0, pid: 1, host: 'test' });
  t.teardown(() => worker.conn.close());
  worker.conn.send({ op: 'holding', keys: {} });
  const computed: string[] = [];
  worker.conn.on('message', (m: Message) => {
    if (m.op === 'compute-task') computed.push(String(m.key));
    if (m.op === 'compute-task') worker.conn.send({ op: 'task-finished', key: m.key, nbytes: 8, typeName: 'number', start: 1, stop: 2, thread: 0, value: 42, hasValue: true });
  });
  const good = (await connect(s.address, { role: 'client', name: 'good' })).conn;
  t.teardown(() => good.close());
  const run = (key: string): Promise<unknown> => {
    const got = new Promise<unknown>((resolve) => good.on('message', (m: Message) => { if (m.op === 'key-in-memory' && m.key === key) resolve(m.value); }));
    good.send({ op: 'update-graph', tasks: [spec(key)], wants: [key] });
    return got;
  };
  return { s, lines, computed, good, run };
}

function spec(key: string, deps: string[] = []): Record<string, unknown> {
  return { key, fn: { module: 'm', export: 'e' }, args: deps.map((d) => ({ __gluonRef: d })), deps };
}

/** How a connection ends: its close code and reason. */
function closed(conn: Connection): Promise<[number, string]> {
  return new Promise((resolve) => conn.on('close', (code: number, reason: string) => resolve([code, reason])));
}

t.test('a key over the protocol\'s bound: its message is refused naming the length and where; what came before it in the frame stands, nothing else is lost', async (t) => {
  const { s, lines, computed, run } = await cluster(t);
  t.equal(await run('before-1'), 42, 'the good client runs a task');
  const hostile = (await connect(s.address, { role: 'client', name: 'hostile' })).conn;
  const end = closed(hostile);
  const over = 'k'.repeat(3_000_000);
  // One frame of three messages: a good graph, a graph with the long key, another good graph.
  hostile.ws.send(encodeFrame([
    { op: 'update-graph', tasks: [spec('first-1')], wants: ['first-1'] },
    { op: 'update-graph', tasks: [spec('ok-2'), spec(over, ['ok-2'])], wants: [over] },
    { op: 'update-graph', tasks: [spec('third-1')], wants: ['third-1'] },
  ]), { binary: true });
  const [code, reason] = await end;
  t.equal(code, CloseCode.protocolError);
  t.match(reason, /^protocol error: update-graph: tasks\[1\]\.key \(task k{16}…\) must be at most 4096 characters, got 3000000/, 'the sender is told the length and where');
  // Its keys were then released with its connection (it gave no session to come back to).
  await until(() => computed.includes('first-1'), 'the graph before it in the frame is taken and run');
  t.notOk(computed.includes('ok-2') || s.state.tasks.has('ok-2'), 'none of the refused graph\'s tasks is');
  t.notOk(computed.includes('third-1') || s.state.tasks.has('third-1'), 'nor the graph after it');
  t.ok([...s.state.tasks.keys()].every((k) => k.length <= 4096), 'no task has a key over the bound');
  const said = lines.filter((l) => l.includes('got 3000000'));
  t.match(said[0], /^closing connection to client hostile \(127\.0\.0\.1:\d+\): protocol error: update-graph: tasks\[1\]\.key/, 'the scheduler\'s log says so, naming the connection it came from');
  t.ok(lines.every((l) => l.length < 2000), 'no log line carries the key');
  t.equal(s.state.tasks.get('before-1')?.state, 'memory', 'the good client\'s result is still there');
  t.equal(await run('after-1'), 42, 'and it runs tasks as before');
});

t.test('another client cancelling the good client\'s keys, and a task naming its dependency twice: the good client\'s work goes on', async (t) => {
  const { s, good, run } = await cluster(t);
  const other = (await connect(s.address, { role: 'client', name: 'other' })).conn;
  t.teardown(() => other.close());
  const toGood: Message[] = [];
  good.on('message', (m: Message) => toGood.push(m));
  // The good client's graph: a wide input (20 dependents: its dependents are a Set) and a task
  // naming it twice. The other client holds one of the same keys, then cancels it.
  const fan = Array.from({ length: 20 }, (_, i) => spec(`fan-${i}`, ['wide-1']));
  good.send({ op: 'update-graph', tasks: [spec('wide-1'), ...fan, spec('twice-1', ['wide-1', 'wide-1'])], wants: ['twice-1', ...fan.map((f) => f.key as string)] });
  other.send({ op: 'update-graph', tasks: [spec('wide-1')], wants: ['wide-1'] });
  const toOther: Message[] = [];
  other.on('message', (m: Message) => toOther.push(m));
  other.send({ op: 'cancel', keys: ['wide-1'] });
  await until(() => toGood.some((m) => m.op === 'key-in-memory' && m.key === 'twice-1'), 'the task naming its dependency twice finishes');
  t.same(toGood.filter((m) => m.op === 'cancelled'), [], 'the good client hears of no cancel');
  await until(() => toOther.some((m) => m.op === 'cancelled' || (m.op === 'key-in-memory' && m.key === 'wide-1')), 'the other client hears how its future ended');
  t.equal(await run('after-2'), 42, 'the good client runs tasks as before');
});
