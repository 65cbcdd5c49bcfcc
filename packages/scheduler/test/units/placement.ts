import t from 'tap';
import { WorkerRecord, type TaskRecord } from '@gluon/scheduler';
import { IndexedHeap } from '../../src/indexed-heap.js';
import { chooseWorker, chooseWorkerAmong, WorkerPool } from '../../src/placement.js';
import { computed, Sim, task } from '../sim.js';

/** A deterministic pseudo-random sequence (xorshift32), so a failure replays. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

t.test('IndexedHeap: updates and deletes in place keep the smallest on top', async (t) => {
  const key = new Map<number, number>();
  const heap = new IndexedHeap<number>((a, b) => (key.get(a)! !== key.get(b)! ? key.get(a)! < key.get(b)! : a < b));
  const random = rng(7);
  for (let step = 0; step < 5000; step++) {
    const item = Math.floor(random() * 50);
    if (random() < 0.2) {
      heap.delete(item);
      key.delete(item);
    } else {
      key.set(item, Math.floor(random() * 20));
      heap.update(item);
    }
    const sorted = [...key.keys()].sort((a, b) => key.get(a)! - key.get(b)! || a - b);
    const best = sorted[0];
    if (heap.peek() !== best || heap.size !== key.size) {
      t.fail(`step ${step}: top ${heap.peek()} (size ${heap.size}), expected ${best} (size ${key.size})`);
      return;
    }
    // The first at or past an even number, among those keyed below 10 (a prefix of the order).
    const wanted = sorted.find((x) => key.get(x)! < 10 && x % 2 === 0);
    if (heap.firstWhere((x) => x % 2 === 0, (x) => key.get(x)! < 10) !== wanted) {
      t.fail(`step ${step}: firstWhere ${heap.firstWhere((x) => x % 2 === 0, (x) => key.get(x)! < 10)}, expected ${wanted}`);
      return;
    }
    const k = step % 12;
    if (heap.first(k).join() !== sorted.slice(0, k).join()) {
      t.fail(`step ${step}: first ${k} ${heap.first(k).join()}, expected ${sorted.slice(0, k).join()}`);
      return;
    }
  }
  t.pass('5,000 random updates and deletes: always the right top, the right first k items in order, and the right first wanted item of a prefix');
});

function worker(order: number, nthreads = 1): WorkerRecord {
  return new WorkerRecord(`w${order}`, `w${order}`, `ws://w${order}`, nthreads, 0, 'h', 1, 0, order);
}

let fakeKeys = 0;
/** A record with what placement reads; its own key (a worker keeps its running tasks by key). */
function fakeTask(deps: Array<{ holders: WorkerRecord[]; nbytes: number }> = []): TaskRecord {
  return { key: `fake-${++fakeKeys}`, deps, thief: null, state: 'processing' } as unknown as TaskRecord;
}

t.test('chooseWorker tallies input bytes per holder, for a few holders and for many', async (t) => {
  const pool = new WorkerPool();
  const ws = Array.from({ length: 40 }, (_, i) => worker(i, 1));
  for (const w of ws) pool.add(w);
  const cap = (w: WorkerRecord) => w.nthreads + 1;
  // Bytes add up per holder across inputs: 5 + 5 on w3 beat 8 on w1.
  t.equal(chooseWorker(fakeTask([{ holders: [ws[1]!], nbytes: 8 }, { holders: [ws[3]!], nbytes: 5 }, { holders: [ws[3]!], nbytes: 5 }]), pool, cap), ws[3]);
  // Past the linear search's 32 holders: inputs on all 40, most bytes on the 39th.
  const deps = ws.map((w, i) => ({ holders: [w], nbytes: i === 38 ? 50 : 10 }));
  deps.push({ holders: [ws[38]!, ws[2]!], nbytes: 1 }, { holders: [ws[2]!], nbytes: 45 });
  t.equal(chooseWorker(fakeTask(deps), pool, cap), ws[2], '10 + 1 + 45 on w2 beat 50 + 1 on w38');
  t.equal(chooseWorker(fakeTask(deps.slice(0, 40)), pool, cap), ws[38], 'without the last two: w38');
  // Equal bytes: the first holder met, unless another is less occupied.
  t.equal(chooseWorker(fakeTask([{ holders: [ws[5]!, ws[6]!], nbytes: 4 }]), pool, cap), ws[5]);
  ws[5]!.take(fakeTask());
  t.equal(chooseWorker(fakeTask([{ holders: [ws[5]!, ws[6]!], nbytes: 4 }]), pool, cap), ws[6], 'w5 busier');
});

t.test('WorkerPool: the least occupied worker with room; holders of the inputs first; paused and gone workers never', async (t) => {
  const pool = new WorkerPool();
  const [a, b, c] = [worker(0, 2), worker(1, 1), worker(2, 4)];
  for (const w of [a, b, c]) pool.add(w);
  const cap = (ws: WorkerRecord) => ws.nthreads + 1;
  t.equal(chooseWorker(fakeTask(), pool, cap), a, 'all idle: the earliest registered');
  a.take(fakeTask());
  t.equal(chooseWorker(fakeTask(), pool, cap), b, 'the next idle one once a has work');
  b.take(fakeTask());
  c.take(fakeTask());
  // loads: a 1/2, b 1/1, c 1/4
  t.equal(chooseWorker(fakeTask(), pool, cap), c, 'least tasks per thread');
  const input = fakeTask();
  t.equal(chooseWorker(fakeTask([{ holders: [b], nbytes: 100 }, { holders: [a, b], nbytes: 10 }]), pool, cap), a, 'a holder with a free thread before one holding more bytes whose thread is busy');
  t.equal(chooseWorker(fakeTask([{ holders: [a], nbytes: 100 }, { holders: [a, c], nbytes: 10 }]), pool, cap), a, 'the worker holding most input bytes, though busier, while both have a thread free');
  b.take(input);
  t.equal(chooseWorker(fakeTask([{ holders: [b], nbytes: 100 }]), pool, cap), c, 'a full holder is passed over for the least occupied');
  c.metrics = { cpu: 0, rss: 0, memoryLimit: 1, executing: 0, ready: 0, stored: 0, storedBytes: 0, time: 0, paused: true };
  t.same([...pool.paused], [c], 'a paused worker is listed as paused');
  t.equal(chooseWorker(fakeTask(), pool, cap), a, 'and gets nothing');
  c.metrics = null;
  t.same([...pool.paused], [], 'back under its limit');
  for (let i = 0; i < 5; i++) c.take(fakeTask());
  t.equal(chooseWorker(fakeTask(), pool, cap), a, 'c full (6 > 5): a');
  a.take(fakeTask());
  a.take(fakeTask());
  t.equal(chooseWorker(fakeTask(), pool, cap), null, 'nobody has room: the task is queued');
  t.same(pool.mostSpareFirst(8), [c, a, b], 'the most unstarted work first: c (6 tasks on 4 threads), then a and b (ties: the earlier registered)');
  a.status = 'closing';
  b.drop(input);
  t.equal(chooseWorker(fakeTask(), pool, cap), b, 'a closing worker gets nothing');
  pool.remove(c);
  c.status = 'gone';
  t.same(pool.mostSpareFirst(8), [a, b], 'a removed worker is no victim');
});

t.test('placing and stealing cost O(log workers) per task: no pass over every worker (1,000 workers)', async (t) => {
  const sim = new Sim({}, false);
  sim.addClient('c');
  for (let i = 0; i < 1000; i++) sim.addWorker(`w${i}`, 2);
  // Count every worker record any pass over the registry visits from here on.
  const workers = sim.state.workers;
  const values = workers.values.bind(workers);
  let visited = 0;
  workers.values = function* () {
    for (const w of values()) {
      visited++;
      yield w;
    }
  } as typeof workers.values;
  const n = 20_000;
  sim.submit('c', Array.from({ length: n }, (_, i) => task(`noop-${i}`)));
  // Idle workers' heartbeats look for paused workers to steal from.
  for (const id of [...sim.inbox.keys()].slice(0, 100)) sim.apply(sim.state.heartbeat(id, { cpu: 0, rss: 0, memoryLimit: 0, executing: 0, ready: 0, stored: 0, storedBytes: 0, time: 0 }, 0));
  const steps = sim.drain(n * 4);
  t.equal(steps, n, 'every task ran once');
  t.equal(sim.state.groups.get('noop')!.counts.memory, n, 'and is in memory');
  t.ok(visited <= n, `worker records visited: ${visited} for ${n} tasks on 1,000 workers (a pass per task would be ${n * 1000})`);
});

t.test('an update-graph of short tasks gives each worker its share in one message, not a few tasks to every worker', async (t) => {
  const sim = new Sim({ latencyBudgetMs: 2, maxInFlightPerThread: 64 });
  sim.addClient('c');
  for (let i = 0; i < 100; i++) sim.addWorker(`w${i}`, 2);
  // The group's tasks are known to be instant: a worker may hold 2 × 64 of them.
  sim.submit('c', [task('noop-warm')]);
  sim.finish('w0', 'noop-warm', { ms: 0 });
  t.equal(sim.state.capacity(sim.state.workers.get('w0')!, 'noop'), 128);
  const ran = (cmds: Record<string, string[]>) => Object.values(cmds).reduce((n, keys) => n + keys.length, 0);
  // A client sends a big map in frames (4,096 tasks each): two frames here, nothing finishing between.
  const frame = (f: number) => Array.from({ length: 1000 }, (_, i) => task(`noop-f${f}i${i}`));
  const first = computed(sim.submit('c', frame(1)));
  t.equal(Object.keys(first).length, 100, 'the first frame: every idle thread gets a task');
  t.equal(ran(first), 1000, 'and the rest is handed out at once');
  const second = computed(sim.submit('c', frame(2)));
  const recipients = Object.keys(second).length;
  // One by one on the least occupied worker, the second frame was 10 tasks to each of the 100.
  t.ok(recipients <= 10, `the second frame went to ${recipients} workers, each taking its share (${Object.values(second).map((k) => k.length).join(', ')})`);
  t.equal(ran(second), 1000, 'every task of it sent');
  t.equal(sim.drain(), 2000, 'and everything runs');
  t.equal(sim.state.groups.get('noop')!.counts.memory, 2001);
});

t.test('a ready task goes to a free thread while one exists, before a busy worker holding its inputs', async (t) => {
  // Workers of 2, 2 and 1 threads. data-1 sits on w3, whose one thread then runs a long task, while
  // w1 and w2 each run one and have a thread free: use-1 went to w3 (the holder with room) and
  // waited behind its long task.
  const sim = new Sim();
  sim.addClient('c');
  sim.addWorker('w1', 2);
  sim.addWorker('w2', 2);
  sim.addWorker('w3', 1);
  sim.submit('c', [task('data-1'), task('data-2'), task('data-3')]);
  t.same([sim.inbox.get('w1'), sim.inbox.get('w2'), sim.inbox.get('w3')], [['data-1'], ['data-2'], ['data-3']]);
  for (const [w, k, nbytes] of [['w1', 'data-1', 1e6], ['w2', 'data-2', 1e6], ['w3', 'data-3', 2e6]] as const) sim.finish(w, k, { nbytes });
  sim.submit('c', [task('long-1'), task('long-2'), task('long-3')]);
  t.same([sim.inbox.get('w1'), sim.inbox.get('w2'), sim.inbox.get('w3')], [['long-1'], ['long-2'], ['long-3']], 'one long task on each worker');
  const placed = computed(sim.submit('c', [task('use-3', ['data-3'])]));
  t.same(placed, { w1: ['use-3'] }, 'its input is on w3, whose one thread is busy: a free thread elsewhere, the least occupied (w1 before w2)');
  // Among holders, one with a free thread before one holding more bytes with none.
  t.same(computed(sim.submit('c', [task('both-1', ['data-3', 'data-2'])])), { w2: ['both-1'] }, 'w2 holds half the bytes w3 does, but has a thread free');
  t.same(computed(sim.submit('c', [task('use-2', ['data-2'])])), { w2: ['use-2'] }, 'no thread free anywhere: the holder with room, as before');
  t.same(computed(sim.submit('c', [task('use-1', ['data-1'])])), { w1: ['use-1'] }, 'likewise w1 for its own input');
  t.same(computed(sim.submit('c', [task('use-3b', ['data-3'])])), { w3: ['use-3b'] }, 'and w3');
});

t.test('tasks arriving one by one on workers of 2, 2 and 1 threads go to a free thread whenever one exists', async (t) => {
  // A pseudo-random run: tasks with and without inputs (held anywhere) arrive while others finish.
  const random = rng(11);
  const sim = new Sim();
  sim.addClient('c');
  for (const [id, n] of [['w1', 2], ['w2', 2], ['w3', 1]] as const) sim.addWorker(id, n);
  const held: string[] = [];
  let misplaced = 0;
  let checked = 0;
  for (let i = 0; i < 600; i++) {
    if (random() < 0.6) {
      const busy = [...sim.inbox].filter(([, keys]) => keys.length > 0);
      if (busy.length) {
        const [id, keys] = busy[Math.floor(random() * busy.length)]!;
        const key = keys[Math.floor(random() * Math.min(keys.length, sim.state.workers.get(id)!.nthreads))]!;
        sim.finish(id, key, { nbytes: 1 + Math.floor(random() * 1e6) });
        if (sim.state.tasks.get(key)?.state === 'memory') held.push(key);
        sim.answerSteals();
        continue;
      }
    }
    const deps = held.length && random() < 0.7 ? [held[Math.floor(random() * held.length)]!] : [];
    const free = [...sim.state.workers.values()].filter((w) => w.processing.size < w.nthreads).map((w) => w.id);
    const sent = computed(sim.submit('c', [task(`t-${i}`, deps)], [...held, `t-${i}`]));
    const to = Object.keys(sent);
    if (to.length === 0) continue;
    checked++;
    if (free.length > 0 && !free.includes(to[0]!)) misplaced++;
  }
  t.ok(checked > 100, `${checked} placements checked`);
  t.equal(misplaced, 0, 'none went to a worker with every thread busy while another had one free');
});

t.test('a thread a steal under way will take is not free: the task goes to a thread that is', async (t) => {
  const pool = new WorkerPool();
  const [a, b, c] = [worker(0, 2), worker(1, 2), worker(2, 1)];
  for (const w of [a, b, c]) pool.add(w);
  const cap = (ws: WorkerRecord) => ws.nthreads + 1;
  a.take(fakeTask());
  b.take(fakeTask());
  c.take(fakeTask());
  const waiting = fakeTask();
  c.take(waiting);
  // a and b run one task on two threads each; c's second task waits behind its first.
  t.equal(chooseWorker(fakeTask(), pool, cap), a, 'a and b equally occupied: the earlier registered');
  a.askedToSteal(waiting);
  t.equal(chooseWorker(fakeTask(), pool, cap), b, 'a\'s free thread is for the task being stolen from c: b\'s is free');
  t.equal(chooseWorker(fakeTask([{ holders: [a], nbytes: 100 }]), pool, cap), b, 'past a holder of the inputs whose free thread a steal will take');
  t.equal(chooseWorkerAmong(fakeTask([{ holders: [a], nbytes: 100 }]), [a, b, c], cap, () => true), b, 'likewise by a pass over the workers');
  b.askedToSteal(fakeTask());
  t.equal(chooseWorker(fakeTask([{ holders: [a], nbytes: 100 }]), pool, cap), a, 'no thread free anywhere once b\'s is spoken for too: the holder with room, as before');
  t.equal(chooseWorker(fakeTask(), pool, cap), a, 'and without inputs the least occupied');
  waiting.thief = null;
  t.equal(chooseWorker(fakeTask(), pool, cap), a, 'the steal answered (refused): a\'s thread is free again');
  // Many workers, the lighter ones' free threads all spoken for: the first free one in load order.
  const many = new WorkerPool();
  const ws = Array.from({ length: 20 }, (_, i) => worker(100 + i, 4));
  for (const w of ws) many.add(w);
  for (const [i, w] of ws.entries()) for (let j = 0; j < (i < 10 ? 1 : 2); j++) w.take(fakeTask());
  for (const w of ws.slice(0, 10)) for (let j = 0; j < 3; j++) w.askedToSteal(fakeTask());
  t.equal(chooseWorker(fakeTask(), many, cap), ws[10], 'ten workers at 1/4 with every free thread spoken for: the first at 2/4');
});
