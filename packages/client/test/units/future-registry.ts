/**
 * The client's watch over its futures for the garbage collector (future-registry.ts): a future
 * collected unreleased is reported, a released one is not, and a registry that took many futures
 * is replaced once none is left registered with it (V8 never shrinks its table of tokens).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import t from 'tap';
import { FRESH_REGISTRY_AFTER, FutureRegistry } from '../../src/future-registry.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

t.test('a registry is replaced once every future it took is gone, not while one is left', async (t) => {
  const reg = new FutureRegistry<number>(() => {});
  const objs = Array.from({ length: FRESH_REGISTRY_AFTER + 10 }, () => ({}));
  objs.forEach((o, i) => reg.register(o, i));
  t.equal(reg.size, objs.length);
  for (const o of objs.slice(1)) reg.unregister(o);
  t.equal(reg.made, 1, 'one future still registered: the same registry');
  reg.unregister(objs[0]!);
  t.equal(reg.size, 0);
  t.equal(reg.made, 2, 'none left: a fresh one');
  reg.unregister(objs[0]!);
  t.equal(reg.size, 0, 'unregistering again changes nothing');
  // A few futures at a time (sequential round trips) never make it a new one each time.
  const few = Array.from({ length: 10 }, () => ({}));
  for (const o of few) reg.register(o, 0);
  for (const o of few) reg.unregister(o);
  t.equal(reg.made, 2, 'a registry that took few is kept');
});

t.test('futures collected unreleased are reported, with the registry replaced and after', async (t) => {
  const seen: number[] = [];
  let wake: (() => void) | undefined;
  const reg = new FutureRegistry<number>((held) => {
    seen.push(held);
    wake?.();
  });
  const collect = async (want: number): Promise<void> => {
    // Waits on the callbacks themselves; each round a collection and a turn for them to run.
    for (let round = 0; round < 100 && seen.length < want; round++) {
      gc();
      await new Promise<void>((r) => {
        wake = r;
        setImmediate(r);
      });
    }
  };
  (() => {
    const objs = Array.from({ length: FRESH_REGISTRY_AFTER + 1 }, () => ({}));
    objs.forEach((o, i) => reg.register(o, i));
    for (const o of objs.slice(0, FRESH_REGISTRY_AFTER - 1)) reg.unregister(o);
  })(); // two left registered, then unreachable
  await collect(2);
  t.same(seen.sort((a, b) => a - b), [FRESH_REGISTRY_AFTER - 1, FRESH_REGISTRY_AFTER], 'only the unreleased ones are reported');
  t.equal(reg.size, 0);
  t.equal(reg.made, 2, 'the last collected: a fresh registry');
  (() => reg.register({}, 7))();
  await collect(3);
  t.same(seen.at(-1), 7, 'the fresh registry reports too');
  t.equal(reg.size, 0);
});
