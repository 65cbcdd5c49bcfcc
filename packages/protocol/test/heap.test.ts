import t from 'tap';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Heap } from '@gluon/protocol';

/** A small deterministic generator so a failure reproduces. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

interface Item { p: number; seq: number; dead?: boolean }
const less = (a: Item, b: Item) => (a.p !== b.p ? a.p < b.p : a.seq < b.seq);

t.test('pops in comparator order under interleaved pushes and pops', async (t) => {
  const rand = lcg(7);
  const heap = new Heap<Item>(less);
  const model: Item[] = [];
  let seq = 0;
  for (let step = 0; step < 5000; step++) {
    if (rand() < 0.6 || model.length === 0) {
      const item = { p: Math.floor(rand() * 20), seq: seq++ };
      heap.push(item);
      model.push(item);
    } else {
      model.sort((a, b) => (less(a, b) ? -1 : 1));
      const want = model.shift();
      const got = heap.pop();
      if (got !== want) {
        t.fail(`step ${step}: popped ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
        return;
      }
    }
    if (heap.size !== model.length) {
      t.fail(`step ${step}: size ${heap.size}, expected ${model.length}`);
      return;
    }
  }
  model.sort((a, b) => (less(a, b) ? -1 : 1));
  const rest: Item[] = [];
  for (let item = heap.pop(); item; item = heap.pop()) rest.push(item);
  t.same(rest, model, 'draining gives the remaining items in order');
  t.equal(heap.pop(), undefined, 'an empty heap pops undefined');
  t.equal(heap.peek(), undefined);
});

t.test('peek shows the next pop; popWhere skips dead items lazily; clear empties', async (t) => {
  const heap = new Heap<Item>(less);
  const items = [5, 1, 4, 1, 3].map((p, seq): Item => ({ p, seq }));
  for (const i of items) heap.push(i);
  t.equal(heap.peek(), items[1], 'lowest priority, earliest arrival');
  items[1]!.dead = true;
  items[3]!.dead = true;
  t.equal(heap.popWhere((i) => !i.dead), items[4], 'both dead p=1 items are skipped');
  t.equal(heap.size, 2, 'and dropped');
  heap.clear();
  t.equal(heap.size, 0);
  t.equal(heap.popWhere(() => true), undefined);
});

t.test('a heap emptied after a million items does not keep their slots (optimised pop() never shrinks an array)', async (t) => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const heap = new Heap<Item>(less);
  gc();
  const used0 = process.memoryUsage().heapUsed;
  // Long enough a loop for TurboFan to optimise push and pop: the old heap kept ~10 MiB here.
  for (let i = 0; i < 1_000_000; i++) heap.push({ p: (i * 7919) % 1_000_003, seq: i });
  let last = -1;
  let ordered = true;
  while (heap.size > 0) {
    const p = heap.pop()!.p;
    if (p < last) ordered = false;
    last = p;
  }
  t.ok(ordered, 'popped in order while the array was made anew on the way down');
  gc();
  const kept = process.memoryUsage().heapUsed - used0;
  t.ok(kept < 2 * 2 ** 20, `heap kept by the emptied queue: ${(kept / 2 ** 20).toFixed(2)} MiB`);
  t.equal(heap.size, 0, 'empty (and alive until here, so what it keeps is counted)');
});
