/**
 * Workers with different allow-lists (module-refusals.ts, module-refusal-rule.ts), through the real state
 * machine and no sockets: a worker that refuses a task's module has not failed the task, which
 * runs on a worker that accepts the module; a module no connected worker accepts fails with every
 * worker's reason, or waits (bounded) while a refusal may lift.
 */
import t from 'tap';
import type { TaskSpec } from '@gluon/protocol';
import { computed, ops, Sim, task } from '../sim.js';
import { refusalVerdict, type RefuserView } from '../../src/module-refusal-rule.js';

/** A task of module `module` (export `f`). */
function of(module: string, key: string, deps: string[] = [], extra: Partial<TaskSpec> = {}): TaskSpec {
  return { ...task(key, deps, extra), fn: { module, export: 'f' } };
}

function erred(sim: Sim, client: string) {
  // `task`: the key the message is about; `key`: the task that failed (its dependents carry its error).
  return (sim.clientMsgs.get(client) ?? []).filter((m) => m.op === 'task-erred').map((m) => ({ task: String(m.key), ...(m.error as { key: string; message: string; kind: string; retriesUsed: number; name: string }) }));
}

function warnings(sim: Sim, client: string) {
  return (sim.clientMsgs.get(client) ?? []).filter((m) => m.op === 'warning' && m.kind === 'refused-module') as unknown as Array<{ active: boolean; text: string; about: string }>;
}

t.test('the rule: run while a running worker has not refused; wait while a refusal may lift; else fail with every reason', async (t) => {
  const w = (name: string, refusal?: { reason: string; mayLift: boolean }, status: RefuserView['status'] = 'running'): RefuserView => ({ name, status, refusal });
  const no = { reason: 'not listed', mayLift: false };
  const later = { reason: 'its path does not exist yet', mayLift: true };
  t.match(refusalVerdict('m', [w('a', no), w('b')], 0, 1000), { kind: 'run', why: 'a worker accepts it' });
  t.match(refusalVerdict('m', [], 0, 1000), { kind: 'run', why: /no worker is connected/ });
  t.match(refusalVerdict('m', [w('a', no), w('b', undefined, 'closing')], 0, 1000), { kind: 'fail' }, 'a closing worker takes nothing');
  const all = refusalVerdict('m', [w('a', no), w('b', no), w('c', { reason: 'other', mayLift: false })], 0, 1000);
  t.same(all, { kind: 'fail', reason: 'no connected worker accepts module m: worker a, worker b: not listed; worker c: other' });
  const many = refusalVerdict('m', Array.from({ length: 30 }, (_, i) => w(`w${i}`, { reason: `not installed in /home/u${i}`, mayLift: false })), 0, 1000);
  t.match(many, { kind: 'fail', reason: /: worker w0: not installed in \/home\/u0; .*worker w7: not installed in \/home\/u7; and 22 more worker\(s\) with other reasons$/ }, 'bounded: eight reasons, then a count');
  const crowd = refusalVerdict('m', Array.from({ length: 30 }, (_, i) => w(`w${i}`, no)), 0, 1000);
  t.match(crowd, { kind: 'fail', reason: /^no connected worker accepts module m: worker w0, .*worker w7 and 22 more: not listed$/ });
  const wait = refusalVerdict('m', [w('a', no), w('b', later)], 999, 1000);
  t.equal(wait.kind, 'wait');
  t.match((wait as { text: string }).text, /^tasks of module m wait: every connected worker refuses it \(worker a: not listed; worker b: its path does not exist yet\)\. They wait up to 1 s \(--refusal-wait\) for what worker b lacks to appear/);
  t.same(refusalVerdict('m', [w('a', no), w('b', later)], 1000, 1000), { kind: 'fail', reason: 'no connected worker accepts module m (waited 1 s for a refusal to lift): worker a: not listed; worker b: its path does not exist yet' });
});

t.test('a refused task runs on a worker that accepts its module: no retry used, no death, the refuser gets other work', async (t) => {
  const sim = new Sim({ allowedFailures: 1 });
  sim.addClient('c');
  sim.addWorker('w1');
  sim.addWorker('w2');
  sim.submit('c', [of('mod-b', 'b-1', [], { retries: 0 }), of('mod-b', 'b-2'), of('mod-a', 'a-1'), of('mod-a', 'a-2')]);
  const onW1 = [...sim.inbox.get('w1')!];
  t.ok(onW1.some((k) => k.startsWith('b-')), 'w1 was given a task of mod-b before it refused any');
  for (const k of onW1.filter((k) => k.startsWith('b-'))) sim.refuse('w1', k, 'file mod-b is not under any --allow-module directory');
  for (const k of ['b-1', 'b-2']) {
    const ts = sim.state.tasks.get(k)!;
    t.equal(ts.deaths, 0, `${k}: a refusal is no death (allowed-failures=1 would have failed it)`);
    t.equal(ts.retriesUsed, 0, `${k}: nor a retry`);
  }
  sim.drain();
  t.same(erred(sim, 'c'), [], 'nothing failed');
  const computedOn = (w: string) => sim.log.filter((c) => c.msg.op === 'compute-task' && 'worker' in c.to && c.to.worker === w).map((c) => String(c.msg.key));
  t.notOk(computedOn('w1').filter((k) => k.startsWith('b-')).length > onW1.filter((k) => k.startsWith('b-')).length, 'w1 is sent no task of mod-b after refusing it');
  for (const k of ['b-1', 'b-2', 'a-1', 'a-2']) t.equal(sim.state.tasks.get(k)!.state, 'memory', `${k} ran`);
  t.ok(sim.state.log.some((l) => /worker w1 refuses module mod-b: file mod-b is not under any --allow-module directory; its tasks go to workers that accept it/.test(l.text)), 'the event log says so, once');
  t.equal(sim.state.log.filter((l) => /refuses module mod-b/.test(l.text)).length, 1);
  // The scheduler's own log too, once: an operator tailing it saw tasks move with no word of why.
  t.same(sim.state.takeSaid().filter((l) => /refuses module/.test(l)), ['worker w1 refuses module mod-b: file mod-b is not under any --allow-module directory; its tasks go to workers that accept it'], 'the process log says so, once');
});

t.test('queued tasks of a refused module wait for a worker that accepts it; the refuser takes the rest, and steals none of them', async (t) => {
  const sim = new Sim();
  sim.addClient('c');
  sim.addWorker('w1');
  sim.addWorker('w2');
  // w1 refuses mod-b once; then mod-b tasks (higher priority) and mod-a tasks queue behind full workers.
  sim.submit('c', [of('mod-b', 'b-0')]);
  t.same(sim.inbox.get('w1'), ['b-0'], 'the earlier registered of two idle workers');
  sim.refuse('w1', 'b-0');
  t.same(sim.inbox.get('w2'), ['b-0'], 'refused, it goes to the other');
  sim.finish('w2', 'b-0');
  const specs = [...Array.from({ length: 6 }, (_, i) => of('mod-b', `b-${i + 1}`, [], { priority: 5 })), ...Array.from({ length: 6 }, (_, i) => of('mod-a', `a-${i + 1}`))];
  sim.submit('c', specs);
  const w1Tasks = () => sim.inbox.get('w1')!;
  t.ok(w1Tasks().length > 0 && w1Tasks().every((k) => k.startsWith('a-')), `w1 gets only mod-a tasks, though mod-b ones come first: ${w1Tasks().join(' ')}`);
  t.ok(sim.inbox.get('w2')!.some((k) => k.startsWith('b-')), 'w2 gets mod-b tasks');
  // w1 runs dry: it asks w2 for work, but not for mod-b tasks.
  for (const k of [...w1Tasks()]) sim.finish('w1', k);
  t.notOk(sim.log.some((c) => c.msg.op === 'steal-request' && String(c.msg.key).startsWith('b-')), 'no mod-b task is stolen for w1');
  sim.drain();
  for (const s of specs) t.equal(sim.state.tasks.get(s.key)!.state, 'memory', `${s.key} ran`);
  t.same(erred(sim, 'c'), []);
});

t.test('a module no connected worker accepts fails at once, naming the module, the task and each worker\'s reason', async (t) => {
  const sim = new Sim();
  sim.addClient('c');
  sim.addWorker('w1');
  sim.addWorker('w2');
  sim.submit('c', [of('mod-x', 'x-1'), of('mod-x', 'x-2'), of('mod-x', 'y-1', ['x-1'])]);
  sim.refuse('w1', sim.inbox.get('w1')![0]!, 'not listed on w1');
  t.same(erred(sim, 'c'), [], 'w2 has not refused it yet');
  // w2 was sent both by then; a real worker refuses each as it arrives.
  t.same(sim.inbox.get('w2')!.sort(), ['x-1', 'x-2']);
  for (const k of [...sim.inbox.get('w2')!]) sim.refuse('w2', k, 'not listed on w2');
  const errors = erred(sim, 'c');
  t.same(errors.map((e) => e.task).sort(), ['x-1', 'x-2', 'y-1'], 'both tasks fail, and the one that needs x-1');
  t.equal(errors.find((x) => x.task === 'y-1')!.key, 'x-1', 'y-1 with x-1\'s error');
  const e = errors.find((x) => x.key === 'x-2')!;
  t.equal(e.kind, 'not-allowed');
  t.equal(e.name, 'ModuleNotAllowedError');
  t.equal(e.message, 'no connected worker accepts module mod-x: worker w1: not listed on w1; worker w2: not listed on w2');
  t.equal(e.retriesUsed, 0);
  // A task of it submitted later fails within the same message, not after a wait.
  sim.submit('c', [of('mod-x', 'x-3')]);
  t.ok(erred(sim, 'c').some((x) => x.key === 'x-3'), 'a later task of the module fails at once too');
  t.same(sim.inbox.get('w1'), []);
  t.same(sim.inbox.get('w2'), []);
});

t.test('while a refusal may lift the tasks wait, said once, bounded by refusalWaitMs; an accepting worker ends the wait', async (t) => {
  const sim = new Sim({ refusalWaitMs: 10_000, heartbeatTtlMs: 1e9 });
  sim.addClient('c');
  sim.addWorker('w1');
  sim.submit('c', [of('mod-p', 'p-1'), of('mod-p', 'p-2')]);
  for (const k of [...sim.inbox.get('w1')!]) sim.refuse('w1', k, 'its --allow-module path does not exist yet', true);
  t.same(erred(sim, 'c'), []);
  const w = warnings(sim, 'c');
  t.equal(w.length, 1, 'the client is told, once');
  t.match(w[0], { active: true, about: 'mod-p', text: /^tasks of module mod-p wait: every connected worker refuses it \(worker w1: its --allow-module path does not exist yet\)\. They wait up to 10 s/ });
  sim.tick(5_000);
  t.same(sim.inbox.get('w1'), [], 'nothing is sent to the refusing worker meanwhile');
  t.same(erred(sim, 'c'), []);
  // The path appears: the worker says it accepts the module now.
  sim.accepts('w1', 'mod-p');
  t.same(sim.inbox.get('w1')!.sort(), ['p-1', 'p-2'], 'the waiting tasks go to it');
  t.match(warnings(sim, 'c').at(-1), { active: false, about: 'mod-p', text: /no longer wait for a worker that accepts it: a worker accepts it/ });
  sim.drain();
  t.equal(sim.state.tasks.get('p-2')!.state, 'memory');

  // Another module whose refusal never lifts: failed at the bound, saying it waited.
  sim.submit('c', [of('mod-q', 'q-1')]);
  sim.refuse('w1', 'q-1', 'package mod-q is not installed where the worker runs', true);
  t.same(erred(sim, 'c'), []);
  sim.tick(sim.now + 9_000);
  t.same(erred(sim, 'c'), [], 'not before the bound');
  sim.tick(sim.now + 1_500);
  t.match(erred(sim, 'c'), [{ task: 'q-1', key: 'q-1', kind: 'not-allowed', message: 'no connected worker accepts module mod-q (waited 10.5 s for a refusal to lift): worker w1: package mod-q is not installed where the worker runs' }]);
});

t.test('a worker that joins while tasks wait takes them; refusals leave with their worker', async (t) => {
  const sim = new Sim({ refusalWaitMs: 60_000, heartbeatTtlMs: 1e9 });
  sim.addClient('c');
  sim.addWorker('w1');
  sim.submit('c', [of('mod-p', 'p-1')]);
  sim.refuse('w1', 'p-1', 'not there yet', true);
  sim.addWorker('w2');
  t.same(sim.inbox.get('w2'), ['p-1'], 'the new worker has refused nothing: it gets the task');
  sim.finish('w2', 'p-1');
  // w1 leaves and registers again (a new record): its refusal went with it.
  sim.removeWorker('w1', 'restarted', true);
  sim.removeWorker('w2', 'left', true);
  sim.addWorker('w1');
  t.equal(sim.state.workers.get('w1')!.refusals, null);
  sim.submit('c', [of('mod-p', 'p-2')]);
  // p-1's result was lost with w2 and the client lacks it: computed again, on w1 too.
  t.same(sim.inbox.get('w1')!.sort(), ['p-1', 'p-2'], 'w1 is sent the module again');
  t.same(erred(sim, 'c'), []);
});

t.test('a worker leaving may leave only refusers: its tasks then fail with the reasons', async (t) => {
  const sim = new Sim({ heartbeatTtlMs: 1e9 });
  sim.addClient('c');
  sim.addWorker('w1');
  sim.addWorker('w2');
  sim.submit('c', [of('mod-b', 'b-1'), of('mod-b', 'b-2')]);
  for (const k of [...sim.inbox.get('w1')!]) sim.refuse('w1', k, 'not listed');
  t.same(erred(sim, 'c'), []);
  sim.removeWorker('w2', 'killed');
  t.same(erred(sim, 'c').map((e) => e.key).sort(), ['b-1', 'b-2']);
  t.match(erred(sim, 'c')[0], { kind: 'not-allowed', message: 'no connected worker accepts module mod-b: worker w1: not listed' });
});

t.test('a refusal of a task it was not given, or naming another module, changes nothing', async (t) => {
  const sim = new Sim();
  sim.addClient('c');
  sim.addWorker('w1');
  sim.submit('c', [of('mod-a', 'a-1')]);
  sim.apply(sim.state.taskRefused('w1', { key: 'a-1', module: 'something-else', reason: 'x', mayLift: false }, 0));
  sim.apply(sim.state.taskRefused('w1', { key: 'nope', module: 'mod-a', reason: 'x', mayLift: false }, 0));
  sim.apply(sim.state.moduleAccepted('w1', 'mod-z', 0));
  t.equal(sim.state.workers.get('w1')!.refusals, null);
  t.same(sim.inbox.get('w1'), ['a-1']);
  t.same(ops(sim.log, 'warning'), []);
});

t.test('the only free thread on a worker refusing the module: the task goes to a busy holder of its inputs, not a busy worker holding none', async (t) => {
  const sim = new Sim();
  sim.addClient('c');
  for (const w of ['w1', 'w2', 'w3']) sim.addWorker(w, 1);
  sim.submit('c', [of('mod-b', 'b-0')]);
  sim.refuse('w1', 'b-0');
  sim.finish(sim.inbox.get('w2')!.includes('b-0') ? 'w2' : 'w3', 'b-0');
  sim.submit('c', [task('data-1'), task('data-2'), task('data-3')]);
  t.same([sim.inbox.get('w1'), sim.inbox.get('w2'), sim.inbox.get('w3')], [['data-1'], ['data-2'], ['data-3']]);
  for (const [w, k] of [['w1', 'data-1'], ['w2', 'data-2'], ['w3', 'data-3']] as const) sim.finish(w, k, { nbytes: 1e6 });
  sim.submit('c', [task('long-1'), task('long-2'), task('long-3')]);
  sim.finish('w1', 'long-1');
  t.same([sim.inbox.get('w1'), sim.inbox.get('w2'), sim.inbox.get('w3')], [[], ['long-2'], ['long-3']], 'w1, which refuses mod-b, has the only free thread');
  const placed = computed(sim.submit('c', [of('mod-b', 'use-3', ['data-3'])]));
  t.same(placed, { w3: ['use-3'] }, 'its input is on w3: it waits there, not on w2 (as busy, holding none of it, only registered earlier)');
  t.same(computed(sim.submit('c', [of('mod-b', 'free-b')])), { w2: ['free-b'] }, 'without inputs, the least occupied that accepts it');
  t.same(computed(sim.submit('c', [of('mod-a', 'free-a', ['data-3'])])), { w1: ['free-a'] }, 'a module w1 accepts takes its free thread, as before');
});
