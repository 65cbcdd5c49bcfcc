/**
 * Work stealing in the state machine (steals.ts): a worker with a thread free takes a task
 * waiting unstarted behind another worker's long one, after a finish, a failure or at its
 * heartbeat; never more than its free threads start; never a task known to run; nothing moves
 * back and forth. The simulated workers answer steals as real ones do: yes for a task beyond their
 * first `nthreads`, no otherwise (sim.ts).
 */
import t from 'tap';
import { computed, ops, Sim, task } from '../sim.js';

const idle = (now: number, executing = 1) => ({ cpu: 0, rss: 1e8, memoryLimit: 0, executing, ready: 0, stored: 1, storedBytes: 8, time: now, paused: false });

/** w1 (1 thread) runs long-1 with short-2 behind it; w2 (2 threads) runs long-2 and short-1. */
function longAndShort() {
  const sim = new Sim();
  sim.addClient('c');
  sim.addWorker('w1', 1);
  sim.addWorker('w2', 2);
  sim.submit('c', [task('long-1'), task('long-2'), task('short-1'), task('short-2')]);
  return sim;
}

t.test('a worker with a free thread takes a short task queued behind another worker\'s long one', async (t) => {
  // Each worker runs one long task; the short task queued on w1 behind its long one waited for it
  // to end (a no-op waited 20 s) while w2 had a thread free: only a worker with nothing stole.
  const sim = longAndShort();
  t.same(sim.inbox.get('w1'), ['long-1', 'short-2'], 'w1 runs its long task and holds a short one');
  t.same(sim.inbox.get('w2'), ['long-2', 'short-1']);
  const done = sim.finish('w2', 'short-1');
  t.same(ops(done, 'steal-request', 'w1').map((m) => m.key), ['short-2'], 'w2, still running long-2 on one thread, asks for the short task');
  const beat = sim.apply(sim.state.heartbeat('w2', idle(sim.now), sim.now));
  t.same(ops(beat, 'steal-request'), [], 'its heartbeat asks for nothing more while that steal is unanswered: one free thread, one task');
  sim.answerSteals();
  t.same(sim.inbox.get('w1'), ['long-1'], 'w1 keeps only its running task');
  t.same(sim.inbox.get('w2'), ['long-2', 'short-2'], 'the short task runs on the free thread');
  for (const w of ['w1', 'w2']) sim.apply(sim.state.heartbeat(w, idle(sim.now), sim.now));
  sim.finish('w2', 'short-2');
  sim.apply(sim.state.heartbeat('w2', idle(sim.now), sim.now));
  t.equal(sim.state.tasks.get('short-2')!.state, 'memory');
  t.same(ops(sim.log, 'steal-request').map((m) => m.key), ['short-2'], 'nothing else was asked of anyone: running tasks stay, nothing goes back');
});

t.test('a worker whose task erred, with a thread free, takes a task queued behind a long one too', async (t) => {
  const sim = new Sim();
  sim.addClient('c');
  sim.addWorker('w1', 1);
  sim.addWorker('w2', 2);
  sim.submit('c', [task('long-1'), task('long-2'), task('bad-1'), task('short-2')]);
  t.same(sim.inbox.get('w2'), ['long-2', 'bad-1']);
  const erred = sim.err('w2', 'bad-1');
  t.same(ops(erred, 'steal-request', 'w1').map((m) => m.key), ['short-2']);
});

t.test('a worker with a thread freed by a cancel asks at its heartbeat for a task placed behind a long one', async (t) => {
  // use-1 goes where its input is, behind w1's long task, while no thread is free anywhere; then
  // the client cancels one of w2's tasks: a thread is free there, and no finish says so: only
  // w2's heartbeat asks.
  const sim = new Sim();
  sim.addClient('c');
  sim.addWorker('w1', 1);
  sim.addWorker('w2', 2);
  sim.submit('c', [task('data-1')]);
  t.same(sim.inbox.get('w1'), ['data-1']);
  sim.finish('w1', 'data-1', { nbytes: 1e6 });
  sim.submit('c', [task('long-1'), task('long-2'), task('long-3')]);
  const placed = sim.submit('c', [task('use-1', ['data-1'])]);
  t.same(sim.inbox.get('w1'), ['long-1', 'use-1'], 'no thread free anywhere: use-1 waits behind long-1, where its input is');
  t.same(sim.inbox.get('w2'), ['long-2', 'long-3']);
  t.same(ops(placed, 'steal-request'), []);
  const cancelled = sim.apply(sim.state.cancel('c', ['long-3'], sim.now));
  t.same(ops(cancelled, 'steal-request'), [], 'the cancel frees a thread on w2 and asks nothing');
  const beat = sim.apply(sim.state.heartbeat('w2', idle(sim.now), sim.now));
  t.same(ops(beat, 'steal-request', 'w1').map((m) => m.key), ['use-1'], 'w2\'s heartbeat asks for it');
  sim.answerSteals();
  t.same(sim.inbox.get('w2'), ['long-2', 'use-1']);
  const full = sim.apply(sim.state.heartbeat('w1', idle(sim.now), sim.now));
  t.same(ops(full, 'steal-request'), [], 'a worker with no thread free asks for nothing');
});

t.test('a task its worker refused to give up runs there: the other is asked for instead, and neither again', async (t) => {
  // The scheduler takes a worker's first nthreads tasks to be running; the worker may have started
  // another (short-2 here). Its refusal says so: asked again at every finish and heartbeat, a
  // running task was a round trip each time, for nothing.
  const sim = longAndShort();
  sim.finish('w2', 'short-1');
  const refused = sim.apply(sim.state.stealResponse('w1', 'short-2', false));
  t.equal(sim.state.tasks.get('short-2')!.processingOn!.id, 'w1', 'a refused task stays where it is');
  t.same(ops(refused, 'steal-request', 'w1').map((m) => m.key), ['long-1'], 'w1 runs short-2 on its one thread: long-1 has not started, and w2 asks for it');
  const gone = sim.apply(sim.state.stealResponse('w1', 'long-1', true));
  t.same(ops(gone, 'compute-task', 'w2').map((m) => m.key), ['long-1']);
  for (let i = 0; i < 3; i++) for (const w of ['w1', 'w2']) sim.apply(sim.state.heartbeat(w, idle(sim.now, 0), sim.now));
  sim.finish('w2', 'long-2');
  t.same(ops(sim.log, 'steal-request').map((m) => m.key), ['short-2', 'long-1'], 'short-2 is never asked for again while it runs on w1');
});

const paused = (now: number) => ({ ...idle(now, 2), rss: 2e9, memoryLimit: 1e9, paused: true });

t.test('a thief whose busiest victim has nothing it may take asks the next busiest', async (t) => {
  // wB is paused for memory, running two long tasks: by the scheduler's count everything on a
  // paused worker is unstarted, so it has the most, but it refuses both (they run). wA runs a long
  // task with a short one behind it. wC's thread frees: it asked wB only, got nothing, and stayed
  // idle while short-1 waited behind long-3.
  const sim = new Sim();
  sim.addClient('c');
  sim.addWorker('wB', 2);
  sim.submit('c', [task('long-1'), task('long-2')]);
  sim.addWorker('wA', 1);
  sim.addWorker('wC', 1);
  sim.submit('c', [task('long-3')]);
  sim.submit('c', [task('data-4')]);
  t.same([sim.inbox.get('wB'), sim.inbox.get('wA'), sim.inbox.get('wC')], [['long-1', 'long-2'], ['long-3'], ['data-4']]);
  sim.apply(sim.state.heartbeat('wB', paused(sim.now), sim.now));
  sim.submit('c', [task('short-1')]);
  t.same(sim.inbox.get('wA'), ['long-3', 'short-1'], 'no thread free anywhere, wB paused: short-1 waits behind long-3');
  const first = sim.finish('wC', 'data-4');
  t.same(ops(first, 'steal-request', 'wB').map((m) => m.key), ['long-2', 'long-1'], 'wC, running nothing, asks the busiest, the paused wB, for two tasks');
  const answered = sim.answerSteals();
  t.same(ops(answered, 'steal-request').map((m) => m.key), ['short-1'], 'both refused (they run): the next busiest, wA, is asked for its unstarted task');
  sim.answerSteals();
  t.same(sim.inbox.get('wC'), ['short-1'], 'short-1 runs on wC\'s free thread');
  t.same(sim.inbox.get('wA'), ['long-3']);
  for (let i = 0; i < 3; i++) for (const w of ['wB', 'wA', 'wC']) sim.apply(sim.state.heartbeat(w, w === 'wB' ? paused(sim.now) : idle(sim.now), sim.now));
  sim.finish('wC', 'short-1');
  t.same(ops(sim.log, 'steal-request').map((m) => m.key), ['long-2', 'long-1', 'short-1'], 'no refused task is asked for again');
});

t.test('a thief that refuses the busiest victim\'s module takes from the next busiest', async (t) => {
  // w2 will not import module `other` (its allow-list). w1 holds an `other` task behind a
  // running one and w3 a short task behind a long one: as much unstarted work each, w1 first.
  // w2 ran dry: it asked w1 only, for nothing it would run, and stayed idle.
  const sim = new Sim();
  sim.addClient('c');
  const other = (key: string) => task(key, [], { fn: { module: 'other', export: 'run' } });
  sim.addWorker('w2', 1);
  sim.submit('c', [other('o-0')]);
  sim.refuse('w2', 'o-0', 'not an allowed task module', true);
  sim.addWorker('w1', 1);
  sim.addWorker('w3', 1);
  t.same(sim.inbox.get('w1'), ['o-0'], 'o-0 runs on w1, which accepts its module');
  sim.submit('c', [task('long-2')]);
  sim.submit('c', [task('long-3')]);
  sim.submit('c', [other('o-1')]);
  sim.submit('c', [task('long-2b')]);
  sim.submit('c', [task('short-1')]);
  t.same([sim.inbox.get('w1'), sim.inbox.get('w2'), sim.inbox.get('w3')], [['o-0', 'o-1'], ['long-2', 'long-2b'], ['long-3', 'short-1']]);
  t.same(ops(sim.finish('w2', 'long-2'), 'steal-request'), [], 'w2 runs long-2b: no thread free');
  const dry = sim.finish('w2', 'long-2b');
  t.same(ops(dry, 'steal-request').map((m) => m.key), ['short-1'], 'w2 ran dry: not o-1 (its module is refused there), but short-1 from w3');
  sim.answerSteals();
  t.same(sim.inbox.get('w2'), ['short-1']);
  t.same(sim.inbox.get('w1'), ['o-0', 'o-1'], 'o-1 stays where its module is accepted');
});

t.test('a task ready while a steal for a worker is under way goes to a thread no steal will take', async (t) => {
  // w1 and w2 (1 thread each) run t-1 and t-2; w3 (2 threads) runs t-3 and t-4; t-5 waits on w1.
  const sim = new Sim();
  sim.addClient('c');
  sim.addWorker('w1', 1);
  sim.addWorker('w2', 1);
  sim.addWorker('w3', 2);
  sim.submit('c', [task('t-1'), task('t-2'), task('t-3'), task('t-4')]);
  t.same([sim.inbox.get('w1'), sim.inbox.get('w2'), sim.inbox.get('w3')], [['t-1'], ['t-2'], ['t-3', 't-4']]);
  sim.submit('c', [task('t-5')]);
  t.same(sim.inbox.get('w1'), ['t-1', 't-5'], 't-5 waits on w1 (every thread busy)');
  // w2 frees its thread and asks for t-5; w3 frees one too, with nothing left to ask for; before
  // w1 answers, a new task is ready.
  t.same(ops(sim.finish('w2', 't-2'), 'steal-request').map((m) => m.key), ['t-5'], 'w2 asks w1 for t-5');
  t.same(ops(sim.finish('w3', 't-4'), 'steal-request'), [], 'w3 finds nothing more to ask for');
  const placed = computed(sim.submit('c', [task('t-6')]));
  t.same(placed, { w3: ['t-6'] }, 'w2\'s one thread is for t-5: t-6 goes to w3\'s free thread, not to wait on w2');
  sim.answerSteals();
  t.same([sim.inbox.get('w2'), sim.inbox.get('w3')], [['t-5'], ['t-3', 't-6']], 't-5 runs on w2 alone, t-6 beside t-3: nothing waits while a thread is free');
});
