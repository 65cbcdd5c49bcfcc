/**
 * The scheduler's shortcuts around its big maps (a lookup in a map of a million keys costs ~1 µs
 * of cache misses): a client's references are kept per task record, counted without a lookup
 * when one client is connected; an update-graph's wants are matched against the frame's own new
 * tasks in order; a finished task is found among its worker's running tasks. Each shortcut must
 * give what the lookup gave, including the cases it does not cover.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import t from 'tap';
import { TaskRecord, WorkerRecord } from '../../src/records.js';
import { computed, ops, Sim, task } from '../sim.js';

/** Keys of the key-in-memory messages a client was sent. */
const told = (sim: Sim, client: string) => (sim.clientMsgs.get(client) ?? []).filter((m) => m.op === 'key-in-memory').map((m) => m.key);

/** Clients a and b both submit and hold one task, on worker w1. */
function heldByTwo(key: string): Sim {
  const sim = new Sim();
  sim.addClient('a');
  sim.addClient('b');
  sim.addWorker('w1');
  sim.submit('a', [task(key)]);
  sim.submit('b', [task(key)]);
  return sim;
}

t.test('two clients holding one key: each release counts for its own client only', async (t) => {
  const sim = heldByTwo('x-1');
  sim.drain();
  t.same(told(sim, 'a'), ['x-1']);
  t.same(told(sim, 'b'), ['x-1'], 'both clients are told');
  // a releases twice: its one reference goes, the second release is ignored, b's stays
  sim.apply(sim.state.releaseKeys('a', ['x-1', 'x-1']));
  t.equal(sim.state.tasks.get('x-1')?.clientRefs, 1, "b's reference is left");
  t.equal(sim.state.tasks.get('x-1')?.state, 'memory');
  // b disconnects: nobody holds it, it is forgotten
  const out = sim.apply(sim.state.clientDisconnected('b', 0));
  t.equal(sim.state.tasks.has('x-1'), false);
  t.same(ops(out, 'free-keys', 'w1').flatMap((m) => m.keys as string[]), ['x-1']);
});

t.test('one client: a key wanted twice needs two releases; a key it never held is ignored', async (t) => {
  const sim = new Sim();
  sim.addClient('c');
  sim.addWorker('w1');
  sim.submit('c', [task('y-1')], ['y-1', 'y-1']);
  sim.drain();
  t.equal(sim.state.tasks.get('y-1')?.clientRefs, 2);
  sim.apply(sim.state.releaseKeys('c', ['y-1', 'never-1']));
  t.equal(sim.state.tasks.get('y-1')?.state, 'memory', 'one reference left');
  // a second client connects and releases a key only the first holds: nothing changes
  sim.addClient('d');
  sim.apply(sim.state.releaseKeys('d', ['y-1']));
  t.equal(sim.state.tasks.get('y-1')?.clientRefs, 1, 'a client cannot release what it does not hold');
  sim.apply(sim.state.releaseKeys('c', ['y-1']));
  t.equal(sim.state.tasks.has('y-1'), false, 'forgotten after its last reference');
});

t.test("a result one of two clients received is recomputed for the other only", async (t) => {
  const sim = heldByTwo('z-1');
  sim.finish('w1', 'z-1', { nbytes: 1 << 20 }); // too big to travel inline
  sim.apply(sim.state.clientReceived('a', ['z-1', 'unknown-1']));
  sim.addWorker('w2');
  t.same(computed(sim.removeWorker('w1')), { w2: ['z-1'] }, 'b lacks it: recomputed');
  sim.apply(sim.state.releaseKeys('b', ['z-1']));
  sim.drain();
  // with b gone from it, a's received copy is enough: lose it again, nothing is recomputed
  sim.addWorker('w3');
  t.same(computed(sim.removeWorker('w2')), {}, 'a has the value');
});

t.test("wants in another order than the tasks, naming earlier frames' keys and unknown ones", async (t) => {
  const sim = new Sim();
  sim.addClient('c');
  sim.addWorker('w1', 4);
  sim.submit('c', [task('old-1')]);
  sim.drain();
  const out = sim.submit('c', [task('p-1'), task('p-2', ['old-1']), task('p-3')], ['p-3', 'old-1', 'nope-1', 'p-1', 'p-2', 'p-3']);
  t.same(new Set(computed(out).w1), new Set(['p-1', 'p-2', 'p-3']));
  t.equal(sim.state.tasks.get('p-3')?.clientRefs, 2, 'wanted twice');
  t.equal(sim.state.tasks.get('p-1')?.clientRefs, 1);
  t.equal(sim.state.tasks.get('old-1')?.clientRefs, 2, 'an earlier key wanted again');
  t.equal(sim.state.tasks.has('nope-1'), false);
  sim.drain();
  t.same(told(sim, 'c').sort(), ['old-1', 'old-1', 'p-1', 'p-2', 'p-3']);
});

t.test('a task finished on a worker that is not running it is still found', async (t) => {
  const sim = new Sim();
  sim.addClient('c');
  sim.addWorker('w1');
  sim.submit('c', [task('q-1')]);
  // w2 reports a result it was never given: the task is found through the graph, and the result
  // refused (hostile-state.ts), naming where the task runs.
  sim.addWorker('w2');
  sim.finish('w2', 'q-1');
  t.equal(sim.state.tasks.get('q-1')?.state, 'processing', 'not taken from w2');
  t.match(sim.state.log.at(-1)?.text, /refused a result from worker w2 for task q-1, .*processing on w1/);
  sim.finish('w1', 'q-1');
  t.same(told(sim, 'c'), ['q-1']);
  // a task running on w1 is found among w1's running tasks whatever its position
  sim.submit('c', [task('r-1'), task('r-2')]);
  const w1 = sim.state.workers.get('w1')!;
  for (const ts of w1.processing) t.equal(w1.runningTask(ts.key), ts);
  t.equal(w1.runningTask('q-1'), null, 'not running there');
  sim.drain();
  t.equal(sim.state.tasks.get('r-2')?.state, 'memory');
});

t.test('a worker finds any of its running tasks by key, however many it runs', async (t) => {
  // A worker given short tasks runs up to 64 per thread: a scan that gave up past 64 sent nearly
  // every task-finished of a big run to the graph's map (~1 µs a cold lookup at 1M tasks).
  const ws = new WorkerRecord('w', 'w', 'ws://w', 2, 0, 'h', 1, 0);
  const fn = { module: 'm', export: 'f' };
  const made = Array.from({ length: 200 }, (_, i) => new TaskRecord(`k-${i}`, 'g', fn, [], [], 0, 1, 0, i));
  for (const ts of made) ws.take(ts);
  t.equal(ws.processing.size, 200);
  t.same([...ws.processing], made, 'in the order sent');
  for (const ts of made) t.equal(ws.runningTask(ts.key), ts, ts.key);
  t.equal(ws.runningTask('k-200'), null, 'not running there');
  // Another record of a key (forgotten and submitted again) is not the running one.
  t.equal(ws.drop(new TaskRecord('k-7', 'g', fn, [], [], 0, 2, 0, 0)), false);
  t.equal(ws.runningTask('k-7'), made[7]);
  t.equal(ws.drop(made[7]!), true);
  t.equal(ws.drop(made[7]!), false, 'dropped once');
  t.equal(ws.runningTask('k-7'), null);
  t.equal(ws.processing.size, 199);
  t.equal(ws.dropAll().length, 199);
  t.equal(ws.processing.size, 0);
});

t.test('the only client keeps no counts per task; a second client connecting or leaving keeps every count', async (t) => {
  const sim = new Sim();
  sim.addClient('a');
  sim.addWorker('w1', 4);
  const keys = Array.from({ length: 3000 }, (_, i) => `m-${i}`);
  sim.submit('a', keys.map((k) => task(k)));
  sim.drain();
  // release most of them (the list of held tasks is compacted on the way), then want one of them
  // again and one still held twice: listed twice, counted right
  sim.apply(sim.state.releaseKeys('a', keys.slice(0, 2900)));
  t.equal(sim.state.tasks.size, 100, 'released tasks forgotten');
  sim.submit('a', [task('m-0')]);
  sim.submit('a', [task('m-2999')]);
  sim.drain();
  t.equal(sim.state.tasks.get('m-0')?.clientRefs, 1);
  t.equal(sim.state.tasks.get('m-2999')?.clientRefs, 2);
  // b connects and holds m-2999 and one of its own: a's counts are now per task
  sim.addClient('b');
  sim.submit('b', [task('m-2999'), task('b-1')]);
  sim.drain();
  t.equal(sim.state.tasks.get('m-2999')?.clientRefs, 3);
  sim.apply(sim.state.releaseKeys('b', ['m-0']));
  t.equal(sim.state.tasks.get('m-0')?.clientRefs, 1, "b cannot release a's key");
  sim.apply(sim.state.releaseKeys('a', ['m-2999', 'b-1']));
  t.equal(sim.state.tasks.get('m-2999')?.clientRefs, 2, "a's release counts for a only");
  t.equal(sim.state.tasks.get('b-1')?.clientRefs, 1, "a cannot release b's key");
  // a disconnects: b is alone again, and its counts are the tasks' counts
  let out = sim.apply(sim.state.clientDisconnected('a', 0));
  t.equal(sim.state.tasks.size, 2, "a's other keys released, once each");
  t.equal(ops(out, 'free-keys', 'w1').flatMap((m) => m.keys as string[]).length, 100, 'm-0 and m-2900..m-2998');
  t.equal(sim.state.tasks.get('m-2999')?.clientRefs, 1);
  sim.apply(sim.state.releaseKeys('b', ['m-2999', 'm-2999']));
  t.equal(sim.state.tasks.has('m-2999'), false, 'its one reference released, the second release ignored');
  out = sim.apply(sim.state.clientDisconnected('b', 0));
  t.equal(sim.state.tasks.size, 0);
  t.same(ops(out, 'free-keys', 'w1').flatMap((m) => m.keys as string[]), ['b-1']);
});

t.test("the only client's list of held tasks keeps no released task alive", async (t) => {
  // A first version compacted the list only now and then: released tasks left in it kept their
  // forgotten graphs alive through their links (a 60,000-task tree, 23 MiB, after its release).
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const sim = new Sim({}, false);
  sim.addClient('a');
  sim.addWorker('w1', 4);
  const leaves = Array.from({ length: 3000 }, (_, i) => `leaf-${i}`);
  sim.submit('a', [...leaves.map((k) => task(k)), task('kept-1')]);
  sim.drain();
  const refs = leaves.map((k) => new WeakRef(sim.state.tasks.get(k)!));
  sim.apply(sim.state.releaseKeys('a', leaves));
  t.equal(sim.state.tasks.size, 1, 'only kept-1 is left in the graph');
  await new Promise((r) => setImmediate(r));
  gc();
  const alive = refs.filter((r) => r.deref() !== undefined).length;
  t.equal(alive, 0, `released records still reachable: ${alive}`);
  t.equal(sim.state.tasks.get('kept-1')?.clientRefs, 1);
});
