/**
 * A retiring worker that leaves before the copy of its result arrives: the result is computed
 * again, perhaps on the very worker the copy was going to. When the copy arrives there first,
 * it is the result, whatever the run does after.
 */
import t from 'tap';
import { ops, Sim, task } from '../sim.js';

t.test('a copy acquired by the worker computing the same result again is taken: the run\'s failure afterwards changes nothing, and its release frees it', async (t) => {
  // Before, the copy was left uncounted on the worker while its run went on; the run failing then
  // erred the task, and the worker kept the copy for as long as it lived (found by the event-sequence test).
  const sim = new Sim();
  sim.addClient('c');
  sim.addWorker('w1');
  sim.addWorker('w3');
  sim.submit('c', [task('k-2')]);
  t.same(sim.inbox.get('w1'), ['k-2']);
  sim.finish('w1', 'k-2', { nbytes: 8 });
  sim.apply(sim.state.workerClosing('w1'));
  const plan = sim.apply(sim.state.workerRetiring('w1', sim.now));
  t.same(ops(plan, 'acquire', 'w3').map((m) => m.keys), [['k-2']], 'w3 is to take the copy');
  sim.removeWorker('w1');
  t.same(sim.inbox.get('w3'), ['k-2'], 'w1 left first: w3 computes it again');
  sim.apply(sim.state.acquired('w3', { 'k-2': 9 }, [], sim.now));
  const ts = sim.state.tasks.get('k-2')!;
  t.equal(ts.state, 'memory', 'the copy that arrived is the result');
  t.same(ts.holders.map((h) => h.id), ['w3']);
  t.ok(sim.clientMsgs.get('c')!.some((m) => m.op === 'key-in-memory' && m.key === 'k-2' && (m.workers as string[])[0] === 'ws://w3'), 'the client hears where it is');
  sim.err('w3', 'k-2');
  t.equal(ts.state, 'memory', 'the run failing afterwards changes nothing');
  const freed = sim.apply(sim.state.releaseKeys('c', ['k-2']));
  t.same(ops(freed, 'free-keys', 'w3'), [{ op: 'free-keys', keys: ['k-2'] }], 'released: freed where it is');
  t.equal(sim.state.workers.get('w3')!.storedBytes, 0);
});
