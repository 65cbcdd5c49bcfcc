/** The dashboard's server-side views: pure, fed events and a clock, everything bounded. */
import t from 'tap';
import { Aggregator } from '../../src/dashboard/aggregate.js';
import { MemoryView } from '../../src/dashboard/memory-view.js';
import { OccupancyView } from '../../src/dashboard/occupancy-view.js';
import { EventEmitter } from 'node:events';
import { LiveFeed, type FeedSocket } from '../../src/dashboard/feed.js';
import { processSampler, SchedulerView, UNWATCHED_RESOLUTION_MS, WATCHED_RESOLUTION_MS } from '../../src/dashboard/scheduler-view.js';
import { MemorySource } from '../fixtures/memory-source.js';
import type { ClusterProbe, ClusterSnapshot, ProbeTask, ProbeWorker, WorkerRow } from '../../src/dashboard/source.js';
import { Series } from '../../src/dashboard/views.js';

const T0 = 1_700_000_000_000;

function snap(over: Partial<ClusterSnapshot> = {}): ClusterSnapshot {
  return { time: T0, schedulerAddress: 'ws://127.0.0.1:8786', workers: [], groups: [], failures: [], topics: {}, log: [], ...over };
}

function worker(id: string, over: Partial<WorkerRow> = {}): WorkerRow {
  return {
    id, name: `name-${id}`, address: `ws://127.0.0.1:9${id.length}`, host: 'h', nthreads: 2, cpu: 0, rss: 100, memoryLimit: 1000,
    executing: 0, queued: 0, stored: 0, storedBytes: 0, lastSeen: T0, alive: true, ...over,
  };
}

function task(key: string, group: string, deps: ProbeTask[] = [], state = 'processing'): ProbeTask {
  return { key, group, state, deps, nbytes: 0 };
}

t.test('Series keeps the window and the count bounded; take() is what came since', async (t) => {
  const s = new Series<[number, number]>(1000, 5);
  for (let i = 0; i < 8; i++) s.push([T0 + i * 100, i]);
  t.same(s.toArray().map((x) => x[1]), [3, 4, 5, 6, 7], 'at most 5 kept');
  t.same(s.take().map((x) => x[1]), [3, 4, 5, 6, 7], 'the fresh ones are bounded too');
  t.same(s.take(), []);
  s.push([T0 + 5000, 99]);
  t.same(s.toArray().map((x) => x[1]), [99], 'samples older than the window go');
});

t.test('memory: a sample per period per live worker; gone workers leave the samples', async (t) => {
  const a = new Aggregator(snap({ workers: [worker('w1', { storedBytes: 10, rss: 500 })] }), {}, [new MemoryView(snap({ workers: [worker('w1', { storedBytes: 10, rss: 500 })] }), undefined, 1000)]);
  let d = a.delta(T0);
  t.same(d.views.memory, { samples: [[T0, [['w1', 10, 500, 1000, 0]]]] }, 'the first push samples at once');
  a.apply({ kind: 'worker', row: worker('w2', { storedBytes: 7, rss: 900, paused: true }) });
  t.equal(a.delta(T0 + 250).views.memory, undefined, 'nothing new within the period');
  d = a.delta(T0 + 1000);
  t.same(d.views.memory, { samples: [[T0 + 1000, [['w1', 10, 500, 1000, 0], ['w2', 7, 900, 1000, 1]]]] }, 'a new worker joins the next sample, paused flagged');
  a.apply({ kind: 'worker', row: worker('w1', { alive: false }) });
  d = a.delta(T0 + 2000);
  t.same((d.views.memory as { samples: unknown[][] }).samples[0]![1], [['w2', 7, 900, 1000, 1]], 'a gone worker has no point');
  const st = a.state(T0 + 2000).views.memory as { samples: unknown[] };
  t.equal(st.samples.length, 3, 'the state carries every retained sample');
  // Ten minutes of window at one a second: at most 601 samples whatever the run's length.
  const m = new MemoryView(snap({ workers: [worker('w1')] }), undefined, 1000);
  for (let i = 0; i < 2000; i++) m.delta(T0 + i * 1000);
  t.equal(m.state().samples.length, 601, 'bounded');
});

t.test('memory: results held are read from the scheduler\'s records at the sample, not the last heartbeat\'s row', async (t) => {
  // The row (from the last heartbeat) says 10 bytes; since then the worker stored a 4 KiB result.
  const w1: ProbeWorker = { id: 'w1', name: 'name-w1', nthreads: 2, processing: new Set(), has: new Set([task('r', 'g', [], 'memory')]), storedBytes: 4096 };
  const probe: ClusterProbe = { tasks: new Map(), workers: new Map([['w1', w1]]), meanMs: () => NaN };
  const m = new MemoryView(snap({ workers: [worker('w1', { storedBytes: 10, rss: 500 })] }), probe, 1000);
  t.same(m.delta(T0), { samples: [[T0, [['w1', 4096, 500, 1000, 0]]]] }, 'held: the records\' 4 KiB; RSS and limit from the row');
});

t.test('workers table: results held read from the scheduler\'s records at the push, as the Memory panel reads them, while heartbeats stop', async (t) => {
  // The last heartbeat's row says 2 results, 8 KiB; then the worker freezes (SIGSTOP: no more
  // heartbeats, so no more worker rows) and a client lets one result go: the records say 1, 4 KiB.
  const r1 = task('r1', 'g', [], 'memory'), r2 = task('r2', 'g', [], 'memory');
  const held = { id: 'w1', name: 'name-w1', nthreads: 2, processing: new Set<ProbeTask>(), has: new Set([r1, r2]), storedBytes: 8192 };
  const probe: ClusterProbe = { tasks: new Map(), workers: new Map<string, ProbeWorker>([['w1', held]]), meanMs: () => NaN };
  const source = Object.assign(new MemorySource({ workers: [worker('w1', { stored: 2, storedBytes: 8192 })] }), { probe });
  const feed = new LiveFeed(source, { intervalMs: 3_600_000, sampler: () => [0, 0, 0, 0] });
  t.teardown(() => feed.close());
  const held0 = (d: { views: { memory?: unknown } }) => (d.views.memory as { samples: Array<[number, Array<[string, number]>]> }).samples.at(-1)![1][0]![1];
  let d = feed.aggregator.delta(T0);
  t.equal(held0(d), 8192, 'the Memory panel: 8 KiB');
  held.has.delete(r2);
  held.storedBytes = 4096;
  d = feed.aggregator.delta(T0 + 1000);
  t.equal(held0(d), 4096, 'the Memory panel: 4 KiB, from the records');
  t.same(d.workers.map((w) => [w.id, w.stored, w.storedBytes]), [['w1', 1, 4096]], 'the Workers table\'s row goes out with the same figure, without a heartbeat');
  const row = feed.aggregator.state(T0 + 1000).workers.find((w) => w.id === 'w1')!;
  t.same([row.stored, row.storedBytes], [1, 4096], 'and a page opened now gets it in its state');
  t.same(feed.aggregator.delta(T0 + 1250).workers, [], 'a row whose figures did not move is not sent again');
});

t.test('occupancy: assigned from the scheduler\'s records, executing from the heartbeat, expected work from group means', async (t) => {
  const slow = [task('slow-1', 'slow'), task('slow-2', 'slow'), task('slow-3', 'slow')];
  const fresh = task('new-1', 'new');
  const w1: ProbeWorker = { id: 'w1', name: 'name-w1', nthreads: 2, processing: new Set([...slow, fresh]), has: new Set(), storedBytes: 0 };
  const w2: ProbeWorker = { id: 'w2', name: 'name-w2', nthreads: 2, processing: new Set(), has: new Set(), storedBytes: 0 };
  const probe: ClusterProbe = { tasks: new Map(), workers: new Map([['w1', w1], ['w2', w2]]), meanMs: (g) => (g === 'slow' ? 400 : NaN) };
  const s = snap({ workers: [worker('w1', { executing: 2 }), worker('w2')] });
  const v = new OccupancyView(s, probe);
  // w1: 4 assigned, 2 executing; 3 × 400 ms over 2 threads = 600 ms; the group without a mean counts 0.
  t.same(v.delta(), { workers: [['w1', 4, 2, 2, 600], ['w2', 0, 0, 2, 0]] });
  t.equal(v.delta(), undefined, 'unchanged: nothing sent');
  (w1.processing as Set<ProbeTask>).delete(slow[0]!);
  t.same(v.delta(), { workers: [['w1', 3, 2, 2, 400], ['w2', 0, 0, 2, 0]] }, 'read live at each push, not only on heartbeats');
  v.apply({ kind: 'worker', row: worker('w1', { executing: 9 }) });
  t.same((v.delta() as { workers: number[][] }).workers[0], ['w1', 3, 3, 2, 400], 'executing never exceeds what is assigned');
  v.apply({ kind: 'worker', row: worker('w2', { alive: false }) });
  t.same(v.state().workers.map((r) => r[0]), ['w1'], 'gone workers leave');
  // Without the scheduler's records (a replay): the rows' executing + queued.
  const bare = new OccupancyView(snap({ workers: [worker('w3', { executing: 1, queued: 4 })] }));
  t.same(bare.state(), { workers: [['w3', 5, 1, 2, 0]] });
});

t.test('scheduler view: samples its sampler once a period, bounded to ten minutes', async (t) => {
  let calls = 0;
  const v = new SchedulerView(() => (calls++, [12.5, 80e6, 3, 0.5]), 1000);
  t.same(v.delta(T0), { samples: [[T0, 12.5, 80e6, 3, 0.5]] });
  t.equal(v.delta(T0 + 500), undefined);
  t.equal(calls, 1, 'not sampled between periods');
  for (let i = 1; i < 1000; i++) v.delta(T0 + i * 1000);
  t.equal(v.state().samples.length, 601);
  // The real sampler: this process's RSS, CPU as a share of a core, and lag without the timer period.
  const real = processSampler();
  t.teardown(real.close);
  const end = Date.now() + 60;
  while (Date.now() < end); // busy: CPU time accrues
  const [cpu, rss, lagMax, lagMean] = real.sample(Date.now());
  t.ok(cpu > 0 && cpu < 400, `cpu ${cpu.toFixed(0)}%`);
  t.ok(Math.abs(rss - process.memoryUsage.rss()) < 64 << 20, 'rss is this process\'s');
  t.ok(lagMax >= lagMean && lagMean >= 0, `lag max ${lagMax.toFixed(1)} ms ≥ mean ${lagMean.toFixed(2)} ms`);
});

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));
/** Blocks the event loop for `ms`: the loop-delay timer runs at least that late. */
const stall = (ms: number) => {
  const end = Date.now() + ms;
  while (Date.now() < end);
};

t.test('process sampler: coarse loop-delay sampling while nobody watches, fine while someone does; a switch keeps what was seen', async (t) => {
  const s = processSampler();
  t.teardown(s.close);
  t.equal(s.resolutionMs, UNWATCHED_RESOLUTION_MS, 'unwatched: a wake-up every 100 ms, not every 10');
  // Timers run in due order: the sampler's ran at least twice before this sleep ends.
  // (No sample in between: a reset histogram does not count its next run's delay.)
  await sleep(3.5 * UNWATCHED_RESOLUTION_MS);
  stall(1.5 * UNWATCHED_RESOLUTION_MS);
  await sleep(UNWATCHED_RESOLUTION_MS / 2);
  // The stall was seen by the coarse histogram; switching to the fine one must not lose it.
  s.watched(true);
  t.equal(s.resolutionMs, WATCHED_RESOLUTION_MS);
  const [, , lagMax, lagMean] = s.sample(Date.now());
  t.ok(lagMax >= 0.4 * UNWATCHED_RESOLUTION_MS, `a ${1.5 * UNWATCHED_RESOLUTION_MS} ms stall reads as ≥ ${0.4 * UNWATCHED_RESOLUTION_MS} ms of lag across the switch (max ${lagMax.toFixed(1)}, mean ${lagMean.toFixed(1)})`);
  s.watched(false);
  t.equal(s.resolutionMs, UNWATCHED_RESOLUTION_MS);
  s.close();
  s.watched(true);
  t.equal(s.resolutionMs, UNWATCHED_RESOLUTION_MS, 'closed: no new timer');
});

t.test('live feed: its own sampler is fine only while a browser is attached', async (t) => {
  const feed = new LiveFeed(new MemorySource(), { intervalMs: 60_000 });
  t.teardown(() => feed.close());
  const socket = Object.assign(new EventEmitter(), { send: () => {}, bufferedAmount: 0, readyState: 1, close: () => {} });
  t.equal(feed.samplerResolutionMs, UNWATCHED_RESOLUTION_MS, 'no viewer');
  feed.attach(socket as unknown as FeedSocket);
  t.equal(feed.samplerResolutionMs, WATCHED_RESOLUTION_MS, 'a viewer');
  socket.emit('close');
  t.equal(feed.samplerResolutionMs, UNWATCHED_RESOLUTION_MS, 'the viewer left');
});

t.test('graph: the task graph whole up to the limit, states as one letter each; the groups graph always', async (t) => {
  const { GraphView } = await import('../../src/dashboard/graph-view.js');
  const mk = (key: string, group: string, state: string, deps: ProbeTask[] = []): ProbeTask => ({ key, group, state, deps, nbytes: 0 });
  const a = mk('a', 'load', 'memory');
  const b = mk('b', 'load', 'processing');
  const c = mk('c', 'sum', 'waiting', [a, b]);
  const tasks = new Map<string, ProbeTask>([['a', a], ['b', b], ['c', c]]);
  const probe: ClusterProbe = { tasks, workers: new Map(), meanMs: () => NaN };
  const v = new GraphView(probe, 3);
  const first = v.delta(T0)!;
  t.same(first.tasks, { keys: ['a', 'b', 'c'], groups: ['load', 'sum'], group: [0, 0, 1], edges: [0, 2, 1, 2] });
  t.equal(first.states, 'mpw');
  t.same(first.groups, { names: ['load', 'sum'], counts: [[0, 0, 1, 1, 0, 0], [1, 0, 0, 0, 0, 0]], edges: [[0, 1, 2]] });
  t.equal(v.delta(T0 + 2000), undefined, 'no state change: nothing read, nothing sent');
  (b as { state: string }).state = 'memory';
  v.apply({ kind: 'task-state', group: 'load', from: 'processing', to: 'memory' });
  const d = v.delta(T0 + 2500)!;
  t.same(Object.keys(d).sort(), ['groups', 'states'], 'only the states and the groups\' counts changed: the structure is not resent');
  t.equal(d.states, 'mmw');
  (c as { state: string }).state = 'processing';
  v.apply({ kind: 'task-state', group: 'sum', from: 'waiting', to: 'processing' });
  t.equal(v.delta(T0 + 3000), undefined, 'at most one read per second');
  t.equal(v.delta(T0 + 3500)!.states, 'mmp', 'then the change');
  // Over the limit: the groups graph only.
  tasks.set('d', mk('d', 'sum', 'waiting', [c]));
  v.apply({ kind: 'task-state', group: 'sum', from: 'released', to: 'waiting' });
  const big = v.delta(T0 + 5000)!;
  t.equal(big.mode, 'groups');
  t.equal(big.total, 4);
  t.equal(big.tasks, null, 'no task graph beyond the limit');
  t.same(big.groups!.edges, [[0, 1, 2], [1, 1, 1]]);
  t.same(v.state(T0 + 5000).mode, 'groups', 'a new browser gets the same');
  // Bigger graphs are read less often: one read per 10,000 tasks' worth of ms.
  for (let i = 0; i < 50_000; i++) tasks.set(`x${i}`, mk(`x${i}`, 'x', 'waiting'));
  v.apply({ kind: 'task-state', group: 'x', from: 'released', to: 'waiting' });
  t.ok(v.delta(T0 + 10_500), 'read');
  (tasks.get('x0') as { state: string }).state = 'queued';
  v.apply({ kind: 'task-state', group: 'x', from: 'waiting', to: 'queued' });
  t.equal(v.delta(T0 + 12_000), undefined, 'not within 5 s at 50,000 tasks');
  t.ok(v.delta(T0 + 15_600), 'then read again');
});

t.test('live feed: an unwatched push keeps the history and builds nothing; a browser that opens later gets it all', async (t) => {
  // A probe that counts reads of the scheduler's records (the task graph reads `tasks`, the
  // Occupancy view a group's mean per assigned task).
  const a = task('a', 'inc', [], 'memory');
  const b = task('b', 'inc', [a], 'processing');
  const live: ProbeWorker = { id: 'w1', name: 'name-w1', nthreads: 2, processing: new Set([b]), has: new Set([a]), storedBytes: 8 };
  const reads = { tasks: 0, meanMs: 0 };
  const tasks = new Map([['a', a], ['b', b]]);
  const probe: ClusterProbe = {
    get tasks() {
      reads.tasks++;
      return tasks;
    },
    workers: new Map([['w1', live]]),
    meanMs: () => (reads.meanMs++, 5),
  };
  const source = Object.assign(new MemorySource({ workers: [worker('w1')] }), { probe });
  let samples = 0;
  const feed = new LiveFeed(source, { intervalMs: 3_600_000, sampler: () => (samples++, [10, 1000, 0, 0]) });
  t.teardown(() => feed.close());
  for (let i = 0; i < 8; i++) {
    source.emit({ kind: 'task-state', group: 'inc', from: 'released', to: 'waiting' });
    source.emit({ kind: 'task-done', key: `inc-${i}`, group: 'inc', worker: 'name-w1', thread: 0, start: T0 + i, stop: T0 + i + 1 });
    feed.tick(T0 + 500 * (i + 1));
  }
  t.same(reads, { tasks: 0, meanMs: 0 }, 'no push read the scheduler\'s records: nobody watches');
  t.equal(samples, 4, 'but the scheduler was sampled once a second for its history');

  const sent: string[] = [];
  const socket = Object.assign(new EventEmitter(), { send: (s: string) => sent.push(s), bufferedAmount: 0, readyState: 1, close: () => {} });
  feed.attach(socket as unknown as FeedSocket);
  feed.tick(T0 + 4500);
  const state = JSON.parse(sent[0]!);
  t.equal(state.type, 'state', 'a browser that opens gets a state');
  t.equal(state.rates.length, 9, 'a throughput point per push, unwatched ones too');
  t.same(state.stream.map((bar: unknown[]) => bar[6]), Array.from({ length: 8 }, (_, i) => `inc-${i}`), 'the task stream of the unwatched pushes');
  t.same(state.groups.map((g: any) => [g.group, g.counts.waiting]), [['inc', 8]]);
  t.equal(state.views.scheduler.samples.length, 5, 'the scheduler samples of the unwatched time');
  t.equal(state.views.memory.samples.length, 5, 'and the memory samples');
  t.same(state.views.memory.samples[0][1], [['w1', 8, 100, 1000, 0]]);
  t.same(state.views.graph.tasks.keys, ['a', 'b'], 'the task graph, read now that a page asks');
  t.same(state.views.occupancy.workers, [['w1', 1, 0, 2, 3]]);
  t.ok(reads.tasks > 0 && reads.meanMs > 0, 'the records are read for the browser');

  source.emit({ kind: 'task-done', key: 'inc-8', group: 'inc', worker: 'name-w1', thread: 0, start: T0 + 4600, stop: T0 + 4700 });
  feed.tick(T0 + 5600);
  const delta = JSON.parse(sent[1]!);
  t.equal(delta.type, 'delta');
  t.same(delta.stream.map((bar: unknown[]) => bar[6]), ['inc-8'], 'then only what is new: nothing folded while unwatched comes again');
  t.same(delta.views.scheduler.samples.map((s: number[]) => s[0]), [T0 + 5600], 'one new sample, none of the unwatched ones');
});
