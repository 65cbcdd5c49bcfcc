import t from 'tap';
import { fileURLToPath } from 'node:url';
import { openRootFile, UnsupportedBranchTypeError } from '@gluon/rootio';

/**
 * Split objects (scikit-hep-testdata's uproot-small-evnt-tree-fullsplit.root: one `Event`
 * branch split into members, a nested P3 split further). Every sub-branch is listed by its path;
 * the numeric members read as columns (values as uproot's own tests give them: I16..F64 = i,
 * P3.Px = P3.Pz = i - 1, P3.Py = i, N = i % 10, ArrayX[10] = ten times i, Str = evt-00i); what is not read is
 * refused with UnsupportedBranchTypeError naming the member's type.
 */
const path = fileURLToPath(new URL('../fixtures/skhep/uproot-small-evnt-tree-fullsplit.root', import.meta.url));

t.test('split members are listed and read', async (t) => {
  const f = await openRootFile(path);
  t.teardown(() => f.close());
  const tree = await f.tree('tree');
  const names = tree.branches.map((b) => b.name);
  t.equal(names.length, 43, 'every branch at every depth (1 + 8 numbers + 3 in P3 + 8 arrays + 8 slices + 9 vectors + P3, N, Beg, Str, End, StdStr)');
  t.ok(names.includes('evt/P3.Px') && names.includes('evt/SliceF64') && names.includes('evt/StlVecStr'), 'named by path');
  const i = Array.from({ length: 100 }, (_, k) => k);
  const scalars = ['I16', 'I32', 'I64', 'U16', 'U32', 'U64', 'F32', 'F64'].map((m) => `evt/${m}`);
  const cols = await tree.arrays([...scalars, 'evt/P3.Px', 'evt/P3.Py', 'evt/P3.Pz', 'evt/N', 'evt/ArrayF64[10]', 'evt/ArrayU16[10]']);
  for (const n of scalars) t.same(Array.from(cols[n] as ArrayLike<number | bigint>, Number), i, n);
  t.same(Array.from(cols['evt/P3.Px'] as Int32Array), i.map((k) => k - 1));
  t.same(Array.from(cols['evt/P3.Py'] as Float64Array), i);
  t.same(Array.from(cols['evt/P3.Pz'] as Int32Array), i.map((k) => k - 1));
  t.same(Array.from(cols['evt/N'] as Int32Array), i.map((k) => k % 10));
  for (const n of ['evt/ArrayF64[10]', 'evt/ArrayU16[10]']) {
    const c = cols[n] as { values: ArrayLike<number>; innerShape: number[] };
    t.same(c.innerShape, [10], `${n} shape`);
    t.same(Array.from(c.values), i.flatMap((k) => Array(10).fill(k)), n);
  }
  const byOwnName = await tree.arrays(['I32']);
  t.same(Array.from(byOwnName.I32 as Int32Array), i, 'an unambiguous member can be asked for by its own name');
  const strings = await tree.arrays(['evt/Beg', 'evt/Str', 'evt/End']);
  const pad = (k: number) => String(k).padStart(3, '0');
  t.same(strings['evt/Str'], i.map((k) => `evt-${pad(k)}`), 'TString members');
  t.same(strings['evt/Beg'], i.map((k) => `beg-${pad(k)}`));
  t.same(strings['evt/End'], i.map((k) => `end-${pad(k)}`));
  await t.rejects(tree.arrays(['evt']), { message: /Event \(split: read its sub-branches\)/ });
});

t.test('members that point to arrays, STL containers and std::string read as uproot reads them', async (t) => {
  // Entry i of every Slice and StlVec member holds i % 10 copies of i; StdStr is std-00i and
  // StlVecStr i % 10 copies of vec-00i (uproot's own tests of this file).
  const f = await openRootFile(path);
  t.teardown(() => f.close());
  const tree = await f.tree('tree');
  const i = Array.from({ length: 100 }, (_, k) => k);
  const want = i.flatMap((k) => Array(k % 10).fill(k));
  const wantOffsets = [0];
  for (const k of i) wantOffsets.push(wantOffsets.at(-1)! + (k % 10));
  const types = ['I16', 'I32', 'I64', 'U16', 'U32', 'U64', 'F32', 'F64'];
  t.equal(tree.branch('evt/SliceI32').typeName, 'int32[evt/N]', 'a slice is counted by the member its title names');
  t.equal(tree.branch('evt/StlVecF32').typeName, 'vector<float>', 'an STL member is typed from the StreamerInfo');
  const names = [...types.map((m) => `evt/Slice${m}`), ...types.map((m) => `evt/StlVec${m}`), 'evt/StlVecStr', 'evt/StdStr'];
  const cols = await tree.arrays(names);
  for (const m of types) {
    for (const n of [`evt/Slice${m}`, `evt/StlVec${m}`]) {
      const c = cols[n] as { offsets: Int32Array; values: ArrayLike<number | bigint> };
      t.same(Array.from(c.offsets), wantOffsets, `${n} offsets`);
      t.same(Array.from(c.values, Number), want, `${n} values`);
    }
  }
  const strs = cols['evt/StlVecStr'] as { offsets: Int32Array; values: string[] };
  t.same(Array.from(strs.offsets), wantOffsets, 'evt/StlVecStr offsets');
  t.same(strs.values, want.map((k) => `vec-${String(k).padStart(3, '0')}`), 'evt/StlVecStr values');
  t.same(cols['evt/StdStr'], i.map((k) => `std-${String(k).padStart(3, '0')}`), 'evt/StdStr');
  await t.rejects(tree.arrays(['evt']), UnsupportedBranchTypeError);
});

t.test('a split TClonesArray (uproot-issue213.root): its branch reads the counts, its members read counted by it', async (t) => {
  const f = await openRootFile(fileURLToPath(new URL('../fixtures/skhep/uproot-issue213.root', import.meta.url)));
  t.teardown(() => f.close());
  const tree = await f.tree('T');
  t.same(tree.branch('eventPack/fMCHits.fEneDep').counter, 'eventPack/fMCHits', 'members are counted by the TClonesArray branch');
  const c = await tree.arrays(['eventPack/fMCHits', 'eventPack/fMCHits.fEneDep', 'eventPack/fMCHits.fScinID']);
  const counts = Array.from(c['eventPack/fMCHits'] as Int32Array);
  const e = c['eventPack/fMCHits.fEneDep'] as { offsets: Int32Array; values: Float32Array };
  t.equal(counts.length, tree.numEntries);
  t.ok(counts.some((n) => n > 0), 'some events have hits');
  t.same(Array.from(e.offsets.subarray(1), (o, i) => o - e.offsets[i]!), counts, 'each member holds as many values as the count says');
  t.ok(Array.from(e.values).every((x) => x > 0 && Number.isFinite(x)), 'energy deposits are positive');
  t.same((c['eventPack/fMCHits.fScinID'] as { offsets: Int32Array }).offsets, e.offsets, 'members share their offsets');
});
