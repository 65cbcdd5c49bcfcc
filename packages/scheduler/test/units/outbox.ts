import t from 'tap';
import { encodeFrame, MAX_KEY_LENGTH } from '@gluon/protocol';
import { Outbox } from '../../src/outbox.js';
import { Sim, task } from '../sim.js';

t.test('free-keys to one worker become one message, in decision order with what else it is sent', async (t) => {
  const o = new Outbox();
  o.free('w1', 'a');
  o.free('w1', 'b');
  o.send({ worker: 'w1' }, { op: 'free-keys', keys: ['c', 'd'] });
  o.free('w2', 'x');
  o.free('w1', 'e');
  o.send({ worker: 'w1' }, { op: 'compute-task', key: 'k' });
  o.free('w1', 'f');
  o.send({ client: 'c1' }, { op: 'key-in-memory', key: 'k' });
  o.free('w1', 'g');
  t.same(o.take(), [
    { to: { worker: 'w1' }, msg: { op: 'free-keys', keys: ['a', 'b', 'c', 'd', 'e'] } },
    { to: { worker: 'w2' }, msg: { op: 'free-keys', keys: ['x'] } },
    { to: { worker: 'w1' }, msg: { op: 'compute-task', key: 'k' } },
    { to: { worker: 'w1' }, msg: { op: 'free-keys', keys: ['f', 'g'] } },
    { to: { client: 'c1' }, msg: { op: 'key-in-memory', key: 'k' } },
  ], 'a message to a client does not close a worker\'s run; one to that worker does');
  t.same(o.take(), [], 'emptied');
  o.free('w1', 'h');
  t.same(o.take(), [{ to: { worker: 'w1' }, msg: { op: 'free-keys', keys: ['h'] } }], 'no run stays open across takes');
});

t.test('a run of free-keys is split so that each message stays under the smallest message limit', async (t) => {
  // The open run had no bound: a client leaving with 400,000 results held freed them in one
  // 8.0 MiB message, which a scheduler at --max-message-bytes 8MiB refused to send, and the
  // worker kept every result. The smallest limit a side may set is 64 KiB.
  const o = new Outbox();
  // The worst keys: the longest allowed (4,096 characters), each character 3 bytes in UTF-8.
  const long = (i: number) => `${'€'.repeat(MAX_KEY_LENGTH - 8)}${String(i).padStart(8, '0')}`;
  const keys = Array.from({ length: 200 }, (_, i) => long(i));
  for (const k of keys.slice(0, 100)) o.free('w1', k);
  o.send({ worker: 'w1' }, { op: 'free-keys', keys: keys.slice(100) });
  const msgs = o.take();
  t.ok(msgs.length > 1, `split: ${msgs.length} messages`);
  t.ok(msgs.every((m) => 'worker' in m.to && m.to.worker === 'w1'), 'all to w1');
  const largest = Math.max(...msgs.map((m) => encodeFrame([m.msg]).length));
  t.ok(largest <= 64 * 1024, `the largest is ${largest} bytes, at most 64 KiB`);
  t.same(msgs.flatMap((m) => m.msg.keys as string[]), keys, 'every key, in order, once');
  // Short keys: a run of thousands still takes few messages, each under the limit.
  for (let i = 0; i < 20_000; i++) o.free('w2', `inc-${i.toString(16).padStart(16, '0')}`);
  const short = o.take();
  t.ok(short.length >= 2 && short.length <= 40, `20,000 short keys in ${short.length} messages`);
  t.ok(short.every((m) => encodeFrame([m.msg]).length <= 64 * 1024), 'each under 64 KiB');
  t.equal(short.reduce((n, m) => n + (m.msg.keys as string[]).length, 0), 20_000);
});

t.test('a client leaving with 20,000 results held: its workers are told to free them in messages under the smallest limit', async (t) => {
  // One free-keys per worker had no bound: the message a scheduler at --max-message-bytes 64KiB
  // built for these 20,000 keys (over 500 KiB) was refused at sending, and the worker kept them.
  const sim = new Sim();
  sim.addClient('c');
  sim.addWorker('w1');
  const keys = Array.from({ length: 20_000 }, (_, i) => `inc-${i.toString(16).padStart(16, '0')}`);
  sim.submit('c', keys.map((k) => task(k)));
  for (const k of keys) sim.finish('w1', k);
  const cmds = sim.apply(sim.state.clientDisconnected('c', sim.now));
  const frees = cmds.filter((c) => c.msg.op === 'free-keys');
  t.same(new Set(frees.flatMap((c) => c.msg.keys as string[])), new Set(keys), 'every key freed');
  t.ok(frees.every((c) => encodeFrame([c.msg]).length <= 64 * 1024), `${frees.length} message(s), each at most 64 KiB`);
  t.equal(sim.state.workers.get('w1')!.storedBytes, 0);
});
