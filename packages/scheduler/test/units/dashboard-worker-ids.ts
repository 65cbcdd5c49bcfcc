/**
 * The task stream and the event log go by worker id, not name. Two workers started with the same
 * `--name` (or a worker and its restart under that name) shared their thread rows in the stream
 * (bars were keyed by name) and were one name in the log. Here: the scheduler's events and log
 * entries carry the ids, and the aggregator's bars are keyed by them (the page's side:
 * worker-labels.ts and ../browser/dashboard-duplicate-names-browser.ts).
 */
import t from 'tap';
import type { ClusterEvent, LogEntry } from '../../src/dashboard/source.js';
import { Aggregator } from '../../src/dashboard/aggregate.js';
import { Sim, task } from '../sim.js';

/** Two workers named `node` (ids n1, n2), one task run on each, one retried and failed on n2. */
function twoNamedAlike() {
  const sim = new Sim();
  const events: ClusterEvent[] = [];
  sim.state.subscribe((e) => events.push(e));
  sim.addClient('c');
  sim.addWorker('n1', 1, undefined, { name: 'node', address: 'ws://10.0.0.1:4000' });
  sim.addWorker('n2', 1, undefined, { name: 'node', address: 'ws://10.0.0.2:4000' });
  sim.submit('c', [task('a-1'), task('a-2')]);
  const on = (key: string) => [...sim.inbox].find(([, keys]) => keys.includes(key))![0];
  const first = on('a-1');
  const second = on('a-2');
  sim.finish(first, 'a-1');
  sim.finish(second, 'a-2');
  sim.submit('c', [task('bad-1', [], { retries: 1 })]);
  const bad = on('bad-1');
  sim.err(bad, 'bad-1', 'first');
  sim.err(bad, 'bad-1', 'second');
  sim.removeWorker('n1', 'killed');
  return { sim, events, first, second, bad };
}

t.test('the scheduler: task-done events and log entries carry the worker\'s id', async (t) => {
  const { sim, events, first, second, bad } = twoNamedAlike();
  t.not(first, second, 'the two tasks ran on the two workers');
  const done = events.filter((e): e is Extract<ClusterEvent, { kind: 'task-done' }> => e.kind === 'task-done');
  t.same(done.map((e) => [e.key, e.worker, e.workerId]), [['a-1', 'node', first], ['a-2', 'node', second]], 'both named node, each with its id');

  const about = (e: LogEntry) => (e.workers ?? []).map((w) => [w.id, e.text.slice(w.at, w.at + w.name.length)]);
  const added = sim.state.log.filter((e) => e.kind === 'worker-added');
  t.same(added.map((e) => e.text), ['worker node joined at ws://10.0.0.1:4000 with 1 thread(s)', 'worker node joined at ws://10.0.0.2:4000 with 1 thread(s)'], 'the texts as before');
  t.same(added.map(about), [[['n1', 'node']], [['n2', 'node']]], 'each names its worker by id, where its name stands');
  const retry = sim.state.log.find((e) => e.kind === 'retry')!;
  t.same(about(retry), [[bad, 'node']], 'a retry names the worker it raised on');
  const erred = sim.state.log.find((e) => e.kind === 'erred')!;
  t.same(about(erred), [[bad, 'node']], 'a failure too');
  t.match(erred.text, /^task bad-1 failed on node: Error: second$/);
  t.same(sim.state.failures.map((f) => [f.key, f.worker, f.workerId]), [['bad-1', 'node', bad]], 'the failure row carries the id');
  const removed = sim.state.log.find((e) => e.kind === 'worker-removed')!;
  t.same(about(removed), [['n1', 'node']]);
  t.notOk('workers' in sim.state.log.find((e) => e.kind === 'client-connected')!, 'an entry naming no worker has no workers');
});

t.test('the aggregator: stream bars by worker id, so two workers named alike are two rows', async (t) => {
  const { sim, events, first, second } = twoNamedAlike();
  const a = new Aggregator({ time: 0, schedulerAddress: 'ws://s', workers: [], groups: [], failures: [], topics: {}, log: [] });
  for (const e of events) a.apply(e);
  a.apply({ kind: 'transfer', keys: ['a-1'], from: 'node', fromId: first, to: 'node', toId: second, start: 5, stop: 6, bytes: 8 });
  // An unknown sender (no id): its address, as the event names it.
  a.apply({ kind: 'transfer', keys: ['x'], from: 'ws://10.9.9.9:1', to: 'node', toId: second, start: 5, stop: 6, bytes: 8 });
  const bars = a.delta(sim.now).stream;
  t.same(bars.filter((b) => b[5] === 0).map((b) => [b[6], b[0]]), [['a-1', first], ['a-2', second]], 'task bars on their worker\'s id');
  t.same(bars.filter((b) => b[5] === 1).map((b) => [b[0], b[8]]), [[second, first], [second, 'ws://10.9.9.9:1']], 'transfer bars: to and from by id');
  const rows = sim.state.workers;
  t.equal(rows.size, 1, 'one worker left (n1 was removed)');
  t.same(a.state(sim.now).log.filter((e) => e.kind === 'worker-added').map((e) => e.workers?.[0]?.id), ['n1', 'n2'], 'log entries keep their ids through the feed');
});

t.test('the aggregator keeps the 100 most recently gone workers, as the scheduler\'s snapshot does', async (t) => {
  // Workers that come and go (batch jobs, autoscaling): their rows were kept for the scheduler's
  // life and sent to every page opened; 300 gone gave a state of 301 rows.
  const row = (id: string, alive: boolean) => ({
    id, name: 'job', address: `ws://h:${id.slice(1)}`, host: 'h', nthreads: 1, cpu: 0, rss: 0, memoryLimit: 0,
    executing: 0, queued: 0, stored: 0, storedBytes: 0, lastSeen: Number(id.slice(1)), alive,
  });
  const a = new Aggregator({ time: 0, schedulerAddress: 'ws://s', workers: [row('w0', true)], groups: [], failures: [], topics: {}, log: [] });
  for (let i = 1; i <= 300; i++) {
    a.apply({ kind: 'worker', row: row(`w${i}`, true) });
    a.apply({ kind: 'worker', row: row(`w${i}`, false) });
  }
  const ids = a.state(1).workers.map((w) => w.id);
  t.equal(ids.length, 101, 'the live worker and 100 gone');
  t.ok(ids.includes('w0'), 'the live one is kept');
  t.same(ids.filter((id) => id !== 'w0').sort(), Array.from({ length: 100 }, (_, i) => `w${201 + i}`).sort(), 'the most recently gone');
  t.equal(a.delta(2).workers.length, 100, 'the delta carries no forgotten worker');
  // The live worker leaves last: it is the most recently gone, the longest gone is forgotten.
  a.apply({ kind: 'worker', row: row('w0', false) });
  const after = a.state(3).workers.map((w) => w.id);
  t.equal(after.length, 100);
  t.ok(after.includes('w0') && !after.includes('w201'));
});
