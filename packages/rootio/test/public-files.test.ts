import t from 'tap';
import { fileURLToPath } from 'node:url';
import { openRootFile, type Jagged, type Nested } from '@gluon/rootio';
import { basketRefs, type BranchMeta } from '../src/tree.js';
import { decode } from '../src/decode.js';
import type { BranchInfo, JsBranch } from '../src/branch.js';
import { jsrootValues, normalise, perEntry } from './helpers.js';

/**
 * Shapes found by reading every branch of scikit-hep-testdata's ROOT files (208 of them) that
 * this reader read wrongly or called damaged; each file here is one of them (BSD-3-Clause, see
 * fixtures/skhep/LICENSE).
 */
const fixture = (name: string) => fileURLToPath(new URL(`fixtures/skhep/${name}`, import.meta.url));

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
const column = async (file: string, tree: string, names: string[], range: { entryStart?: number; entryStop?: number } = {}) => {
  const f = await openRootFile(fixture(file));
  try {
    const tr = await f.tree(tree);
    const cols = await tr.arrays(names, range);
    const n = Math.min(range.entryStop ?? tr.numEntries, tr.numEntries) - (range.entryStart ?? 0);
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
