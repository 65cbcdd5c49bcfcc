/**
 * A client's cancel ends its own interest (cancel-scope.ts): tasks another client still wants,
 * itself or through a dependent, go on for it, and only the canceller is told `cancelled`.
 */
import t from 'tap';
import { computed, ops, Sim, task } from '../sim.js';

function twoClients(): Sim {
  const sim = new Sim();
  sim.addClient('a');
  sim.addClient('b');
  sim.addWorker('w1', 4);
  return sim;
}

t.test('a task two clients hold (one pure key), cancelled by one: the other\'s future still gets its result', async (t) => {
  // Before, every client's references were dropped and each told `cancelled`: two scripts
  // submitting the same computation (a pure key is a hash of the function and arguments), and
  // one cancelling it, cancelled the other's future too.
  const sim = twoClients();
  sim.submit('a', [task('shared-1'), task('mine-1', ['shared-1'])]);
  sim.submit('b', [task('shared-1')]);
  const cmds = sim.apply(sim.state.cancel('a', ['shared-1'], sim.now));
  t.same(ops(cmds, 'cancelled', 'a').map((m) => m.key).sort(), ['mine-1', 'shared-1'], 'the canceller is told of its futures');
  t.same(ops(cmds, 'cancelled', 'b'), [], 'the other client is told nothing');
  t.same(ops(cmds, 'free-keys', 'w1'), [], 'the shared task is not called off');
  t.equal(sim.state.tasks.get('shared-1')!.state, 'processing', 'it goes on');
  t.notOk(sim.state.tasks.has('mine-1'), 'the canceller\'s own dependent is cancelled and forgotten');
  sim.drain();
  t.ok(sim.clientMsgs.get('b')!.some((m) => m.op === 'key-in-memory' && m.key === 'shared-1'), 'the other client gets the result');
  t.notOk(sim.clientMsgs.get('a')!.some((m) => m.op === 'key-in-memory' && m.key === 'shared-1'), 'the canceller does not');
  t.ok(sim.state.log.some((e) => e.text === 'client a cancelled 1 task(s) starting at shared-1; 1 go on: other clients want them'), 'the log says what stopped and what went on');
});

t.test('a task only the canceller holds, that another client\'s task depends on: it goes on for that task', async (t) => {
  const sim = twoClients();
  sim.submit('a', [task('x-1')]);
  sim.submit('b', [task('y-1', ['x-1'])]);
  const cmds = sim.apply(sim.state.cancel('a', ['x-1'], sim.now));
  t.same(ops(cmds, 'cancelled', 'a').map((m) => m.key), ['x-1']);
  t.same(ops(cmds, 'cancelled', 'b'), [], 'the dependent\'s client is told nothing');
  sim.drain();
  t.equal(sim.state.tasks.get('y-1')!.state, 'memory', 'the other client\'s task ran on it');
  t.same(Object.values(computed(sim.log)).flat().sort(), ['x-1', 'y-1'], 'each ran once');
});

t.test('a client that holds nothing cancels another\'s tasks: nothing changes', async (t) => {
  const sim = twoClients();
  sim.submit('b', [task('p-1'), task('q-1', ['p-1'])]);
  const cmds = sim.apply(sim.state.cancel('a', ['p-1'], sim.now));
  t.same(cmds.filter((c) => c.msg.op === 'cancelled' || c.msg.op === 'free-keys'), []);
  sim.drain();
  t.equal(sim.state.tasks.get('q-1')!.state, 'memory');
});
