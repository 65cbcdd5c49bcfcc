import t from 'tap';
import { fileURLToPath } from 'node:url';
import { openRootFile, type Jagged, type Nested } from '@gluon/rootio';
import { basketRefs, type BranchMeta } from '../../src/tree.js';
import { decode } from '../../src/decode.js';
import type { BranchInfo, JsBranch } from '../../src/branch.js';
import { jsrootValues, normalise, perEntry } from '../helpers.js';

/**
 * Shapes found by reading every branch of scikit-hep-testdata's ROOT files (208 of them) that
 * this reader read wrongly or called damaged; each file here is one of them (BSD-3-Clause, see
 * fixtures/skhep/LICENSE).
 */
const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/skhep/${name}`, import.meta.url));

t.test('a Geant4-written file (TList version 4 StreamerInfo) opens, and its tree agrees with its histogram', async (t) => {
  // Geant4's own writer (g4tools) writes TLists of version 4, whose elements are followed by an
  // option string too (with a one-byte length); the reader skipped it, lost its place and called
  // the StreamerInfo damaged ("class tag 545259520, which was never defined").
  const f = await openRootFile(fixture('uproot-issue-250.root'));
  t.teardown(() => f.close());
  const tree = await f.tree('B4');
  const eabs = (await tree.arrays(['Eabs'])).Eabs as Float64Array;
  const h = await f.histogram('Eabs');
  t.equal(eabs.length, 1000);
  t.equal(h.entries, 1000);
  // The example fills the histogram with the same values as the tree: bin them again.
  const filled = new Float64Array(h.nbins + 2);
  for (const x of eabs) filled[x < h.lo ? 0 : x >= h.hi ? h.nbins + 1 : 1 + Math.floor((x - h.lo) / ((h.hi - h.lo) / h.nbins))]! += 1;
  t.same([...filled], [...h.contents], 'the tree\'s Eabs binned as the TH1D is the TH1D');
});

t.test('a map written object-wise (not member-wise) is read: its pairs in order', async (t) => {
  const f = await openRootFile(fixture('uproot-issue243.root'));
  t.teardown(() => f.close());
  const tree = await f.tree('triggerList');
  const m = (await tree.arrays(['triggerMap'])).triggerMap as Nested & { offsets: Int32Array; keys: string[]; values: Float64Array };
  t.equal(m.offsets.length, tree.numEntries + 1);
  t.same(m.keys.slice(0, 2), ['HLT_2j35_bmv2c1070_split_2j35_bmv2c1085_split_L14J15.0ETA25', 'HLT_4j35_bmv2c1077_split_L14J15.0ETA25']);
  t.same([...m.values.slice(0, 2)], [1, 1]);
  t.equal(m.offsets[tree.numEntries], m.keys.length, 'every pair of every entry');
  t.ok(m.keys.every((k) => k.startsWith('HLT_')), 'every key is a trigger name (no misaligned reads)');
  t.equal(m.values.length, m.keys.length);
});

t.test('an empty member-wise map has no block headers', async (t) => {
  const f = await openRootFile(fixture('uproot-issue468.root'));
  t.teardown(() => f.close());
  const tree = await f.tree('Model');
  const m = (await tree.arrays(['Model./Model.collimatorIndicesByName']))['Model./Model.collimatorIndicesByName'] as { offsets: Int32Array; keys: string[] };
  t.same([...m.offsets], [0, 0]);
  t.same(m.keys, []);
});

t.test("TObject's fBits in a Delphes TClonesArray: 6 bytes for a referenced object, 4 otherwise", async (t) => {
  const f = await openRootFile(fixture('uproot-issue513.root'));
  t.teardown(() => f.close());
  const tree = await f.tree('Delphes');
  for (const coll of ['Particle', 'Track', 'EFlowPhoton', 'EFlowNeutralHadron']) {
    const cols = await tree.arrays([`${coll}.fBits`, `${coll}.fUniqueID`]);
    const bits = cols[`${coll}.fBits`] as Jagged;
    const ids = cols[`${coll}.fUniqueID`] as Jagged;
    t.same([...bits.offsets], [...ids.offsets], `${coll}.fBits: one value per ${coll} element, like fUniqueID`);
    const values = bits.values as Uint32Array;
    // kNotDeleted (0x02000000) is set on every object ROOT writes.
    t.ok(values.length > 0 && values.every((b) => (b & 0x02000000) !== 0), `${coll}.fBits: every value is a TObject's bits (${values.length})`);
  }
  const particles = (await tree.arrays(['Particle.fBits']))['Particle.fBits'] as Jagged;
  t.ok((particles.values as Uint32Array).some((b) => (b & 0x10) !== 0), 'referenced particles are there (their process id is skipped)');
});

t.test('baskets kept inside the TTree in place of written ones (zero bytes in the file) are read', async (t) => {
  // As in scikit-hep-testdata's uproot-issue60.root (an nllscan tree): fWriteBasket 2, every
  // fBasketBytes 0, and three baskets in the TTree's fBaskets. ROOT reads the in-memory baskets.
  const embedded = (nev: number) => ({ fKeylen: 0, fNevBuf: nev, fLast: 0, fBufferRef: null });
  const branch = {
    _typename: 'TBranch', fName: 'mu', fEntries: 11535, fEntryOffsetLen: 0, fLeaves: { arr: [] }, fBranches: { arr: [] },
    fWriteBasket: 2, fMaxBaskets: 10, fBasketBytes: new Array(10).fill(0), fBasketSeek: new Array(10).fill(0),
    fBasketEntry: [0, 3990, 7980, 0, 0, 0, 0, 0, 0, 0], fBaskets: { arr: [embedded(3990), embedded(3990), embedded(3555)] },
  } as unknown as JsBranch & BranchMeta;
  const refs = basketRefs('x.root', branch, 11535);
  t.same(refs.map((r) => [r.where, r.entryStart, r.entryStop]), [['embedded', 0, 3990], ['embedded', 3990, 7980], ['embedded', 7980, 11535]]);
});

t.test('a branch never filled in a filled tree says so', async (t) => {
  const info: BranchInfo = { name: 'evt/fTracks.fX', typeName: 'float[evt/fTracks]', kind: 'counted-array', element: 'float', inner: 1,
    counter: 'evt/fTracks', entryHeader: 0, packed: null, objectBits: false, leafOf: null, member: null, entries: 0 };
  t.throws(() => decode('x.root', info, [], 0, 98), /its baskets cover entries 0–0 of the 0–98 asked for \(it was never filled: it holds no entries\)/);
});

t.test('ALICE V0 trees: Double32_t members of a TClonesArray, and baskets kept in the TTree, read', async (t) => {
  // uproot-issue187.root: its baskets are in the TTree object (zero bytes in the file), and the
  // V0 collection's members are Double32_t packed as their comments say (`//[0.9,1.0,16]` …).
  const f = await openRootFile(fixture('uproot-issue187.root'));
  t.teardown(() => f.close());
  const tree = await f.tree('fTreeV0');
  const readable = tree.branches.filter((b) => b.kind !== 'unsupported').map((b) => b.name);
  const cols = await tree.arrays(readable);
  t.equal(Object.keys(cols).length, readable.length, `all ${readable.length} readable branches read`);
  const counts = cols.V0s as Int32Array;
  const expected = [0];
  for (const c of counts) expected.push(expected.at(-1)! + c);
  const onGrid = (name: string, low: number, high: number, nbits: number) => {
    const col = cols[name] as Jagged;
    t.same([...col.offsets], expected, `${name}: one value per V0 (the V0s counts)`);
    const factor = 2 ** nbits / (high - low);
    const values = col.values as Float64Array;
    t.ok(values.length > 3000 && values.every((x) => {
      const raw = (x - low) * factor;
      return x >= low && x <= high && Math.abs(raw - Math.round(raw)) < 1e-6;
    }), `${name}: every value on the ${nbits}-bit grid of [${low}, ${high}]`);
  };
  onGrid('V0s.fV0CosPA', 0.9, 1.0, 16);
  onGrid('V0s.fNsigmaPionPos', 0, 8, 4);
  onGrid('V0s.fEtaPos', -1, 1, 7);
  t.ok((cols['V0s.fV0CosPA'] as Jagged).values.every((x) => x > 0.95), 'cosines of pointing angle of selected V0s (the cut was 0.95)');
});

t.test('fixed-array members of a split TClonesArray (Delphes Jet.Tau[5], Tower Edges[4]) read as counted arrays of fixed arrays, as jsroot reads them', async (t) => {
  // They were `type code 25 member of Jet` (unsupported): a counted array whose items are
  // fixed arrays. Found by scripts/rootio-conformance.ts (29 such members in 4 public files).
  const path = fixture('uproot-issue513.root');
  const f = await openRootFile(path);
  t.teardown(() => f.close());
  const tree = await f.tree('Delphes');
  const names = ['Jet.Tau[5]', 'Jet.FracPt[5]', 'EFlowPhoton.Edges[4]', 'EFlowNeutralHadron.Edges[4]'];
  for (const n of names) t.equal(tree.branch(n).kind, 'counted-array', `${n} is listed as read (${tree.branch(n).typeName})`);
  t.equal(tree.branch('Jet.Tau[5]').typeName, 'float[Jet][5]');
  const cols = await tree.arrays([...names, 'Jet.PT', 'EFlowPhoton.ET']);
  const tau = cols['Jet.Tau[5]'] as Jagged;
  t.same(tau.innerShape, [5]);
  t.same([...tau.offsets], [...(cols['Jet.PT'] as Jagged).offsets], 'one row of 5 per jet, counted as Jet.PT is');
  t.equal(tau.values.length, 5 * tau.offsets[tree.numEntries]!);
  const edges = cols['EFlowPhoton.Edges[4]'] as Jagged;
  t.same([...edges.offsets], [...(cols['EFlowPhoton.ET'] as Jagged).offsets], 'one row of 4 per tower');
  const e = edges.values as Float32Array;
  let ordered = 0;
  for (let r = 0; r < e.length / 4; r++) if (e[4 * r]! < e[4 * r + 1]! && e[4 * r + 2]! < e[4 * r + 3]!) ordered++;
  t.equal(ordered, e.length / 4, `every tower's edges are (eta min, eta max, phi min, phi max): ${ordered} towers`);
  // jsroot gives each row as an object {0: …, 1: …}: compare row by row.
  const theirs = await jsrootValues(path, 'Delphes', names.map((n) => n.replace(/\[\d+\]$/, '')));
  for (const n of names) {
    const c = cols[n] as Jagged;
    const k = c.innerShape![0]!;
    const mine = Array.from({ length: tree.numEntries }, (_, i) =>
      Array.from({ length: c.offsets[i + 1]! - c.offsets[i]! }, (_, j) => Array.from(c.values.subarray((c.offsets[i]! + j) * k, (c.offsets[i]! + j + 1) * k) as Float32Array)));
    const ref = theirs[n.replace(/\[\d+\]$/, '')]!.map((rows) => (rows as Array<Record<string, number>>).map((row) => Array.from({ length: k }, (_, x) => row[x])));
    t.same(mine, ref, `${n}: every row of every entry equals jsroot's`);
  }
});

t.test('a leaf list (x/D:y/I:z/B) is read leaf by leaf, as branch.leaf, as jsroot reads it', async (t) => {
  // uproot-leaflist.root's `leaflist` (x/D:y/I:z/B) and uproot-issue501.root's `point`
  // (x[15][2]/F:y[15][2]/F): each entry is the leaves one after another. They were
  // `leaf list of 3 leaves` (unsupported); found by scripts/rootio-conformance.ts.
  for (const [file, treeName, branch, leaves] of [
    ['uproot-leaflist.root', 'tree', 'leaflist', ['x', 'y', 'z']],
    ['uproot-issue501.root', 'T', 'point', ['x', 'y']],
  ] as const) {
    const path = fixture(file);
    const f = await openRootFile(path);
    t.teardown(() => f.close());
    const tree = await f.tree(treeName);
    t.equal(tree.branch(branch).kind, 'unsupported', `${branch} itself reads nothing`);
    t.match(tree.branch(branch).typeName, /^leaf list \(read its leaves: /);
    await t.rejects(tree.arrays([branch]), { name: 'UnsupportedBranchTypeError', typeName: `leaf list (read its leaves: ${leaves.map((l) => `${branch}.${l}`).join(', ')})` });
    const names = leaves.map((l) => `${branch}.${l}`);
    const cols = await tree.arrays(names);
    const theirs = (await jsrootValues(path, treeName, [branch]))[branch]! as Array<Record<string, unknown>>;
    for (const [k, leaf] of leaves.entries()) {
      const mine = perEntry(cols[names[k]!]!, tree.numEntries).map(normalise);
      const ref = theirs.map((e) => {
        const v = e[leaf];
        return normalise(v !== null && typeof v === 'object' ? Object.values(v as Record<string, unknown>) : v);
      });
      t.same(mine, ref, `${names[k]} (${tree.branch(names[k]!).typeName}): every entry equals jsroot's`);
    }
  }
  const f = await openRootFile(fixture('uproot-leaflist.root'));
  t.teardown(() => f.close());
  const tree = await f.tree('tree');
  t.same(['leaflist.x', 'leaflist.y', 'leaflist.z'].map((n) => tree.branch(n).typeName), ['double', 'int32', 'int8']);
  // The values uproot's own test of this file expects.
  const c = await tree.arrays(['leaflist.x', 'leaflist.y', 'leaflist.z']);
  t.same([...(c['leaflist.x'] as Float64Array)], [1.1, 2.2, 3.3, 4, 5.5]);
  t.same([...(c['leaflist.y'] as Int32Array)], [1, 2, 3, 4, 5]);
  t.same([...(c['leaflist.z'] as Int8Array)], [97, 98, 99, 100, 101], "'a' … 'e'");
});

t.test('STL members of a split collection (KM3NeT Trk.rec_stages, vector<int> per track) read as one more offsets level, as uproot reads them', async (t) => {
  // uproot-issue390.root: Evt/trks is a split std::vector<Trk>; each Trk's vector<int>
  // rec_stages, vector<double> fitinf, std::string comment … are one branch each, whose entry is
  // one header and then each track's container with no header of its own. They were `STL
  // container member of Trk` (unsupported).
  const f = await openRootFile(fixture('uproot-issue390.root'));
  t.teardown(() => f.close());
  const tree = await f.tree('E');
  t.same(['rec_stages', 'fitinf', 'hit_ids', 'error_matrix', 'comment'].map((m) => `${tree.branch(`Evt/trks.${m}`).kind} ${tree.branch(`Evt/trks.${m}`).typeName}`), [
    'nested vector<int32>[Evt/trks]', 'nested vector<double>[Evt/trks]', 'nested vector<int32>[Evt/trks]', 'nested vector<double>[Evt/trks]', 'nested string[Evt/trks]',
  ]);
  const cols = await tree.arrays(['Evt/trks', 'Evt/trks.rec_stages', 'Evt/trks.fitinf', 'Evt/trks.comment']);
  const n = tree.numEntries;
  const stages = cols['Evt/trks.rec_stages'] as { offsets: Int32Array; values: Jagged<Int32Array> };
  const tracks = cols['Evt/trks'] as Int32Array;
  t.same(Array.from(stages.offsets.subarray(1), (o, e) => o - stages.offsets[e]!), Array.from(tracks), 'one container per track of each entry');
  const lists = (e: number) => Array.from({ length: stages.offsets[e + 1]! - stages.offsets[e]! }, (_, k) => {
    const j = stages.offsets[e]! + k;
    return Array.from(stages.values.values.subarray(stages.values.offsets[j]!, stages.values.offsets[j + 1]!));
  });
  // uproot's own test of this file (test_0637_setup_tests_for_AwkwardForth.py, test_24).
  t.equal(lists(0)[1]!.at(-1), 5);
  t.same(lists(1), [[1, 3, 5, 4], [1, 3, 5], ...Array(17).fill([1, 3]), ...Array(36).fill([1])]);
  const fitinf = cols['Evt/trks.fitinf'] as { offsets: Int32Array; values: Jagged<Float64Array> };
  t.same(fitinf.offsets, stages.offsets, 'every member has one container per track');
  t.ok(fitinf.values.values.length > 0);
  t.equal((cols['Evt/trks.comment'] as { values: string[] }).values.length, stages.offsets[n]);
  const part = (await tree.arrays(['Evt/trks.rec_stages'], { entryStart: 1, entryStop: 2 }))['Evt/trks.rec_stages'] as typeof stages;
  t.same(Array.from(part.offsets), [0, tracks[1]!], 'an entry range reads that slice');
  t.equal(part.values.offsets[tracks[1]!], stages.values.offsets[stages.offsets[2]!]! - stages.values.offsets[stages.offsets[1]!]!);
});

/**
 * The values uproot's own test suite (scikit-hep/uproot5 tests/, read at 5388b857) asserts for
 * these fixtures, asked of this reader by the same names: branch and field names, lengths, first
 * and last values, sums, strings, histogram bins and edges. uproot's test each comes from is named.
 */
const column = async (file: string, tree: string, names: string[], range: { entryStart?: number; entryStop?: number } = {}, rntuple = false) => {
  const f = await openRootFile(fixture(file));
  try {
    const tr = rntuple ? await f.rntuple(tree) : await f.tree(tree);
    const cols = await tr.arrays(names, range);
    // The range as uproot (and this reader) take it: negative from the end, clipped to the entries.
    const at = (e: number) => Math.min(Math.max(e < 0 ? e + tr.numEntries : e, 0), tr.numEntries);
    const n = Math.max(0, at(range.entryStop ?? tr.numEntries) - at(range.entryStart ?? 0));
    return Object.fromEntries(names.map((name) => [name, perEntry(cols[name]!, n).map(normalise)])) as Record<string, unknown[]>;
  } finally {
    await f.close();
  }
};

t.test("uproot's values: a go-hep file's TLeafC strings (no entry-offset table), test_gohep_output_file", async (t) => {
  // Every entry read as the basket's first string ("evt-0" five times): without an offset table
  // each entry was read from byte 0.
  const c = await column('uproot-issue413.root', 'mytree', ['I32', 'F64', 'Str', 'ArrF64', 'N', 'SliF64']);
  t.same(c.Str, ['evt-0', 'evt-1', 'evt-2', 'evt-3', 'evt-4']);
  t.same(c.I32, [0, 1, 2, 3, 4]);
  t.same(c.F64, [0, 1, 2, 3, 4]);
  t.same(c.ArrF64, [[0, 1, 2, 3, 4], [1, 2, 3, 4, 5], [2, 3, 4, 5, 6], [3, 4, 5, 6, 7], [4, 5, 6, 7, 8]]);
  t.same(c.N, [0, 1, 2, 3, 4]);
  t.same(c.SliF64, [[], [1], [2, 3], [3, 4, 5], [4, 5, 6, 7]]);
  const part = await column('uproot-issue413.root', 'mytree', ['Str'], { entryStart: 2, entryStop: 4 });
  t.same(part.Str, ['evt-2', 'evt-3'], 'an entry range inside the basket');
});

t.test("uproot's values: branches named by uproot's paths (evt/P3/P3.Px), test_0118 and test_0023's formulas", async (t) => {
  // They were "no branch named evt/P3/P3.Py": the path repeats the parent P3, which this
  // reader's own name (evt/P3.Py) leaves out.
  const f = await openRootFile(fixture('uproot-small-evnt-tree-fullsplit.root'));
  t.teardown(() => f.close());
  const tree = await f.tree('tree');
  const c = await tree.arrays(['evt/P3/P3.Py', 'evt/P3/P3.Px', 'P3.Px']);
  t.same(Object.keys(c), ['evt/P3/P3.Py', 'evt/P3/P3.Px', 'P3.Px'], 'keyed by the names asked for');
  t.same(Array.from(c['evt/P3/P3.Py'] as Float64Array, (y) => y - 50), Array.from({ length: 100 }, (_, i) => i - 50), 'P3.Py - 50 is range(-50, 50)');
  t.same(c['evt/P3/P3.Px'], c['P3.Px']);
  await t.rejects(tree.arrays(['/P3.Px']), { name: 'RootFormatError' }, 'uproot refuses /P3.Px too');
  await t.rejects(tree.arrays(['wonky']), { name: 'RootFormatError', message: /no branch named wonky/ });
  const km3 = await openRootFile(fixture('uproot-issue390.root'));
  t.teardown(() => km3.close());
  const e = await km3.tree('E');
  const hits = await e.arrays(['Evt/hits/hits.tot', 'Evt/trks/trks.rec_stages'], { entryStop: 1 });
  t.same(Object.keys(hits), ['Evt/hits/hits.tot', 'Evt/trks/trks.rec_stages'], 'E/Evt/hits/hits.tot as uproot names it (test_21)');
});

t.test("uproot's values: objects read from a directory (test_0407's TFoo, test_1160's std::string)", async (t) => {
  // Both were called damaged: TDatime and std::string write no version header of their own.
  const f = await openRootFile(fixture('uproot-issue-407.root'));
  t.teardown(() => f.close());
  // 2021-01-01 00:00:00 as ROOT packs it: (2021 - 1995) << 26 | 1 << 22 | 1 << 17.
  for (const name of ['foo', 'foo_padded']) t.same((await f.object(name)).d, { _typename: 'TDatime', fDatime: (26 << 26 | 1 << 22 | 1 << 17) >>> 0 }, `${name}.d`);
  const s = await openRootFile(fixture('string-example.root'));
  t.teardown(() => s.close());
  const record = await s.object('FileSummaryRecord');
  t.same(JSON.parse(record.fString as string), {
    'LumiCounter.eventsByRun': { counts: {}, empty: true, type: 'LumiEventCounter' },
    guid: '5FE9437E-D958-11EE-AB88-3CECEF1070AC',
  });
});

t.test("uproot's values: TTime objects a file does not describe (CAEN CoMPASS's RealTime and LiveTime), test_1183_ttime_custom", async (t) => {
  // The file carries no StreamerInfo of TTime, so they read as {_unread: true}, no fMilliSec;
  // uproot knows TTime (version 2: its header, then fMilliSec, a Long64_t) as it knows the
  // leaves. Its test compares with ROOT's TTime::AsString; these are what the 8 bytes hold, each
  // record read to its byte count's end: 18.4 h of real time, 99.85% of it live.
  const f = await openRootFile(fixture('uproot-issue-861.root'));
  t.teardown(() => f.close());
  t.same(await f.object('RealTime_0'), { _typename: 'TTime', fMilliSec: 66222404 });
  t.same(await f.object('LiveTime_0'), { _typename: 'TTime', fMilliSec: 66125790 });
});

t.test("uproot's values: uproot-small-evnt-tree-fullsplit.root (test_0018, test_0029, test_0034)", async (t) => {
  const c = await column('uproot-small-evnt-tree-fullsplit.root', 'tree', ['StlVecI32', 'Beg', 'End', 'Str', 'StdStr', 'StlVecStr', 'evt/SliceU64', 'evt/StlVecF64']);
  const i = Array.from({ length: 100 }, (_, k) => k);
  const pad = (k: number) => String(k).padStart(3, '0');
  t.same(c.StlVecI32, i.map((k) => Array(k % 10).fill(k)));
  t.same(c.Beg, i.map((k) => `beg-${pad(k)}`));
  t.same(c.End, i.map((k) => `end-${pad(k)}`));
  t.same(c.Str, i.map((k) => `evt-${pad(k)}`));
  t.same(c.StdStr, i.map((k) => `std-${pad(k)}`));
  t.same(c.StlVecStr, i.map((k) => Array(k % 10).fill(`vec-${pad(k)}`)));
  for (const n of ['evt/SliceU64', 'evt/StlVecF64']) t.same(c[n]!.slice(0, 6), [[], [1], [2, 2], [3, 3, 3], [4, 4, 4, 4], [5, 5, 5, 5, 5]], n);
});

t.test("uproot's values: Double32_t and Float16_t leaves, test_double32_float16", async (t) => {
  const want: Record<string, number[]> = {
  double32_32: [-1.9999999994342215, -1.4999999998277052, -1.000000000221189, -0.5000000006146728, -0.10000000329688152, -1.008156669257687e-09, 0.10000000128056863, 0.49999999859835986, 0.999999998204876, 2.0000000003771863, 2.9999999995902185, 3.9999999988032506, 4.999999998016284, 5.999999997229316, 6.999999996442349, 7.999999998614659, 8.99999999782769],
  double32_30: [-2.0000000023934987, -1.5000000057462601, -0.9999999972619116, -0.5000000006146728, -0.10000000329688152, -3.967433936935549e-09, 0.10000000719912361, 0.5000000045169148, 1.0000000011641537, 1.9999999944586309, 2.9999999995902185, 4.000000004721806, 4.999999998016284, 6.00000000314787, 6.999999996442349, 8.000000001573937, 8.999999994868414],
  double32_20: [-2.0000006771087646, -1.5000011539459228, -1.0000016307830808, -0.5000021076202392, -0.10000248908996578, -2.5844573974254104e-06, 0.09999732017517093, 0.49999693870544437, 0.9999964618682866, 1.9999955081939698, 2.9999945545196534, 4.000005722045899, 5.000004768371583, 6.0000038146972665, 7.00000286102295, 8.000001907348633, 9.000000953674316],
  double32_10: [-2.0025097656249997, -1.5060253906249998, -0.99712890625, -0.5006445312499999, -0.10345703124999961, -0.004160156249999769, 0.09513671875000007, 0.5047363281250004, 1.0012207031250004, 1.9941894531250002, 2.9995703125000004, 4.004951171875001, 4.997919921875001, 6.00330078125, 6.996269531250001, 8.001650390625002, 8.994619140625002],
  double32_5: [-1.915625, -1.5184374999999999, -1.1212499999999999, -0.3268749999999998, 0.0703125, 0.0703125, 0.0703125, 0.46750000000000025, 0.8646875000000005, 2.0562500000000004, 2.850625, 4.042187500000001, 4.8365625, 6.028125, 6.822500000000001, 8.014062500000001, 8.8084375],
  double32_3: [-2.71, -1.1212499999999999, -1.1212499999999999, -1.1212499999999999, 0.46750000000000025, 0.46750000000000025, 0.46750000000000025, 0.46750000000000025, 0.46750000000000025, 2.0562500000000004, 3.6450000000000005, 3.6450000000000005, 5.233750000000001, 5.233750000000001, 6.822500000000001, 8.411249999999999, 8.411249999999999],
  float16_16: [-1.9999885559082031, -1.5000133514404297, -1.0000380277633667, -0.5000627040863037, -0.09996604919433594, -8.749961853027344e-05, 0.09998512268066406, 0.5000817775726318, 1.0000569820404053, 2.0000076293945312, 2.999958038330078, 3.999908924102783, 5.000053405761719, 6.000003814697266, 6.9999542236328125, 7.999904632568359, 9.000049591064453],
  float16_10: [-2.002509832382202, -1.5060254335403442, -0.997128963470459, -0.5006444454193115, -0.10345697402954102, -0.004160165786743164, 0.09513664245605469, 0.5047361850738525, 1.001220703125, 1.9941892623901367, 2.999570369720459, 4.004951000213623, 4.997920036315918, 6.003300666809082, 6.996269226074219, 8.0016508102417, 8.994619369506836],
  float16_5: [-1.9156250953674316, -1.5184375047683716, -1.121250033378601, -0.3268749713897705, 0.0703125, 0.0703125, 0.0703125, 0.4674999713897705, 0.864687442779541, 2.0562500953674316, 2.8506250381469727, 4.042187690734863, 4.836562633514404, 6.028124809265137, 6.822500228881836, 8.014062881469727, 8.80843734741211],
  float16_3: [-2.7100000381469727, -1.121250033378601, -1.121250033378601, -1.121250033378601, 0.4674999713897705, 0.4674999713897705, 0.4674999713897705, 0.4674999713897705, 0.4674999713897705, 2.0562500953674316, 3.6449999809265137, 3.6449999809265137, 5.233749866485596, 5.233749866485596, 6.822500228881836, 8.411250114440918, 8.411250114440918],
  array_30: [-2.0000000023934987, -1.5000000057462601, -0.9999999972619116, -0.5000000006146728, -0.10000000329688152, -3.967433936935549e-09, 0.10000000719912361, 0.5000000045169148, 1.0000000011641537, 1.9999999944586309, 2.9999999995902185, 4.000000004721806, 4.999999998016284, 6.00000000314787, 6.999999996442349, 8.000000001573937, 8.999999994868414],
  array_10: [-2.002509832382202, -1.5060254335403442, -0.997128963470459, -0.5006444454193115, -0.10345697402954102, -0.004160165786743164, 0.09513664245605469, 0.5047361850738525, 1.001220703125, 1.9941892623901367, 2.999570369720459, 4.004951000213623, 4.997920036315918, 6.003300666809082, 6.996269226074219, 8.0016508102417, 8.994619369506836],
  };
  // uproot computes raw × (high − low) / 2^nbits + low (2^32 at 32 bits, in float32 for a
  // Float16_t), ROOT and this reader raw / factor + low with factor 2^nbits / (high − low)
  // (2^32 − 1 at 32 bits) in double: the last bits differ, so each value is compared as the
  // integer it was stored as, taken back out of each reader's arithmetic.
  const c = await column('uproot-double32-float16.root', 'tree', Object.keys(want));
  const [low, high] = [-2.71, 10];
  for (const [name, values] of Object.entries(want)) {
    const bits = Number(name.split('_')[1]);
    const got = (name.startsWith('array_') ? c[name]!.map((row) => { const r = row as number[]; return r.every((x) => x === r[0]) ? r[0] : NaN; }) : c[name]) as number[];
    const ours = got.map((v) => ((v - low) * (bits === 32 ? 0xffffffff : 2 ** bits)) / (high - low));
    const theirs = values.map((v) => ((v - low) * 2 ** bits) / (high - low));
    const off = Math.max(...[...ours, ...theirs].map((r) => Math.abs(r - Math.round(r))));
    t.ok(off < 0.01, `${name}: every value is a whole step of the ${bits}-bit range in both readers (within ${off.toPrecision(2)})`);
    t.same(ours.map(Math.round), theirs.map(Math.round), `${name}: the stored integers uproot read${name.startsWith('array_') ? ' (each of the 3 equal)' : ''}`);
  }
});

t.test("uproot's values: Double32_t members (test_double32, test_double32_2)", async (t) => {
  const c = await column('uproot-demo-double32.root', 'T', ['fD64', 'fF32', 'fI32', 'fI30', 'fI28']);
  const d = c.fD64 as number[];
  for (const n of ['fF32', 'fI32', 'fI30', 'fI28']) {
    const r = (c[n] as number[]).map((x, k) => x / d[k]!);
    t.ok(Math.min(...r) > 0.9999 && Math.max(...r) < 1.0001, `${n} / fD64 within 1e-4 of 1 (${Math.min(...r)} … ${Math.max(...r)})`);
  }
  const v0 = await column('uproot-issue187.root', 'fTreeV0', ['fMultiplicity', 'V0s.fEtaPos']);
  t.ok((v0.fMultiplicity as number[]).every((x) => x === -1), 'fMultiplicity is -1 in every entry');
  t.same(v0['V0s.fEtaPos']!.at(-3), [-0.390625, 0.046875]);
});

t.test("uproot's values: a ROOT offset-map file and its twin, test_iofeatures_offsets and test_common_offsets", async (t) => {
  const want = [[20.60145378112793], [50.36957550048828, 41.21387481689453, 3.1869382858276367], [51.685970306396484, 35.227813720703125], [], [], [], [],
    [23.073759078979492], [32.921417236328125, 8.922308921813965, 4.368383407592773], [51.9132194519043, 31.930095672607422]];
  for (const file of ['uproot-small-dy-withoffsets.root', 'uproot-small-dy-nooffsets.root']) {
    t.same((await column(file, 'tree', ['Muon_pt'], { entryStart: 10, entryStop: 20 })).Muon_pt, want, `${file}: Muon_pt [10, 20)`);
  }
  const f = await openRootFile(fixture('uproot-small-dy-nooffsets.root'));
  t.teardown(() => f.close());
  t.same((await f.tree('tree')).clusterBoundaries(), [0, 200, 400, 501], 'entries where every branch starts a basket');
});

t.test("uproot's values: objects in TTrees (test_0034, test_0637, test_0643)", async (t) => {
  const hzz = await column('uproot-HZZ-objects.root', 'events', ['MET', 'muonp4.fP.fX', 'muonp4.fP.fY', 'muonp4.fP.fZ', 'muonp4.fE'], { entryStop: 10 });
  t.same(hzz.MET!.map((v) => (v as number[])[0]), [5.912771224975586, 24.76520347595215, -25.78508758544922, 8.619895935058594, 5.393138885498047,
    -3.7594752311706543, 23.962148666381836, -57.533348083496094, 42.416194915771484, -1.9144694805145264], 'MET fX [0, 10)');
  t.same(hzz.MET!.map((v) => (v as number[])[1]), [2.5636332035064697, -16.349109649658203, 16.237131118774414, -22.78654670715332, -1.3100523948669434,
    -19.417020797729492, -9.049156188964844, -20.48767852783203, -94.35086059570312, -23.96303367614746], 'MET fY [0, 10)');
  t.same(['muonp4.fP.fX', 'muonp4.fP.fY', 'muonp4.fP.fZ', 'muonp4.fE'].map((n) => hzz[n]![0]),
    [[-52.89945602416992, 37.7377815246582], [-11.654671669006348, 0.6934735774993896], [-8.16079330444336, -11.307581901550293], [54.77949905395508, 39.401695251464844]],
    'both muons of entry 0 (test_pandas_vector_TLorentzVector)');
  const bds = await column('uproot-issue371.root', 'Model', ['Model./Model.samplerNamesUnique', 'Model./Model.staPos.fZ']);
  t.equal((bds['Model./Model.samplerNamesUnique']![0] as string[]).at(-1), 'MP_F_99.', 'test_36');
  t.equal((bds['Model./Model.staPos.fZ']![0] as number[])[555], 100.94856572890848, 'test_37');
  const header = await column('uproot-issue371.root', 'Header', ['Header./Header.geant4Version'], { entryStop: 2 });
  t.equal(header['Header./Header.geant4Version']!.at(-1), '$Name: geant4-10-05-patch-01 $', 'test_34');
  const ev = await column('uproot-issue371.root', 'Event', ['PRBHF_46./PRBHF_46.zp'], { entryStop: 1 });
  t.equal(Math.fround((ev['PRBHF_46./PRBHF_46.zp']![0] as number[])[0]!), Math.fround(0.9999998807907104), 'test_38');
  const traj = await column('uproot-issue468.root', 'Event', ['Trajectory./Trajectory.XYZ.fX', 'Trajectory./Trajectory.energyDeposit', 'Trajectory./Trajectory.ionA'], { entryStop: 1 });
  for (const [n, v] of Object.entries(traj)) t.same(v[0], [], `${n}: entry 0 is empty (test_41-43)`);
});


const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v as number]);
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
t.test("uproot's values: KM3NeT's split collections, test_0637's test_17-24", async (t) => {
  const c = await column('uproot-issue390.root', 'E', ['Evt/AAObject/usr_names', 'Evt/hits.t', 'Evt/hits.a', 'Evt/hits.trig', 'Evt/hits.tot', 'Evt/hits.pos.x', 'Evt/trks.usr_names'], { entryStop: 2 });
  t.same(c['Evt/AAObject/usr_names']![0], []);
  t.equal((c['Evt/hits.t']![0] as number[])[0], 70104010);
  t.equal((c['Evt/hits.a']![0] as number[]).at(-1), 0);
  t.equal((c['Evt/hits.trig']![0] as number[])[5], 1);
  t.equal((c['Evt/hits.tot']![0] as number[])[0], 24);
  t.equal((c['Evt/hits.pos.x']![0] as number[])[2], 0);
  t.same((c['Evt/trks.usr_names']![0] as unknown[])[0], []);
  // Entry 1 as test_18-22 print it.
  const t1 = c['Evt/hits.t']![1] as number[];
  t.same([t1.length, sum(t1), t1[0], t1.at(-1)], [125, 10107744479, 80860738, 80862149], 'hits.t of entry 1: count, sum, first, last');
  t.same(c['Evt/hits.trig']![1], [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1, 1, 0, 1, 0, 0, 0, 0, 1, 1, 1, 1,
    1, 0, 0, 0, 1, 1, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
  t.same(c['Evt/hits.tot']![1], [29, 26, 22, 18, 22, 28, 28, 28, 21, 24, 28, 30, 25, 24, 30, 28, 29, 4, 21, 25, 26, 22, 23, 22, 23, 29, 23, 30, 24, 29, 31, 27, 32, 28, 30, 33, 33,
    31, 29, 18, 23, 34, 21, 33, 33, 29, 37, 23, 21, 40, 25, 29, 22, 17, 31, 25, 28, 26, 21, 20, 25, 51, 38, 64, 42, 28, 29, 26, 21, 31, 22, 18, 41, 28, 29, 28, 29, 15, 25, 27, 24,
    28, 28, 34, 28, 21, 19, 21, 20, 24, 26, 24, 13, 22, 30, 25, 17, 27, 24, 16, 31, 27, 29, 23, 26, 25, 26, 28, 12, 18, 30, 27, 48, 16, 25, 24, 27, 10, 21, 25, 30, 26, 26, 28, 24]);
  t.same(flat(c['Evt/hits.pos.x']![1]).filter((x) => x !== 0), [], 'hits.pos.x of entry 1 is all zeros');
  t.same((c['Evt/trks.usr_names']![1] as unknown[]).filter((u) => (u as unknown[]).length), [], 'trks.usr_names of entry 1: 55 empty vectors');
  t.equal((c['Evt/trks.usr_names']![1] as unknown[]).length, 55);
});

t.test("uproot's values: a TProfile2D, test_read_TProfile2D", async (t) => {
  const f = await openRootFile(fixture('uproot-issue-227a.root'));
  t.teardown(() => f.close());
  const h = await f.histogram('hprof2d');
  const edges = (a: { nbins: number; lo: number; hi: number; edges: ArrayLike<number> | null }) =>
    a.edges ? Array.from(a.edges) : Array.from({ length: a.nbins + 1 }, (_, k) => a.lo + ((a.hi - a.lo) * k) / a.nbins);
  t.same(edges(h.x), [1, 2, 3]);
  t.same(edges(h.y!), [1, 2, 3, 4]);
  t.equal(sum(Array.from(h.profile!.sumw)), 12, 'the counts with flow sum to 12');
  const nx = h.x.nbins + 2;
  t.same([1, 2].map((x) => [1, 2, 3].map((y) => h.contents[x + nx * y])), [[1, 2, 0], [2, 4, 6]], 'values()');
});

t.test("uproot's values: what uproot reads of Delphes', nEXO's and T2K's trees (test_1189, test_0087)", async (t) => {
  // uproot.dask(…)["Particle"].compute() and ["hitEnd"]: every readable member reads.
  const f = await openRootFile(fixture('uproot-issue513.root'));
  t.teardown(() => f.close());
  const delphes = await f.tree('Delphes');
  const particle = delphes.branches.filter((b) => b.name.startsWith('Particle.') && b.kind !== 'unsupported').map((b) => b.name);
  const cols = await delphes.arrays(particle);
  // The file has two branches named Particle (and Particle_size): a name reads the first, as
  // uproot's tree["Particle"] does.
  t.equal(Object.keys(cols).length, new Set(particle).size, `the ${new Set(particle).size} readable Particle members read`);
  const muon = await column('uproot-issue443.root', 'muonDataTree', ['hitEnd']);
  t.same(muon.hitEnd, [], 'hitEnd of a tree of 0 entries');
  // uproot raises NotImplementedError for this member-wise std::vector of nEXO::ElecChannel.
  const nexo = await openRootFile(fixture('uproot-issue475.root'));
  t.teardown(() => nexo.close());
  await t.rejects((await nexo.tree('Event/Elec/ElecEvent')).arrays(['fElecChannels']), { name: 'UnsupportedBranchTypeError', branch: 'ElecEvent/fElecChannels' });
});

const rnt = (file: string, name: string, names: string[], range: { entryStart?: number; entryStop?: number } = {}) => column(file, name, names, range, true);
const topFields = async (file: string, name: string) => {
  const f = await openRootFile(fixture(file));
  try {
    const r = await f.rntuple(name);
    return { n: r.numEntries, top: r.branches.map((b) => b.name).filter((n) => !n.includes('.')) };
  } finally {
    await f.close();
  }
};

t.test("uproot's values: RNTuple basics and STL containers (test_0630, test_0662, test_0962, test_1159)", async (t) => {
  t.same((await topFields('test_int_float_rntuple_v1-0-0-0.root', 'ntuple')).top, ['one_integers', 'two_floats']);
  t.same((await rnt('test_int_float_rntuple_v1-0-0-0.root', 'ntuple', ['one_integers'], { entryStop: 3 })).one_integers, [9, 8, 7]);
  t.same((await rnt('test_int_float_rntuple_v1-0-0-0.root', 'ntuple', ['one_integers'], { entryStart: 1, entryStop: 3 })).one_integers, [8, 7]);
  t.same((await topFields('test_int_vfloat_tlv_vtlv_rntuple_v1-0-0-0.root', 'ntuple')).top, ['one_integers', 'two_v_floats', 'three_LV', 'four_v_LVs']);
  const stl = 'test_stl_containers_rntuple_v1-0-0-0.root';
  t.same((await topFields(stl, 'ntuple')).top, ['string', 'vector_int32', 'array_float', 'vector_vector_int32', 'vector_string', 'vector_vector_string',
    'variant_int32_string', 'vector_variant_int64_string', 'tuple_int32_string', 'pair_int32_string', 'vector_tuple_int32_string', 'lorentz_vector', 'array_lv']);
  const r = await rnt(stl, 'ntuple', ['string', 'vector_int32', 'vector_vector_int32', 'vector_string', 'vector_vector_string', 'tuple_int32_string._0', 'tuple_int32_string._1',
    'pair_int32_string._0', 'pair_int32_string._1', 'vector_tuple_int32_string._0', 'vector_tuple_int32_string._1', 'array_float']);
  const five = ['one', 'two', 'three', 'four', 'five'];
  t.same(r.string, five);
  t.same([r.vector_int32![0], r.vector_int32![1]], [[1], [1, 2]]);
  t.same([r.vector_vector_int32![0], r.vector_vector_int32![1]], [[[1]], [[1], [2]]]);
  t.same([r.vector_string![0], r.vector_string![1]], [['one'], ['one', 'two']]);
  t.same([r.vector_vector_string![0], r.vector_vector_string!.at(-1)], [[['one']], five.map((s) => [s])]);
  for (const p of ['tuple_int32_string', 'pair_int32_string']) t.same([r[`${p}._0`], r[`${p}._1`]], [[1, 2, 3, 4, 5], five], p);
  t.same([0, 1].map((e) => [r['vector_tuple_int32_string._0']![e], r['vector_tuple_int32_string._1']![e]]), [[[1], ['one']], [[1, 2], ['one', 'two']]]);
  t.same([r.array_float![0], r.array_float!.at(-1)], [[1, 1, 1], [5, 5, 5]]);
  const split = await rnt('test_splitint_rntuple_v1-0-1-0.root', 'ntuple', ['int16', 'int32', 'int64']);
  t.same(split.int16, [0, 1, -1, 2 ** 14, -(2 ** 14), 2 ** 15 - 1, -(2 ** 15)]);
  t.same(split.int32, [0, 1, -1, 2 ** 30, -(2 ** 30), 2 ** 31 - 1, -(2 ** 31)]);
  const f = await openRootFile(fixture('test_splitint_rntuple_v1-0-1-0.root'));
  t.teardown(() => f.close());
  const int64 = (await (await f.rntuple('ntuple')).arrays(['int64'])).int64 as BigInt64Array;
  t.same([...int64], [0n, 1n, -1n, 2n ** 62n, -(2n ** 62n), 2n ** 63n - 1n, -(2n ** 63n)], 'int64 to the last bit');
  const groups = await rnt('test_multiple_cluster_groups_rntuple_v1-0-0-0.root', 'ntuple', ['one', 'int_vector']);
  t.equal(groups.one!.length, 1000);
  t.same(groups.one, Array.from({ length: 1000 }, (_, i) => i));
  t.same(groups.int_vector, Array.from({ length: 1000 }, (_, i) => [i, i + 1]));
});

t.test("uproot's values: RNTuple columns added while writing, several pages, representations (test_1191, test_1285, test_1347)", async (t) => {
  const ext = 'test_extension_columns_rntuple_v1-0-0-0.root';
  const all = await rnt(ext, 'ntuple', ['float_field', 'intvec_field']);
  t.same([all.float_field!.length, all.intvec_field!.length], [600, 600]);
  t.equal(all.float_field!.findIndex((x) => x !== 0), 200, 'float_field: zeros before entry 200');
  t.equal(all.intvec_field!.findIndex((l) => (l as number[]).length !== 0), 400, 'intvec_field: empty before entry 400');
  for (let i = 50; i < 600; i += 50) {
    const part = await rnt(ext, 'ntuple', ['float_field', 'intvec_field'], { entryStart: i });
    const ff = part.float_field as number[];
    const iv = part.intvec_field as number[][];
    t.equal(ff.length, 600 - i, `from ${i}: ${600 - i} entries`);
    if (i < 200) t.ok(ff.slice(0, 200 - i).every((x) => x === 0) && ff[200 - i + 1] !== 0, `from ${i}: float_field zero until 200`);
    else t.notOk(ff.slice(0, 50).every((x) => x === 0), `from ${i}: float_field set`);
    if (i < 400) t.ok(iv.slice(0, 400 - i).every((l) => l.length === 0) && iv[400 - i]!.length !== 0, `from ${i}: intvec_field empty until 400`);
    else t.notOk(iv.slice(0, 50).every((l) => l.length === 0), `from ${i}: intvec_field filled`);
  }
  const idx = (await rnt('test_index_multicluster_rntuple_v1-0-0-0.root', 'ntuple', ['int_vector'])).int_vector as number[][];
  t.same([0, 1].flatMap((j) => Array.from({ length: 100 }, (_, i) => idx[i + j * 100]!.slice(0, 2))), [0, 1].flatMap((j) => Array.from({ length: 100 }, (_, i) => [i, i + j])));
  t.same((await rnt('test_multiple_representations_rntuple_v1-0-0-0.root', 'ntuple', ['real'])).real, [1, 2, 3]);
  const atomic = await rnt('test_atomic_bitset_rntuple_v1-0-0-0.root', 'ntuple', ['atomic_int', 'bitset']);
  t.same(atomic.atomic_int, [1, 2, 3]);
  const bits = atomic.bitset as number[][];
  const pattern = (k: number, n: number, every: number) => Array.from({ length: 42 }, (_, i) => (i < n && i % every === every - 1 ? 1 : 0));
  t.same(bits, [pattern(0, 6, 2), pattern(1, 16, 2), pattern(2, 16, 4)], 'bitset: 42 bits each, 0,1,0,1,… in the first 6, 16, and 0,0,0,1,… in 16');
  // uproot's truncate_float and quantize_float (test_1347), in float32 as numpy computes them.
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  const truncate = (v: number, bits: number) => { f32[0] = v; u32[0] = (u32[0]! & ((0xffffffff << (32 - bits)) >>> 0)) >>> 0; return f32[0]!; };
  const quantize = (v: number, bits: number, lo = -2, hi = 3) => Math.fround(lo + (Math.round(((v - lo) * (2 ** bits - 1)) / (hi - lo)) * (hi - lo)) / (2 ** bits - 1));
  const close = (a: number, b: number, atol = 1e-8) => Math.abs(a - b) <= atol + 1e-5 * Math.abs(b);
  const floats = await rnt('test_float_types_rntuple_v1-0-0-0.root', 'ntuple', ['trunc10', 'trunc16', 'trunc24', 'trunc31', 'quant1', 'quant8', 'quant16', 'quant20', 'quant24', 'quant25', 'quant32']);
  const written = [[1.23456789, 1.23456789], [1.4660155e13, 1.6666666], [-6.2875986e-22, -6.2875986e-22], [-1.9060668, -1.9060668]];
  written.forEach(([tv, qv], e) => {
    for (const b of [10, 16, 24, 31]) t.equal((floats[`trunc${b}`] as number[])[e], truncate(tv!, b), `entry ${e} trunc${b}`);
    for (const b of [1, 8, 16, 20, 24, 25, 32]) {
      const got = (floats[`quant${b}`] as number[])[e]!;
      t.ok(close(got, quantize(qv!, b), e === 2 && b === 25 ? 2e-7 : 1e-8), `entry ${e} quant${b}: ${got} ≈ ${quantize(qv!, b)}`);
    }
  });
});

t.test("uproot's values: RNTuple files of experiments (test_1191, test_1250, test_1411, test_1467, test_1573)", async (t) => {
  const muons = 'Run2012BC_DoubleMuParked_Muons_1000evts_rntuple_v1-0-0-0.root';
  const m = await rnt(muons, 'Events', ['nMuon', 'Muon_pt', 'Muon_charge']);
  t.equal(m.nMuon!.length, 1000);
  t.same(m.nMuon, m.Muon_pt!.map((l) => (l as number[]).length), 'nMuon is each entry\'s count of Muon_pt');
  t.same([m.Muon_pt![0], m.Muon_charge![0]], [[10.763696670532227, 15.736522674560547], [-1, -1]]);
  const f = await openRootFile(fixture(muons));
  t.teardown(() => f.close());
  const sizes: number[] = [];
  for await (const batch of (await f.rntuple('Events')).iterate(['Muon_pt'], { step: 100 })) sizes.push(batch.entryStop - batch.entryStart);
  t.same(sizes, Array(10).fill(100), 'iterate in steps of 100: ten batches');
  t.equal((await topFields('cmsopendata2015_ttbar_19980_NANOAOD_RNTupleImporter_rntuple_v1-0-0-1.root', 'Events')).top.length, 969, 'NanoAOD: 969 fields');
  t.ok((await topFields('ntpl001_staff_rntuple_v1-0-1-0.root', 'Staff')).top.length > 0, 'a v1.0.1.0 footer (linked attribute sets) is read');
  const jag = 'test_1jag_int_float_rntuple_v1-0-0-0.root';
  const { n } = await topFields(jag, 'ntuple');
  for (const b of ['one_v_integers', 'two_v_floats']) {
    const len = async (range: { entryStart?: number; entryStop?: number }) => (await rnt(jag, 'ntuple', [b], range))[b]!.length;
    t.same([await len({ entryStart: n + 100, entryStop: n + 200 }), await len({ entryStart: n - 5, entryStop: n + 100 }), await len({ entryStart: n, entryStop: n + 10 }),
      await len({ entryStart: -1_000_000 })], [0, 5, 0, n], `${b}: ranges past the end are clipped as uproot clips them`);
  }
  const g = await openRootFile(fixture(jag));
  t.teardown(() => g.close());
  let batches = 0;
  for await (const _ of (await g.rntuple('ntuple')).iterate(['one_v_integers'], { step: 50, entryStart: n + 100, entryStop: n + 200 })) batches++;
  t.equal(batches, 0, 'iterate past the end yields nothing');
  const phys = 'uproot-physlite-rntuple_v1-0-0-0.root';
  const mu = await rnt(phys, 'EventData', ['AnalysisMuonsAuxDyn:pt', 'AnalysisMuonsAuxDyn:eta', 'AnalysisMuonsAuxDyn:phi']);
  [28217.96, -0.21, -0.18].forEach((mean, k) => {
    const values = flat(Object.values(mu)[k]);
    t.same([values.length, Math.round((sum(values) / values.length) * 100) / 100], [88, mean], `${Object.keys(mu)[k]}: 88 muons, mean ${mean}`);
  });
  const info = await rnt(phys, 'EventData', ['EventInfoAuxDyn:eventNumber', 'EventInfoAuxDyn:averageInteractionsPerCrossing', 'EventInfoAuxDyn:lumiBlock'], { entryStop: 1 });
  t.same(Object.values(info).map((v) => v[0]), [293298001, 26.5, 1], 'the first event\'s number, pile-up and lumi block');
  const truth = await rnt(phys, 'EventData', ['TruthMuonsAuxDyn:m', 'TruthMuonsAuxDyn:pdgId']);
  t.ok(Math.abs(flat(truth['TruthMuonsAuxDyn:m'])[0]! - 105.7) <= 1e-8 + 1e-5 * 105.7, 'the first truth muon\'s mass is 105.7');
  t.ok(flat(truth['TruthMuonsAuxDyn:pdgId']).every((id) => id === 13 || id === -13), 'every truth muon is a muon');
});

t.test("uproot's values: a vector with an allocator (test_0172) and a const std::string member (test_1043) read as vector<float> and string", async (t) => {
  // RDataFrame wrote rec_part_px_VecOps as vector<float,ROOT::Detail::VecOps::RAdoptAllocator<float> >,
  // listed "(unsplit collection of objects)"; Foo's `const std::string bar` was "STL container
  // member of Foo". uproot names them std::vector<float> and std::string.
  const f = await openRootFile(fixture('uproot-issue-172.root'));
  t.teardown(() => f.close());
  const tree = await f.tree('events');
  t.match(tree.branch('rec_part_px_VecOps'), { kind: 'vector', typeName: 'vector<float>' });
  const c = await tree.arrays(['rec_part_px_VecOps', 'rec_part_px', 'rec_part_py_VecOps', 'rec_part_py']);
  t.same(perEntry(c.rec_part_px_VecOps!, 10), perEntry(c.rec_part_px!, 10), 'rec_part_px_VecOps is rec_part_px, entry by entry');
  t.same(perEntry(c.rec_part_py_VecOps!, 10), perEntry(c.rec_part_py!, 10), 'rec_part_py_VecOps is rec_part_py');
  t.ok((c.rec_part_px as Jagged).values.length > 0);
  const g = await openRootFile(fixture('uproot-issue-1043.root'));
  t.teardown(() => g.close());
  const foo = await g.tree('FooBar');
  t.match(foo.branch('Foo/bar'), { kind: 'string', typeName: 'string' });
  t.same((await foo.arrays(['Foo/bar']))['Foo/bar'], [''], 'its one entry, empty, as jsroot reads it too');
});

t.test("uproot's values: go-hep's unsplit Event (test_gohep_nosplit_file, test_awkward_nosplit_file, test_strings4)", async (t) => {
  // The Slice members are pointers to arrays of an unsplit object, which this reader lists
  // unsupported (the README says so); every other member reads as uproot's tests give it.
  const f = await openRootFile(fixture('uproot-small-evnt-tree-nosplit.root'));
  t.teardown(() => f.close());
  const tree = await f.tree('tree');
  t.same(tree.branches.filter((b) => b.kind === 'unsupported').map((b) => b.name), ['evt', ...['I16', 'I32', 'I64', 'U16', 'U32', 'U64', 'F32', 'F64'].map((m) => `evt/Slice${m}`)]);
  const names = tree.branches.filter((b) => b.kind !== 'unsupported').map((b) => b.name);
  const e5 = await tree.arrays(names, { entryStart: 5, entryStop: 6 });
  const one = Object.fromEntries(names.map((n) => [n.slice(4), normalise(perEntry(e5[n]!, 1)[0])]));
  const five = (k: number) => Array(k).fill(5);
  t.same(one, {
    Beg: 'beg-005', I16: 5, I32: 5, I64: 5, U16: 5, U32: 5, U64: 5, F32: 5, F64: 5, Str: 'evt-005', 'P3.Px': 4, 'P3.Py': 5, 'P3.Pz': 4,
    ArrayI16: five(10), ArrayI32: five(10), ArrayI64: five(10), ArrayU16: five(10), ArrayU32: five(10), ArrayU64: five(10), ArrayF32: five(10), ArrayF64: five(10),
    N: 5, StdStr: 'std-005', StlVecI16: five(5), StlVecI32: five(5), StlVecI64: five(5), StlVecU16: five(5), StlVecU32: five(5), StlVecU64: five(5),
    StlVecF32: five(5), StlVecF64: five(5), StlVecStr: Array(5).fill('vec-005'), End: 'end-005',
  }, 'entry 5, member by member');
  const c = await column('uproot-small-evnt-tree-nosplit.root', 'tree', ['evt/I16', 'evt/F32', 'evt/P3.Px', 'evt/P3.Py', 'evt/P3.Pz', 'evt/StlVecStr']);
  t.same([c['evt/I16']!.slice(0, 5), c['evt/F32']!.slice(0, 5)], [[0, 1, 2, 3, 4], [0, 1, 2, 3, 4]]);
  t.same(['evt/P3.Px', 'evt/P3.Py', 'evt/P3.Pz'].map((n) => c[n]!.slice(0, 5)), [[-1, 0, 1, 2, 3], [0, 1, 2, 3, 4], [-1, 0, 1, 2, 3]]);
  t.same(c['evt/StlVecStr'], Array.from({ length: 100 }, (_, i) => Array(i % 10).fill(`vec-${String(i).padStart(3, '0')}`)));
});

t.test("uproot's values: vector<vector<double>> with empty vectors (test_strings4, test_80) and a TProfile3D (test_read_TProfile3D)", async (t) => {
  t.same((await column('uproot-vectorVectorDouble.root', 't', ['x'])).x, [[], [[], []], [[10], [], [10, 20]], [[20, -21, -22]], [[200], [-201], [202]]]);
  const f = await openRootFile(fixture('uproot-issue-227b.root'));
  t.teardown(() => f.close());
  const h = await f.histogram('hprof3d');
  const edges = (a: { nbins: number; lo: number; hi: number; edges: ArrayLike<number> | null }) =>
    a.edges ? Array.from(a.edges) : Array.from({ length: a.nbins + 1 }, (_, k) => a.lo + ((a.hi - a.lo) * k) / a.nbins);
  t.same([edges(h.x), edges(h.y!), edges(h.z!)], [[1, 2, 3], [1, 2, 3, 4], [1, 2, 3, 4, 5]]);
  t.equal(sum(Array.from(h.profile!.sumw)), 12, 'the counts with flow sum to 12');
  const [nx, ny] = [h.x.nbins + 2, h.y!.nbins + 2];
  t.same([1, 2].map((x) => [1, 2, 3].map((y) => [1, 2, 3, 4].map((z) => h.contents[x + nx * (y + ny * z)]))),
    [[[2, 0, 0, 0], [0, 4, 0, 0], [0, 0, 6, 0]], [[0, 4, 0, 0], [0, 0, 0, 8], [0, 0, 0, 0]]], 'values()');
});

t.test("uproot's values: an RNTuple of records with base classes, by uproot's names (test_1589_rntuple_inheritance)", async (t) => {
  // ROOT stores each base class as a subfield :_0, :_1, …; uproot lists the bases' members as the
  // record's own (a name two bases share prefixed by the base's class). They were "no field
  // named child.base_a1".
  const file = 'test_class_inheritance_rntuple_v1-0-0-1.root';
  const baseA = ['base_a1', 'base_a2', 'base_a3'];
  const fields: Record<string, string[]> = {
    child: ['child_1', 'child_2', ...baseA],
    grandchild: ['grandchild_1', 'grandchild_2', 'child_1', 'child_2', ...baseA],
    multi_parent: ['multi_parent_1', 'multi_parent_2', ...baseA, 'base_b'],
    multi_grandparent: ['multi_grand_parent1', 'multi_grand_parent2', 'multi_parent_1', 'multi_parent_2', 'child_1', 'child_2', 'base_b',
      ...baseA.map((m) => `Child::${m}`), ...baseA.map((m) => `MultiParent::${m}`)],
  };
  const names = Object.entries(fields).flatMap(([r, ms]) => ms.map((m) => `${r}.${m}`));
  const c = await rnt(file, 'rntpl', names);
  t.same(Object.keys(c), names, 'every member uproot lists reads by its name');
  const i = Array.from({ length: 10 }, (_, k) => k);
  for (const base of ['Child', 'MultiParent']) {
    t.same(c[`multi_grandparent.${base}::base_a1`], i, `${base}::base_a1`);
    t.same(c[`multi_grandparent.${base}::base_a2`], i.map((k) => k * 0.1), `${base}::base_a2`);
    t.same(c[`multi_grandparent.${base}::base_a3`], i.map((k) => [0, 1, 2].map((j) => k * j)), `${base}::base_a3`);
  }
  t.same(c['child.base_a1'], i);
  t.same(c['grandchild.base_a3'], i.map((k) => [0, 1, 2].map((j) => k * j)));
  t.same(c['multi_parent.base_b'], i.map((k) => k * 10));
});
