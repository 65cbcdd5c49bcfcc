/**
 * The scheduler's state machine fed what an authenticated but hostile worker or client may send:
 * messages that fit their schemas but carry huge values or name things that do not exist. Each
 * case checks that what reaches the other clients, the log and the event log stays bounded.
 * (What does not fit a schema is refused at the connection: client/test/hostile-frames.test.ts.)
 */
import t from 'tap';
import { Sim, task } from './sim.js';

t.test('a worker reporting a megabyte key as unreachable: the warning every client gets names it cut short', async (t) => {
  const sim = new Sim();
  sim.addClient('c1');
  sim.addClient('c2');
  sim.addWorker('w1', 1, undefined, { address: 'ws://10.0.0.11:40001' });
  sim.addWorker('evil', 1, undefined, { address: 'ws://10.0.0.66:40066' });
  sim.submit('c1', [task('in-1')]);
  const huge = `k${'x'.repeat(1 << 20)}`;
  sim.apply(sim.state.missingData('evil', huge, 'ws://10.0.0.11:40001', undefined, 5));
  for (const c of ['c1', 'c2']) {
    const warnings = sim.clientMsgs.get(c)!.filter((m) => m.op === 'warning');
    t.equal(warnings.length, 1, `${c}: told once`);
    const text = String(warnings[0]!.text);
    t.ok(text.length < 1000, `${c}: the text is ${text.length} characters`);
    t.match(text, /could not fetch kxxxx+… \(1048577 characters\) from worker w1/, `${c}: the key's start and its length`);
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
