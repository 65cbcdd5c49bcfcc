/**
 * The worker's decisions without sockets, threads or timers: events in, commands out.
 */
import t from 'tap';
import { checkInbound, MAX_LEAVE_REASON, WORKER_TO_SCHEDULER } from '@gluon/protocol';
import { INLINE_RESULT_BYTES, reconnectDelay, WorkerState, type ComputeTask, type WorkerCommand } from '@gluon/worker';

const SELF = 'ws://127.0.0.1:1000';
const A = 'ws://127.0.0.1:2001';
const B = 'ws://127.0.0.1:2002';
const fn = { module: '@gluon/examples/tasks', export: 'inc' };

function make(capacity = 2, memoryLimit = 0): WorkerState {
  return new WorkerState({ name: 'w1', address: SELF, capacity, memoryLimit });
}
function task(key: string, deps: Record<string, string[]> = {}, priority: number[] = [0]): ComputeTask {
  return { key, fn, args: Object.keys(deps).map((d) => ({ __gluonRef: d })), deps, priority };
}
const of = <T extends WorkerCommand['type']>(cmds: WorkerCommand[], type: T) =>
  cmds.filter((c): c is Extract<WorkerCommand, { type: T }> => c.type === type);
const sent = (cmds: WorkerCommand[]) => of(cmds, 'send').map((c) => c.msg);
const executed = (cmds: WorkerCommand[]) => of(cmds, 'execute').map((c) => c.key);
const timing = { start: 1, stop: 2, thread: 0 };

t.test('tasks without dependencies run up to the pool capacity, the rest wait in priority order', async (t) => {
  const s = make(2);
  t.same(executed(s.handle({ type: 'compute', task: task('a-1', {}, [0, 5]) })), ['a-1']);
  t.same(executed(s.handle({ type: 'compute', task: task('a-2', {}, [0, 4]) })), ['a-2']);
  t.same(executed(s.handle({ type: 'compute', task: task('a-3', {}, [0, 9]) })), []);
  t.same(executed(s.handle({ type: 'compute', task: task('a-4', {}, [-1, 0]) })), [], 'over capacity: queued');
  t.equal(s.readyCount, 2);
  t.equal(s.executing, 2);
  const c = s.handle({ type: 'done', key: 'a-1', value: 2, ...timing });
  t.same(executed(c), ['a-4'], 'the higher-priority (smaller) task goes first');
  const fin = sent(c)[0]!;
  t.match(fin, { op: 'task-finished', key: 'a-1', typeName: 'number', value: 2, hasValue: true });
  t.equal(s.storedCount, 1);
  t.ok(s.storedBytes > 0);
});

t.test('a duplicate compute-task is ignored; one for a stored key re-announces it', async (t) => {
  const s = make(1);
  s.handle({ type: 'compute', task: task('x-1') });
  t.same(s.handle({ type: 'compute', task: task('x-1') }), []);
  s.handle({ type: 'done', key: 'x-1', value: 'v', ...timing });
  const again = sent(s.handle({ type: 'compute', task: task('x-1') }));
  t.match(again, [{ op: 'task-finished', key: 'x-1', value: 'v' }]);
});

t.test('large results stay out of task-finished; free-keys releases their bytes', async (t) => {
  const s = make(1);
  s.handle({ type: 'compute', task: task('big-1') });
  const value = new Float64Array(INLINE_RESULT_BYTES / 8 + 1);
  const msg = sent(s.handle({ type: 'done', key: 'big-1', value, ...timing }))[0]!;
  t.equal(msg.hasValue, undefined);
  t.equal(msg.value, undefined);
  t.equal(msg.typeName, 'Float64Array');
  t.ok((msg.nbytes as number) >= value.byteLength);
  t.ok(s.storedBytes >= value.byteLength);
  s.handle({ type: 'free-keys', keys: ['big-1'] });
  t.equal(s.storedBytes, 0);
  t.equal(s.storedCount, 0);
});

t.test('dependencies: stored ones need no fetch; missing ones are batched per peer', async (t) => {
  const s = make(4);
  s.handle({ type: 'compute', task: task('d-0') });
  s.handle({ type: 'done', key: 'd-0', value: 10, ...timing });
  const c = s.handle({ type: 'compute', task: task('e-1', { 'd-0': [SELF], 'd-1': [A], 'd-2': [A], 'd-3': [B] }) });
  const fetches = of(c, 'fetch');
  t.same(fetches.map((f) => [f.peer, f.keys]), [[A, ['d-1', 'd-2']], [B, ['d-3']]]);
  t.equal(s.taskState('e-1'), 'fetching');
  t.same(executed(s.handle({ type: 'fetched', peer: A, data: { 'd-1': 1, 'd-2': 2 }, missing: [] })), []);
  const run = of(s.handle({ type: 'fetched', peer: B, data: { 'd-3': 3 }, missing: [] }), 'execute');
  t.equal(run.length, 1);
  t.same(run[0]!.data, { 'd-0': 10, 'd-1': 1, 'd-2': 2, 'd-3': 3 }, 'the task gets every dependency value');
});

t.test('a timed fetch that returned data is reported as a transfer; one without data is not', async (t) => {
  const s = make(2);
  s.handle({ type: 'compute', task: task('f-1', { 'd-1': [A], 'd-2': [A], 'd-3': [B] }) });
  const big = new Float64Array(100);
  const got = sent(s.handle({ type: 'fetched', peer: A, data: { 'd-1': 1, 'd-2': big }, missing: [], start: 100, stop: 107 }));
  t.same(got, [{ op: 'transfer', from: A, keys: ['d-1', 'd-2'], start: 100, stop: 107, bytes: 9 + 800 + 6 }],
    'from the peer address, every key received, the size estimate of the values');
  const none = s.handle({ type: 'fetched', peer: B, data: {}, missing: ['d-3'], start: 110, stop: 111 });
  t.same(sent(none).filter((m) => m.op === 'transfer'), [], 'nothing arrived: no transfer');
  const untimed = make(2);
  untimed.handle({ type: 'compute', task: task('g-1', { 'd-1': [A] }) });
  t.same(sent(untimed.handle({ type: 'fetched', peer: A, data: { 'd-1': 1 }, missing: [] })), [], 'untimed: not reported');
});

t.test('a key already being fetched is not fetched twice', async (t) => {
  const s = make(4);
  const c1 = s.handle({ type: 'compute', task: task('f-1', { 'd-1': [A] }) });
  const c2 = s.handle({ type: 'compute', task: task('f-2', { 'd-1': [A] }) });
  t.equal(of(c1, 'fetch').length, 1);
  t.equal(of(c2, 'fetch').length, 0);
  t.same(executed(s.handle({ type: 'fetched', peer: A, data: { 'd-1': 1 }, missing: [] })), ['f-1', 'f-2']);
  // Once both ran, the fetched copy is dropped: a third task fetches again.
  s.handle({ type: 'done', key: 'f-1', value: 0, ...timing });
  s.handle({ type: 'done', key: 'f-2', value: 0, ...timing });
  t.equal(of(s.handle({ type: 'compute', task: task('f-3', { 'd-1': [A] }) }), 'fetch').length, 1);
});

t.test('a failed fetch tries another holder, then reports missing-data', async (t) => {
  const s = make(2);
  const first = of(s.handle({ type: 'compute', task: task('g-1', { 'd-1': [A, B] }) }), 'fetch')[0]!;
  const other = first.peer === A ? B : A;
  const retry = s.handle({ type: 'fetch-failed', peer: first.peer, keys: ['d-1'], reason: 'connection refused' });
  t.same(of(retry, 'fetch').map((f) => [f.peer, f.keys]), [[other, ['d-1']]]);
  t.match(of(retry, 'log')[0]!.text, /could not fetch d-1 .*connection refused; trying/);
  const gone = s.handle({ type: 'fetched', peer: other, data: {}, missing: ['d-1'] });
  t.match(sent(gone), [{ op: 'missing-data', key: 'd-1', errantWorker: other, dependent: 'g-1' }]);
  t.equal(s.taskCount, 0, 'the dependent is given up (the scheduler takes it back)');
});

t.test('a dependency with no holder but ourselves that we lack is missing at once', async (t) => {
  const s = make(2);
  const c = s.handle({ type: 'compute', task: task('h-1', { 'd-9': [SELF] }) });
  t.match(sent(c), [{ op: 'missing-data', key: 'd-9', dependent: 'h-1' }]);
  t.equal(executed(c).length, 0);
});

t.test('fetches spread over the least loaded holder', async (t) => {
  const s = make(8);
  const p1 = of(s.handle({ type: 'compute', task: task('k-1', { 'd-1': [A, B] }) }), 'fetch')[0]!.peer;
  const p2 = of(s.handle({ type: 'compute', task: task('k-2', { 'd-2': [A, B] }) }), 'fetch')[0]!.peer;
  t.not(p1, p2);
});

t.test('free-keys drops queued and fetching tasks; a running one finishes silently', async (t) => {
  const s = make(1);
  s.handle({ type: 'compute', task: task('r-1') });
  s.handle({ type: 'compute', task: task('q-1') });
  s.handle({ type: 'compute', task: task('w-1', { 'd-1': [A] }) });
  s.handle({ type: 'free-keys', keys: ['r-1', 'q-1', 'w-1'] });
  t.equal(s.readyCount, 0);
  t.same(s.handle({ type: 'fetched', peer: A, data: { 'd-1': 1 }, missing: [] }), [], 'late data for a dropped task does nothing');
  t.same(sent(s.handle({ type: 'done', key: 'r-1', value: 1, ...timing })), [], 'no task-finished for a freed task');
  t.equal(s.storedCount, 0);
  t.equal(s.executing, 0);
});

t.test('steal-request gives back only tasks that have not started', async (t) => {
  const s = make(1);
  s.handle({ type: 'compute', task: task('s-1') });
  s.handle({ type: 'compute', task: task('s-2') });
  t.same(sent(s.handle({ type: 'steal', key: 's-1' })), [{ op: 'steal-response', key: 's-1', ok: false }]);
  t.same(sent(s.handle({ type: 'steal', key: 's-2' })), [{ op: 'steal-response', key: 's-2', ok: true }]);
  t.same(sent(s.handle({ type: 'steal', key: 'nope' })), [{ op: 'steal-response', key: 'nope', ok: false }]);
  t.same(executed(s.handle({ type: 'done', key: 's-1', value: 1, ...timing })), [], 'the stolen task does not run');
});

t.test('steal-request gives back a task handed to the pool that the pool took out unstarted', async (t) => {
  // Posted to a thread behind a long task, it was refused (the pool had it), and waited for the
  // long one with threads free on other workers. The shell asks the pool (ThreadPool.withdraw).
  const s = make(2);
  t.same(executed(s.handle({ type: 'compute', task: task('long-1') })), ['long-1']);
  t.same(executed(s.handle({ type: 'compute', task: task('short-1') })), ['short-1'], 'handed to the pool behind it');
  s.handle({ type: 'compute', task: task('short-2') });
  t.same(sent(s.handle({ type: 'steal', key: 'long-1', withdrawn: false })), [{ op: 'steal-response', key: 'long-1', ok: false }], 'running: the pool kept it');
  const back = s.handle({ type: 'steal', key: 'short-1', withdrawn: true });
  t.same(sent(back), [{ op: 'steal-response', key: 'short-1', ok: true }]);
  t.same(executed(back), ['short-2'], 'its place in the pool goes to the next ready task');
  t.equal(s.executing, 2);
  t.same(sent(s.handle({ type: 'done', key: 'short-1', value: 1, ...timing })), [], 'a late word of it changes nothing');
  t.equal(s.executing, 2);
  t.same(sent(s.handle({ type: 'done', key: 'long-1', value: 1, ...timing })).map((m) => m.key), ['long-1']);
  t.equal(s.executing, 1);
});

t.test('errors carry their kind; shutdown hands back unstarted work and refuses new work', async (t) => {
  const s = make(1);
  s.handle({ type: 'compute', task: task('e-1') });
  s.handle({ type: 'compute', task: task('e-2') });
  s.handle({ type: 'compute', task: task('e-3', { 'd-1': [A] }) });
  const down = sent(s.handle({ type: 'shutdown', reason: 'SIGTERM' }));
  t.same(down, [{ op: 'closing', reason: 'SIGTERM' }, { op: 'handback', keys: ['e-2', 'e-3'] }], 'closing says why');
  t.same(sent(s.handle({ type: 'compute', task: task('e-4') })), [{ op: 'handback', keys: ['e-4'] }]);
  const err = { name: 'WorkerThreadDied', message: 'the task ended its thread (exit code 3)', stack: '' };
  t.match(sent(s.handle({ type: 'erred', key: 'e-1', error: err, kind: 'worker-died', ...timing })), [{ op: 'task-erred', key: 'e-1', kind: 'worker-died', error: err }]);
  t.equal(s.taskCount, 0);
});

t.test('a bounded shutdown hands back what is still running', async (t) => {
  const s = make(2);
  s.handle({ type: 'compute', task: task('l-1') });
  s.handle({ type: 'shutdown' });
  t.same(sent(s.abandonRunning()), [{ op: 'handback', keys: ['l-1'] }]);
  t.same(sent(s.handle({ type: 'done', key: 'l-1', value: 1, ...timing })), [], 'a late result is not reported');
});

t.test('losing the scheduler drops unstarted tasks and keeps results for the next hello', async (t) => {
  const s = make(1);
  s.handle({ type: 'compute', task: task('m-1') });
  s.handle({ type: 'done', key: 'm-1', value: 1, ...timing });
  s.handle({ type: 'compute', task: task('m-2') });
  s.handle({ type: 'compute', task: task('m-3') });
  s.handle({ type: 'scheduler-lost' });
  t.equal(s.readyCount, 0);
  t.equal(s.executing, 1, 'the running task keeps running');
  s.handle({ type: 'done', key: 'm-2', value: 2, ...timing });
  t.same(Object.keys(s.storedKeys()).sort(), ['m-1', 'm-2']);
});

t.test('over the memory limit the worker pauses task starts, and resumes below 90%', async (t) => {
  const s = make(1, 1000);
  s.handle({ type: 'compute', task: task('p-1') });
  const pause = s.handle({ type: 'memory', rss: 1500 });
  t.ok(s.paused);
  t.match(of(pause, 'log')[0]!.text, /paused: RSS .* over the memory limit/);
  s.handle({ type: 'compute', task: task('p-2') });
  t.same(executed(s.handle({ type: 'done', key: 'p-1', value: 1, ...timing })), [], 'no new start while paused');
  t.same(executed(s.handle({ type: 'memory', rss: 950 })), [], 'still above 90%');
  const resume = s.handle({ type: 'memory', rss: 800 });
  t.notOk(s.paused);
  t.same(executed(resume), ['p-2']);
  t.match(of(resume, 'log')[0]!.text, /resumed/);
});

t.test('no memory limit: never pauses', async (t) => {
  const s = make(1, 0);
  s.handle({ type: 'memory', rss: 1e12 });
  t.notOk(s.paused);
});

t.test('a task freed while running and then asked for again is reported when it finishes', async (t) => {
  const s = make(1);
  s.handle({ type: 'compute', task: task('again-1') });
  s.handle({ type: 'free-keys', keys: ['again-1'] });
  t.same(executed(s.handle({ type: 'compute', task: task('again-1') })), [], 'not started twice');
  t.match(sent(s.handle({ type: 'done', key: 'again-1', value: 3, ...timing })), [{ op: 'task-finished', key: 'again-1', value: 3 }]);
});

t.test('fetched copies are counted per holding task, not per dependency name', async (t) => {
  const s = make(1);
  s.handle({ type: 'compute', task: task('k-0') });
  s.handle({ type: 'done', key: 'k-0', value: 5, ...timing });
  s.handle({ type: 'compute', task: task('u-1', { 'k-0': [SELF] }) }); // runs, k-0 from the store
  s.handle({ type: 'free-keys', keys: ['k-0'] });
  s.handle({ type: 'compute', task: task('u-2', { 'k-0': [A] }) }); // must fetch it now
  s.handle({ type: 'fetched', peer: A, data: { 'k-0': 5 }, missing: [] });
  const next = of(s.handle({ type: 'done', key: 'u-1', value: 0, ...timing }), 'execute');
  t.same(next.map((c) => [c.key, c.data]), [['u-2', { 'k-0': 5 }]], 'u-1 leaving does not drop the copy u-2 holds');
});

t.test('a ready task whose stored dependency was freed is given back, not run with a hole', async (t) => {
  const s = make(1);
  s.handle({ type: 'compute', task: task('z-0') });
  s.handle({ type: 'done', key: 'z-0', value: 1, ...timing });
  s.handle({ type: 'compute', task: task('busy-1') });
  s.handle({ type: 'compute', task: task('z-1', { 'z-0': [SELF] }) });
  t.equal(s.readyCount, 1);
  s.handle({ type: 'free-keys', keys: ['z-0'] });
  const c = s.handle({ type: 'done', key: 'busy-1', value: 0, ...timing });
  t.same(executed(c), []);
  t.match(sent(c), [{ op: 'task-finished', key: 'busy-1' }, { op: 'missing-data', key: 'z-0', errantWorker: SELF, dependent: 'z-1' }]);
  t.equal(s.readyCount, 0);
  t.equal(s.taskCount, 0);
});

t.test('reconnect delays: flat and short for the first two seconds, then doubling up to 5 s', async (t) => {
  const delays: number[] = [];
  let elapsed = 0;
  let d = 0;
  for (let i = 0; i < 200 && elapsed < 30_000; i++) {
    d = reconnectDelay(elapsed, d);
    delays.push(d);
    elapsed += d;
  }
  t.ok(delays.slice(0, 50).every((x) => x === 20), 'every 20 ms while the scheduler may still be starting');
  const backoff = delays.filter((x) => x !== 20);
  t.same(backoff.slice(0, 7), [100, 200, 400, 800, 1600, 3200, 5000], 'then a doubling backoff from 100 ms');
  t.ok(backoff.slice(6).every((x) => x === 5000), 'capped at 5 s');
});

t.test('dependency values sent with compute-task are used as fetched: no fetch, freed after use', async (t) => {
  const s = make(2);
  const c = s.handle({ type: 'compute', task: { ...task('sum-1', { 'a-1': [A], 'b-1': [B] }), values: { 'a-1': 10 } } });
  t.same(of(c, 'fetch').map((f) => [f.peer, f.keys]), [[B, ['b-1']]], 'only the dependency without a value is fetched');
  const r = s.handle({ type: 'fetched', peer: B, data: { 'b-1': 32 }, missing: [] });
  const ex = of(r, 'execute');
  t.same(ex.map((e) => e.key), ['sum-1']);
  t.same(ex[0]!.data, { 'a-1': 10, 'b-1': 32 }, 'both values reach the task');
  s.handle({ type: 'done', key: 'sum-1', value: 42, ...timing });
  // A later task needing a-1 again without a value must fetch it: the inline copy was released.
  t.same(of(s.handle({ type: 'compute', task: task('inc-9', { 'a-1': [A] }) }), 'fetch').map((f) => f.keys), [['a-1']]);
});

t.test('keys a peer could not fit in one answer are asked for again one per request', async (t) => {
  const s = make(1);
  const first = of(s.handle({ type: 'compute', task: task('f-1', { 'd-1': [A], 'd-2': [A], 'd-3': [A] }) }), 'fetch');
  t.same(first, [{ type: 'fetch', peer: A, keys: ['d-1', 'd-2', 'd-3'] }]);
  const again = s.handle({ type: 'fetched', peer: A, data: { 'd-1': 1 }, missing: [], later: ['d-2', 'd-3'] });
  t.same(of(again, 'fetch'), [{ type: 'fetch', peer: A, keys: ['d-2'] }, { type: 'fetch', peer: A, keys: ['d-3'] }]);
  t.same(sent(again), [], 'nothing is reported missing');
  s.handle({ type: 'fetched', peer: A, data: { 'd-2': 2 }, missing: [] });
  t.same(executed(s.handle({ type: 'fetched', peer: A, data: { 'd-3': 3 }, missing: [] })), ['f-1']);
});

t.test('a dependency over a message limit fails its dependents at once (too-large), without missing-data', async (t) => {
  const s = make(2);
  s.handle({ type: 'compute', task: task('f-1', { 'big-1': [A, B], 'd-2': [A] }) });
  s.handle({ type: 'compute', task: task('f-2', { 'big-1': [A, B] }) });
  const out = s.handle({ type: 'fetched', peer: A, data: { 'd-2': 2 }, missing: [], tooLarge: { 'big-1': 'the result of big-1 encodes to 9 MiB, over 8 MiB' } });
  const msgs = sent(out);
  t.same(msgs.map((m) => [m.op, m.key, m.kind]), [['task-erred', 'f-1', 'too-large'], ['task-erred', 'f-2', 'too-large']]);
  t.match(msgs[0]!.error, { name: 'DataTooLargeError', message: /task f-1 cannot get its dependency big-1 from ws:\/\/127\.0\.0\.1:2001: the result of big-1 encodes to 9 MiB, over 8 MiB/ });
  t.same(of(out, 'fetch'), [], 'the other holder is not tried: the value is as large there');
  t.equal(s.taskCount, 0, 'both tasks dropped');
  t.same(s.handle({ type: 'fetched', peer: B, data: { 'big-1': 1 }, missing: [] }).filter((c) => c.type !== 'send'), [], 'late data does nothing');
});

t.test('freeing a running task asks the shell to stop it; wanted again, to let it finish', async (t) => {
  const s = make(2);
  const ex = of(s.handle({ type: 'compute', task: { ...task('spin-1'), timeoutMs: 250 } }), 'execute');
  t.match(ex, [{ key: 'spin-1', timeoutMs: 250 }], 'the timeout goes to the pool with the task');
  t.same(of(s.handle({ type: 'free-keys', keys: ['spin-1'] }), 'cancel'), [{ type: 'cancel', key: 'spin-1' }]);
  t.same(of(s.handle({ type: 'free-keys', keys: ['spin-1'] }), 'cancel'), [], 'once');
  t.same(of(s.handle({ type: 'compute', task: task('spin-1') }), 'resume'), [{ type: 'resume', key: 'spin-1' }]);
  s.handle({ type: 'free-keys', keys: ['spin-1'] });
  const after = s.handle({ type: 'erred', key: 'spin-1', error: { name: 'TaskCancelled', message: 'stopped', stack: '' }, kind: 'exception', ...timing });
  t.same(sent(after), [], 'a stopped cancelled task reports nothing');
  t.equal(s.executing, 0, 'and frees its place in the pool');
});

t.test('over the memory limit with tasks running, one is stopped, at most once per cooldown', async (t) => {
  const s = make(2, 1000);
  s.handle({ type: 'compute', task: task('a-1') });
  const over = s.handle({ type: 'memory', rss: 1500, now: 10_000 });
  t.same(of(over, 'shed'), [{ type: 'shed', why: "the worker's RSS of 0 MiB is over its memory limit of 0 MiB" }]);
  t.equal(s.paused, true);
  t.same(of(s.handle({ type: 'memory', rss: 1500, now: 10_500 }), 'shed'), [], 'not again within the cooldown');
  t.equal(of(s.handle({ type: 'memory', rss: 1500, now: 11_000 }), 'shed').length, 1, 'again after it');
  t.same(of(s.handle({ type: 'memory', rss: 1500 }), 'shed'), [], 'heartbeat samples (no time) only pause');
  s.handle({ type: 'erred', key: 'a-1', error: { name: 'MemoryLimitExceeded', message: 'x', stack: '' }, kind: 'worker-died', ...timing });
  t.same(of(s.handle({ type: 'memory', rss: 1500, now: 20_000 }), 'shed'), [], 'nothing running: nothing to stop');
});

t.test('acquire: a retiring peer\'s results are fetched and stored as if computed here, and reported', async (t) => {
  const s = make(1);
  s.handle({ type: 'compute', task: task('own-1') });
  s.handle({ type: 'done', key: 'own-1', value: 1, ...timing });
  const asked = s.handle({ type: 'acquire', peer: A, keys: ['r-1', 'r-2', 'own-1'] });
  t.same(of(asked, 'fetch').map((c) => [c.peer, c.keys]), [[A, ['r-1', 'r-2']]], 'one fetch for what it lacks');
  t.match(sent(asked), [{ op: 'acquired', keys: { 'own-1': Number }, missing: [] }], 'what it holds already is answered at once');
  const got = sent(s.handle({ type: 'fetched', peer: A, data: { 'r-1': 'one' }, missing: ['r-2'] }));
  t.match(got.filter((m) => m.op === 'acquired'), [{ op: 'acquired', keys: { 'r-1': Number }, missing: [] }, { op: 'acquired', keys: {}, missing: ['r-2'] }]);
  t.ok(s.has('r-1') && s.get('r-1') === 'one', 'stored');
  t.notOk(s.has('r-2'));
  t.equal(s.storedCount, 2);
  // A task needing it later uses the stored copy: no fetch.
  const run = s.handle({ type: 'compute', task: task('use-1', { 'r-1': [A] }) });
  t.same(of(run, 'fetch'), []);
  t.same(executed(run), ['use-1']);
  t.same(of(run, 'execute')[0]!.data, { 'r-1': 'one' });
});

t.test('acquire joins a fetch under way for a task, and keeps a copy fetched for a running task', async (t) => {
  const s = make(1);
  s.handle({ type: 'compute', task: task('t-1', { 'd-1': [B] }) });
  const joined = s.handle({ type: 'acquire', peer: A, keys: ['d-1'] });
  t.same(of(joined, 'fetch'), [], 'no second fetch');
  const arrived = s.handle({ type: 'fetched', peer: B, data: { 'd-1': 5 }, missing: [] });
  t.same(executed(arrived), ['t-1'], 'the waiting task runs');
  t.match(sent(arrived), [{ op: 'acquired', keys: { 'd-1': Number } }]);
  s.handle({ type: 'done', key: 't-1', value: 6, ...timing });
  t.ok(s.has('d-1'), 'kept after its task finished');
  // A dependency fetched for a running task is stored from that copy when asked to keep it.
  const s2 = make(1);
  s2.handle({ type: 'compute', task: task('t-2', { 'd-2': [A] }) });
  s2.handle({ type: 'fetched', peer: A, data: { 'd-2': 7 }, missing: [] });
  const kept = s2.handle({ type: 'acquire', peer: A, keys: ['d-2'] });
  t.same(of(kept, 'fetch'), []);
  t.match(sent(kept), [{ op: 'acquired', keys: { 'd-2': Number }, missing: [] }]);
  t.equal(s2.get('d-2'), 7);
});

t.test('acquire: a failed fetch is reported missing; a key over a message limit too', async (t) => {
  const s = make(1);
  s.handle({ type: 'acquire', peer: A, keys: ['r-1', 'r-2'] });
  const failed = sent(s.handle({ type: 'fetch-failed', peer: A, keys: ['r-1'], reason: 'connection refused' }));
  t.match(failed, [{ op: 'acquired', keys: {}, missing: ['r-1'] }]);
  const big = sent(s.handle({ type: 'fetched', peer: A, data: {}, missing: [], tooLarge: { 'r-2': 'over 1 GiB' } }));
  t.match(big, [{ op: 'acquired', keys: {}, missing: ['r-2'] }]);
  t.equal(s.storedCount, 0);
  t.same(sent(s.handle({ type: 'acquire', peer: SELF, keys: ['r-3'] })), [{ op: 'acquired', keys: {}, missing: ['r-3'] }], 'from itself: it has nothing to fetch');
});

t.test('a leaving reason longer than closing carries is cut, and says so', async (t) => {
  const s = make(1);
  const long = `the scheduler says: ${'x'.repeat(2000)}`;
  const [closing] = sent(s.handle({ type: 'shutdown', reason: long }));
  const reason = String(closing!.reason);
  t.equal(reason.length, MAX_LEAVE_REASON);
  t.ok(reason.startsWith('the scheduler says: xxx') && reason.endsWith('…'), 'its start kept, the cut marked');
  t.equal(checkInbound(WORKER_TO_SCHEDULER, closing!), null, 'and the scheduler takes it');
});

t.test('a worker leaving because its lifetime ended says so in closing; one stopped does not', async (t) => {
  const retiring = make(1);
  const [said] = sent(retiring.handle({ type: 'shutdown', reason: 'lifetime of 1.0 min reached', lifetime: true }));
  t.same(said, { op: 'closing', reason: 'lifetime of 1.0 min reached', lifetime: true });
  t.equal(checkInbound(WORKER_TO_SCHEDULER, said!), null, 'and the scheduler takes it');
  const stopped = make(1);
  t.same(sent(stopped.handle({ type: 'shutdown', reason: 'SIGTERM' })), [{ op: 'closing', reason: 'SIGTERM' }], 'a SIGTERM is no retirement');
});
