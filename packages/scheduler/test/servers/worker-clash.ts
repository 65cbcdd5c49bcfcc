/**
 * One data address is one live worker (worker-clash.ts). A hello giving the address of a worker
 * registered and alive is refused (4012, naming the worker) unless it is that worker's own
 * reconnect (its session). Before, a hello with a live worker's name and address replaced it:
 * its connection was closed and its running task was run again elsewhere.
 */
import t from 'tap';
import { CloseCode, connect, HandshakeError, type Connection } from '@gluon/protocol';
import { startWorker } from '@gluon/worker';
import { judgeWorkerHello } from '../../src/worker-clash.js';
import { SchedulerState } from '../../src/state.js';
import { inProcessCluster } from '../fixtures/in-process.js';
import { fixturesDir, fx, gates, repo } from '../fixtures/dashboard-run.js';
import { LoopbackRelay } from '../../../protocol/test/loopback-relay.js';
import { until } from '../../../../test/helpers/until.js';
import { writeFileSync } from 'node:fs';

const registered = (id: string, address: string, session: string | undefined, lastSeen = 0) => ({ id, name: `n-${id}`, address, session, lastSeen });

t.test('the rule: a live address is refused to another session, taken back by its own, free otherwise', async (t) => {
  const live = [registered('w1', 'ws://h:1', 's1', 900), registered('w2', 'ws://h:2', undefined, 950)];
  t.same(judgeWorkerHello({ name: 'x', address: 'ws://h:3', session: 's9' }, live, 1000, 30_000), { kind: 'new' }, 'an address nobody has');
  t.same(judgeWorkerHello({ name: 'n-w1', address: 'ws://h:1', session: 's1' }, live, 1000, 30_000), { kind: 'reconnect', previous: 'w1' }, 'the same session: its reconnect');
  const other = judgeWorkerHello({ name: 'n-w1', address: 'ws://h:1', session: 's2' }, live, 1000, 30_000);
  t.equal(other.kind, 'refused', 'another session under the same name and address');
  t.match(other.kind === 'refused' && other.reason, /^data address ws:\/\/h:1 is worker n-w1's \(w1\), registered here and heard from 100 ms ago; this hello \(name "n-w1"\) is not that worker reconnecting/);
  t.match(other.kind === 'refused' && other.reason, /gave no sign of life for 30000 ms/, 'says when it may retry');
  t.equal(judgeWorkerHello({ name: 'else', address: 'ws://h:1', session: 's2' }, live, 1000, 30_000).kind, 'refused', 'another name at a live address too');
  t.equal(judgeWorkerHello({ name: 'n-w1', address: 'ws://h:1' }, live, 1000, 30_000).kind, 'refused', 'no session: never a reconnect');
  t.equal(judgeWorkerHello({ name: 'n-w2', address: 'ws://h:2' }, live, 1000, 30_000).kind, 'refused', 'nor when the registered one gave none');
  t.same(judgeWorkerHello({ name: 'n-w1', address: 'ws://h:9', session: 's2' }, live, 1000, 30_000), { kind: 'new' }, 'a live name at another address: a second worker of that name');
});

t.test('the state machine judges a hello by the workers at its address (worker-index.ts), each with its session; one that left frees it', async (t) => {
  const st = new SchedulerState({ heartbeatTtlMs: 30_000 });
  const add = (id: string, address: string, session?: string, name = `n-${id}`) => st.workerAdded({ id, name, address, nthreads: 1, memoryLimit: 0, host: 'h', pid: 1, session }, 0);
  add('w1', 'ws://h:1', 's1');
  add('w2', 'ws://h:2', undefined, 'n-w1');
  t.same(st.judgeHello({ name: 'x', address: 'ws://h:1', session: 's1' }, 10), { kind: 'reconnect', previous: 'w1' }, 'its own session');
  t.equal(st.judgeHello({ name: 'x', address: 'ws://h:1', session: 's2' }, 10).kind, 'refused', 'another session');
  t.equal(st.judgeHello({ name: 'x', address: 'ws://h:2', session: 's2' }, 10).kind, 'refused', 'a worker that gave none');
  t.same(st.judgeHello({ name: 'x', address: 'ws://h:3' }, 10), { kind: 'new' });
  t.same(st.namesakes('n-w1').map((w) => w.id), ['w1', 'w2'], 'namesakes in registration order');
  st.workerRemoved('w1', 'left', 20, true);
  t.same(st.judgeHello({ name: 'x', address: 'ws://h:1', session: 's2' }, 30), { kind: 'new' }, 'its address is free once it left');
  t.same(st.namesakes('n-w1').map((w) => w.id), ['w2']);
  add('w3', 'ws://h:1', 's2');
  t.same(st.judgeHello({ name: 'x', address: 'ws://h:1', session: 's2' }, 40), { kind: 'reconnect', previous: 'w3' }, 'the newcomer holds it now');
});

const workerHello = (name: string, address: string, session?: string) => ({
  role: 'worker' as const, name, address, nthreads: 1, memoryLimit: 0, pid: 1, host: 'test', ...(session ? { session } : {}),
});

/** A raw worker connection that registers (holding) and sends one heartbeat. */
async function register(address: string, hello: ReturnType<typeof workerHello>): Promise<{ conn: Connection; id: string }> {
  const { conn, welcome } = await connect(address, hello, { log: () => {} });
  conn.send({ op: 'holding', keys: {} });
  conn.send({ op: 'heartbeat', metrics: { cpu: 0, rss: 0, memoryLimit: 0, executing: 0, ready: 0, stored: 0, storedBytes: 0, time: Date.now() } });
  return { conn, id: String(welcome.workerId) };
}

const closeOf = (conn: Connection) => new Promise<number>((resolve) => conn.once('close', (code: number) => resolve(code)));

t.test('a hello with a live worker\'s name and address is refused: the worker keeps its registration and its running task', async (t) => {
  const lines: string[] = [];
  const { s, workers, connect: client } = await inProcessCluster(t, { port: 0, dashboard: false, log: (l) => lines.push(l) });
  const w = await startWorker({ scheduler: s.address, nthreads: 1, name: 'w', cwd: repo, allowModules: [fixturesDir], log: () => {} });
  workers.push(w);
  await until(() => s.state.workers.size === 1, 'the worker to register');
  const id = [...s.state.workers.keys()][0]!;
  const c = await client('clash');
  const gate = gates(t)('go');
  const f = c.submit(fx.gated, gate, 7);
  await until(() => s.state.tasks.get(f.key)?.processingOn?.id === id, 'the task to run on the worker');
  for (const [what, name] of [['its name and address', 'w'], ['its address under another name', 'other']] as const) {
    const err = await connect(s.address, workerHello(name, w.address, 'not-its-session'), { log: () => {} }).then(() => null, (e: unknown) => e);
    t.ok(err instanceof HandshakeError, `${what}: the hello is refused (${String(err)})`);
    t.equal((err as HandshakeError).code, CloseCode.addressInUse, `${what}: 4012`);
    t.match((err as HandshakeError).message, `data address ${w.address} is worker w's (${id}), registered here and heard from`, `${what}: naming the worker it would have replaced`);
  }
  t.same([...s.state.workers.keys()], [id], 'the worker is still the one registered');
  t.equal(s.state.tasks.get(f.key)!.processingOn?.id, id, 'its task still runs there');
  t.ok(lines.some((l) => /refused connection from .*: data address .* is worker w's/.test(l)), 'the scheduler log names the refusal');
  writeFileSync(gate, '');
  t.equal(await f.result(), 7, 'and finishes there');
  t.equal(s.state.tasks.get(f.key)!.deaths, 0, 'never counted as killed by a worker');
  t.notOk(s.state.log.some((e) => /rescheduling|reconnected/.test(e.text)), 'nothing was rescheduled or replaced');
});

t.test('the same worker (its session) reconnecting replaces its registration; another session waits until it is gone', async (t) => {
  const { s } = await inProcessCluster(t, { port: 0, dashboard: false, log: () => {} });
  const address = 'ws://127.0.0.1:1/clash';
  const first = await register(s.address, workerHello('x', address, 'S1'));
  await until(() => s.state.workers.has(first.id), 'the first connection to register');
  const firstClosed = closeOf(first.conn);
  const again = await register(s.address, workerHello('x', address, 'S1'));
  t.equal(await firstClosed, CloseCode.replaced, 'its stale connection is closed as replaced (4005)');
  await until(() => s.state.workers.has(again.id) && !s.state.workers.has(first.id), 'the new connection to take over');
  const other = await connect(s.address, workerHello('x', address, 'S2'), { log: () => {} }).then(() => null, (e: unknown) => e);
  t.equal((other as HandshakeError | null)?.code, CloseCode.addressInUse, 'another session is refused while it lives');
  again.conn.close(1000, 'leaving');
  await until(() => s.state.workers.size === 0, 'the worker to be gone');
  const later = await register(s.address, workerHello('x', address, 'S2'));
  await until(() => s.state.workers.has(later.id), 'the other session registers once the address is free');
  later.conn.close(1000, 'done');
});

t.test('a real worker whose link dropped on its side only comes back at once with its session, holding its result', async (t) => {
  // A TTL far longer than the test's wait: a refusal until the stale registration expired would time out.
  const lines: string[] = [];
  const { s, workers, connect: client } = await inProcessCluster(t, { port: 0, dashboard: false, heartbeatTtlMs: 600_000, log: (l) => lines.push(l) });
  const relay = await LoopbackRelay.start(Number(new URL(s.address).port));
  t.teardown(() => relay.close());
  const w = await startWorker({ scheduler: relay.address, nthreads: 1, name: 'w', cwd: repo, allowModules: [fixturesDir], log: () => {} });
  workers.push(w);
  await until(() => s.state.workers.size === 1, 'the worker to register');
  const before = [...s.state.workers.keys()];
  const c = await client('held');
  const f = c.submit(fx.noop, 5);
  t.equal(await f.result(), 5);
  relay.dropDialerSides();
  await until(() => s.state.workers.size === 1 && !s.state.workers.has(before[0]!), 'the worker to re-register', 60_000);
  const ts = s.state.tasks.get(f.key)!;
  t.equal(ts.state, 'memory', 'its result is still in memory');
  t.same(ts.holders.map((h) => h.address), [w.address], 'held by the worker that came back');
  t.ok(s.state.log.some((e) => /worker w removed: reconnected/.test(e.text)), 'the old registration ended as a reconnect');
  t.notOk(s.state.log.some((e) => /worker w removed: connection closed/.test(e.text)), 'not as a lost worker');
  t.notOk(lines.some((l) => /refused/.test(l)), 'nothing was refused');
});
