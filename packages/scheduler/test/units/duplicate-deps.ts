/**
 * A task that names one dependency twice in its `deps` (the protocol allows it; @gluon/client
 * never sends one, another client may) runs once its dependency is in memory, however many other
 * tasks depend on it.
 */
import t from 'tap';
import { computed, Sim, task } from '../sim.js';

for (const others of [0, 20]) {
  t.test(`a task naming its dependency twice runs when it is in memory (the dependency has ${others} other dependents)`, async (t) => {
    // Before, past 16 dependents (a Set, which holds each once) the task waited for ever: it
    // counted two inputs to wait for, and the dependency's arrival was counted once.
    const sim = new Sim();
    sim.addClient('c');
    sim.addWorker('w1', 1);
    sim.submit('c', [task('in-1')], []);
    sim.submit('c', Array.from({ length: others }, (_, i) => task(`other-${i}`, ['in-1'])));
    sim.submit('c', [task('twice-1', ['in-1', 'in-1'])]);
    sim.drain();
    t.equal(sim.state.tasks.get('twice-1')!.state, 'memory', 'it ran');
    t.equal(Object.values(computed(sim.log)).flat().filter((k) => k === 'in-1').length, 1, 'its dependency ran once');
    const sent = sim.log.find((c) => c.msg.op === 'compute-task' && c.msg.key === 'twice-1')!;
    t.same((sent.msg.deps as Array<{ key: string }>).map((d) => d.key), ['in-1'], 'the worker is sent the dependency once');
    // Released, it and its dependency are forgotten: nothing keeps a count of it.
    sim.apply(sim.state.releaseKeys('c', ['twice-1', ...Array.from({ length: others }, (_, i) => `other-${i}`)]));
    t.equal(sim.state.tasks.size, 0, 'all forgotten once released');
  });
}
