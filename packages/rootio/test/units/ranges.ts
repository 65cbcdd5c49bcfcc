import t from 'tap';
import { join } from 'node:path';
import { openFile } from 'jsroot';
import { openRootFile, type Column } from '@gluon/rootio';
import { NO_DATA, perEntry, sharedData } from '../helpers.js';

/**
 * Entry ranges read only the baskets that overlap them, and iterating in steps gives the same
 * values as one read. The 6.20 sample file has several baskets per branch (e.g. `Ab`: 10).
 */
const data = sharedData();
if (!data) {
  t.skip;
} else {
  const path = join(data, 'root-testfiles', 'uproot-sample-6.20.04-zlib.root');
  const names = ['n', 'b', 'ab', 'Ab', 'i4', 'Ai4', 'u8', 'Af8', 'str'];

  /** Baskets per branch that live in the file (not embedded), as [entryStart, entryStop). */
  async function fileBaskets(): Promise<Record<string, Array<[number, number]>>> {
    const f = await openFile(path);
    const tree = await f.readObject('sample');
    const out: Record<string, Array<[number, number]>> = {};
    for (const b of tree.fBranches.arr as Array<{ fName: string; fWriteBasket: number; fBasketEntry: number[] }>) {
      out[b.fName] = Array.from({ length: b.fWriteBasket }, (_, k) => [Number(b.fBasketEntry[k]), Number(b.fBasketEntry[k + 1])] as [number, number]);
    }
    return out;
  }

  const slice = (c: Column, n: number, a: number, z: number) => JSON.stringify(perEntry(c, n).slice(a, z), (_k, v) => (typeof v === 'bigint' ? String(v) : v));

  t.test('a range reads exactly the baskets that overlap it', async (t) => {
    const baskets = await fileBaskets();
    const f = await openRootFile(path);
    t.teardown(() => f.close());
    const full = await (await f.tree('sample')).arrays(names);
    const ranges: Array<[number, number]> = [[0, 1], [10, 13], [14, 21], [27, 30], [5, 25], [29, 30], [12, 12]];
    for (const [a, z] of ranges) {
      const tree = await f.tree('sample'); // fresh reader: no basket cached from an earlier range
      const cols = await tree.arrays(names, { entryStart: a, entryStop: z });
      const expected = names.reduce((acc, n) => acc + baskets[n]!.filter(([s, e]) => s < z && e > a).length, 0);
      t.equal(tree.basketReads, expected, `[${a}, ${z}) reads ${expected} baskets`);
      for (const n of names) t.equal(slice(cols[n]!, z - a, 0, z - a), slice(full[n]!, 30, a, z), `${n} [${a}, ${z}) equals the same slice of a full read`);
    }
  });

  t.test('iterating in steps equals one read, for several step sizes', async (t) => {
    const f = await openRootFile(path);
    t.teardown(() => f.close());
    const tree = await f.tree('sample');
    const full = await tree.arrays(names);
    for (const step of [1, 4, 7, 30, 1000]) {
      const seen: Record<string, unknown[]> = Object.fromEntries(names.map((n) => [n, []]));
      let next = 0;
      for await (const batch of tree.iterate(names, { step })) {
        t.equal(batch.entryStart, next, `step ${step}: batches are contiguous`);
        next = batch.entryStop;
        for (const n of names) seen[n]!.push(...perEntry(batch.columns[n]!, batch.entryStop - batch.entryStart));
      }
      t.equal(next, tree.numEntries, `step ${step}: covers every entry`);
      for (const n of names) {
        t.equal(JSON.stringify(seen[n], (_k, v) => (typeof v === 'bigint' ? String(v) : v)), slice(full[n]!, 30, 0, 30), `step ${step}: ${n}`);
      }
    }
  });

  t.test('jagged columns have offsets[0] = 0 and n+1 offsets, also mid-basket', async (t) => {
    const f = await openRootFile(path);
    t.teardown(() => f.close());
    const tree = await f.tree('sample');
    const c = (await tree.arrays(['Af8'], { entryStart: 11, entryStop: 17 })).Af8 as { offsets: Int32Array; values: Float64Array };
    t.equal(c.offsets.length, 7);
    t.equal(c.offsets[0], 0);
    t.equal(c.offsets[6], c.values.length);
  });

  t.test('bad entry ranges are refused clearly', async (t) => {
    const f = await openRootFile(path);
    t.teardown(() => f.close());
    const tree = await f.tree('sample');
    // Each names the tree and its file, the bound, the value and the valid range (it said
    // "invalid entry range [-1, undefined)").
    const where = `tree "sample" in ${path}`.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const startRange = 'must be an integer \\(negative counts from the end, as in uproot; its 30 entries are \\[0, 30\\)\\)';
    await t.rejects(tree.arrays(['n'], { entryStart: 1.5 }), { name: 'RangeError', message: new RegExp(`^${where}: entryStart ${startRange}, got 1\\.5$`) });
    await t.rejects(tree.arrays(['n'], { entryStart: '3' as never }), { name: 'RangeError', message: new RegExp(`^${where}: entryStart ${startRange}, got "3"$`) });
    await t.rejects(tree.arrays(['n'], { entryStop: Number.NaN }), { name: 'RangeError', message: new RegExp(`^${where}: entryStop ${startRange}, got NaN$`) });
    // iterate() checks the same range.
    const it = tree.iterate(['n'], { entryStart: null as never, step: 10 });
    await t.rejects(it.next(), { name: 'RangeError', message: new RegExp(`^${where}: entryStart ${startRange}, got null$`) });
    const past = await tree.arrays(['n'], { entryStart: 0, entryStop: 1000 });
    t.equal((past.n as Int32Array).length, 30, 'entryStop past the end is clipped to the tree');
  });

  t.test('a range past the end is clipped to the tree like uproot, as a start past it was not', async (t) => {
    const f = await openRootFile(path);
    t.teardown(() => f.close());
    const tree = await f.tree('sample');
    const full = await tree.arrays(['n', 'Af8']);
    // entryStart 100 threw a RangeError while entryStart 0 with the same entryStop 500 read 30.
    for (const range of [{ entryStart: 100, entryStop: 500 }, { entryStart: 31 }, { entryStart: 30, entryStop: 30 }]) {
      const c = await tree.arrays(['n', 'Af8'], range);
      const af8 = c.Af8 as { offsets: Int32Array; values: Float64Array };
      t.equal((c.n as Int32Array).length, 0, `${JSON.stringify(range)}: no entries`);
      t.same([Array.from(af8.offsets), af8.values.length], [[0], 0], `${JSON.stringify(range)}: an empty jagged column`);
    }
    const tail = await tree.arrays(['n'], { entryStart: 25, entryStop: 500 });
    t.same(Array.from(tail.n as Int32Array), Array.from((full.n as Int32Array).subarray(25)), 'a range over the end reads up to it');
    const batches = [];
    for await (const b of tree.iterate(['n'], { entryStart: 100, step: 10 })) batches.push(b);
    t.equal(batches.length, 0, 'iterate() from past the end yields nothing');
  });

  t.test('negative bounds count from the end and a stop below the start reads nothing, as in uproot', async (t) => {
    // uproot's _regularize_entries_start_stop: start += n if negative, stop likewise, both clipped
    // to [0, n], then stop = start if stop < start. Both used to be RangeErrors here.
    const f = await openRootFile(path);
    t.teardown(() => f.close());
    const tree = await f.tree('sample');
    const all = Array.from((await tree.arrays(['n'])).n as Int32Array);
    const read = async (r: { entryStart?: number; entryStop?: number }) => Array.from((await tree.arrays(['n'], r)).n as Int32Array);
    const cases: [{ entryStart?: number; entryStop?: number }, number[]][] = [
      [{ entryStart: 5, entryStop: 2 }, []],
      [{ entryStart: 30, entryStop: 0 }, []],
      [{ entryStart: -10 }, all.slice(-10)],
      [{ entryStart: -10, entryStop: -5 }, all.slice(20, 25)],
      [{ entryStop: -1 }, all.slice(0, 29)],
      [{ entryStart: -100 }, all],
      [{ entryStart: -100, entryStop: -50 }, []],
      [{ entryStart: 25, entryStop: -10 }, []],
    ];
    for (const [r, want] of cases) t.same(await read(r), want, JSON.stringify(r));
    const jagged = (await tree.arrays(['Af8'], { entryStart: 5, entryStop: 2 })).Af8 as { offsets: Int32Array; values: Float64Array };
    t.same([Array.from(jagged.offsets), jagged.values.length], [[0], 0], 'an empty jagged column');
    const batches = [];
    for await (const b of tree.iterate(['n'], { entryStart: -7, step: 5 })) batches.push([b.entryStart, b.entryStop]);
    t.same(batches, [[23, 28], [28, 30]], 'iterate() from 7 before the end');
    t.same(await (async () => { const out = []; for await (const b of tree.iterate(['n'], { entryStart: 9, entryStop: 3 })) out.push(b); return out; })(), [], 'iterate() of a reversed range yields nothing');
  });
}
