import t from 'tap';
import { IdleCollector } from '../src/idle-gc.js';
import { Sim, task } from './sim.js';

t.test('a big release is collected once it has settled; a busy or small one is left to V8', async (t) => {
  const c = new IdleCollector(1000);
  t.notOk(c.shouldCollect(0), 'nothing forgotten');
  t.notOk(c.shouldCollect(600), 'still forgetting');
  t.notOk(c.shouldCollect(1200), 'still forgetting, past the threshold');
  t.ok(c.shouldCollect(1200), 'settled for a tick: collect');
  t.notOk(c.shouldCollect(1200), 'once');
  t.notOk(c.shouldCollect(1700), 'more forgotten');
  t.notOk(c.shouldCollect(1700), 'settled, but only 500 since the last collection');
  t.notOk(c.shouldCollect(2300), 'forgetting again');
  t.ok(c.shouldCollect(2300), '1,100 since the last collection, settled');
});

t.test('the state machine counts the tasks it forgets', async (t) => {
  const sim = new Sim();
  sim.addClient('c');
  sim.addWorker('w');
  const specs = Array.from({ length: 10 }, (_, i) => task(`x-${i}`));
  sim.submit('c', specs);
  sim.drain();
  t.equal(sim.state.forgottenCount, 0, 'held: none forgotten');
  sim.apply(sim.state.releaseKeys('c', specs.slice(0, 4).map((s) => s.key)));
  t.equal(sim.state.forgottenCount, 4);
  sim.apply(sim.state.clientDisconnected('c', 0));
  t.equal(sim.state.forgottenCount, 10, 'a client that leaves releases the rest');
});
