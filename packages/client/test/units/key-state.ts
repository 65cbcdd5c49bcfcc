/**
 * What a key's state keeps once its awaits are over: it lives until the client's next major
 * collection finds its futures (thousands of states in sequential round trips), and every
 * scavenge until then copies what it keeps. Worker lists are shared (one frozen array per worker
 * for the results it alone holds), and the set of awaited futures goes once empty (one awaited
 * future is kept as itself: a Set and its table per round trip were garbage).
 */
import t from 'tap';
import { KeyState, WorkerLists } from '../../src/future.js';

t.test('one shared, frozen list per worker for the results it alone holds', async (t) => {
  const lists = new WorkerLists();
  const a = lists.of(['ws://w1']);
  t.equal(lists.of(['ws://w1']), a, 'the same array for the same worker');
  t.not(lists.of(['ws://w2']), a, 'another for another worker');
  t.ok(Object.isFrozen(a), 'frozen: a state\'s list is replaced, never changed');
  t.equal(lists.of([]), lists.of([]), 'one empty list');
  const two = ['ws://w1', 'ws://w2'];
  t.equal(lists.of(two), two, 'a list of several is kept as it came');
});

t.test('the shared lists are bounded: past 1,024 workers they start again, and still answer right', async (t) => {
  const lists = new WorkerLists();
  const first = lists.of(['ws://w0']);
  for (let i = 1; i <= 1024; i++) lists.of([`ws://w${i}`]);
  const again = lists.of(['ws://w0']);
  t.same(again, ['ws://w0']);
  t.not(again, first, 'made again after the cache started over');
});

t.test('a state drops its set of awaited futures once the last wait is over', async (t) => {
  const s = new KeyState('k');
  const f = {}, g = {};
  s.pin(f);
  s.pin(g);
  s.unpin(f);
  t.ok((s as unknown as { pins?: Set<object> }).pins?.has(g), 'still pinned while one wait goes on');
  s.unpin(g);
  t.equal((s as unknown as { pins?: Set<object> }).pins, undefined, 'nothing kept once none waits');
});

t.test('one awaited future is kept as itself, without a set; several in a set', async (t) => {
  const s = new KeyState('k');
  const f = {}, g = {};
  s.pin(f);
  t.equal((s as unknown as { pins?: unknown }).pins, f, 'one wait: the future itself');
  s.pin(f);
  t.equal((s as unknown as { pins?: unknown }).pins, f, 'the same future again: still itself');
  s.unpin(g);
  t.equal((s as unknown as { pins?: unknown }).pins, f, 'unpinning another leaves it');
  s.unpin(f);
  t.equal((s as unknown as { pins?: unknown }).pins, undefined, 'nothing kept once none waits');
  s.pin(f);
  s.pin(g);
  t.ok((s as unknown as { pins?: unknown }).pins instanceof Set, 'two waits: a set');
});
