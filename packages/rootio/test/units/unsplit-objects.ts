import t from 'tap';
import { fileURLToPath } from 'node:url';
import { openRootFile, UnsupportedBranchTypeError, type Jagged, type Nested } from '@gluon/rootio';
import { jsrootValues, normalise, perEntry } from '../helpers.js';

/**
 * Branches that hold a whole object of a class in each entry (not split: no sub-branches), whose
 * members are listed and read as branches of their own, named as ROOT names them when split.
 * Files from scikit-hep-testdata (BSD-3-Clause, see fixtures/skhep/LICENSE): uproot-issue371.root,
 * BDSIM's output, whose Event tree holds 1,147 unsplit samplers (BDSOutputROOTEventSampler<float>:
 * TObject, a std::string, ints, floats, vectors of float, int and bool); uproot-issue-589.root,
 * an RDataFrame Snapshot of ROOT::VecOps::RVec<float> and RVec<int> branches. Both were listed
 * unsupported (`type code -1 member of …`), found by scripts/rootio-conformance.ts.
 */
const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/skhep/${name}`, import.meta.url));

t.test("an unsplit object's members are listed by path and read as jsroot reads the objects", async (t) => {
  const path = fixture('uproot-issue371.root');
  const f = await openRootFile(path);
  t.teardown(() => f.close());
  const tree = await f.tree('Event');
  const top = tree.branch('DRIFT_0.');
  t.equal(top.kind, 'unsupported', 'the object branch itself reads nothing');
  t.match(top.typeName, /^BDSOutputROOTEventSampler<float> \(unsplit object: read its members: DRIFT_0\.\/DRIFT_0\.fUniqueID, /);
  await t.rejects(tree.arrays(['DRIFT_0.']), UnsupportedBranchTypeError);
  const members = tree.branches.filter((b) => b.name.startsWith('DRIFT_0./'));
  t.same(members.map((b) => `${b.name.slice('DRIFT_0./DRIFT_0.'.length)} ${b.kind} ${b.typeName}`).slice(0, 8), [
    'fUniqueID scalar uint32', 'fBits scalar uint32', 'samplerName string string', 'n scalar int32',
    'energy vector vector<float>', 'x vector vector<float>', 'y vector vector<float>', 'z scalar float',
  ], 'each member as ROOT names it split (TObject\'s members first, as its base)');
  t.equal(members.length, 32);
  t.ok(members.every((b) => b.kind !== 'unsupported'), 'every member is numbers, a string or a vector of numbers');
  t.same(tree.branch('DRIFT_0./DRIFT_0.isIon').typeName, 'vector<bool>');

  // Every member of a few samplers, every entry, against jsroot's objects.
  for (const sampler of ['DRIFT_0.', 'PRXSE01A.', 'DRIFT_1.']) {
    const theirs = (await jsrootValues(path, 'Event', [sampler]))[sampler] as Array<Record<string, unknown>>;
    t.equal(theirs.length, tree.numEntries);
    const names = tree.branches.filter((b) => b.name.startsWith(`${sampler}/`)).map((b) => b.name);
    const cols = await tree.arrays(names);
    let nonEmpty = 0;
    for (const n of names) {
      const field = n.slice(`${sampler}/${sampler}`.length);
      const mine = perEntry(cols[n]!, tree.numEntries).map(normalise);
      const ref = theirs.map((o) => normalise(ArrayBuffer.isView(o[field]) ? Array.from(o[field] as unknown as ArrayLike<unknown>) : o[field]));
      t.same(mine, ref, `${n}: every entry equals jsroot's`);
      if ('offsets' in (cols[n] as object)) nonEmpty += (cols[n] as Jagged).values.length;
    }
    t.ok(nonEmpty > 0, `${sampler}: its vectors hold values (not a comparison of empty lists)`);
  }
  const both = await tree.arrays(['DRIFT_0.energy', 'DRIFT_0./DRIFT_0.n']);
  t.same(perEntry(both['DRIFT_0.energy']!, tree.numEntries), perEntry((await tree.arrays(['DRIFT_0./DRIFT_0.energy']))['DRIFT_0./DRIFT_0.energy']!, tree.numEntries),
    'a member can be asked for by its own name');
});

t.test("an entry range reads that slice of an unsplit object's members", async (t) => {
  const f = await openRootFile(fixture('uproot-issue371.root'));
  t.teardown(() => f.close());
  const tree = await f.tree('Event');
  const names = ['DRIFT_0./DRIFT_0.energy', 'DRIFT_0./DRIFT_0.samplerName', 'DRIFT_0./DRIFT_0.S', 'DRIFT_0./DRIFT_0.isIon'];
  const whole = await tree.arrays(names);
  const n = tree.numEntries;
  for (const [a, z] of [[1, n - 1], [n - 1, n], [3, 3]] as const) {
    const part = await tree.arrays(names, { entryStart: a, entryStop: z });
    for (const name of names) t.same(perEntry(part[name]!, z - a), perEntry(whole[name]!, n).slice(a, z), `${name} [${a}, ${z})`);
  }
});

t.test('ROOT::VecOps::RVec<T> branches read as std::vector<T> (as uproot reads them)', async (t) => {
  const path = fixture('uproot-issue-589.root');
  const f = await openRootFile(path);
  t.teardown(() => f.close());
  const tree = await f.tree('events');
  t.same([tree.branch('MC_px').kind, tree.branch('MC_px').typeName], ['vector', 'vector<float>']);
  const px = (await tree.arrays(['MC_px'], { entryStop: 2 })).MC_px as Jagged<Float32Array>;
  // uproot's own test of this file (test_0589_explicitly_interpret_RVec_type.py).
  t.equal(px.values[px.offsets[0]! + 7], 30.399463653564453);
  t.equal(px.values[px.offsets[1]! + 11], 42.04872131347656);
  const rvecs = tree.branches.filter((b) => /^(MC|RP)_/.test(b.name));
  t.equal(rvecs.length, 29);
  t.ok(rvecs.every((b) => b.kind === 'vector'), 'every RVec branch is a vector');
  // jsroot cannot read RVec ("failed to create streamer"): the file's own structure is the check.
  // Every MC_ branch of an entry holds one value per generated particle, MC_index numbering them.
  const cols = await tree.arrays(rvecs.map((b) => b.name));
  const index = cols.MC_index as Jagged<Int32Array>;
  for (let e = 0; e < tree.numEntries; e++) {
    const row = Array.from(index.values.subarray(index.offsets[e]!, index.offsets[e + 1]!));
    if (row.some((v, i) => v !== i)) t.fail(`entry ${e}: MC_index is ${row.slice(0, 5).join(',')}…, not 0, 1, 2, …`);
  }
  for (const prefix of ['MC_', 'RP_']) {
    const group = rvecs.filter((b) => b.name.startsWith(prefix)).map((b) => cols[b.name] as Jagged);
    t.ok(group.every((c) => c.offsets.every((o, e) => o === group[0]!.offsets[e])), `every ${prefix} branch has the same number of values in each entry`);
  }
  t.equal(index.offsets[tree.numEntries], index.values.length);
});

t.test('unsplit ATLAS objects: base classes identified by checksum, object members, maps of containers written object-wise, as jsroot reads them', async (t) => {
  // uproot-issue-210.root (an ATLAS xAOD file, BSD-3-Clause): each HLT_xAOD__JetContainer_…Aux.
  // branch holds an unsplit xAOD::JetTrigAuxContainer_v2, whose base ByteStreamAuxContainer_v1
  // (version 0 bases, each followed by its checksum) holds map<string, vector<int>> and
  // map<string, vector<vector<float>>> written object-wise: each pair a key and a container
  // with no header of its own. Such maps were refused ('a map of containers written
  // object-wise … is not read') even when empty.
  const path = fixture('uproot-issue-210.root');
  const f = await openRootFile(path);
  t.teardown(() => f.close());
  const tree = await f.tree('CollectionTree');
  const top = 'HLT_xAOD__JetContainer_GSCJetAux.';
  const members = tree.branches.filter((b) => b.name.startsWith(`${top}/`));
  // (Fields of its containers of ElementLinks, `….constituentLinks.m_persKey`, are units/object-fields's.)
  t.same(members.filter((b) => b.name.includes('.m_') && !/ of each /.test(b.typeName)).map((b) => `${b.name.slice(2 * top.length + 1)} ${b.kind} ${b.typeName}`), [
    'm_int nested map<string,vector<int32>>', 'm_float nested map<string,vector<float>>',
    'm_vecInt nested map<string,vector<vector<int32>>>', 'm_vecFloat nested map<string,vector<vector<float>>>', 'm_tick scalar uint64',
  ], "the base class's members, as the class's own");
  t.match(tree.branch(`${top}/${top}constituentLinks`), { kind: 'unsupported', typeName: /^vector<vector<ElementLink<DataVector<xAOD::IParticle> > > > \(container of objects: read its members: \S+constituentLinks\.m_persKey, \S+constituentLinks\.m_persIndex\)$/ });
  await t.rejects(tree.arrays([`${top}/${top}constituentLinks`]), { name: 'UnsupportedBranchTypeError' });
  const theirs = (await jsrootValues(path, 'CollectionTree', [top]))[top] as Array<Record<string, unknown>>;
  const plain = (x: unknown): unknown => (ArrayBuffer.isView(x) ? Array.from(x as unknown as ArrayLike<unknown>) : Array.isArray(x) ? x.map(plain) : x);
  // jsroot gives a map as a list of {first, second}.
  const pairs = (c: Nested, n: number): unknown[] => {
    const m = c as { offsets: Int32Array; keys: string[]; values: Nested };
    const values = perEntry(m.values as never, m.offsets[n]!);
    return Array.from({ length: n }, (_, e) => Array.from({ length: m.offsets[e + 1]! - m.offsets[e]! }, (_, k) => [m.keys[m.offsets[e]! + k], values[m.offsets[e]! + k]]));
  };
  for (const m of ['m_int', 'm_float', 'm_vecInt', 'm_vecFloat']) {
    const name = `${top}/${top}${m}`;
    const mine = pairs((await tree.arrays([name]))[name] as Nested, tree.numEntries);
    const ref = theirs.map((o) => (o[m] as Array<{ first: string; second: unknown }>).map((p) => [p.first, plain(p.second)]));
    t.same(mine, ref, `${name}: every pair of every entry equals jsroot's`);
  }
  const kept = (await tree.arrays([`${top}/${top}m_vecFloat`]))[`${top}/${top}m_vecFloat`] as { offsets: Int32Array; keys: string[] };
  t.ok(kept.keys.includes('EnergyPerSampling'), 'the maps hold pairs (not a comparison of empty maps)');
  const pt = (await tree.arrays([`${top}/${top}pt`]))[`${top}/${top}pt`] as Jagged<Float32Array>;
  t.same(perEntry(pt, tree.numEntries), theirs.map((o) => plain(o.pt)), 'a vector<float> member after them');
});
