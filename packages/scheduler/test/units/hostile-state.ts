/**
 * The scheduler's state machine fed what an authenticated but hostile worker or client may send:
 * messages that fit their schemas but carry huge values or name things that do not exist. Each
 * case checks that what reaches the other clients, the log and the event log stays bounded.
 * (What does not fit a schema is refused at the connection: client/test/hostile-frames.test.ts.)
 */
import t from 'tap';
import type { ClusterEvent } from '@gluon/scheduler';
import { WorkerPages } from '../../src/dashboard/worker-view.js';
import { computed, ops, Sim, task } from '../sim.js';

t.test('a worker reporting a 4,096-character key as unreachable: the warning every client gets names it cut short', async (t) => {
  const sim = new Sim();
  sim.addClient('c1');
  sim.addClient('c2');
  sim.addWorker('w1', 1, undefined, { address: 'ws://10.0.0.11:40001' });
  // Believed only of its own task's input (missing-data.ts): the key is the client's, the task evil's.
  // As long as a task's key may be (MAX_KEY_LENGTH; the scheduler refuses a longer one).
  const huge = `k${'x'.repeat(4095)}`;
  sim.submit('c1', [task(huge), task('out-1', [huge])], ['out-1']);
  sim.apply(sim.state.workerClosing('w1'));
  sim.addWorker('evil', 1, undefined, { address: 'ws://10.0.0.66:40066' });
  sim.finish('w1', huge);
  t.equal(sim.state.tasks.get('out-1')!.processingOn?.id, 'evil');
  sim.apply(sim.state.missingData('evil', huge, 'ws://10.0.0.11:40001', 'out-1', 5));
  for (const c of ['c1', 'c2']) {
    const warnings = sim.clientMsgs.get(c)!.filter((m) => m.op === 'warning');
    t.equal(warnings.length, 1, `${c}: told once`);
    const text = String(warnings[0]!.text);
    t.ok(text.length < 1000, `${c}: the text is ${text.length} characters`);
    t.match(text, /could not fetch kxxxx+… \(4096 characters\) from worker w1/, `${c}: the key's start and its length`);
  }
  t.ok(sim.state.lastPeerNotice!.text.length < 1000, 'the scheduler\'s own log line too');
  t.ok(sim.state.log.every((e) => e.text.length < 1000), 'and the event log');
  sim.addClient('c3');
  const late = sim.clientMsgs.get('c3')!.filter((m) => m.op === 'warning');
  t.ok(late.length === 1 && String(late[0]!.text).length < 1000, 'a client connecting later is told the short text');
});

t.test('a client naming 200,000 workers that never come: at the deadline it is told they left, and the scheduler ticks on', async (t) => {
  // commands.push(...flush()) spread one argument per command: past ~120,000 the tick threw
  // RangeError (call stack), from the scheduler's timer, which ended the process.
  const sim = new Sim({ holderWaitMs: 1000 });
  sim.addWorker('w1');
  sim.addClient('evil');
  sim.addClient('good');
  sim.resubmit('evil', [], [], {}, Array.from({ length: 200_000 }, (_, i) => `ws://fake-${i}:1`));
  sim.submit('good', [task('g-1')]);
  t.doesNotThrow(() => sim.tick(1001), 'the tick at the deadline');
  t.equal(sim.clientMsgs.get('evil')!.filter((m) => m.op === 'worker-left').length, 200_000, 'the client that named them hears each left');
  t.equal(sim.state.tasks.get('g-1')!.state, 'processing', 'the other client\'s task runs');
});

t.test('a worker reporting a result for a task given to another: refused, the task and its worker untouched', async (t) => {
  const sim = new Sim();
  sim.addClient('c');
  sim.addWorker('w1');
  sim.addWorker('evil');
  sim.submit('c', [task('a-1'), task('b-1')]);
  const onW1 = [...sim.inbox.get('w1')!];
  const key = onW1[0]!;
  const ts = sim.state.tasks.get(key)!;
  const claimed = sim.apply(sim.state.taskFinished('evil', { key, nbytes: 8, typeName: 'number', start: 0, stop: 1, thread: 0, value: 666, hasValue: true }, 1));
  t.equal(ts.state, 'processing', 'still processing');
  t.equal(ts.processingOn?.id, 'w1', 'on the worker it was given to');
  t.same(ops(claimed, 'free-keys', 'w1'), [], 'w1 is not called off');
  t.same(ops(claimed, 'key-in-memory', 'c'), [], 'the client hears of no result');
  t.same(ops(claimed, 'free-keys', 'evil'), [{ op: 'free-keys', keys: [key] }], 'the claimant is told to drop its copy');
  const line = sim.state.log.at(-1)!.text;
  t.match(line, new RegExp(`refused a result from worker evil for task ${key}, which was not given to it \\(the task is processing on w1\\)`), 'logged, naming the worker and the key');
  t.match(sim.state.takeSaid().at(-1), /refused a result from worker evil/, 'in the process log too');
  // The real result, when it comes, is the one taken.
  const real = sim.finish('w1', key, { value: 7 });
  t.equal(ts.state, 'memory');
  t.same(ts.holders.map((w) => w.id), ['w1'], 'held by the worker that ran it');
  t.same(ops(real, 'key-in-memory', 'c').map((m) => [m.key, m.value, m.workers]), [[key, 7, ['ws://w1']]], 'the client gets the real value, from w1');
});

t.test('a worker claiming a finished result, or one waiting for its input: refused; the value and its holders stay', async (t) => {
  const sim = new Sim();
  sim.addClient('c');
  sim.addWorker('w1');
  sim.addWorker('evil');
  sim.submit('c', [task('done-1')]);
  t.same(sim.inbox.get('w1'), ['done-1'], 'placed on the first worker');
  sim.finish('w1', 'done-1', { value: 1 });
  const done = sim.state.tasks.get('done-1')!;
  t.same(done.holders.map((w) => w.id), ['w1']);
  sim.apply(sim.state.taskFinished('evil', { key: 'done-1', nbytes: 8, typeName: 'number', start: 0, stop: 1, thread: -1, value: 666, hasValue: true }, 2));
  t.same(done.holders.map((w) => w.id), ['w1'], 'not made a holder: clients never fetch it from there');
  t.same(sim.state.whoHas(['done-1']), { 'done-1': ['ws://w1'] });
  // A task waiting for a dependency: nothing may complete it ahead of its inputs.
  sim.submit('c', [task('slow-1'), task('next-1', ['slow-1'])], ['next-1']);
  const next = sim.state.tasks.get('next-1')!;
  t.equal(next.state, 'waiting');
  sim.apply(sim.state.taskFinished('evil', { key: 'next-1', nbytes: 8, typeName: 'number', start: 0, stop: 1, thread: 0 }, 3));
  t.equal(next.state, 'waiting', 'still waiting for its input');
  t.equal(sim.state.recovery.adopted, 0, 'nothing taken as a late result');
  sim.drain();
  t.equal(next.state, 'memory', 'and computed where it was given');
  t.notOk(next.holders.some((w) => w.id === 'evil'));
});

t.test('a late result of a worker the task was called off from is still taken, once', async (t) => {
  // x-1 runs on w1; its client releases it (w1 told to drop it) and submits it again while w1 is
  // paused, so it goes to w2; w1 had finished it before it heard: a late result, the same value.
  const sim = new Sim();
  sim.addClient('c');
  sim.addWorker('w1');
  sim.addWorker('w2');
  sim.submit('c', [task('x-1')]);
  t.equal(sim.state.tasks.get('x-1')!.processingOn?.id, 'w1');
  sim.apply(sim.state.releaseKeys('c', ['x-1']));
  t.notOk(sim.state.tasks.has('x-1'), 'forgotten');
  const paused = { cpu: 0, rss: 2e9, memoryLimit: 1e9, executing: 1, ready: 0, stored: 0, storedBytes: 0, time: sim.now, paused: true };
  sim.apply(sim.state.heartbeat('w1', paused, sim.now));
  sim.submit('c', [task('x-1')]);
  const x = sim.state.tasks.get('x-1')!;
  t.equal(x.processingOn?.id, 'w2', 'given to w2 this time');
  const late = sim.apply(sim.state.taskFinished('w1', { key: 'x-1', nbytes: 8, typeName: 'number', start: 0, stop: 1, thread: 0, value: 5, hasValue: true }, 1));
  t.equal(x.state, 'memory', 'taken');
  t.same(x.holders.map((w) => w.id), ['w1']);
  t.same(ops(late, 'free-keys', 'w2'), [{ op: 'free-keys', keys: ['x-1'] }], 'w2\'s run called off');
  t.notOk(sim.state.log.some((e) => /refused/.test(e.text)), 'nothing refused');
  // Its second report of the same key is no longer a late result it is owed: refused.
  sim.apply(sim.state.taskFinished('w1', { key: 'x-1', nbytes: 8, typeName: 'number', start: 0, stop: 1, thread: -1 }, 2));
  t.same(x.holders.map((w) => w.id), ['w1'], 'the holders as they were');
  // w2 had finished its run before it heard: it was given it, so it is an extra copy.
  sim.apply(sim.state.taskFinished('w2', { key: 'x-1', nbytes: 8, typeName: 'number', start: 0, stop: 1, thread: 0 }, 3));
  t.same(x.holders.map((w) => w.id).sort(), ['w1', 'w2'], 'kept as a second copy');
});

t.test('a worker sending results of tasks it was not given in a loop: one line, then one a minute', async (t) => {
  const sim = new Sim();
  sim.addClient('c');
  sim.addWorker('w1');
  sim.addWorker('evil');
  sim.submit('c', [task('a-1')]);
  const before = sim.state.log.length;
  for (let i = 0; i < 10_000; i++) sim.state.taskFinished('evil', { key: 'a-1', nbytes: 8, typeName: 'number', start: 0, stop: 1, thread: 0 }, 1000 + i);
  t.equal(sim.state.log.length, before + 1, 'one line for 10,000 refusals within a minute');
  sim.state.taskFinished('evil', { key: 'a-1', nbytes: 8, typeName: 'number', start: 0, stop: 1, thread: 0 }, 61_000);
  t.equal(sim.state.log.length, before + 2);
  t.match(sim.state.log.at(-1)!.text, /refused 10000 more results from worker evil for tasks not given to it \(the latest: a-1\)/);
  t.equal(sim.state.tasks.get('a-1')!.processingOn?.id, 'w1', 'still on its worker');
});

t.test('publishes beyond the bounds are refused: the publisher alone is told why, the topics keep what they had', async (t) => {
  const sim = new Sim({ maxTopics: 3, maxTopicBytes: 10_000, maxPublishedBytes: 15_000 });
  sim.addClient('evil');
  sim.addClient('good');
  sim.addWorker('w1');
  const publish = (from: string, topic: string, value: unknown) =>
    sim.apply(sim.state.publish(from.startsWith('w') ? { worker: from } : { client: from }, topic, value, sim.now));
  const refusals = (c: string) => sim.clientMsgs.get(c)!.filter((m) => m.op === 'warning' && m.kind === 'publish-refused');
  publish('good', 'h/m4l', [1, 2, 3]);
  // One value over --max-topic-bytes.
  publish('evil', 'h/m4l', 'x'.repeat(20_000));
  t.same(sim.state.topics.get('h/m4l'), [1, 2, 3], 'the topic keeps its value');
  t.equal(refusals('evil').length, 1, 'the publisher is told');
  t.match(refusals('evil')[0]!.text, /^publish on topic h\/m4l refused: its value is about 200\d\d bytes, more than the 10000 one topic may hold \(--max-topic-bytes\)$/);
  t.equal(refusals('evil')[0]!.about, 'h/m4l');
  t.same(refusals('good'), [], 'no other client');
  t.match(sim.state.log.at(-1)!.text, /publish on topic h\/m4l refused: .* \(from client evil\)/);
  // Totals over --max-published-bytes.
  publish('evil', 'a', 'x'.repeat(9_000));
  publish('evil', 'b', 'x'.repeat(9_000));
  t.notOk(sim.state.topics.has('b'), 'the total would be over its bound');
  t.match(refusals('evil').at(-1)!.text, /the published values would come to about 18\d{3} bytes, more than the 15000 all topics may hold together \(--max-published-bytes\)/);
  // Replacing a value counts its new size, not both.
  publish('evil', 'a', 'x'.repeat(9_500));
  t.equal((sim.state.topics.get('a') as string).length, 9_500, 'a topic replaced within the total');
  // More topics than --max-topics.
  publish('evil', 'c', 1);
  publish('evil', 'd', 1);
  t.same([...sim.state.topics.keys()], ['h/m4l', 'a', 'c'], 'three topics kept');
  t.match(refusals('evil').at(-1)!.text, /the scheduler keeps 3 topics already, the most it may \(--max-topics\)/);
  publish('good', 'c', 2);
  t.equal(sim.state.topics.get('c'), 2, 'an existing topic may still be published on');
  // A megabyte topic name.
  publish('evil', 'n'.repeat(1 << 20), 1);
  const long = refusals('evil').at(-1)!;
  t.ok(String(long.text).length < 1000 && String(long.about).length < 200, 'the refusal quotes the name cut short');
  t.match(long.text, /its name is 1048576 characters long, more than the 1024/);
  // Refused publishes in a loop: the log says so once a minute.
  const before = sim.state.log.length;
  for (let i = 0; i < 1000; i++) publish('evil', 'd', i);
  t.equal(sim.state.log.length, before, 'no line within the minute');
  sim.now += 60_000;
  publish('evil', 'd', 0);
  t.match(sim.state.log.at(-1)!.text, /^1004 more publishes from client evil refused since its last such line/);
  // A task's publish (through its worker) is refused and logged; no client is told.
  publish('w1', 'e', 1);
  t.notOk(sim.state.topics.has('e'));
  t.match(sim.state.log.at(-1)!.text, /publish on topic e refused: .*--max-topics.* \(from a task on worker w1\)/);
  t.same(refusals('good'), [], 'still nothing to the other client');
});

t.test('a client naming a new group (or function) per task: the scheduler keeps at most 1,000 empty groups', async (t) => {
  const sim = new Sim();
  sim.addClient('evil');
  sim.addWorker('w1');
  for (let round = 0; round < 5; round++) {
    const keys = Array.from({ length: 1000 }, (_, i) => `k${round}-${i}`);
    sim.submit('evil', keys.map((k) => task(k, [], { group: `g-${k}` })));
    sim.drain();
    sim.apply(sim.state.releaseKeys('evil', keys));
  }
  t.equal(sim.state.tasks.size, 0, 'every task released and forgotten');
  t.equal(sim.state.groups.size, 1000, 'of 5,000 groups, the 1,000 emptied last are kept');
  t.ok(sim.state.groups.has('g-k4-999') && !sim.state.groups.has('g-k0-0'), 'the oldest went first');
  // A group used again keeps its estimate (and its place) while it has tasks.
  sim.submit('evil', [task('again-1', [], { group: 'g-k4-999' })]);
  const kept = sim.state.groups.get('g-k4-999')!;
  t.equal(kept.samples, 1, 'its duration estimate survived its empty spell');
  sim.submit('evil', Array.from({ length: 2000 }, (_, i) => task(`more-${i}`, [], { group: `h-${i}` })));
  sim.drain();
  sim.apply(sim.state.releaseKeys('evil', Array.from({ length: 2000 }, (_, i) => `more-${i}`)));
  t.equal(sim.state.groups.get('g-k4-999'), kept, 'a group with a task is never forgotten');
  // One group, a new function per task: only the first 256 are shared, the table stays that size.
  sim.submit('evil', Array.from({ length: 1000 }, (_, i) => task(`f-${i}`, [], { group: 'one', fn: { module: 'tasks', export: `fn${i}` } })));
  t.equal(sim.state.groups.get('one')!.fns.size, 256);
  t.equal(sim.state.tasks.get('f-999')!.fn.export, 'fn999', 'the rest keep their own');
});

t.test('a megabyte error message or type name from a worker: kept and passed on cut short', async (t) => {
  const sim = new Sim();
  sim.addClient('c');
  sim.addWorker('w1');
  sim.submit('c', [task('e-1')]);
  const huge = 'm'.repeat(1 << 20);
  sim.apply(sim.state.taskErred('w1', { key: 'e-1', error: { message: huge, name: huge, stack: huge } }, 1));
  const erred = sim.clientMsgs.get('c')!.find((m) => m.op === 'task-erred')!;
  const e = erred.error as { message: string; name: string; stack: string };
  t.ok(e.message.length < 70_000 && e.stack.length < 70_000 && e.name.length < 300, `the client gets ${e.message.length}, ${e.stack.length} and ${e.name.length} characters`);
  t.match(e.message, /^m{65536}… \(cut by the scheduler: 1048576 characters\)$/, 'its start, and how long it was');
  t.ok(sim.state.failures.at(-1)!.message.length < 70_000, 'the failures row too');
  t.ok(sim.state.log.every((l) => l.text.length < 70_000), 'and the event log');
  sim.submit('c', [task('t-1')]);
  sim.apply(sim.state.taskFinished('w1', { key: 't-1', nbytes: 8, typeName: huge, start: 0, stop: 1, thread: 0 }, 2));
  const told = sim.clientMsgs.get('c')!.filter((m) => m.op === 'key-in-memory' && m.key === 't-1');
  t.ok(String(told[0]!.typeName).length < 300, 'a result\'s type name too');
});

t.test('a worker under-stating an inline result\'s nbytes: the value is measured, not kept or passed on, and the result stays on the worker', async (t) => {
  const sim = new Sim();
  sim.addClient('c');
  sim.addWorker('evil');
  sim.submit('c', [task('big-1'), task('next-1', ['big-1'])]);
  const value = new Uint8Array(1 << 20);
  const done = sim.finish('evil', 'big-1', { nbytes: 8, value });
  const ts = sim.state.tasks.get('big-1')!;
  t.equal(ts.state, 'memory', 'the result is taken');
  t.same(ts.holders.map((w) => w.id), ['evil'], 'as held by the worker');
  t.equal(ts.inline, null, 'no inline copy kept');
  const told = ops(done, 'key-in-memory', 'c');
  t.equal(told.length, 1, 'the client is told');
  t.notOk('value' in told[0]!, 'without the value: it fetches it from the worker');
  t.ok(Number(told[0]!.nbytes) > 16 * 1024, `with a size over the inline bound, not the 8 declared: ${told[0]!.nbytes}`);
  t.match(sim.state.log.at(-1)!.text, /worker evil sent the result of task big-1 inline with nbytes 8, but it measures more than 16384 bytes here/, 'logged, naming the worker, the key and the sizes');
  t.match(sim.state.takeSaid().at(-1), /worker evil sent the result of task big-1 inline/, 'in the process log too');
  // The next ones within the minute: no line each.
  const lines = sim.state.log.length;
  sim.submit('c', [task('big-2'), task('big-3')]);
  sim.finish('evil', 'big-2', { nbytes: 8, value });
  sim.finish('evil', 'big-3', { nbytes: 8, value });
  t.equal(sim.state.log.filter((l, i) => i >= lines && /inline/.test(l.text)).length, 0, 'rate-limited per worker');
});

t.test('inline results under-stated within the inline bound: the inline budget counts what they measure', async (t) => {
  const budget = 100_000;
  const sim = new Sim({ inlineBudgetBytes: budget });
  sim.addClient('c');
  sim.addWorker('evil');
  const n = 20;
  // Each part's dependent also waits for a task that never finishes here: the parts' inline
  // copies are kept while it waits (until every dependent has been sent).
  sim.submit('c', [task('slow-1'), ...Array.from({ length: n }, (_, i) => [task(`part-${i}`), task(`sum-${i}`, [`part-${i}`, 'slow-1'])]).flat()]);
  for (let i = 0; i < n; i++) sim.finish('evil', `part-${i}`, { nbytes: 1, value: new Uint8Array(16_000) });
  let kept = 0;
  for (const ts of sim.state.tasks.values()) if (ts.inline) kept += (ts.inline.value as Uint8Array).byteLength;
  t.ok(kept > 0, `some are kept (${kept} bytes)`);
  t.ok(kept <= budget, `${kept} bytes of values kept inline, within the budget of ${budget}`);
});

t.test('transfer reports naming peers no worker has, or keys of no task: not passed on, and the real workers\' pages stay', async (t) => {
  // Each distinct peer address was a worker page of its own: 600 of them pushed every real
  // worker's page (its transfers and log lines) out of the 500 kept.
  const sim = new Sim();
  sim.addClient('c');
  sim.addWorker('w1', 1, undefined, { address: 'ws://10.0.0.11:40001' });
  sim.addWorker('evil', 1, undefined, { address: 'ws://10.0.0.66:40066' });
  sim.submit('c', [task('a-1')]);
  const pages = new WorkerPages({ time: 0, schedulerAddress: 'ws://s', workers: [], groups: [], failures: [], topics: {}, log: [] });
  const events: ClusterEvent[] = [];
  sim.state.subscribe((e) => {
    events.push(e);
    pages.apply(e);
  });
  const transfers = () => events.filter((e) => e.kind === 'transfer');
  sim.apply(sim.state.workerLog('w1', 1, 'a line of the real worker'));
  const report = { from: 'ws://10.0.0.11:40001', keys: ['a-1'], start: 1, stop: 2, bytes: 8 };
  for (let i = 0; i < 600; i++) sim.apply(sim.state.transfer('evil', { ...report, from: `ws://fake-${i}.example:1` }, 3));
  t.equal(transfers().length, 0, 'none passed on');
  t.same(pages.detail('w1')?.log.map((l) => l.text), ['a line of the real worker'], 'the real worker\'s page keeps its log');
  const said = sim.state.log.filter((e) => /ignoring transfer reports from worker evil/.test(e.text));
  t.equal(said.length, 1, 'logged once for the worker');
  t.match(said[0]!.text, "naming peers no worker here has had (the first: ws://fake-0.example:1)", "naming the first address");
  // Keys as long as the protocol allows (MAX_KEY_LENGTH); a longer one makes the report malformed.
  const huge = `k${'x'.repeat(4095)}`;
  sim.apply(sim.state.transfer('evil', { ...report, keys: [huge, 'a-1', `${'y'.repeat(4096)}`] }, 4));
  t.same(transfers().map((e) => e.kind === 'transfer' && e.keys), [['a-1']], 'of its keys, only the task\'s is passed on');
  sim.apply(sim.state.transfer('evil', { ...report, keys: [huge] }, 5));
  t.equal(transfers().length, 1, 'a report of no task known here is not');
  sim.apply(sim.state.transfer('evil', { ...report, keys: ['a-1', `k${'x'.repeat(1 << 20)}`] }, 6));
  t.equal(transfers().length, 1, 'nor one with a key over the bound, task or not');
  t.ok(pages.detail('w1')!.transfers.every((r) => r.keys.every((k) => k.length < 100)), 'the pages hold no key the worker made up');
});

t.test('claims of keys with no task here are kept up to maxOrphans, a key of at most 4096 characters: the rest freed on the worker, said once', async (t) => {
  // Each kept claim costs ~300 bytes besides its key, for the orphan grace: a worker naming
  // millions of made-up keys in its holding (up to the 1 GiB message budget) held several times
  // that here, and could leave and come back to claim them again.
  const sim = new Sim({ maxOrphans: 1000 });
  const keys: Record<string, number> = {};
  for (let i = 0; i < 3000; i++) keys[`made-up-${i}`] = 8;
  const running = Array.from({ length: 500 }, (_, i) => `running-${i}`);
  const reg = sim.addWorker('evil', 1, keys, { running });
  t.equal(sim.state.recovery.orphanCount, 500, 'the running claims came first, then orphans up to the bound');
  const freed = ops(reg, 'free-keys', 'evil').flatMap((m) => m.keys as string[]);
  t.equal(freed.length, 2500, 'the rest is freed on the worker');
  t.ok(freed.includes('made-up-2999') && !freed.includes('made-up-0'), 'the last ones');
  const said = sim.state.log.filter((e) => /over what is kept of such claims/.test(e.text));
  t.equal(said.length, 1, 'one line');
  t.match(said[0]!.text, /worker evil claimed 2500 key\(s\) with no task here \(made-up-500, made-up-501, made-up-502 and 2497 more\) over what is kept of such claims \(1000 keys/);
  t.ok(said[0]!.text.length < 1000, 'a short one');
  // Another worker: nothing more is kept while the bound is reached; a key over 4096 characters never is.
  const big = `k${'x'.repeat(5000)}`;
  const other = sim.addWorker('w2', 1, { [big]: 8, 'one-more': 8 });
  t.same(ops(other, 'free-keys', 'w2').flatMap((m) => m.keys as string[]).map((k) => k.length), [big.length, 8], 'both freed');
  // The bound is on what is kept now: claims that go with their worker make room.
  sim.removeWorker('evil');
  t.equal(sim.state.recovery.orphanCount, 0);
  sim.addWorker('w3', 1, { 'back-1': 8, [big]: 8 });
  t.equal(sim.state.recovery.orphanCount, 1, 'room again, but never for the long key');
});

t.test('a worker\'s claims of keys with no task serve a reconnecting client\'s graph only: a new client\'s tasks are computed, not taken from it', async (t) => {
  // Before, any worker could name keys a client would submit later (a pure task's key is a hash
  // of its function and arguments) and have its values taken for them, or hold the tasks back
  // for as long as it lived by saying it still ran them.
  const sim = new Sim();
  sim.addWorker('w1');
  sim.addWorker('evil', 1, { 'sum-1': 8 }, { running: ['load-1'] });
  // Retiring: given no task here, so every result of it below is one it was never given.
  sim.apply(sim.state.workerClosing('evil'));
  t.equal(sim.state.recovery.orphanCount, 1);
  sim.addClient('c');
  const sent = sim.submit('c', [task('sum-1'), task('load-1')]);
  t.same(ops(sent, 'free-keys', 'evil').flatMap((m) => m.keys as string[]).sort(), ['load-1', 'sum-1'], 'the claimant is told to drop both');
  t.equal(sim.state.recovery.adopted, 0, 'nothing taken from it');
  t.equal(sim.state.recovery.disowned, 2);
  for (const key of ['sum-1', 'load-1']) t.equal(sim.state.tasks.get(key)!.state, 'processing', `${key} is computed`);
  // Its "late" result for the task it said it ran is not taken.
  const onW1 = sim.state.tasks.get('load-1')!.processingOn?.id;
  t.equal(onW1, 'w1');
  const late = sim.apply(sim.state.taskFinished('evil', { key: 'load-1', nbytes: 8, typeName: 'number', start: 0, stop: 1, thread: 0, value: 666, hasValue: true }, 2));
  t.same(ops(late, 'key-in-memory', 'c'), [], 'the client hears of no result from it');
  t.equal(sim.state.tasks.get('load-1')!.processingOn?.id, onW1, 'the task still runs where it was placed');
  sim.drain();
  t.same((sim.clientMsgs.get('c') ?? []).filter((m) => m.op === 'key-in-memory').map((m) => m.workers).flat().filter((a) => a === 'ws://evil'), [], 'no result the client hears of is on evil');
});

t.test('a reconnecting client\'s graph re-sent in frames takes what workers held in every frame, not only the first', async (t) => {
  // Only a client's first frame names held and workers; every frame says resend (client outbox.ts replaceGraph).
  const sim = new Sim();
  sim.addWorker('w1', 1, { 'p-1': 8, 'p-2': 8 });
  sim.addClient('c');
  sim.resubmit('c', [task('p-1')], ['p-1'], {}, ['ws://w1']);
  sim.resubmitMore('c', [task('p-2')], ['p-2']);
  t.equal(sim.state.recovery.adopted, 2, 'both taken back');
  t.same(computed(sim.log), {}, 'nothing computed');
});

t.test('a client that re-sent its graph once is not re-sending for ever: its later graph\'s keys do not take workers\' claims', async (t) => {
  // The client was taken for re-sending until it disconnected: a new pure key it submitted later
  // (a hash of function and arguments, which a worker may name) took a worker's claim of it.
  const sim = new Sim();
  sim.addWorker('w1', 1, { 'p-1': 8 });
  sim.addWorker('evil', 1, { 'new-1': 8 }, { address: 'ws://evil' });
  sim.addClient('c');
  sim.resubmit('c', [task('p-1')], ['p-1'], {}, ['ws://w1', 'ws://evil']);
  t.equal(sim.state.recovery.adopted, 1, 'the re-sent graph takes its result back');
  const later = sim.submit('c', [task('new-1')]);
  t.same(ops(later, 'free-keys', 'evil'), [{ op: 'free-keys', keys: ['new-1'] }], 'the claimant is told to drop its claim');
  t.equal(sim.state.recovery.adopted, 1, 'nothing more taken');
  t.equal(sim.state.tasks.get('new-1')!.state, 'processing', 'the new task is computed');
});

t.test('a worker repeating a result it is known to hold: nothing changes and nothing is said of a task never given to it', async (t) => {
  // Before, the repeat was refused as a result of a task "not given to it", in the log, though
  // the worker had been given the task and holds its only copy.
  const sim = new Sim();
  sim.addClient('c');
  sim.addWorker('w1');
  sim.submit('c', [task('a-1')]);
  sim.finish('w1', 'a-1', { nbytes: 100 });
  const w1 = sim.state.workers.get('w1')!;
  sim.state.takeSaid();
  const again = sim.apply(sim.state.taskFinished('w1', { key: 'a-1', nbytes: 100, typeName: 'number', start: 5, stop: 6, thread: 0 }, 6));
  t.same(again, [], 'no message to anyone');
  t.same(sim.state.takeSaid(), [], 'no line');
  t.notOk(sim.state.log.some((e) => /refused a result/.test(e.text)), 'not in the event log either');
  t.same(sim.state.tasks.get('a-1')!.holders.map((h) => h.id), ['w1']);
  t.equal(w1.storedBytes, 100, 'its bytes are counted once');
});
