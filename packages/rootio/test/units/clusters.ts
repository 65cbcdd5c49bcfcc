import t from 'tap';
import { join } from 'node:path';
import { openFile } from 'jsroot';
import { openRootFile } from '@gluon/rootio';
import { NO_DATA, sharedData } from '../helpers.js';

/** Cluster boundaries are the entries where every branch starts a basket, plus 0 and the end. */
const data = sharedData();
if (!data) {
  t.skip;
} else {
  t.test('boundaries of a tree whose branches have different basket layouts', async (t) => {
    const path = join(data, 'root-testfiles', 'uproot-sample-6.20.04-zlib.root');
    const jt = await (await openFile(path)).readObject('sample');
    type B = { fWriteBasket: number; fBasketEntry: number[] };
    const perBranch = (jt.fBranches.arr as B[]).map((b) => new Set(Array.from({ length: b.fWriteBasket }, (_, k) => Number(b.fBasketEntry[k]))));
    const expected = [...perBranch[0]!].filter((e) => perBranch.every((s) => s.has(e)) && e > 0).sort((a, b) => a - b);
    const f = await openRootFile(path);
    t.teardown(() => f.close());
    const tree = await f.tree('sample');
    const got = tree.clusterBoundaries();
    t.same(got, [0, ...expected, tree.numEntries]);
    // Reading cluster by cluster touches each basket once.
    const names = tree.branches.filter((b) => b.kind !== 'unsupported').map((b) => b.name);
    tree.basketReads = 0;
    for (let i = 0; i + 1 < got.length; i++) await tree.arrays(names, { entryStart: got[i], entryStop: got[i + 1] });
    const total = (jt.fBranches.arr as Array<B & { fName: string }>).filter((b) => names.includes(b.fName)).reduce((a, b) => a + b.fWriteBasket, 0);
    t.equal(tree.basketReads, total, 'every basket read exactly once');
  });

  t.test('a tree with one (embedded) basket per branch is one cluster', async (t) => {
    const f = await openRootFile(join(data, 'atlas-opendata-13tev-2020-4lep', 'Data', 'data_B.4lep.root'));
    t.teardown(() => f.close());
    t.same((await f.tree('mini')).clusterBoundaries(), [0, 156]);
  });

  t.test('an empty tree has the single boundary 0', async (t) => {
    const f = await openRootFile(join(data, 'root-testfiles', 'uproot-empty.root'));
    t.teardown(() => f.close());
    t.same((await f.tree('tree')).clusterBoundaries(), [0]);
  });
}
