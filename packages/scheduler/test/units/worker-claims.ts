/**
 * What a registering worker says it still runs or holds (`holding`) is believed only when it is
 * consistent with the scheduler's state (src/worker-claims.ts): the rule alone, then the state
 * machine fed claims of tasks never given to the claimant, or given to another worker.
 */
import t from 'tap';
import { believable, type ClaimContext } from '../../src/worker-claims.js';
import { computed, ops, Sim, task } from '../sim.js';

t.test('the rule: unknown keys (from before a restart), an awaited worker, and what its previous registration had are believed', async (t) => {
  const known = new Set(['mine-1', 'other-1', 'called-off-1']);
  const previous = { hadAtEnd: (k: string) => k === 'mine-1' || k === 'called-off-1' };
  const c: ClaimContext = { known: (k) => known.has(k), awaited: false, previous };
  t.same(['mine-1', 'other-1', 'new-1', 'called-off-1'].filter((k) => believable(k, c)), ['mine-1', 'new-1', 'called-off-1']);
  t.same(['mine-1', 'new-1'].filter((k) => believable(k, { ...c, previous: undefined })), ['new-1'], 'no previous registration: only unknown keys');
  t.same(['mine-1', 'other-1'].filter((k) => believable(k, { ...c, previous: undefined, awaited: true })), ['mine-1', 'other-1'], 'an awaited worker: all of it');
});

t.test('a worker claiming to run another worker\'s task: refused; the task stays where it runs, its result from the claimant is refused', async (t) => {
  const sim = new Sim();
  sim.addClient('c');
  sim.addWorker('w1');
  sim.submit('c', [task('a-1')]);
  t.same(sim.inbox.get('w1'), ['a-1']);
  const joined = sim.addWorker('evil', 1, {}, { running: ['a-1'] });
  t.same(ops(joined, 'free-keys', 'evil'), [{ op: 'free-keys', keys: ['a-1'] }], 'the claimant is told to drop it');
  const line = sim.state.log.find((l) => /claim to be running/.test(l.text))!;
  t.ok(line, 'a line');
  t.match(line.text, /refused worker evil's claim to be running 1 task\(s\) \(a-1\): never given to it, or another worker has them/, 'logged, naming the worker and the key');
  t.match(sim.state.takeSaid().join('\n'), /refused worker evil's claim/, 'in the process log too');
  const a1 = sim.state.tasks.get('a-1')!;
  t.equal(a1.processingOn?.id, 'w1', 'still on w1');
  const late = sim.apply(sim.state.taskFinished('evil', { key: 'a-1', nbytes: 8, typeName: 'number', start: 0, stop: 1, thread: 0, value: 666, hasValue: true }, 2));
  t.equal(a1.state, 'processing', 'its result is not taken');
  t.same(ops(late, 'key-in-memory', 'c'), [], 'the client hears of none');
  sim.finish('w1', 'a-1', { value: 1 });
  t.same(a1.holders.map((w) => w.id), ['w1'], 'the real result is');
});

t.test('a worker claiming a task it was never given cannot hold it back: when it is to run again, it runs', async (t) => {
  const sim = new Sim();
  sim.addClient('c');
  sim.addWorker('w1');
  sim.addWorker('w2');
  sim.submit('c', [task('a-1')]);
  const on = Object.keys(computed(sim.log))[0]!;
  sim.addWorker('evil', 1, {}, { running: ['a-1'] });
  // Its worker dies: the task is computed again, not left waiting for the claimant's result.
  sim.removeWorker(on);
  const again = computed(sim.log);
  t.equal(Object.values(again).flat().filter((k) => k === 'a-1').length, 2, `a-1 runs again: ${JSON.stringify(again)}`);
  t.equal(sim.state.tasks.get('a-1')!.state, 'processing');
});

t.test('many registrations claiming others\' tasks: one line, then at most one a minute', async (t) => {
  const sim = new Sim();
  sim.addClient('c');
  sim.addWorker('w1');
  sim.submit('c', [task('a-1')]);
  for (let i = 0; i < 50; i++) {
    sim.now = i;
    sim.addWorker(`evil-${i}`, 1, {}, { running: ['a-1'] });
  }
  t.equal(sim.state.log.filter((l) => /claim/.test(l.text)).length, 1, 'one line within the minute');
  sim.now = 61_000;
  sim.addWorker('evil-late', 1, {}, { running: ['a-1'] });
  const last = sim.state.log.filter((l) => /claim/.test(l.text)).at(-1)!.text;
  t.match(last, /refused claims of tasks never given in 50 more registrations since the last such line \(the latest: worker evil-late, to be running 1 task\(s\) \(a-1\)\)/, 'then a summary');
});

t.test('a worker back after a lost link, still running what it was given: believed, its result taken and the rerun called off', async (t) => {
  const sim = new Sim({ heartbeatTtlMs: 1000 });
  sim.addClient('c');
  sim.addWorker('w1', 1, undefined, { address: 'ws://10.0.0.1:4000' });
  sim.addWorker('w2');
  sim.submit('c', [task('a-1'), task('b-1')]);
  const firstOn = computed(sim.log);
  const mine = firstOn.w1![0]!;
  sim.removeWorker('w1', 'connection closed (1006)');
  // The same worker (its data address) registers again, still running its task.
  const back = sim.addWorker('w1b', 1, {}, { address: 'ws://10.0.0.1:4000', running: [mine] });
  t.same(ops(back, 'free-keys', 'w1b'), [], 'nothing to drop');
  t.notOk(sim.state.log.some((l) => /claim/.test(l.text)), 'no refusal');
  const late = sim.finish('w1b', mine, { value: 5 });
  const ts = sim.state.tasks.get(mine)!;
  t.equal(ts.state, 'memory', 'its result is taken');
  t.same(ts.holders.map((w) => w.id), ['w1b']);
  t.same(ops(late, 'free-keys', 'w2'), [{ op: 'free-keys', keys: [mine] }], 'the copy rescheduled on w2 is called off');
});

t.test('a worker claiming to hold the result of a task running elsewhere, or waiting: refused; nothing completes with its value', async (t) => {
  const sim = new Sim();
  sim.addClient('c');
  sim.addWorker('w1');
  sim.submit('c', [task('a-1'), task('b-1', ['a-1'])]);
  const joined = sim.addWorker('evil', 1, { 'a-1': 8, 'b-1': 8 });
  t.same(ops(joined, 'free-keys', 'evil'), [{ op: 'free-keys', keys: ['a-1', 'b-1'] }], 'told to drop both');
  t.equal(sim.state.tasks.get('a-1')!.state, 'processing', 'a-1 still runs on w1');
  t.equal(sim.state.tasks.get('a-1')!.processingOn?.id, 'w1');
  t.equal(sim.state.tasks.get('b-1')!.state, 'waiting', 'b-1 still waits for it');
  t.same(ops(joined, 'key-in-memory', 'c'), [], 'the client hears of no result');
  t.match(sim.state.log.find((l) => /claim/.test(l.text))!.text, /refused worker evil's claim to hold the results of 2 task\(s\) not in memory \(a-1, b-1\)/);
  sim.drain();
  t.same(sim.state.tasks.get('b-1')!.holders.map((w) => w.id), ['w1'], 'the run finishes on the real results');
});

t.test('a worker back holding the only copy of a result it had (lost when it left): believed, taken back and not recomputed', async (t) => {
  const sim = new Sim();
  sim.addClient('c');
  sim.addWorker('w1', 1, undefined, { address: 'ws://10.0.0.1:4000' });
  sim.submit('c', [task('a-1'), task('slow-1'), task('sum-1', ['a-1', 'slow-1'])], ['sum-1']);
  sim.finish('w1', 'a-1');
  sim.removeWorker('w1', 'connection closed (1006)');
  t.not(sim.state.tasks.get('a-1')!.state, 'memory', 'lost with it');
  const back = sim.addWorker('w1b', 1, { 'a-1': 8 }, { address: 'ws://10.0.0.1:4000', running: ['slow-1'] });
  t.same(ops(back, 'free-keys', 'w1b'), [], 'nothing refused');
  t.equal(sim.state.tasks.get('a-1')!.state, 'memory', 'taken back');
  t.same(sim.state.tasks.get('a-1')!.holders.map((w) => w.id), ['w1b']);
  t.equal(Object.values(computed(sim.log)).flat().filter((k) => k === 'a-1').length, 1, 'computed once');
  t.notOk(sim.state.log.some((l) => /claim/.test(l.text)), 'no refusal');
});

t.test('after a restart, a worker believed to run a task from before, back again on a new connection, is believed again', async (t) => {
  const sim = new Sim();
  sim.addWorker('w1', 1, {}, { address: 'ws://10.0.0.1:4000', running: ['x-1'] });
  sim.addWorker('w2');
  sim.addClient('c');
  sim.resubmit('c', [task('x-1')], ['x-1'], {});
  t.same(computed(sim.log), {}, 'x-1 waits for w1');
  sim.removeWorker('w1', 'connection closed (1006)');
  sim.addWorker('w1b', 1, {}, { address: 'ws://10.0.0.1:4000', running: ['x-1'] });
  t.notOk(sim.state.log.some((l) => /claim/.test(l.text)), 'no refusal');
  sim.finish('w1b', 'x-1');
  t.same(sim.state.tasks.get('x-1')!.holders.map((w) => w.id), ['w1b'], 'its result is taken');
});

t.test('a worker back after a lost link holding a result released while it was away: told to drop it, not logged as a refused claim', async (t) => {
  // Found on hosts in namespaces: a worker cut off for longer than the TTL during an H→4ℓ run
  // came back holding chunk results whose merges had finished on another worker meanwhile (the
  // free-keys sent to it never arrived), and the scheduler said "refused worker …'s claim to hold
  // the results of 53 task(s) not in memory (…): never given to it, or another worker has them",
  // of results it had given it itself.
  const sim = new Sim({ heartbeatTtlMs: 1000 });
  sim.addClient('c');
  sim.addWorker('w1', 1, undefined, { address: 'ws://10.0.0.1:4000' });
  sim.submit('c', [task('a-1')], ['a-1']);
  sim.finish('w1', 'a-1');
  sim.submit('c', [task('x-1')], ['x-1']); // keeps w1 busy, so a-2 goes to w2
  sim.addWorker('w2');
  sim.submit('c', [task('a-2')], ['a-2']);
  sim.finish('w2', 'a-2', { nbytes: 1e6 });
  sim.submit('c', [task('b-1', ['a-1', 'a-2'])], ['b-1']);
  t.same(computed(sim.log), { w1: ['a-1', 'x-1'], w2: ['a-2', 'b-1'] }, 'the merge b-1 runs on w2');
  sim.finish('w2', 'b-1');
  const freed = sim.apply(sim.state.releaseKeys('c', ['a-1', 'a-2']));
  t.same(ops(freed, 'free-keys', 'w1'), [{ op: 'free-keys', keys: ['a-1'] }], 'the free-keys that never reaches w1');
  const a1 = sim.state.tasks.get('a-1')!;
  t.equal(a1.state, 'released');
  sim.removeWorker('w1', 'no heartbeat within 1000 ms');
  const back = sim.addWorker('w1b', 1, { 'a-1': 8 }, { address: 'ws://10.0.0.1:4000', running: ['x-1'] });
  t.same(ops(back, 'free-keys', 'w1b'), [{ op: 'free-keys', keys: ['a-1'] }], 'told to drop the released result');
  t.same(sim.state.log.filter((l) => /claim/.test(l.text)).map((l) => l.text), [], 'no refused claim in the event log');
  t.same(sim.state.takeSaid().filter((l) => /claim/.test(l)), [], 'nor in the process log');
  t.equal(a1.state, 'released', 'a-1 stays released');
  t.equal(a1.holders.length, 0, 'with no holder');
  sim.finish('w1b', 'x-1');
  t.same(sim.state.tasks.get('x-1')!.holders.map((w) => w.id), ['w1b'], 'what it still ran is taken as before');
});
