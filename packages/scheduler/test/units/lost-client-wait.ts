/**
 * The lost-client-work rule on the state machine (lost-client-wait.ts): tasks that wait while a
 * lost client's tasks hold the threads are said once the wait has lasted memoryStallMs, naming
 * the client and its tasks; a task a connected client holds too is not counted as the lost
 * one's; the end is said with its reason. (A real script killed mid-run: client/test/lost-client-wait.test.ts.)
 */
import t from 'tap';
import { ops, Sim, task } from '../sim.js';

function setup(): Sim {
  const sim = new Sim({ memoryStallMs: 1000, heartbeatTtlMs: 1e9 });
  sim.addWorker('w1', 2);
  sim.addClient('gone');
  sim.addClient('c');
  // Both of w1's threads and its one slot more: two of the lost client's, one it shares with c.
  sim.submit('gone', [task('g-1'), task('g-2'), task('shared-1')]);
  sim.submit('c', [task('shared-1')]);
  sim.submit('c', [task('mine-1')]);
  sim.state.clientLost('gone', 0, 60_000);
  return sim;
}

const warnings = (sim: Sim) => ops(sim.log, 'warning', 'c').filter((m) => m.kind === 'lost-client-work');

t.test('tasks waiting behind a lost client\'s: said once after memoryStallMs, naming it and only its own tasks; the end with its reason', async (t) => {
  const sim = setup();
  t.same(sim.inbox.get('w1'), ['g-1', 'g-2', 'shared-1'], 'the worker is full');
  sim.tick(500);
  sim.tick(1000);
  t.same(warnings(sim), [], 'not before memoryStallMs');
  sim.tick(1600);
  sim.tick(2200);
  const said = warnings(sim);
  t.equal(said.length, 1, 'said once');
  t.match(said[0], { active: true, text: /^waiting: 2 task\(s\) wait for a thread, and every thread is taken; 2 of the tasks on the workers are those of client gone \(2 task\(s\); lost 1\.6 s ago, cancelled in 58\.4 s\)/ });
  sim.finish('w1', 'g-1');
  sim.tick(2800);
  t.equal(warnings(sim).length, 1, 'mine-1 took the thread g-1 left, and g-2 still holds one: nothing new');
  sim.finish('w1', 'g-2');
  sim.tick(3400);
  t.same(warnings(sim).slice(1).map((m) => [m.active, m.text]), [[false, 'no longer waiting behind a lost client\'s tasks: no lost client\'s task is on the workers any more (it came back, or its tasks were cancelled)']]);
});

t.test('a thread frees while the lost client\'s tasks still run: the end says so (the tasks are counted for the reason)', async (t) => {
  const sim = setup();
  for (const now of [500, 1000, 1600]) sim.tick(now);
  t.equal(warnings(sim).length, 1);
  sim.apply(sim.state.heartbeat('w1', { cpu: 0, rss: 0, memoryLimit: 0, executing: 1, ready: 2, stored: 0, storedBytes: 0, time: 1700 }, 1700));
  sim.tick(2200);
  t.same(warnings(sim).slice(1).map((m) => [m.active, m.text]), [[false, 'no longer waiting behind a lost client\'s tasks: a thread is free']]);
});

t.test('the lost client comes back (its old registration ends): the end says no lost client\'s task is left', async (t) => {
  const sim = setup();
  for (const now of [500, 1000, 1600]) sim.tick(now);
  t.equal(warnings(sim).length, 1);
  sim.apply(sim.state.clientDisconnected('gone', 1700));
  sim.tick(2200);
  t.match(warnings(sim)[1], { active: false, text: /no lost client's task is on the workers any more/ });
});
