import t from 'tap';
import { fileURLToPath } from 'node:url';
import { openRootFile } from '@gluon/rootio';

/** Real files whose metadata needed more than the common path (scikit-hep-testdata's uproot issues). */
const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/skhep/${name}`, import.meta.url));

t.test('a file without the StreamerInfo of its leaf classes (uproot issue 413) reads by the built-in descriptions', async (t) => {
  const f = await openRootFile(fixture('uproot-issue413.root'));
  t.teardown(() => f.close());
  const tree = await f.tree('mytree');
  t.same(tree.branches.map((b) => `${b.name}:${b.typeName}`), ['I32:int32', 'F64:double', 'Str:string', 'ArrF64:double[5]', 'N:int32', 'SliF64:double[N]']);
  const c = await tree.arrays(['I32', 'F64', 'ArrF64', 'N', 'SliF64']);
  const i = [0, 1, 2, 3, 4];
  t.same(Array.from(c.I32 as Int32Array), i);
  t.same(Array.from(c.F64 as Float64Array), i);
  t.same(Array.from((c.ArrF64 as { values: Float64Array }).values), i.flatMap((k) => [k, k + 1, k + 2, k + 3, k + 4]));
  const sli = c.SliF64 as { offsets: Int32Array; values: Float64Array };
  t.same(Array.from(sli.offsets), [0, 0, 1, 3, 6, 10], 'N elements per entry');
  t.same(Array.from(sli.values), i.flatMap((k) => Array.from({ length: k }, (_, j) => k + j)));
});

t.test('packed Double32_t/Float16_t members in the metadata (TLeafD32, TLeafF16) are read to their size', async (t) => {
  const f = await openRootFile(fixture('uproot-double32-float16.root'));
  t.teardown(() => f.close());
  const tree = await f.tree('tree');
  t.ok(tree.numEntries > 0, `${tree.numEntries} entries`);
  const leafs = tree.branches.map((b) => b.typeName);
  t.ok(leafs.includes('Double32_t') && leafs.includes('Float16_t'), 'its packed-float branches are listed (read: units/packed-leaves.ts)');
});

t.test('two branches of one name are both listed; the first is read (uproot issue 443)', async (t) => {
  const f = await openRootFile(fixture('uproot-issue443.root'));
  t.teardown(() => f.close());
  const tree = await f.tree('muonDataTree');
  t.equal(tree.branches.length, 97);
  t.equal(tree.branches.filter((b) => b.name === 'hitEnd').length, 2);
  const c = await tree.arrays(['hitEnd']);
  t.equal((c.hitEnd as Int32Array).length, tree.numEntries);
});
