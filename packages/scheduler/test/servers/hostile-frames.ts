/**
 * A real scheduler (in this process, on loopback) against hostile peers speaking the protocol:
 * malformed, oversized, out-of-order and duplicated messages. Each gets a clear reason, the
 * scheduler keeps serving, and nothing of the other peers' work is lost: a protocol-level
 * worker and a well-behaved client run tasks before and after each attempt.
 */
import t, { type Test } from 'tap';
import { CloseCode, connect, encodeFrame, type Connection, type Message } from '@gluon/protocol';
import { startScheduler } from '@gluon/scheduler';
import { until } from '../../../../test/helpers/until.js';

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

/** A raw client connection of a non-Gluon client: what it is sent, and how it ended (if it did). */
async function oddClient(t: Test, s: Scheduler): Promise<{ client: Connection; seen: Message[]; ended: { with?: string } }> {
  const client = (await connect(s.address, { role: 'client', name: 'odd' })).conn;
  t.teardown(() => client.close());
  const seen: Message[] = [];
  client.on('message', (m: Message) => seen.push(m));
  const ended: { with?: string } = {};
  client.on('close', (code: number, reason: string) => (ended.with = `${code}: ${reason}`));
  return { client, seen, ended };
}

/** How a connection ends: its close code and reason. */
function closed(conn: Connection): Promise<[number, string]> {
  return new Promise((resolve) => conn.on('close', (code: number, reason: string) => resolve([code, reason])));
}

t.test('a key over the protocol\'s bound in the middle of a frame: its task fails alone, naming it; the frame\'s other graphs and the connection carry on', async (t) => {
  const { s, lines, computed, run } = await cluster(t);
  t.equal(await run('before-1'), 42, 'the good client runs a task');
  const hostile = (await connect(s.address, { role: 'client', name: 'hostile' })).conn;
  t.teardown(() => hostile.close());
  let closedWith: string | undefined;
  hostile.on('close', (code: number, reason: string) => (closedWith = `${code}: ${reason}`));
  const seen: Message[] = [];
  hostile.on('message', (m: Message) => seen.push(m));
  const over = 'k'.repeat(3_000_000);
  // One frame of three messages: a good graph, a graph with the long key, another good graph.
  // Protocol 20 closed the connection at the second (4003), and the third was lost with it.
  hostile.ws.send(encodeFrame([
    { op: 'update-graph', tasks: [spec('first-1')], wants: ['first-1'] },
    { op: 'update-graph', tasks: [spec('ok-2'), spec(over, ['ok-2'])], wants: ['ok-2', over] },
    { op: 'update-graph', tasks: [spec('third-1')], wants: ['third-1'] },
  ]), { binary: true });
  await until(() => closedWith !== undefined || ['first-1', 'ok-2', 'third-1'].every((k) => seen.some((m) => m.op === 'key-in-memory' && m.key === k)), 'the frame\'s graphs are answered');
  t.equal(closedWith, undefined, 'the connection stays open');
  const erred = seen.filter((m) => m.op === 'task-erred');
  t.equal(erred.length, 1, 'one task fails');
  t.ok(erred[0]?.key === over, 'the over-long key\'s, told with the key as sent');
  t.match((erred[0]?.error as { message?: string } | undefined)?.message, /^task key k{120}… \(3000000 characters\) is over the protocol's bound on a task key, 4096 characters \(MAX_KEY_LENGTH\)/);
  t.ok([...s.state.tasks.keys()].every((k) => k.length <= 4096), 'no task has a key over the bound');
  t.match(lines.join('\n'), /client hostile sent 1 task key\(s\) over 4096 characters \(the first: k{120}… \(3000000 characters\)\)/, 'the scheduler\'s log says so');
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

// Protocol 20 refused the whole update-graph and closed the connection with 4003: every other
// future of that client failed with it.
t.test('a task whose key is over the bound fails alone: its future errs naming the key and the limit, the connection and the client\'s other futures carry on', async (t) => {
  const { s, computed } = await cluster(t);
  const { client, seen, ended } = await oddClient(t, s);
  const over = 'k'.repeat(5000);
  client.send({ op: 'update-graph', tasks: [spec('fine-1'), spec(over), spec('fine-2')], wants: ['fine-1', over, 'fine-2'] });
  await until(() => ended.with !== undefined || (seen.some((m) => m.op === 'key-in-memory' && m.key === 'fine-2') && seen.some((m) => m.op === 'task-erred')), 'the graph is answered');
  t.equal(ended.with, undefined, 'the connection stays open');
  const erred = seen.find((m) => m.op === 'task-erred') as { key: string; error: { message: string; kind: string } } | undefined;
  t.equal(erred?.key, over, 'the future of the over-long key fails');
  t.match(erred?.error.message ?? '', /k{16}….*5000 characters.*4096/, 'naming the key, cut for display, its length and the limit');
  t.ok(computed.includes('fine-1') && computed.includes('fine-2'), 'the other tasks of the graph run');
  t.notOk(s.state.tasks.has(over), 'the over-long key is not stored');
});

t.test('the tasks depending on an over-long key fail too, naming it (the key never exists); a later graph on the connection runs', async (t) => {
  const { s, computed } = await cluster(t);
  const { client, seen, ended } = await oddClient(t, s);
  const over = 'd'.repeat(4097);
  // Its dependents in the same frame, and one sent in a later frame.
  client.send({ op: 'update-graph', tasks: [spec(over), spec('uses-1', [over]), spec('then-1', ['uses-1'])], wants: [over, 'uses-1', 'then-1'] });
  client.send({ op: 'update-graph', tasks: [spec('later-1', [over]), spec('fine-3')], wants: ['later-1', 'fine-3'] });
  const erredOf = (key: string) => seen.find((m) => m.op === 'task-erred' && m.key === key) as { error: { message: string; kind: string } } | undefined;
  await until(() => ended.with !== undefined || (['uses-1', 'then-1', 'later-1'].every((k) => erredOf(k)) && seen.some((m) => m.op === 'key-in-memory' && m.key === 'fine-3')), 'the graphs are answered');
  t.equal(ended.with, undefined, 'the connection stays open');
  t.match(erredOf(over)?.error, { kind: 'bad-input', message: /^task key d{120}… \(4097 characters\) is over the protocol's bound on a task key, 4096 characters/ });
  const dependsOn = /^task (uses|later)-1 depends on d{120}… \(4097 characters\) is over the protocol's bound on a task key, 4096 characters \(MAX_KEY_LENGTH\), so no task has it$/;
  t.match(erredOf('uses-1')?.error, { kind: 'bad-input', message: dependsOn }, 'its dependent fails, naming it');
  t.match(erredOf('later-1')?.error, { kind: 'bad-input', message: dependsOn }, 'so does one sent later');
  t.ok(erredOf('then-1'), 'and what depends on those');
  t.notOk(computed.some((k) => k !== 'fine-3'), 'none of them ran');
  t.equal(s.state.tasks.get('uses-1')?.state, 'erred');
});

t.test('over-long keys in release-keys, received, cancel, retry and who-has: left out, named to the client in a warning; the rest of each is done, the connection carries on', async (t) => {
  const { s, lines } = await cluster(t);
  const { client, seen, ended } = await oddClient(t, s);
  const over = 'r'.repeat(6000);
  client.send({ op: 'update-graph', tasks: [spec('mine-1'), spec('mine-2'), spec('gate-1')], wants: ['mine-1', 'mine-2'] });
  await until(() => ended.with !== undefined || seen.filter((m) => m.op === 'key-in-memory').length === 2, 'the graph runs');
  const reply = await client.request({ op: 'who-has', keys: ['mine-1', over] });
  t.same(reply.whoHas, { 'mine-1': ['ws://127.0.0.1:1'] }, 'who-has answers the rest, leaving the over-long key out');
  for (const op of ['received', 'retry', 'cancel']) client.send({ op, keys: [over, 'mine-2'] });
  client.send({ op: 'release-keys', keys: ['mine-1', over] });
  await until(() => ended.with !== undefined || !s.state.tasks.has('mine-1'), 'the release is done');
  const warned = (): Message[] => seen.filter((m) => m.op === 'warning' && m.kind === 'key-refused');
  await until(() => ended.with !== undefined || warned().length === 5, 'each op is answered with a warning');
  t.equal(ended.with, undefined, 'the connection stays open');
  t.same(warned().map((m) => m.about), ['who-has', 'received', 'retry', 'cancel', 'release-keys'], 'one per op, about it');
  t.match(warned()[0]!.text, /^who-has: key r{120}… \(6000 characters\) is over the protocol's bound on a task key, 4096 characters \(MAX_KEY_LENGTH\); no task has such a key, so it was left out and the rest of the who-has done$/);
  t.equal(s.state.tasks.get('mine-2')?.state, 'memory', 'a cancel of a finished key leaves it');
  t.ok(s.state.tasks.size <= 3 && [...s.state.tasks.keys()].every((k) => k.length <= 4096), 'no key over the bound is kept');
  const said = lines.filter((l) => l.includes('no task has such a key'));
  t.equal(said.length, 1, 'the log says it once a minute per client');
  t.match(said[0], /client odd: who-has: key r{120}…/);
  t.ok(lines.every((l) => l.length < 2000), 'no log line carries the key');
});

t.test('arguments nested deeper than a client may send are refused naming where; nothing else is lost', async (t) => {
  const { s, lines, run } = await cluster(t);
  t.equal(await run('before-3'), 42, 'the good client runs a task');
  // 512 levels, as deep as a client's checkWire lets a value be, are taken.
  const ok = (await connect(s.address, { role: 'client', name: 'deep-ok' })).conn;
  t.teardown(() => ok.close());
  const done = new Promise<unknown>((resolve) => ok.on('message', (m: Message) => { if (m.op === 'key-in-memory' && m.key === 'deep-512') resolve(m.value); }));
  ok.ws.send(nested({ op: 'update-graph', tasks: [{ key: 'deep-512', fn: { module: 'm', export: 'e' }, args: ['PLACEHOLDER'], deps: [] }], wants: ['deep-512'] }, 512), { binary: true });
  t.equal(await done, 42, 'an argument of 512 levels runs');
  // Arrays ~3,000 deep (3 kB) were decoded but could not be encoded again: each task, once
  // placed, stayed processing on its worker for ever, its client never told, and a few held every
  // thread of the cluster. 600 levels are refused the same way, deterministically.
  for (const depth of [600, 3000]) {
    const hostile = (await connect(s.address, { role: 'client', name: 'deep' })).conn;
    const end = closed(hostile);
    const key = `deep-${depth}`;
    hostile.ws.send(nested({ op: 'update-graph', tasks: [{ key, fn: { module: 'm', export: 'e' }, args: [1, 'PLACEHOLDER'], deps: [] }], wants: [key] }, depth), { binary: true });
    const [code, reason] = await end;
    t.equal(code, CloseCode.protocolError, `${depth} levels: closed as a protocol error`);
    if (depth === 600) t.equal(reason, `protocol error: update-graph: tasks[0].args[1] (task ${key}) is nested more than 512 levels deep`, 'the sender is told where and the bound');
    else t.match(reason, /^protocol error: (update-graph: tasks\[0\]\.args\[1\] \(task deep-3000\) is nested more than 512 levels deep|undecodable frame)/);
  }
  t.equal(await run('after-3'), 42, 'the good client\'s next task runs');
  t.notOk(lines.some((l) => /cannot be encoded/.test(l)), 'nothing was left unsendable');
});

/** `message` encoded, with its string 'PLACEHOLDER' replaced by arrays nested `depth` deep around a nil (`depth` + 1 levels with the nil's array). */
function nested(message: Message, depth: number): Buffer {
  const frame = encodeFrame([message]);
  const at = frame.indexOf('PLACEHOLDER') - 1;
  return Buffer.concat([frame.subarray(0, at), Buffer.alloc(depth, 0x91), Buffer.from([0xc0]), frame.subarray(at + 1 + 'PLACEHOLDER'.length)]);
}
