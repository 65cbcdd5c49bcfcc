/** The dashboard's aggregation: pure logic, events in, deltas and states out, everything bounded. */
import t from 'tap';
import { Aggregator } from '../../src/dashboard/aggregate.js';
import { boundedValue, toJson } from '../../src/dashboard/json.js';
import type { ClusterEvent, ClusterSnapshot, WorkerRow } from '../../src/dashboard/source.js';
import { taskState } from '../fixtures/memory-source.js';
import { Sim, task } from '../sim.js';

const T0 = 1_700_000_000_000;

function snap(over: Partial<ClusterSnapshot> = {}): ClusterSnapshot {
  return { time: T0, schedulerAddress: 'ws://127.0.0.1:8786', workers: [], groups: [], failures: [], topics: {}, log: [], ...over };
}

function worker(name: string, over: Partial<WorkerRow> = {}): WorkerRow {
  return {
    id: name, name, address: `ws://127.0.0.1:9${name.length}`, host: 'h', nthreads: 2, cpu: 0, rss: 1, memoryLimit: 0,
    executing: 0, queued: 0, stored: 0, storedBytes: 0, lastSeen: T0, alive: true, ...over,
  };
}

function lifecycle(a: Aggregator, group: string, n: number): void {
  const steps: Array<[string, string]> = [['released', 'waiting'], ['waiting', 'queued'], ['queued', 'processing'], ['processing', 'memory']];
  for (let i = 0; i < n; i++) for (const [from, to] of steps) a.apply({ kind: 'task-state', group, from, to } as ClusterEvent);
}

t.test('group counts follow task-state events; totals and N/N', async (t) => {
  const a = new Aggregator(snap());
  lifecycle(a, 'inc', 5);
  a.apply({ kind: 'task-state', group: 'boom', from: 'released', to: 'waiting' });
  a.apply({ kind: 'task-state', group: 'boom', from: 'waiting', to: 'erred' });
  const d = a.delta(T0 + 250);
  const inc = d.groups.find((g) => g.group === 'inc')!;
  t.same(inc.counts, { waiting: 0, queued: 0, processing: 0, memory: 5, erred: 0, done: 0, failed: 0, cancelled: 0 });
  t.same([inc.total, inc.done, inc.erred, inc.updated], [5, 5, 0, T0 + 250]);
  t.same(d.groups.find((g) => g.group === 'boom')!.counts.erred, 1);
  // Results let go (released or forgotten after finishing) stay done.
  for (let i = 0; i < 5; i++) a.apply({ kind: 'task-state', group: 'inc', from: 'memory', to: i % 2 ? 'released' : 'forgotten', outcome: 1 });
  const g = a.state(T0 + 500).groups.find((x) => x.group === 'inc')!;
  t.same([g.done, g.total, g.counts.memory, g.counts.done], [5, 5, 0, 5], 'finished tasks let go stay in both the done count and the total');
});

t.test('progress of a tree reduction: chunks let go as they are combined still count as done (was 13/176, then 0/0)', async (t) => {
  const a = new Aggregator(snap());
  const ev = (group: string, from: string, to: string) => a.apply(taskState(group, from as never, to as never));
  for (let i = 0; i < 16; i++) ev('chunk', 'released', 'waiting');
  for (let i = 0; i < 2; i++) ev('combine', 'released', 'waiting');
  // Half the chunks finish; the first combine takes 8 of them and they are let go.
  for (let i = 0; i < 8; i++) {
    ev('chunk', 'waiting', 'processing');
    ev('chunk', 'processing', 'memory');
  }
  ev('combine', 'waiting', 'processing');
  ev('combine', 'processing', 'memory');
  for (let i = 0; i < 8; i++) ev('chunk', 'memory', 'done');
  let s = a.delta(T0 + 250);
  const chunk = s.groups.find((g) => g.group === 'chunk')!;
  t.same([chunk.done, chunk.total], [8, 16], 'halfway: 8 of 16 chunks done, not 0/8');
  // A lost result computed again leaves the done count until it finishes again.
  ev('chunk', 'done', 'waiting');
  t.equal(a.state(T0 + 300).groups[0]!.done, 8, 'state() shows the last push');
  s = a.delta(T0 + 350);
  t.same([s.groups[0]!.done, s.groups[0]!.total], [7, 16]);
  ev('chunk', 'waiting', 'memory');
  ev('chunk', 'memory', 'done');
  // One chunk fails; the combine that needs it fails with it.
  ev('chunk', 'waiting', 'erred');
  ev('combine', 'waiting', 'erred');
  for (let i = 0; i < 7; i++) {
    ev('chunk', 'waiting', 'processing');
    ev('chunk', 'processing', 'memory');
    ev('chunk', 'memory', 'done');
  }
  ev('combine', 'memory', 'done');
  ev('chunk', 'erred', 'failed');
  ev('combine', 'erred', 'failed');
  a.delta(T0 + 500);
  const end = a.state(T0 + 500);
  const row = (name: string) => end.groups.find((g) => g.group === name)!;
  t.same([row('chunk').done, row('chunk').erred, row('chunk').total], [15, 1, 16], 'afterwards: 15 done + 1 erred of 16, never 0/0');
  t.same([row('combine').done, row('combine').erred, row('combine').total], [1, 1, 2], 'the erred dependent is counted as erred');
  t.equal(row('chunk').run, end.run, 'both groups belong to the current run');
});

t.test('a group run again after it was idle counts the new run; the cluster run goes up', async (t) => {
  const a = new Aggregator(snap());
  const ev = (group: string, from: string, to: string) => a.apply(taskState(group, from as never, to as never));
  for (let i = 0; i < 4; i++) {
    ev('f', 'released', 'waiting');
    ev('f', 'waiting', 'memory');
    ev('f', 'memory', 'done');
  }
  // Idle then busy again within one push: the same run.
  ev('f', 'released', 'waiting');
  let d = a.delta(T0 + 250);
  t.same([d.groups[0]!.done, d.groups[0]!.total, d.run], [4, 5, 1]);
  ev('f', 'waiting', 'memory');
  ev('f', 'memory', 'done');
  d = a.delta(T0 + 500);
  t.same([d.groups[0]!.done, d.groups[0]!.total, d.run], [5, 5, 1], 'the run finishes at 5/5');
  t.same([a.delta(T0 + 750).run], [1], 'idle pushes do not start a run');
  ev('f', 'released', 'waiting');
  ev('f', 'released', 'waiting');
  d = a.delta(T0 + 1000);
  t.same([d.groups[0]!.done, d.groups[0]!.total, d.groups[0]!.run, d.run], [0, 2, 2, 2], 'new work after an idle push: a new run of 2 tasks');
});

t.test('groups holding no task are forgotten beyond the bound, longest unchanged first', async (t) => {
  const a = new Aggregator(snap(), { maxGroups: 10 });
  for (let i = 0; i < 30; i++) {
    a.apply(taskState(`g${i}`, 'released', 'waiting'));
    a.apply(taskState(`g${i}`, 'waiting', 'memory'));
    if (i > 0) a.apply(taskState(`g${i}`, 'memory', 'done'));
    a.delta(T0 + i * 250);
  }
  const names = a.state(T0 + 30 * 250).groups.map((g) => g.group);
  t.ok(names.length <= 11, `${names.length} groups kept`);
  t.ok(names.includes('g0'), 'a group still holding a result is kept');
  t.ok(names.includes('g29') && !names.includes('g1'), 'the newest are kept, the oldest forgotten');
});

t.test("the stream's drop note covers the window only", async (t) => {
  const a = new Aggregator(snap(), { maxBarsPerPush: 10, streamWindowMs: 60_000 });
  for (let i = 0; i < 25; i++) a.apply({ kind: 'task-done', key: `f-${i}`, group: 'f', worker: 'w', thread: 0, start: T0, stop: T0 + 1 });
  t.same(a.delta(T0 + 250).streamDrops, [[T0 + 1, 15]], 'stamped with the latest end among its bars');
  t.same(a.state(T0 + 250).streamDrops, [[T0 + 1, 15]]);
  t.same(a.delta(T0 + 500).streamDrops, [], 'a push that left nothing out adds nothing');
  a.delta(T0 + 120_000);
  t.same(a.state(T0 + 120_000).streamDrops, [], 'drops older than the window are not reported');
  t.equal(a.state(T0 + 120_000).streamDropped, 15, 'the total since the start is kept');
});

t.test('the initial snapshot seeds the view', async (t) => {
  const a = new Aggregator(snap({
    workers: [worker('a')],
    groups: [{ group: 'x', counts: { waiting: 1, queued: 2, processing: 3, memory: 4, erred: 0 }, total: 10 }],
    topics: { 'h/m': { lo: 0, hi: 1, groups: {} } },
    log: [{ time: T0, kind: 'info', text: 'hello' }],
  }));
  const s = a.state(T0);
  t.equal(s.workers.length, 1);
  t.equal(s.groups[0]!.total, 10);
  t.same(Object.keys(s.topics), ['h/m']);
  t.equal(s.log[0]!.text, 'hello');
});

t.test('a delta carries only what changed, once', async (t) => {
  const a = new Aggregator(snap({ workers: [worker('a'), worker('b')] }));
  a.apply({ kind: 'worker', row: worker('a', { cpu: 50 }) });
  a.apply({ kind: 'worker', row: worker('a', { cpu: 70 }) });
  a.apply({ kind: 'publish', topic: 't', value: 1, time: T0 });
  a.apply({ kind: 'publish', topic: 't', value: 2, time: T0 + 1 });
  a.apply({ kind: 'log', entry: { time: T0, kind: 'worker-added', text: 'a joined' } });
  a.apply({ kind: 'failure', row: { key: 'k-1', group: 'k', message: 'm', name: 'Error', stack: 's', worker: 'a', retriesUsed: 1, kind: 'exception', time: T0 } });
  t.ok(a.changed);
  const d = a.delta(T0 + 250);
  t.same(d.workers.map((w) => [w.name, w.cpu]), [['a', 70]], 'the latest row of the changed worker only');
  t.same(d.topics, { t: { value: 2, time: T0 + 1, count: 2 } }, 'the latest value and how often it was published');
  t.equal(d.log.length, 1);
  t.equal(d.failures[0]!.retriesUsed, 1);
  t.notOk(a.changed);
  const d2 = a.delta(T0 + 500);
  t.same([d2.workers, d2.groups, d2.failures, d2.log, d2.stream, Object.keys(d2.topics)], [[], [], [], [], [], []], 'nothing twice');
  const s = a.state(T0 + 500);
  t.equal(s.workers.find((w) => w.name === 'a')!.cpu, 70);
  t.equal(s.failures.length, 1);
});

t.test('throughput: tasks/s and events/s per push interval', async (t) => {
  const a = new Aggregator(snap());
  for (let i = 0; i < 10; i++) a.apply({ kind: 'task-done', key: `p-${i}`, group: 'p', worker: 'w', thread: 0, start: T0, stop: T0 + 5, events: 300 });
  const d = a.delta(T0 + 500);
  t.same(d.rate, [T0 + 500, 20, 6000], '10 tasks and 3000 events in half a second');
  t.same(a.delta(T0 + 1000).rate, [T0 + 1000, 0, 0]);
  t.equal(a.state(T0 + 1000).rates.length, 2);
  // Old points leave the window.
  t.equal(a.delta(T0 + 11 * 60_000).rate[1], 0);
  t.equal(a.state(T0 + 11 * 60_000).rates.length, 1, 'points older than the rate window are dropped');
});

t.test('task stream: bars per push are capped by a uniform sample, and the kept bars are bounded', async (t) => {
  const a = new Aggregator(snap(), { maxBarsPerPush: 100, maxStreamBars: 250 });
  for (let i = 0; i < 10_000; i++) a.apply({ kind: 'task-done', key: `f-${i}`, group: 'f', worker: 'w', thread: i % 2, start: T0 + i, stop: T0 + i + 1 });
  a.apply({ kind: 'transfer', keys: ['x-1'], from: 'w1', to: 'w2', start: T0, stop: T0 + 3, bytes: 100 });
  const d = a.delta(T0 + 20_000);
  t.equal(d.stream.length, 100, 'one push carries at most maxBarsPerPush bars');
  t.equal(d.streamDropped, 10_001 - 100, 'and says how many it left out');
  t.ok(d.stream[0]![3] < d.stream[99]![3], 'the sample is spread over the interval, in order');
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 100; j++) a.apply({ kind: 'task-done', key: `g-${i}-${j}`, group: 'g', worker: 'w', thread: 0, start: T0 + j, stop: T0 + j + 1 });
    a.delta(T0 + 20_000);
  }
  t.equal(a.state(T0 + 20_000).stream.length, 250, 'the stream keeps at most maxStreamBars');
  t.equal(a.state(T0 + 20 * 60_000).stream.length, 0, 'bars older than the window are not sent');
});

t.test('transfers are bars of their own kind on the receiving worker', async (t) => {
  const a = new Aggregator(snap());
  a.apply({ kind: 'transfer', keys: ['x-1', 'x-2'], from: 'w1', to: 'w2', start: T0, stop: T0 + 3, bytes: 100 });
  t.same(a.delta(T0 + 250).stream, [['w2', -1, '2 keys', T0, T0 + 3, 1, 'x-1, x-2', 100, 'w1']]);
  a.apply({ kind: 'transfer', keys: ['a', 'b', 'c', 'd', 'e'], from: 'w1', to: 'w2', start: T0, stop: T0 + 3, bytes: 5 });
  t.equal(a.delta(T0 + 500).stream[0]![6], 'a, b, c and 2 more', 'the keys of a big transfer are shortened');
});

t.test('task bars carry the key and the result\'s size for the stream\'s tooltip', async (t) => {
  const a = new Aggregator(snap());
  a.apply({ kind: 'task-done', key: 'inc-7', group: 'inc', worker: 'w1', thread: 1, start: T0, stop: T0 + 40, nbytes: 8 });
  t.same(a.delta(T0 + 250).stream, [['w1', 1, 'inc', T0, T0 + 40, 0, 'inc-7', 8, '']]);
});

t.test('failures and log are rings', async (t) => {
  const a = new Aggregator(snap(), { maxFailures: 3, maxLog: 2 });
  for (let i = 0; i < 10; i++) {
    a.apply({ kind: 'failure', row: { key: `k-${i}`, group: 'k', message: '', name: 'E', stack: '', worker: '', retriesUsed: 0, kind: 'exception', time: i } });
    a.apply({ kind: 'log', entry: { time: i, kind: 'info', text: String(i) } });
  }
  const d = a.delta(T0);
  t.equal(d.failures.length, 3);
  t.same(a.state(T0).failures.map((f) => f.key), ['k-7', 'k-8', 'k-9'], 'the newest, oldest first');
  t.same(a.state(T0).log.map((e) => e.text), ['8', '9']);
});

t.test('JSON for the browser: typed arrays, BigInts, Maps; oversized values replaced by a note', async (t) => {
  t.equal(toJson({ v: new Float64Array([1.5, 2]), n: 3n, m: new Map([['a', new Int32Array([4])]]) }), '{"v":[1.5,2],"n":3,"m":{"a":[4]}}');
  t.equal(toJson(2n ** 70n), '"1180591620717411303424"');
  t.same(boundedValue({ values: new Float64Array(10) }, 1000), { values: new Array(10).fill(0) });
  const note = boundedValue(new Float64Array(10_000), 1000) as { __gluonNote: string };
  t.match(note.__gluonNote, /too large to show \(\d+ bytes of JSON, limit 1000\)/);
});

t.test('cancelled tasks count as cancelled: the counts add up to every task the client submitted (they were in no count)', async (t) => {
  // The real state machine feeding the aggregator, as the scheduler wires them.
  const sim = new Sim();
  const a = new Aggregator(snap());
  sim.state.subscribe((e) => a.apply(e));
  sim.addClient('c');
  sim.addWorker('w1');
  // 6 tasks: a-1 and a-2 finish, x-1 is running when cancelled, y-1 waits on it (cancelled with it),
  // z-1 erred before the cancel, q-1 is never cancelled and finishes after.
  sim.submit('c', [task('a-1'), task('a-2'), task('x-1'), task('y-1', ['x-1']), task('z-1'), task('q-1')]);
  sim.finish('w1', 'a-1');
  sim.finish('w1', 'a-2');
  sim.err('w1', 'z-1');
  sim.apply(sim.state.cancel('c', ['x-1', 'z-1'], sim.now));
  const told = (sim.clientMsgs.get('c') ?? []).filter((m) => m.op === 'cancelled').map((m) => m.key).sort();
  t.same(told, ['x-1', 'y-1', 'z-1'], 'the client hears of 3 cancelled tasks');
  sim.finish('w1', 'q-1');
  a.delta(sim.now + 250);
  const rows = a.state(sim.now + 250).groups;
  const sum = (f: (g: (typeof rows)[number]) => number) => rows.reduce((n, g) => n + f(g), 0);
  t.same({ done: sum((g) => g.done), erred: sum((g) => g.erred), cancelled: sum((g) => g.cancelled), total: sum((g) => g.total) },
    { done: 3, erred: 0, cancelled: 3, total: 6 }, 'done + erred + cancelled = the 6 tasks submitted, as the client\'s futures say');
  t.equal(rows.find((g) => g.group === 'x')!.counts.cancelled, 1);
  // Submitted again, a cancelled task is computed again: it leaves the cancelled count.
  sim.submit('c', [task('x-1')]);
  a.delta(sim.now + 500);
  const again = a.state(sim.now + 500).groups.find((g) => g.group === 'x')!;
  t.same([again.cancelled, again.total], [0, 1], 'resubmitted: no longer cancelled, counted once');
});

t.test('a task key of any length is shown cut to 512 characters with a note: stream bars, transfer tooltips, the failures table', async (t) => {
  // A client chooses its keys (the `key` option): one of 70,000 characters went whole to every
  // browser with each bar and row.
  const key = `k${'x'.repeat(70_000)}`;
  const shown = new RegExp(`^kx{511}… \\(key cut for the dashboard: 70001 characters\\)$`);
  const a = new Aggregator(snap());
  a.apply({ kind: 'task-done', key, group: 'g', worker: 'w', workerId: 'w', thread: 0, start: T0, stop: T0 + 1, nbytes: 8 });
  a.apply({ kind: 'transfer', keys: [key, 'b-1'], from: 'w', to: 'v', fromId: 'w', toId: 'v', start: T0, stop: T0 + 1, bytes: 8 });
  a.apply({ kind: 'transfer', keys: [key], from: 'w', to: 'v', fromId: 'w', toId: 'v', start: T0, stop: T0 + 2, bytes: 8 });
  const bars = a.delta(T0 + 250).stream;
  t.match(bars.map((b) => b[6]), [shown, /^kx{511}… \(key cut for the dashboard: 70001 characters\), b-1$/, shown]);
  t.match(bars[2]![2], shown, 'a one-key transfer\'s label too');
  // A task's key is at most MAX_KEY_LENGTH (4,096; the scheduler refuses a longer one): still
  // eight times what the dashboard shows.
  const long = `k${'x'.repeat(4095)}`;
  const cut = /^kx{511}… \(key cut for the dashboard: 4096 characters\)$/;
  const sim = new Sim();
  const events: ClusterEvent[] = [];
  sim.state.subscribe((e) => events.push(e));
  sim.addClient('c');
  sim.addWorker('w1');
  sim.submit('c', [task(long)]);
  sim.err('w1', long);
  t.match(sim.state.failures.map((f) => f.key), [cut], 'the failures table (and the snapshot a page loads)');
  t.ok(events.some((e) => e.kind === 'failure' && cut.test(e.row.key)), 'and its event');
  t.equal(sim.state.tasks.get(long)!.key, long, 'the task keeps its key');
});
