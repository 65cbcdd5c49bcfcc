import t, { type Test } from 'tap';
import { fileURLToPath } from 'node:url';
import { openRootFile, UnsupportedBranchTypeError, type BranchInfo } from '@gluon/rootio';
import { jsrootValues, normalise, perEntry } from '../helpers.js';

/**
 * Containers of objects of a class of numbers, ATLAS's `vector<ElementLink<…>>` and
 * `vector<vector<ElementLink<…>>>` (each ElementLink its persistent key and index, m_persKey and
 * m_persIndex, uint32 each): each field read as a branch of its own, one offsets array per
 * container level, compared entry by entry with jsroot's objects. Files from scikit-hep-testdata
 * (BSD-3-Clause, see fixtures/skhep/LICENSE): uproot-issue-210.root (a DAOD's CollectionTree:
 * unsplit `…AuxDyn.…Links` branches and unsplit xAOD objects' link members,
 * `…Aux./…Aux.constituentLinks`, written object-wise),
 * uproot-physlite-rntuple_v1-0-0-0.root (its MetaData tree: CutBookkeepers' `parentLink`, written
 * member-wise, and `childrenLinks`). All were listed unsupported (`STL container member of …`,
 * `… (unsplit collection of objects)`), found by scripts/rootio-conformance.ts. The same reading
 * takes BDSIM's `vector<TVector3>` and `vector<TRotation>` members (TObject and doubles; the
 * rotations written member-wise), against jsroot too, and classes with object members:
 * `vector<TLorentzVector>` (uproot-HZZ-objects.root, object-wise: each TLorentzVector's fP a
 * TVector3 behind its own header, fields `muonp4.fP.fX` as uproot's records nest them) and nEXO's
 * `vector<ROOT::Math::LorentzVector<ROOT::Math::PxPyPzE4D<float> > >` (uproot-issue475.root,
 * member-wise: the objects' fCoordinates one after another, each behind its own header). Both
 * were listed `(unsplit collection of objects)` / `STL container member of …` before.
 */
const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/skhep/${name}`, import.meta.url));

/** Our field branches of a tree (`….m_persKey`), grouped by the container branch they belong to. */
function fieldsByContainer(branches: BranchInfo[], cls = /ElementLink/): Map<string, BranchInfo[]> {
  const out = new Map<string, BranchInfo[]>();
  for (const b of branches) {
    const field = / \((\S+) of each (.*)\)$/.exec(b.typeName);
    if (!field || !cls.test(field[2]!) || b.kind !== 'nested') continue;
    const container = b.name.slice(0, b.name.length - field[1]!.length - 1);
    out.set(container, [...(out.get(container) ?? []), b]);
  }
  return out;
}

/** jsroot's value of one field in one entry's container of objects (nested as deep as the container). */
function field(v: unknown, name: string): unknown {
  return Array.isArray(v) ? v.map((x) => field(x, name)) : name.split('.').reduce<unknown>((x, f) => (x as Record<string, unknown>)[f], v);
}

async function compareAll(t: Test, file: string, treeName: string, atLeast: { containers: number; links: number; members: number },
                          cls = /ElementLink/, names: string[] | null = ['m_persKey', 'm_persIndex'], byObject = false) {
  const path = fixture(file);
  const f = await openRootFile(path);
  t.teardown(() => f.close());
  const tree = await f.tree(treeName);
  const groups = fieldsByContainer(tree.branches, cls);
  t.ok(groups.size >= atLeast.containers, `${groups.size} containers of ${cls.source} listed with their fields`);
  // jsroot names a split member by its own branch name (after the path's slash); a member of an
  // unsplit object is that member of jsroot's objects (`X./X.links` → `links` of `X.`). One pass for all.
  const top = (container: string) => (groups.get(container)![0]!.member ? container.slice(0, container.indexOf('/')) : container.slice(container.indexOf('/') + 1));
  const theirs = await jsrootValues(path, treeName, [...new Set([...groups.keys()].map(top))], byObject);
  const refOf = (container: string): unknown[] => {
    const values = theirs[top(container)]!;
    if (!groups.get(container)![0]!.member) return values;
    const t0 = top(container);
    const path = container.slice(t0.length + 1 + (t0.endsWith('.') ? t0.length : 0)).split('.');
    return values.map((o) => path.reduce<unknown>((x, f) => (x as Record<string, unknown>)[f], o));
  };
  const cols = await tree.arrays([...groups.values()].flat().map((b) => b.name));
  let links = 0;
  let members = 0;
  for (const [container, fields] of groups) {
    const fieldNames = names ?? fields.map((b) => b.name.slice(container.length + 1));
    const top = tree.branch(container);
    t.equal(top.kind, 'unsupported', `${container}: the container itself reads nothing`);
    t.equal(top.typeName.slice(top.typeName.indexOf(' (container of objects: ')), ` (container of objects: read its members: ${fieldNames.map((f) => `${container}.${f}`).join(', ')})`);
    await t.rejects(tree.arrays([container]), UnsupportedBranchTypeError);
    members += tree.branch(fields[0]!.name).member ? 1 : 0;
    t.same(fields.map((b) => b.name.slice(container.length + 1)), fieldNames, `${container}: its fields, named as uproot names them`);
    for (const b of fields) {
      const mine = perEntry(cols[b.name]!, tree.numEntries).map(normalise);
      const ref = refOf(container).map((v) => normalise(field(v, b.name.slice(container.length + 1))));
      t.same(mine, ref, `${b.name}: every entry equals jsroot's`);
    }
    links += JSON.stringify(perEntry(cols[fields.at(-1)!.name]!, tree.numEntries)).split(',').length;
  }
  t.ok(members >= atLeast.members, `${members} of them members of unsplit objects`);
  t.ok(links >= atLeast.links, `${links} values compared (not empty containers only)`);
}

t.test("vector<ElementLink> and vector<vector<ElementLink>> written object-wise read as jsroot reads them", async (t) => {
  await compareAll(t, 'uproot-issue-210.root', 'CollectionTree', { containers: 300, links: 1000, members: 200 });
});

t.test("ElementLinks written member-wise (a CutBookkeeper's parentLink) read as jsroot reads them", async (t) => {
  await compareAll(t, 'uproot-physlite-rntuple_v1-0-0-0.root', 'MetaData', { containers: 100, links: 500, members: 0 });
  const f = await openRootFile(fixture('uproot-physlite-rntuple_v1-0-0-0.root'));
  t.teardown(() => f.close());
  const tree = await f.tree('MetaData');
  const b = tree.branch('CutBookkeepersAux./CutBookkeepersAux.parentLink.m_persIndex');
  t.equal(b.typeName, 'vector<uint32> (m_persIndex of each ElementLink<xAOD::CutBookkeeperContainer_v1>)');
  const c = (await tree.arrays([b.name]))[b.name] as { offsets: Int32Array; values: Uint32Array };
  t.same([...c.offsets], [0, 4]);
  t.same([...c.values], [4294967295, 4294967295, 4294967295, 4294967295], 'links to nothing: an index of 2^32 - 1');
});

t.test("a split object's vector<TVector3> and vector<TRotation> members (BDSIM's Model) read as jsroot reads them", async (t) => {
  await compareAll(t, 'uproot-issue371.root', 'Model', { containers: 4, links: 4000, members: 0 }, /^TVector3$/, ['fUniqueID', 'fBits', 'fX', 'fY', 'fZ']);
  await compareAll(t, 'uproot-issue371.root', 'Model', { containers: 1, links: 1000, members: 0 }, /^TRotation$/, ['fUniqueID', 'fBits', 'fxx', 'fxy', 'fxz', 'fyx', 'fyy', 'fyz', 'fzx', 'fzy', 'fzz']);
});

t.test('an entry range reads that slice of the fields', async (t) => {
  const f = await openRootFile(fixture('uproot-issue-210.root'));
  t.teardown(() => f.close());
  const tree = await f.tree('CollectionTree');
  const name = [...fieldsByContainer(tree.branches).keys()].find((n) => /vector<vector<ElementLink/.test(tree.branch(n).typeName))!;
  const all = perEntry((await tree.arrays([`${name}.m_persKey`]))[`${name}.m_persKey`]!, tree.numEntries);
  const part = (await tree.arrays([`${name}.m_persKey`], { entryStart: 1, entryStop: 3 }))[`${name}.m_persKey`]!;
  t.same(perEntry(part, 2), all.slice(1, 3), 'a range reads that slice');
  t.same(tree.branch(`${name}.m_persKey`).kind, 'nested');
});

t.test('vector<TLorentzVector> (an object member: fP, a TVector3) written object-wise reads as jsroot reads it', async (t) => {
  await compareAll(t, 'uproot-HZZ-objects.root', 'events', { containers: 4, links: 2000, members: 0 }, /^TLorentzVector$/,
    ['fUniqueID', 'fBits', 'fP.fUniqueID', 'fP.fBits', 'fP.fX', 'fP.fY', 'fP.fZ', 'fE']);
  // uproot's own test of this file (test_0034_generic_objects_in_ttrees): the first muon of entry 0.
  const f = await openRootFile(fixture('uproot-HZZ-objects.root'));
  t.teardown(() => f.close());
  const tree = await f.tree('events');
  const names = ['muonp4.fE', 'muonp4.fP.fX', 'muonp4.fP.fY', 'muonp4.fP.fZ'];
  const cols = await tree.arrays(names, { entryStop: 1 });
  t.same(names.map((n) => (cols[n] as { values: Float64Array }).values[0]), [54.77949905395508, -52.89945602416992, -11.654671669006348, -8.16079330444336]);
});

t.test("nEXO's vector<LorentzVector<PxPyPzE4D<float>>> written member-wise (each object's fCoordinates whole, one after another) reads as jsroot reads it", async (t) => {
  await compareAll(t, 'uproot-issue475.root', 'Event/Elec/ElecEvent', { containers: 1, links: 1000, members: 0 }, /LorentzVector/,
    ['fCoordinates.fX', 'fCoordinates.fY', 'fCoordinates.fZ', 'fCoordinates.fT'], true);
});

t.test('vector<pair<TLorentzVector,int>> written member-wise (each pair a class of its own: first whole behind its header, then the ints) reads as jsroot reads it', async (t) => {
  // uproot-issue-643.root (scikit-hep-testdata): eight such branches of 25 entries, listed
  // `(unsplit collection of objects)` before, found by scripts/rootio-conformance.ts.
  await compareAll(t, 'uproot-issue-643.root', 'ntuple0/objects', { containers: 8, links: 5000, members: 0 }, /^pair<TLorentzVector,int>$/,
    ['first.fUniqueID', 'first.fBits', 'first.fP.fUniqueID', 'first.fP.fBits', 'first.fP.fX', 'first.fP.fY', 'first.fP.fZ', 'first.fE', 'second']);
  // uproot's own test of this file (test_0643_reading_vector_pair_TLorentzVector_int): pf's second pair of entry 1.
  const f = await openRootFile(fixture('uproot-issue-643.root'));
  t.teardown(() => f.close());
  const tree = await f.tree('ntuple0/objects');
  t.equal(tree.branch('pf.second').typeName, 'vector<int32> (second of each pair<TLorentzVector,int>)');
  const cols = await tree.arrays(['pf.first.fE', 'pf.second'], { entryStop: 2 });
  const at = (n: string) => { const c = cols[n] as { offsets: Int32Array; values: Float64Array | Int32Array }; return c.values[c.offsets[1]! + 1]; };
  t.equal(at('pf.first.fE'), 326.0029230449897);
  t.equal(at('pf.second'), 22);
});
