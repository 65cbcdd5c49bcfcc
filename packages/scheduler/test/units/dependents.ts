import t from 'tap';
import { addDependent, dependentCount, removeDependent, SMALL_DEPENDENTS } from '../../src/dependents.js';
import { NO_DEPENDENTS, NO_DEPS, TaskRecord } from '../../src/records.js';
import { computed, Sim, task } from '../sim.js';

t.test('a task naming the same dependency twice runs once that dependency is in memory', async (t) => {
  const sim = new Sim();
  sim.addClient('c');
  sim.addWorker('w1');
  sim.submit('c', [task('a-1'), task('b-1', ['a-1', 'a-1'])], ['b-1']);
  t.equal(sim.state.tasks.get('b-1')!.state, 'waiting');
  const after = sim.finish('w1', 'a-1');
  // Each entry of b-1's deps counted a wait; each must be matched when a-1 arrives.
  t.same(computed(after), { w1: ['b-1'] }, 'b-1 is sent, not left waiting for good');
  sim.finish('w1', 'b-1', { value: 1 });
  sim.apply(sim.state.releaseKeys('c', ['b-1']));
  t.equal(sim.state.tasks.size, 0, 'and both are forgotten once released');
});

t.test('dependents stay in an array while few, in the order added, and move to a Set when many', async (t) => {
  const sim = new Sim();
  sim.addClient('c');
  sim.addWorker('w1');
  const n = SMALL_DEPENDENTS + 8;
  const keys = Array.from({ length: n }, (_, i) => `b-${i}`);
  sim.submit('c', [task('a-1'), ...keys.slice(0, 3).map((k) => task(k, ['a-1']))], keys.slice(0, 3));
  const a = sim.state.tasks.get('a-1')!;
  t.ok(Array.isArray(a.dependents), 'three dependents: an array');
  t.same([...a.dependents].map((d) => d.key), ['b-0', 'b-1', 'b-2']);
  sim.submit('c', keys.slice(3).map((k) => task(k, ['a-1'])), keys.slice(3));
  t.ok(a.dependents instanceof Set, `${n} dependents: a Set`);
  t.same([...a.dependents].map((d) => d.key), keys, 'in the order they were added');
  t.equal(dependentCount(a), n);
  sim.apply(sim.state.cancel('c', keys, 0));
  t.equal(dependentCount(a), 0, 'cancelled and forgotten: none left');
  t.equal(sim.state.tasks.size, 0);
});

t.test('removing from a small list keeps the others in order and ends on the shared empty list', async (t) => {
  // Records of this module (the Sim's state machine is the built package's, with its own shared empties).
  const [a, b1, b2, b3] = ['a-1', 'b-1', 'b-2', 'b-3'].map((k, seq) => new TaskRecord(k, 'g', { module: 'm', export: 'f' }, [], NO_DEPS, 0, 1, 0, seq));
  for (const d of [b1!, b2!, b3!]) addDependent(a!, d);
  removeDependent(a!, b2!);
  t.same([...a!.dependents].map((d) => d.key), ['b-1', 'b-3']);
  removeDependent(a!, b2!);
  t.equal(dependentCount(a!), 2, 'removing one it does not have changes nothing');
  removeDependent(a!, b1!);
  removeDependent(a!, b3!);
  t.equal(dependentCount(a!), 0);
  t.equal(a!.dependents, NO_DEPENDENTS, 'the empty list is the shared one again');
  t.equal(NO_DEPENDENTS.length, 0, 'and still empty');
});
