/**
 * A worker's stored bytes as the scheduler counts them (the dashboard's memory column) go back
 * to zero once its results are freed, whatever size each holder reported for its copy.
 */
import t from 'tap';
import { Sim, task } from '../sim.js';

t.test('a second holder reporting another size for the same result: its bytes leave its count as they came in', async (t) => {
  // Before, a holder was counted at the size it reported and uncounted at the size of the first
  // (the task's): a worker that came back holding a copy (or acquired one from a retiring
  // worker, its size estimated there rather than measured by the thread) kept the difference
  // for ever, and freed copies of larger first results drove its count below zero.
  for (const [first, second] of [[100, 120], [120, 100]] as const) {
    const sim = new Sim();
    sim.addClient('c');
    sim.addWorker('w1');
    sim.submit('c', [task('a-1')]);
    sim.finish('w1', 'a-1', { nbytes: first });
    sim.addWorker('w2', 1, { 'a-1': second });
    t.same(sim.state.tasks.get('a-1')!.holders.map((h) => h.id), ['w1', 'w2']);
    sim.apply(sim.state.releaseKeys('c', ['a-1']));
    t.notOk(sim.state.tasks.has('a-1'), 'released and forgotten');
    t.same([...sim.state.workers.values()].map((w) => [w.id, w.storedBytes]), [['w1', 0], ['w2', 0]], `sizes ${first} then ${second}: both counts back to 0`);
  }
});
