/**
 * Graceful retirement in the state machine (retirement.ts): a retiring worker's results that only
 * it holds are copied to other running workers before it is told to close, so nothing it held is
 * computed again; and the cases where nothing can be moved, or a copy fails.
 */
import t from 'tap';
import { retireStep } from '../../src/retirement.js';
import { computed, ops, Sim, task } from '../sim.js';

/** How many times each key was sent to any worker to compute. */
function runs(sim: Sim): Record<string, number> {
  const out: Record<string, number> = {};
  for (const keys of Object.values(computed(sim.log))) for (const k of keys) out[k] = (out[k] ?? 0) + 1;
  return out;
}

/** Two leaves and their sum; w1 computes a-1 and holds it, w2 is given a-2. */
function setup(): Sim {
  const sim = new Sim();
  sim.addClient('c');
  sim.addWorker('w1');
  sim.addWorker('w2');
  sim.submit('c', [task('a-1'), task('a-2'), task('sum-1', ['a-1', 'a-2'])], ['sum-1']);
  sim.finish('w1', 'a-1');
  return sim;
}

t.test('a retiring worker\'s needed result is copied to another worker before it closes: nothing is computed again', async (t) => {
  const sim = setup();
  sim.apply(sim.state.workerClosing('w1'));
  const asked = sim.apply(sim.state.workerRetiring('w1', sim.now));
  t.same(ops(asked, 'acquire', 'w2'), [{ op: 'acquire', from: 'ws://w1', keys: ['a-1'] }], 'w2 fetches a-1 from w1');
  t.same(ops(asked, 'close', 'w1'), [], 'w1 is not told to close before the copy arrived');
  t.equal(sim.state.movingCount, 1);
  const done = sim.apply(sim.state.acquired('w2', { 'a-1': 8 }, [], sim.now));
  t.match(ops(done, 'close', 'w1'), [{ op: 'close', reason: /^retired: 1 result\(s\) copied to 1 other worker\(s\)$/ }]);
  t.same(sim.state.tasks.get('a-1')!.holders.map((w) => w.id).sort(), ['w1', 'w2']);
  t.match(sim.state.takeSaid(), [/w1 retires: copying 1 result/, /w1 retired: 1 result/], 'said for the scheduler\'s own log');
  sim.removeWorker('w1', 'left', true);
  t.equal(sim.state.tasks.get('a-1')!.state, 'memory', 'a-1 survives its worker');
  sim.drain();
  t.equal(sim.state.tasks.get('sum-1')!.state, 'memory');
  t.same(runs(sim), { 'a-1': 1, 'a-2': 1, 'sum-1': 1 }, 'every task ran once');
});

t.test('without retirement (the worker just leaves) the same result is computed again', async (t) => {
  const sim = setup();
  sim.apply(sim.state.workerClosing('w1'));
  sim.removeWorker('w1', 'left', true);
  sim.drain();
  t.equal(sim.state.tasks.get('sum-1')!.state, 'memory');
  t.same(runs(sim), { 'a-1': 2, 'a-2': 1, 'sum-1': 1 }, 'a-1 ran twice');
});

t.test('the last worker retires: nothing to move to, it is told to close at once and the log says why', async (t) => {
  const sim = new Sim();
  sim.addClient('c');
  sim.addWorker('w1');
  sim.submit('c', [task('a-1'), task('b-1', ['a-1'])], ['b-1']);
  sim.finish('w1', 'a-1');
  sim.apply(sim.state.workerClosing('w1'));
  sim.apply(sim.state.handback('w1', ['b-1']));
  const out = sim.apply(sim.state.workerRetiring('w1', sim.now));
  t.same(ops(out, 'acquire'), []);
  t.same(ops(out, 'close', 'w1'), [{ op: 'close', reason: 'retired: no other worker to move its results to' }]);
  t.match(sim.state.takeSaid(), [/w1 retires holding 1 needed result\(s\) and no other worker is running to take them \(the last worker/]);
});

t.test('retireStep: wait for a worker to join only at the end of a lifetime, with results and no one to take them', async (t) => {
  t.equal(retireStep(0, 0, true), 'nothing');
  t.equal(retireStep(0, 2, false), 'nothing');
  t.equal(retireStep(3, 1, true), 'move');
  t.equal(retireStep(3, 1, false), 'move');
  t.equal(retireStep(3, 0, true), 'wait', 'its replacement is expected');
  t.equal(retireStep(3, 0, false), 'close', 'a user\'s stop stays prompt');
});

/** The last worker, w1, holds a-1 (b-1 needs it) and retires; `lifetime`: its lifetime ended. */
function lastRetires(lifetime: boolean): { sim: Sim; out: ReturnType<Sim['apply']> } {
  const sim = new Sim();
  sim.addClient('c');
  sim.addWorker('w1');
  sim.submit('c', [task('a-1'), task('b-1', ['a-1'])], ['b-1']);
  sim.finish('w1', 'a-1');
  sim.apply(sim.state.workerClosing('w1'));
  sim.apply(sim.state.handback('w1', ['b-1']));
  return { sim, out: sim.apply(sim.state.workerRetiring('w1', sim.now, lifetime)) };
}

t.test('the last worker retiring at the end of its lifetime is held until a worker joins, then its results are copied to it: nothing is computed again', async (t) => {
  const { sim, out } = lastRetires(true);
  t.same(ops(out, 'close', 'w1'), [], 'not told to close: its replacement is expected');
  t.equal(sim.state.waitingRetirees, 1);
  t.match(sim.state.takeSaid(), [/w1 retires at the end of its lifetime holding 1 needed result\(s\) and no other worker is running to take them: waiting for a worker to join/]);
  t.same(sim.state.workerRetiring('w1', sim.now, true).filter((c) => 'worker' in c.to), [], 'a second retire changes nothing');
  sim.now += 2500;
  const joined = sim.addWorker('w2');
  t.same(ops(joined, 'acquire', 'w2'), [{ op: 'acquire', from: 'ws://w1', keys: ['a-1'] }], 'the newcomer fetches a-1 from w1');
  t.equal(sim.state.waitingRetirees, 0);
  t.match(sim.state.takeSaid(), [/w1 waited 2\.5 s for a worker to take its results; w2 joined/, /w1 retires: copying 1 result/]);
  const done = sim.apply(sim.state.acquired('w2', { 'a-1': 8 }, [], sim.now));
  t.match(ops(done, 'close', 'w1'), [{ op: 'close', reason: /^retired: 1 result\(s\) copied to 1 other worker\(s\)$/ }]);
  sim.removeWorker('w1', 'left', true);
  sim.drain();
  t.equal(sim.state.tasks.get('b-1')!.state, 'memory');
  // b-1 was sent twice: to w1, which handed it back unstarted as it closed, then to w2.
  t.same(runs(sim), { 'a-1': 1, 'b-1': 2 }, 'a-1 was computed once');
});

t.test('two workers retiring at the end of their lifetimes with no one running: the first held hands its results to the later and leaves, freeing its slot; the later copies both to the newcomer', async (t) => {
  const sim = new Sim();
  sim.addClient('c');
  sim.addWorker('w1');
  sim.addWorker('w2');
  sim.submit('c', [task('a-1'), task('a-2'), task('sum-1', ['a-1', 'a-2'])], ['sum-1']);
  sim.finish('w1', 'a-1');
  sim.finish('w2', 'a-2');
  sim.apply(sim.state.workerClosing('w1'));
  sim.apply(sim.state.workerClosing('w2'));
  const first = sim.apply(sim.state.workerRetiring('w1', sim.now, true));
  t.same(ops(first, 'close', 'w1'), [], 'w1 is held');
  const second = sim.apply(sim.state.workerRetiring('w2', sim.now, true));
  t.same(ops(second, 'acquire', 'w2'), [{ op: 'acquire', from: 'ws://w1', keys: ['a-1'] }], 'w2 (held too) takes w1\'s result');
  t.same(ops(second, 'close', 'w2'), []);
  t.match(sim.state.takeSaid(), [/w1 retires at the end of its lifetime/, /w2 retires at the end of its lifetime/, /w1, held for a worker to join, hands its results to w2/, /w1 retires: copying 1 result/]);
  const handed = sim.apply(sim.state.acquired('w2', { 'a-1': 8 }, [], sim.now));
  t.match(ops(handed, 'close', 'w1'), [{ op: 'close', reason: /^retired: 1 result\(s\) copied/ }]);
  sim.removeWorker('w1', 'left', true);
  t.equal(sim.state.waitingRetirees, 1, 'w2 still waits');
  const joined = sim.addWorker('w3');
  t.same(ops(joined, 'acquire', 'w3').map((m) => (m as unknown as { keys: string[] }).keys.sort()), [['a-1', 'a-2']], 'the newcomer takes both from w2');
  sim.apply(sim.state.acquired('w3', { 'a-1': 8, 'a-2': 8 }, [], sim.now));
  sim.removeWorker('w2', 'left', true);
  sim.drain();
  t.equal(sim.state.tasks.get('sum-1')!.state, 'memory');
  const r = runs(sim);
  t.same([r['a-1'], r['a-2']], [1, 1], 'neither leaf was computed again');
});

t.test('a held retiree whose grace runs out before anyone joins leaves; its results are computed again and the log says so', async (t) => {
  const { sim } = lastRetires(true);
  sim.state.takeSaid();
  sim.removeWorker('w1', 'left', true);
  t.equal(sim.state.waitingRetirees, 0);
  t.match(sim.state.takeSaid(), [/w1 left \(its grace ran out\) before a worker joined to take its results; those are computed again when needed/]);
  const joined = sim.addWorker('w2');
  t.same(ops(joined, 'acquire'), [], 'nothing to fetch from a worker that has gone');
  sim.drain();
  t.same(runs(sim), { 'a-1': 2, 'b-1': 2 }, 'a-1 computed again (b-1: handed back by w1, then sent to w2)');
});

t.test('results nobody needs from it are not moved: the worker closes at once', async (t) => {
  const sim = new Sim();
  sim.addClient('c');
  sim.addWorker('w1');
  sim.addWorker('w2');
  // The client got x-1's value inline (a small result): losing the worker's copy costs nothing.
  sim.submit('c', [task('x-1')]);
  sim.finish('w1', 'x-1', { value: 5 });
  const out = sim.apply(sim.state.workerRetiring('w1', sim.now));
  t.same(ops(out, 'acquire'), []);
  t.same(ops(out, 'close', 'w1'), [{ op: 'close', reason: 'retired: nothing to move' }]);
  t.equal(sim.state.workers.get('w1')!.status, 'closing', 'retire without closing first closes it too');
});

t.test('a worker that came back holding results nothing here needs yet (orphans) and retires: the scheduler\'s line and close reason count them, as the worker\'s own line does', async (t) => {
  // Seen after a reconnect: the worker said "asking the scheduler to copy the 18 result(s) held
  // here", the scheduler "nothing to move (none of its 0 result(s) …)": it counted only results of
  // tasks here (WorkerRecord.has), the worker every result it stores.
  const sim = new Sim();
  sim.addClient('c');
  sim.addWorker('w1', 1, { 'old-1': 8, 'old-2': 8 });
  sim.addWorker('w2');
  sim.state.takeSaid();
  const out = sim.apply(sim.state.workerRetiring('w1', sim.now));
  t.same(ops(out, 'acquire'), [], 'nothing is needed from it: nothing is copied');
  t.match(ops(out, 'close', 'w1'), [{ op: 'close', reason: /^retired: nothing to move; it also holds 2 result\(s\) it came back with that nothing here needs yet/ }]);
  t.match(sim.state.takeSaid(), [/w1 retires: nothing to move \(none of the 0 result\(s\) of tasks here it holds is needed from it alone; it also holds 2 result\(s\) it came back with/]);
});

t.test('a result another running worker also holds is not moved; one only a closing worker also holds is', async (t) => {
  const sim = setup();
  sim.addWorker('w3');
  // w2 computed a-1 too (it was given it and called off, and finished it before it heard): a
  // second copy on a running worker. Only a worker given the task may report it (hostile-state.ts).
  sim.state.workers.get('w2')!.calledOff('a-1');
  sim.apply(sim.state.taskFinished('w2', { key: 'a-1', nbytes: 8, typeName: 'number', start: 0, stop: 1, thread: 0 }));
  let out = sim.apply(sim.state.workerRetiring('w1', sim.now));
  t.same(ops(out, 'acquire'), [], 'w2 still has it');
  t.same(ops(out, 'close', 'w1'), [{ op: 'close', reason: 'retired: nothing to move' }]);
  // Now w2 retires as well (a farm's jobs end together): its copy is the last on a running worker.
  out = sim.apply(sim.state.workerRetiring('w2', sim.now));
  t.same(ops(out, 'acquire', 'w3'), [{ op: 'acquire', from: 'ws://w2', keys: ['a-1'] }]);
});

t.test('recipients: the fewest bytes held first, never past 80% of a memory limit, never a paused or closing worker', async (t) => {
  const sim = new Sim();
  sim.addClient('c');
  const add = (id: string, memoryLimit: number) => {
    sim.inbox.set(id, []);
    sim.apply(sim.state.workerAdded({ id, name: id, address: `ws://${id}`, nthreads: 1, memoryLimit, host: 'sim', pid: 1 }, sim.now));
  };
  add('w1', 0);
  sim.submit('c', [task('big-1'), task('mid-1'), task('small-1'), task('end-1', ['big-1', 'mid-1', 'small-1'])], ['end-1']);
  // w1 computes all three inputs (the only worker so far).
  for (const k of ['big-1', 'mid-1', 'small-1']) sim.finish('w1', k, { nbytes: k === 'big-1' ? 900 : k === 'mid-1' ? 500 : 100 });
  add('small', 1000); // room for 800 bytes
  add('roomy', 0);
  add('paused', 0);
  sim.apply(sim.state.heartbeat('paused', { cpu: 0, rss: 1, memoryLimit: 0, executing: 0, ready: 0, stored: 0, storedBytes: 0, time: 0, paused: true }, sim.now));
  add('closing', 0);
  sim.apply(sim.state.workerClosing('closing'));
  // end-1 went to a worker when its inputs were ready; hand it back so nothing runs now.
  for (const [id, keys] of Object.entries(computed(sim.log))) if (keys.includes('end-1')) sim.apply(sim.state.handback(id, ['end-1']));
  const out = sim.apply(sim.state.workerRetiring('w1', sim.now));
  const plan = Object.fromEntries(['small', 'roomy', 'paused', 'closing'].map((w) => [w, ops(out, 'acquire', w).flatMap((m) => m.keys as string[])]));
  // big-1 (900) does not fit in small's 800; it goes to roomy; mid-1 then goes to small (0 < 900); small-1 to small's... 500+100 ≤ 800 but roomy has 900: small.
  t.same(plan, { small: ['mid-1', 'small-1'], roomy: ['big-1'], paused: [], closing: [] });
});

t.test('a copy that fails, or whose recipient leaves, is not counted as moved; the worker is still told to close', async (t) => {
  const sim = setup();
  sim.addWorker('w3');
  const out = sim.apply(sim.state.workerRetiring('w1', sim.now));
  t.same(ops(out, 'acquire'), [{ op: 'acquire', from: 'ws://w1', keys: ['a-1'] }]);
  t.same(ops(out, 'acquire', 'w3').length, 1, 'to w3, idle (w2 runs a-2)');
  const done = sim.removeWorker('w3', 'killed');
  t.match(ops(done, 'close', 'w1'), [{ reason: /retired: 0 result\(s\) copied to 1 other worker\(s\), 1 not/ }]);
  t.equal(sim.state.movingCount, 0);
});

t.test('the retiring worker leaves before its copy arrived (its grace ran out): recomputed; the late copy is taken and the recompute called off', async (t) => {
  const sim = setup();
  sim.addWorker('w3');
  sim.addWorker('w4');
  sim.apply(sim.state.workerRetiring('w1', sim.now));
  t.same(ops(sim.log, 'acquire', 'w3'), [{ op: 'acquire', from: 'ws://w1', keys: ['a-1'] }], 'the first of the idle workers holding nothing');
  sim.removeWorker('w1', 'left', true);
  t.match(sim.state.takeSaid().at(-1), /w1 left with 1 of its results not yet copied \(0 copied\)/);
  t.equal(sim.state.movingCount, 1, 'the copy is still awaited');
  const a1 = sim.state.tasks.get('a-1')!;
  t.equal(a1.state, 'processing', 'a-1 is computed again (sum-1 still needs it)');
  t.equal(a1.processingOn!.id, 'w3');
  t.same(ops(sim.apply(sim.state.acquired('w4', { 'a-1': 8 }, [], sim.now)), 'free-keys', 'w4'), [{ op: 'free-keys', keys: ['a-1'] }], 'a copy w4 was not asked for is not taken');
  // w3 is the worker computing it again: the copy is taken, the recompute left to run (what it
  // reports is a repeat).
  const same = sim.apply(sim.state.acquired('w3', { 'a-1': 8 }, [], sim.now));
  t.same(ops(same, 'free-keys'), [], 'no call-off that would drop the copy on w3');
  t.equal(a1.state, 'memory', 'the copy is the result');
  t.same(a1.holders.map((w) => w.id), ['w3']);
  t.equal(sim.state.movingCount, 0);
  sim.drain();
  t.equal(sim.state.tasks.get('sum-1')!.state, 'memory');
});

t.test('a late copy on another worker than the one computing it again is taken; the recompute is called off', async (t) => {
  const sim = setup();
  sim.addWorker('w3');
  sim.apply(sim.state.workerRetiring('w1', sim.now));
  t.same(ops(sim.log, 'acquire', 'w3'), [{ op: 'acquire', from: 'ws://w1', keys: ['a-1'] }]);
  // w3 gets a task of its own, and a fourth worker joins: the least occupied, it takes the recompute.
  sim.submit('c', [task('z-1')]);
  t.same(sim.inbox.get('w3'), ['z-1']);
  sim.addWorker('w4');
  sim.removeWorker('w1', 'left', true);
  const a1 = sim.state.tasks.get('a-1')!;
  const on = a1.processingOn!.id;
  t.equal(on, 'w4', 'recomputed on w4');
  const late = sim.apply(sim.state.acquired('w3', { 'a-1': 8 }, [], sim.now));
  t.equal(a1.state, 'memory');
  t.same(a1.holders.map((w) => w.id), ['w3']);
  t.same(ops(late, 'free-keys', on), [{ op: 'free-keys', keys: ['a-1'] }], 'the recompute is called off');
});

t.test('a key the retiring worker no longer had is reported missing: not moved, the move still ends', async (t) => {
  const sim = setup();
  sim.apply(sim.state.workerRetiring('w1', sim.now));
  const done = sim.apply(sim.state.acquired('w2', {}, ['a-1'], sim.now));
  t.match(ops(done, 'close', 'w1'), [{ reason: /0 result\(s\) copied.*1 not/ }]);
  // An answer for a key nobody moves, or that nobody wants any more: freed on the recipient.
  const stray = sim.apply(sim.state.acquired('w2', { 'nobody-1': 8 }, [], sim.now));
  t.same(ops(stray, 'free-keys', 'w2'), [{ op: 'free-keys', keys: ['nobody-1'] }]);
});

t.test('a worker that says it is leaving is shown closing in its dashboard row at once, not at its next heartbeat (a batch cluster submits its replacement on it)', async (t) => {
  for (const how of ['closing', 'retire'] as const) {
    const sim = setup();
    const rows: { name: string; closing?: boolean }[] = [];
    sim.state.subscribe((e) => { if (e.kind === 'worker') rows.push(e.row); });
    if (how === 'closing') sim.apply(sim.state.workerClosing('w1'));
    else sim.apply(sim.state.workerRetiring('w1', sim.now, true));
    t.match(rows, [{ name: 'w1', closing: true }], `${how}: one row for w1, closing`);
    t.equal(sim.state.workerRow(sim.state.workers.get('w2')!).closing, false, `${how}: w2, still running, is not`);
  }
});

t.test('the dashboard row of a worker leaving because its lifetime ended says so beside closing; one stopped does not', async (t) => {
  for (const how of ['closing', 'retire'] as const) {
    const sim = setup();
    if (how === 'closing') sim.apply(sim.state.workerClosing('w1', true));
    else sim.apply(sim.state.workerRetiring('w1', sim.now, true));
    t.match(sim.state.workerRow(sim.state.workers.get('w1')!), { closing: true, lifetime: true }, `${how} with lifetime: retiring`);
    sim.apply(sim.state.workerClosing('w2'));
    const stopped = sim.state.workerRow(sim.state.workers.get('w2')!);
    t.equal(stopped.closing, true, `${how}: w2 stopped is closing`);
    t.notOk('lifetime' in stopped, `${how}: and not said to retire by its lifetime`);
  }
});

t.test('a gone worker\'s row still says it retired at the end of its lifetime; a stopped one\'s does not', async (t) => {
  // A batch cluster looks every 2 s; a worker with nothing to hand over retires and leaves between
  // two looks, and only the gone row can tell its job's end from a plain one (deploy's job-view.ts).
  const sim = setup();
  sim.apply(sim.state.workerClosing('w1', true));
  sim.apply(sim.state.workerClosing('w2'));
  sim.apply(sim.state.workerRemoved('w1', 'it closed', sim.now, true));
  sim.apply(sim.state.workerRemoved('w2', 'it closed', sim.now, true));
  const gone = new Map(sim.state.goneWorkers.map((w) => [w.id, sim.state.workerRow(w)]));
  t.match(gone.get('w1'), { alive: false, closing: false, lifetime: true }, 'w1 retired by its lifetime');
  t.notOk('lifetime' in gone.get('w2')!, 'w2 was stopped');
});
