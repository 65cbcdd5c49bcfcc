/**
 * Recomputing lost results (lineage) only when something still needs them: a dependent that has
 * not been sent to a worker yet, or a client that holds the key without having its value. A
 * client has the value when it came inline with `key-in-memory`, or when the client said it
 * fetched it (`received`).
 */
import t from 'tap';
import { computed, depsOf, ops, Sim, task, valuesOf } from '../sim.js';

/** A map of leaves finished on w1 with small (inline) values, then w1 dies with w2 alive. */
function leavesOnW1(n: number, inline: boolean): Sim {
  const sim = new Sim();
  sim.addClient('c');
  sim.addWorker('w1');
  sim.submit('c', Array.from({ length: n }, (_, i) => task(`leaf-${i}`)));
  for (let i = 0; i < n; i++) sim.finish('w1', `leaf-${i}`, inline ? { value: i } : { nbytes: 1 << 20 });
  sim.addWorker('w2');
  return sim;
}

t.test('results a client already received inline are not recomputed when their worker dies', async (t) => {
  const sim = leavesOnW1(4, true);
  const out = sim.removeWorker('w1');
  t.same(computed(out), {}, 'nothing is recomputed: the client has every value and nothing else needs them');
  t.same(sim.inbox.get('w2'), []);
  t.same(ops(out, 'key-in-memory', 'c'), [], 'and the client is not told anything new');
  t.equal(sim.state.tasks.get('leaf-0')!.state, 'released', 'the lineage is kept');

  // a task submitted later that needs one of them gets it recomputed first
  const later = sim.submit('c', [task('use-1', ['leaf-2'])], ['use-1']);
  t.same(computed(later), { w2: ['leaf-2'] });
  sim.drain();
  t.equal(sim.state.tasks.get('use-1')!.state, 'memory');
});

t.test('a result the client fetched and said it received is not recomputed; one it never fetched is', async (t) => {
  const sim = leavesOnW1(3, false);
  sim.apply(sim.state.clientReceived('c', ['leaf-0', 'leaf-2', 'not-held-1']));
  const out = sim.removeWorker('w1');
  t.same(computed(out), { w2: ['leaf-1'] }, 'only the key the client does not have yet');
});

t.test('a second client that holds the key without its value still gets it recomputed', async (t) => {
  const sim = leavesOnW1(1, true);
  sim.addClient('c2');
  sim.submit('c2', [], ['leaf-0']);
  const out = sim.removeWorker('w1');
  t.same(computed(out), { w2: ['leaf-0'] });
  sim.drain();
  t.ok(ops(sim.log, 'key-in-memory', 'c2').length >= 2, 'c2 learns where the recomputed value is');
});

t.test('releasing a key forgets that the client had it: held again later, it is recomputed when lost', async (t) => {
  const sim = new Sim();
  sim.addClient('c');
  sim.addClient('c2');
  sim.addWorker('w1');
  sim.submit('c', [task('leaf-0')]);
  sim.submit('c2', [], ['leaf-0']);
  sim.finish('w1', 'leaf-0', { value: 0 });
  sim.addWorker('w2');
  sim.apply(sim.state.releaseKeys('c', ['leaf-0']));
  const again = sim.submit('c', [], ['leaf-0']);
  t.same(ops(again, 'key-in-memory', 'c').map((m) => 'value' in m), [false], 'told where it is, without the value');
  const out = sim.removeWorker('w1');
  t.same(computed(out), { w2: ['leaf-0'] }, 'recomputed: c holds it again without a value (c2 has it)');
});

t.test('a lost input a waiting dependent needs is recomputed, even when the client has it', async (t) => {
  const sim = leavesOnW1(3, true);
  // the reduction is submitted after the leaves finished, while no worker takes work; w1 dies
  sim.apply(sim.state.workerClosing('w1'));
  sim.apply(sim.state.workerClosing('w2'));
  sim.submit('c', [task('sum-1', ['leaf-0', 'leaf-1', 'leaf-2'])], ['sum-1']);
  t.equal(sim.state.tasks.get('sum-1')!.state, 'queued', 'no worker with room yet');
  sim.removeWorker('w2', 'left', true);
  sim.removeWorker('w1');
  sim.addWorker('w3');
  t.equal(sim.inbox.get('w3')!.filter((k) => k.startsWith('leaf-')).length, 2, 'the inputs come back (w3 takes two at a time)');
  sim.drain();
  t.equal(sim.state.tasks.get('sum-1')!.state, 'memory');
});

t.test('a dependent already sent to another worker keeps running; it reports the input missing if it lacks it', async (t) => {
  const sim = new Sim();
  sim.addClient('c');
  sim.addWorker('w1');
  sim.submit('c', [task('in-1'), task('in-2'), task('out-1', ['in-1', 'in-2'])]);
  sim.apply(sim.state.workerClosing('w1'));
  sim.addWorker('w2');
  sim.finish('w1', 'in-1', { value: 1 });
  sim.finish('w1', 'in-2', { value: 2 });
  t.same(sim.inbox.get('w2'), ['out-1'], 'the dependent runs on w2 (w1 takes no new work)');
  const sent = ops(sim.log, 'compute-task', 'w2').find((m) => m.key === 'out-1')!;
  t.same(valuesOf(sent), { 'in-1': 1, 'in-2': 2 }, 'with its small inputs inline: it does not need w1');

  const out = sim.removeWorker('w1');
  t.same(computed(out), {}, 'nothing is recomputed');
  t.same(ops(out, 'free-keys', 'w2'), [], 'and the dependent is not taken back from w2');
  t.equal(sim.state.tasks.get('out-1')!.state, 'processing');
  sim.finish('w2', 'out-1', { value: 3 });
  t.equal(sim.state.tasks.get('out-1')!.state, 'memory');

  // had w2 not had the input, it says so and the input is recomputed then
  const s2 = new Sim();
  s2.addClient('c');
  s2.addWorker('w1');
  s2.submit('c', [task('in-1')]);
  s2.finish('w1', 'in-1', { nbytes: 1 << 20 });
  s2.apply(s2.state.clientReceived('c', ['in-1']));
  s2.addWorker('w2');
  s2.apply(s2.state.workerClosing('w1'));
  s2.submit('c', [task('out-1', ['in-1'])], ['out-1']);
  t.same(s2.inbox.get('w2'), ['out-1']);
  s2.removeWorker('w1');
  t.same(s2.inbox.get('w2'), ['out-1'], 'left running');
  s2.apply(s2.state.missingData('w2', 'in-1', 'ws://w1', 'out-1'));
  s2.inbox.get('w2')!.splice(s2.inbox.get('w2')!.indexOf('out-1'), 1); // the worker dropped it when it said so
  t.same(s2.inbox.get('w2'), ['in-1'], 'the missing input is recomputed and the dependent waits for it');
  t.equal(s2.state.tasks.get('out-1')!.state, 'waiting');
  s2.drain();
  t.equal(s2.state.tasks.get('out-1')!.state, 'memory');
});

t.test('a task re-run by retry is not counted as received from before', async (t) => {
  const sim = new Sim();
  sim.addClient('c');
  sim.addWorker('w1');
  sim.submit('c', [task('x-1')]);
  sim.finish('w1', 'x-1', { nbytes: 1 << 20 });
  sim.apply(sim.state.clientReceived('c', ['x-1']));
  sim.addWorker('w2');
  sim.removeWorker('w1');
  sim.submit('c', [task('y-1', ['x-1'])], ['y-1']);
  // x-1 is recomputed for y-1 and fails this time; the client is told, then retries it
  sim.err('w2', 'x-1');
  t.equal(sim.state.tasks.get('x-1')!.state, 'erred');
  sim.apply(sim.state.retry(['x-1'], sim.now));
  sim.finish('w2', 'x-1', { nbytes: 1 << 20 });
  sim.addWorker('w3');
  const out = sim.removeWorker('w2');
  t.ok(Object.values(computed(out)).flat().includes('x-1'), 'lost again: recomputed, since the client has not fetched the new value');
});

t.test('a partial result the scheduler still keeps inline survives its worker: the waiting parent gets it inline', async (t) => {
  const sim = new Sim();
  sim.addClient('c');
  sim.addWorker('w1');
  sim.addWorker('w2');
  sim.submit('c', [task('p-1'), task('p-2'), task('r-1', ['p-1', 'p-2'])], ['r-1']);
  const onW1 = sim.inbox.get('w1')![0]!;
  const other = onW1 === 'p-1' ? 'p-2' : 'p-1';
  sim.finish('w1', onW1, { value: 5 });
  t.equal(sim.state.tasks.get('r-1')!.state, 'waiting', 'the parent waits for the other part');
  const out = sim.removeWorker('w1');
  t.same(computed(out), {}, 'nothing is recomputed: the scheduler has the small value');
  t.equal(sim.state.tasks.get(onW1)!.state, 'memory');
  t.same(sim.state.whoHas([onW1]), { [onW1]: [] }, 'no worker holds it');
  const done = sim.finish('w2', other, { value: 7 });
  const sent = ops(done, 'compute-task', 'w2');
  t.same(sent.map((m) => m.key), ['r-1']);
  t.same(valuesOf(sent[0]!), { [onW1]: 5 }, 'the lost part travels inline with the parent (the other is on w2 already)');
  t.same(depsOf(sent[0]!)[onW1], [], 'with no holder to fetch from');

  // w2 dies while running the parent: the part only w2 held is recomputed (nobody kept it), the
  // one the scheduler keeps is not, and the parent runs again with it inline
  sim.addWorker('w3');
  sim.removeWorker('w2');
  t.same(sim.inbox.get('w3'), [other]);
  sim.finish('w3', other, { value: 7 });
  const rerun = ops(sim.log, 'compute-task', 'w3').find((m) => m.key === 'r-1')!;
  t.same(valuesOf(rerun), { [onW1]: 5 });
  sim.drain();
  t.equal(sim.state.tasks.get('r-1')!.state, 'memory');
  t.equal(sim.state.tasks.get(onW1)!.state, 'released', 'once the parent has it, the part is let go');
  t.equal(sim.state.tasks.get(onW1)!.inline, null);
});

t.test('a client that starts holding a lost key lacks it, though the first client had it', async (t) => {
  const sim = leavesOnW1(1, true);
  sim.removeWorker('w1');
  t.same(sim.inbox.get('w2'), [], 'c has the value: not recomputed');
  sim.addClient('c2');
  sim.submit('c2', [], ['leaf-0']);
  t.same(sim.inbox.get('w2'), ['leaf-0'], 'c2 does not: recomputed');
  sim.addWorker('w3');
  const out = sim.removeWorker('w2');
  t.same(computed(out), { w3: ['leaf-0'] }, 'and again when its worker dies before it finished');
  sim.drain();
  t.ok(ops(sim.log, 'key-in-memory', 'c2').some((m) => m.key === 'leaf-0'), 'c2 learns where it is');
});
