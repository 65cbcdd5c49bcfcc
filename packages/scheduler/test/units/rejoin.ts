/**
 * A worker registering again with results the scheduler takes back (recovery), against a real
 * worker state machine: what the scheduler counts on it is what it stores afterwards.
 */
import t from 'tap';
import { Coupled } from '../coupled.js';
import { task } from '../sim.js';

t.test('a worker back with a result and its dependent\'s result keeps both: the dependent placed on it meanwhile is not called off there', async (t) => {
  // Before, taking back in-1 made out-1 ready, and it was placed on the worker that had just
  // come back (it holds in-1); taking back out-1 next then called that off with a free-keys,
  // which the worker obeyed by dropping its stored out-1 as well, while the scheduler counted it
  // there: a dependent would have fetched it from a worker that no longer had it.
  const c = new Coupled();
  c.addClient('c');
  c.addWorker('w1');
  c.submit('c', [task('in-1'), task('out-1', ['in-1'])]);
  t.equal(c.state.tasks.get('out-1')!.state, 'memory');
  c.lose('w1');
  t.not(c.state.tasks.get('out-1')!.state, 'memory', 'lost with the only worker');
  c.rejoin('w1');
  t.equal(c.state.tasks.get('out-1')!.state, 'memory', 'taken back');
  t.same(c.books('w1').worker.keys, ['in-1', 'out-1'], 'the worker still stores both');
  t.same(c.books('w1').scheduler, c.books('w1').worker, 'and the scheduler counts what it stores');
});
