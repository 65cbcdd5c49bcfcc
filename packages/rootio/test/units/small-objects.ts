import t from 'tap';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openRootFile, UnsupportedBranchTypeError, type Fixed, type Jagged } from '@gluon/rootio';
import { jsrootValues, normalise, perEntry, sharedData } from '../helpers.js';

/**
 * Small objects of a fixed layout and leaf lists whose entries vary, from scikit-hep-testdata
 * (BSD-3-Clause, see fixtures/skhep/LICENSE): unsplit TVector2/TVector3 branches
 * (uproot-HZZ-objects.root), an unsplit TDatime (uproot-issue-407.root), a leaf list with
 * counted leaves (uproot-issue-400.root) and a TLeafObject of a user class (uproot-issue-607.root).
 */
const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/skhep/${name}`, import.meta.url));

t.test('unsplit TVector2 and TVector3 branches read as fixed arrays of their doubles, as uproot reads them', async (t) => {
  const f = await openRootFile(fixture('uproot-HZZ-objects.root'));
  t.teardown(() => f.close());
  const tree = await f.tree('events');
  const vectors = { MET: 2, MC_bquarkhadronic: 3, MC_bquarkleptonic: 3, MC_wdecayb: 3, MC_wdecaybbar: 3, MC_lepton: 3, MC_neutrino: 3 };
  for (const [name, k] of Object.entries(vectors)) {
    const b = tree.branches.find((x) => x.name === name)!;
    t.match(b, { kind: 'fixed-array', element: 'double', inner: k, typeName: `TVector${k} (double[${k}]: ${['fX', 'fY', 'fZ'].slice(0, k).join(', ')})` }, `${name} is listed as a fixed array`);
  }
  const cols = await tree.arrays(Object.keys(vectors));
  const met = cols.MET as Fixed;
  t.same(met.innerShape, [2]);
  t.equal(met.values.length, 2 * 2421);
  // uproot's own tests of this file (test_TVector2, test_0610's forth reading).
  t.same([met.values[0], met.values[1]], [5.912771224975586, 2.5636332035064697], 'MET[0] (fX, fY)');
  t.equal(met.values[2 * 4 + 1], -1.3100523948669434, 'MET[4].fY');
  t.equal(met.values[2 * 1200], 1.9457910060882568, 'MET[1200].fX');
  // An entry range inside a basket reads the same slice.
  const part = (await tree.arrays(['MC_lepton'], { entryStart: 1000, entryStop: 1300 })).MC_lepton as Fixed;
  t.same(part.values, (cols.MC_lepton as Fixed).values.subarray(3000, 3900), 'MC_lepton [1000, 1300) is the slice of the whole');

  // The same events as flat float branches (uproot-HZZ.root, in the shared data): each vector's
  // doubles, cut to float, are those floats.
  const data = sharedData();
  if (!data) return;
  const flat = await openRootFile(join(data, 'root-testfiles', 'uproot-HZZ.root'));
  t.teardown(() => flat.close());
  const ft = await flat.tree('events');
  const same: Record<string, string> = { MET: 'MET', MC_bquarkhadronic: 'MChadronicBottom', MC_bquarkleptonic: 'MCleptonicBottom', MC_wdecayb: 'MChadronicWDecayQuark',
    MC_wdecaybbar: 'MChadronicWDecayQuarkBar', MC_lepton: 'MClepton', MC_neutrino: 'MCneutrino' };
  for (const [name, k] of Object.entries(vectors)) {
    const parts = ['px', 'py', 'pz'].slice(0, k).map((c) => `${same[name]}_${c}`);
    const fc = await ft.arrays(parts);
    const v = (cols[name] as Fixed).values as Float64Array;
    const differs = parts.flatMap((p, c) => Array.from(fc[p] as Float32Array, (x, e) => (Math.fround(v[e * k + c]!) === x ? [] : [`${p}[${e}]`])).flat());
    t.same(differs, [], `${name}: every component is uproot-HZZ.root's ${parts.join(', ')}`);
  }
});

t.test('an unsplit TDatime branch reads as its packed uint32, as uproot reads it', async (t) => {
  const f = await openRootFile(fixture('uproot-issue-407.root'));
  t.teardown(() => f.close());
  const tree = await f.tree('tree');
  t.match(tree.branches.find((b) => b.name === 'branch'), { kind: 'scalar', element: 'uint32', typeName: 'TDatime (uint32)' });
  const d = (await tree.arrays(['branch'])).branch as Uint32Array;
  t.same([...d], [1749155840, 1749155840], 'fDatime of both entries (uproot test_40)');
  // TDatime's packing: (year − 1995) << 26 | month << 22 | day << 17 | hour << 12 | minute << 6 | second.
  const x = d[0]!;
  t.same([(x >>> 26) + 1995, (x >>> 22) & 15, (x >>> 17) & 31, (x >>> 12) & 31, (x >>> 6) & 63, x & 63], [2021, 1, 1, 0, 0, 0], 'd.Set(2021, 1, 1, 0, 0, 0) of the macro');
});

t.test('a leaf list with counted leaves (n/I:px[n]/F:q/F) reads every leaf, the counted ones as counted arrays', async (t) => {
  const path = fixture('uproot-issue-400.root');
  const f = await openRootFile(path);
  t.teardown(() => f.close());
  const tree = await f.tree('orange');
  t.same(tree.branches.map((b) => `${b.name} ${b.kind} ${b.typeName}`), [
    'orange unsupported leaf list (read its leaves: orange.Evtake_iwant, orange.Mc_x, orange.Mc_y, orange.Trk_ntracks, orange.Trk_px, orange.Trk_py, orange.Mc_q2)',
    'orange.Evtake_iwant scalar int32', 'orange.Mc_x scalar float', 'orange.Mc_y scalar float', 'orange.Trk_ntracks scalar int32',
    'orange.Trk_px counted-array float[orange.Trk_ntracks]', 'orange.Trk_py counted-array float[orange.Trk_ntracks]', 'orange.Mc_q2 scalar float',
  ]);
  const names = tree.branches.slice(1).map((b) => b.name);
  const cols = await tree.arrays(names);
  const n = tree.numEntries;
  t.equal(n, 100);
  // The file's values follow one rule per leaf (every entry's bytes are also checked against the
  // basket's offset table as it is walked).
  t.same([...(cols['orange.Evtake_iwant'] as Int32Array)], Array.from({ length: n }, (_, e) => e));
  t.same([...(cols['orange.Mc_x'] as Float32Array)], Array.from({ length: n }, (_, e) => e + 5));
  t.same([...(cols['orange.Trk_ntracks'] as Int32Array)], Array.from({ length: n }, (_, e) => e + 10));
  for (const leaf of ['orange.Trk_px', 'orange.Trk_py']) {
    t.same(perEntry(cols[leaf]!, n), Array.from({ length: n }, (_, e) => Array.from({ length: e + 10 }, (_, i) => Math.fround(10 + i / 10))), `${leaf}: entry e holds 10 + e tracks, 10.0, 10.1, …`);
  }
  t.same([...(cols['orange.Mc_q2'] as Float32Array)], new Array(n).fill(10), 'Mc_q2, after the counted leaves');
  // jsroot reads the leaves before the first counted one (it takes the list as fixed: past it, it misreads).
  const js = (await jsrootValues(path, 'orange', ['orange'])).orange as Array<Record<string, unknown>>;
  for (const leaf of ['Evtake_iwant', 'Mc_x', 'Mc_y', 'Trk_ntracks']) {
    t.same(perEntry(cols[`orange.${leaf}`]!, n).map(normalise), js.map((e) => normalise(e[leaf])), `orange.${leaf} as jsroot reads it`);
  }
  // Any entry range is the slice of the whole.
  for (const [a, b] of [[0, 1], [37, 38], [50, 100], [99, 100]] as const) {
    const part = await tree.arrays(names, { entryStart: a, entryStop: b });
    t.same(perEntry(part['orange.Trk_px']!, b - a), perEntry(cols['orange.Trk_px']!, n).slice(a, b), `Trk_px [${a}, ${b})`);
    t.same([...(part['orange.Mc_q2'] as Float32Array)], [...(cols['orange.Mc_q2'] as Float32Array).slice(a, b)], `Mc_q2 [${a}, ${b})`);
    t.equal((part['orange.Trk_px'] as Jagged).offsets[0], 0);
  }
});

t.test('a TLeafObject of a user class stays unsupported, naming the class', async (t) => {
  const f = await openRootFile(fixture('uproot-issue-607.root'));
  t.teardown(() => f.close());
  const tree = await f.tree('MGTree');
  t.match(tree.branches, [{ name: 'event', kind: 'unsupported', typeName: 'TLeafObject of MGTEvent' }]);
  await t.rejects(tree.arrays(['event']), new UnsupportedBranchTypeError('TLeafObject of MGTEvent', 'event'));
});
