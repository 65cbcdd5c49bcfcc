import t from 'tap';
import { Outbox } from '../src/outbox.js';

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
