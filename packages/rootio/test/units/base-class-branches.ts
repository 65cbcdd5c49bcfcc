import t, { type Test } from 'tap';
import { fileURLToPath } from 'node:url';
import { openRootFile, UnsupportedBranchTypeError, type TreeReader } from '@gluon/rootio';
import { openFile } from 'jsroot';
import { R__unzip } from 'jsroot/io';
import { jsrootValues, normalise, perEntry } from '../helpers.js';

/**
 * A split object's branch of a base class other than TObject, not split further (each entry the
 * base object as its streamer writes it: a byte count and version, then its members), read as
 * its members, named below the branch (`SimHeader/nEXO::HeaderObject.m_EventID`, its own base
 * TObject's `….fUniqueID`, an object member's `….timeslice_start.UTC_seconds`), compared entry by
 * entry with jsroot's objects of the base. Files from scikit-hep-testdata (BSD-3-Clause, see
 * fixtures/skhep/LICENSE): uproot-issue475.root (nEXO: HeaderObject and EventObject of four
 * trees), uproot-issue433-splitlevel2.root (KM3NeT: JDAQSummarysliceHeader, its JDAQChronometer
 * holding a JDAQUTCExtended; JDAQPreamble, whose streamer of its own writes its two ints with no
 * header, stays unsupported saying so), uproot-physlite-rntuple_v1-0-0-0.root (ATLAS's
 * xAOD::AuxContainerBase, whose classes declare no members). All were listed `base class … of
 * …` and raised UnsupportedBranchTypeError, found by scripts/rootio-conformance.ts (483 such
 * branches over 231 files).
 */
const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/skhep/${name}`, import.meta.url));

/** Compares every member of every base-class branch of `tree` read as members with jsroot's base objects; returns [branches, values]. */
async function compareBases(t: Test, path: string, treeName: string, tree: TreeReader): Promise<[number, number]> {
  let branches = 0;
  let values = 0;
  for (const top of tree.branches.filter((b) => /^base class (?!TObject )\S+ of \S+ \(read its members: /.test(b.typeName))) {
    branches++;
    t.equal(top.kind, 'unsupported', `${top.name}: the branch itself reads nothing`);
    await t.rejects(tree.arrays([top.name]), UnsupportedBranchTypeError);
    const members = tree.branches.filter((b) => b.name.startsWith(`${top.name}.`));
    t.ok(members.length >= 2 && members.every((m) => m.kind === 'scalar'), `${top.name}: ${members.length} members, numbers`);
    const own = top.name.slice(top.name.lastIndexOf('/') + 1);
    const theirs = (await jsrootValues(path, treeName, [own], true))[own]!;
    t.equal(theirs.length, tree.numEntries, `${top.name}: jsroot reads every entry`);
    const cols = await tree.arrays(members.map((m) => m.name));
    for (const m of members) {
      const fields = m.name.slice(top.name.length + 1).split('.');
      const ref = theirs.map((o) => normalise(fields.reduce<unknown>((x, f) => (x as Record<string, unknown> | undefined)?.[f], o)));
      t.ok(ref.every((v) => v !== undefined), `${m.name}: jsroot's objects have it`);
      t.same(perEntry(cols[m.name]!, tree.numEntries).map(normalise), ref, `${m.name}: every entry equals jsroot's`);
      values += tree.numEntries;
    }
  }
  return [branches, values];
}

t.test("nEXO's HeaderObject and EventObject branches (TObject, then numbers) read as jsroot reads them", async (t) => {
  const path = fixture('uproot-issue475.root');
  const f = await openRootFile(path);
  t.teardown(() => f.close());
  let branches = 0;
  let values = 0;
  for (const name of ['Event/Sim/SimHeader', 'Event/Sim/SimEvent', 'Event/Elec/ElecHeader', 'Event/Elec/ElecEvent']) {
    const tree = await f.tree(name);
    const [b, v] = await compareBases(t, path, name, tree);
    branches += b;
    values += v;
  }
  t.equal(branches, 4, 'four base-class branches read');
  t.ok(values >= 40, `${values} values compared`);
  const tree = await f.tree('Event/Sim/SimHeader');
  t.same(tree.branches.filter((b) => b.name.startsWith('SimHeader/nEXO::HeaderObject.')).map((b) => `${b.name} ${b.typeName}`), [
    'SimHeader/nEXO::HeaderObject.fUniqueID uint32', 'SimHeader/nEXO::HeaderObject.fBits uint32',
    'SimHeader/nEXO::HeaderObject.m_EventID int32', 'SimHeader/nEXO::HeaderObject.m_RunID int32',
  ], "the base's own base classes' members first, as the class's own");
  const ids = (await tree.arrays(['SimHeader/nEXO::HeaderObject.m_EventID']))['SimHeader/nEXO::HeaderObject.m_EventID'] as Int32Array;
  t.same([...ids], Array.from({ length: tree.numEntries }, (_, i) => i), 'event ids 0, 1, 2, … (not a comparison of zeros)');
});

t.test("KM3NeT's JDAQSummarysliceHeader reads as jsroot reads it; JDAQPreamble, written by a streamer of its own, stays unsupported saying so", async (t) => {
  const path = fixture('uproot-issue433-splitlevel2.root');
  const f = await openRootFile(path);
  t.teardown(() => f.close());
  const tree = await f.tree('KM3NET_SUMMARYSLICE');
  t.ok(tree.numEntries > 0);
  const [branches, values] = await compareBases(t, path, 'KM3NET_SUMMARYSLICE', tree);
  t.equal(branches, 1, 'JDAQSummarysliceHeader read');
  t.ok(values >= 5 * tree.numEntries, `${values} values compared`);
  t.ok(tree.branches.some((b) => b.name === 'KM3NET_SUMMARYSLICE/KM3NETDAQ::JDAQSummarysliceHeader.timeslice_start.UTC_seconds'), 'an object member of a base of the base, by its path');
  const preamble = tree.branch('KM3NET_SUMMARYSLICE/KM3NETDAQ::JDAQPreamble');
  t.equal(preamble.kind, 'unsupported');
  t.match(preamble.typeName, /^base class KM3NETDAQ::JDAQPreamble of KM3NETDAQ::JDAQSummaryslice \(written by a streamer of its own: its first entry is not laid out as the file's StreamerInfo describes: /);
  t.notOk(tree.branches.some((b) => b.name.startsWith(`${preamble.name}.`)), 'its members are not listed');
  await t.rejects(tree.arrays([preamble.name]), UnsupportedBranchTypeError);
  await t.rejects(tree.arrays([`${preamble.name}.length`]), /no branch named/);
});

t.test("ATLAS's xAOD::AuxContainerBase branches hold nothing to read and say so", async (t) => {
  const f = await openRootFile(fixture('uproot-physlite-rntuple_v1-0-0-0.root'));
  t.teardown(() => f.close());
  const tree = await f.tree('MetaData');
  const b = tree.branch('CutBookkeepersAux./CutBookkeepersAux.xAOD::AuxContainerBase');
  t.match(b, { kind: 'unsupported', typeName: 'base class xAOD::AuxContainerBase of xAOD::CutBookkeeperAuxContainer_v1 (holds no members to read)' });
  await t.rejects(tree.arrays([b.name]), new UnsupportedBranchTypeError(b.typeName, b.name));
});

/**
 * Entries of one branch as its baskets hold them, fetched and decompressed by jsroot and cut by
 * each basket's entry-offset table here (not by our reader): the bytes a hand decoding reads.
 */
async function basketEntries(path: string, treeName: string, branchName: string): Promise<DataView[]> {
  type B = { fName: string; fWriteBasket: number; fBasketSeek: number[]; fBasketBytes: number[]; fBranches: { arr: B[] } };
  const f = await openFile(path);
  const tree = (await f.readObject(treeName)) as { fBranches: { arr: B[] } };
  const found: B[] = [];
  const walk = (bs: B[]) => bs.forEach((b) => (b.fName === branchName && found.push(b), walk(b.fBranches.arr)));
  walk(tree.fBranches.arr);
  if (found.length !== 1) throw new Error(`${found.length} branches named ${branchName}`);
  const b = found[0]!;
  const out: DataView[] = [];
  for (let k = 0; k < b.fWriteBasket; k++) {
    const key = (await f.readBuffer([b.fBasketSeek[k], b.fBasketBytes[k]])) as DataView;
    // TKey: fNbytes, fVersion, fObjlen, fDatime, fKeylen; the TBasket's fNevBuf and fLast end its header.
    const objlen = key.getUint32(6);
    const keylen = key.getUint16(14);
    const entries = key.getInt32(keylen - 9);
    const last = key.getInt32(keylen - 5) - keylen;
    const body = new DataView(key.buffer, key.byteOffset + keylen, key.byteLength - keylen);
    const data = objlen === body.byteLength ? body : ((await R__unzip(body, objlen)) as DataView);
    // After the entries: their count, then each entry's start (counted from the key's start).
    const starts = Array.from({ length: entries }, (_, i) => data.getInt32(last + 4 + 4 * i) - keylen);
    starts.push(last);
    for (let i = 0; i < entries; i++) out.push(new DataView(data.buffer, data.byteOffset + starts[i]!, starts[i + 1]! - starts[i]!));
  }
  return out;
}

t.test("KM3NeT's vector<JDAQSuperFrame>: its elements' bases JDAQPreamble and JDAQModuleIdentifier read member-wise, one value per element", async (t) => {
  // uproot-issue407.root (scikit-hep-testdata): the timeslice trees split JDAQTimeslice's
  // vector<KM3NETDAQ::JDAQSuperFrame>; the elements' base JDAQPreamble and their base
  // JDAQSuperFrameHeader's base JDAQModuleIdentifier are sub-branches not split further, listed
  // `base class … of …` and unsupported before (12 such branches over the conformance files).
  // jsroot cannot read them (it looks for a header per element: 'Not found streamer for
  // KM3NETDAQ::JDAQPreamble ver 0', objects with no members), so every value is checked against
  // the basket bytes decoded by hand (per element: the base's ints member by member, then TObject
  // as its streamer writes it: a version, fUniqueID, fBits), against the collection's counts, and
  // against its sibling numberOfHits (a superframe's length is 56 bytes of preamble and headers
  // and 6 bytes per hit).
  const path = fixture('uproot-issue407.root');
  const f = await openRootFile(path);
  t.teardown(() => f.close());
  let values = 0;
  for (const [treeName, top, entries] of [['KM3NET_TIMESLICE_L1', 'km3net_timeslice_L1', 3], ['KM3NET_TIMESLICE_SN', 'km3net_timeslice_SN', 3], ['KM3NET_TIMESLICE_L2', 'km3net_timeslice_L2', 0]] as const) {
    const tree = await f.tree(treeName);
    t.equal(tree.numEntries, entries);
    const coll = `${top}/KM3NETDAQ::JDAQTimeslice/vector<KM3NETDAQ::JDAQSuperFrame>`;
    const preamble = tree.branch(`${coll}.KM3NETDAQ::JDAQPreamble`);
    const fields = ['length', 'type', 'fUniqueID', 'fBits'].map((m) => `${preamble.name}.${m}`);
    const id = `${coll}.KM3NETDAQ::JDAQModuleIdentifier.id`;
    t.match(preamble, { kind: 'unsupported', typeName: `base class KM3NETDAQ::JDAQPreamble of each KM3NETDAQ::JDAQSuperFrame (read its members: ${fields.join(', ')})` });
    t.match(tree.branch(`${coll}.KM3NETDAQ::JDAQModuleIdentifier`), { kind: 'unsupported', typeName: `base class KM3NETDAQ::JDAQModuleIdentifier of each KM3NETDAQ::JDAQSuperFrameHeader (read its members: ${id})` });
    await t.rejects(tree.arrays([preamble.name]), new UnsupportedBranchTypeError(preamble.typeName, preamble.name));
    t.same([...fields, id].map((n) => [tree.branch(n).kind, tree.branch(n).typeName, tree.branch(n).counter]),
      ['int32', 'int32', 'uint32', 'uint32', 'int32'].map((e) => ['counted-array', `${e}[${coll}]`, coll]), `${treeName}: numbers per element, counted by ${coll}`);
    const cols = await tree.arrays([...fields, id, coll, `${coll}.numberOfHits`, `${coll}.frame_index`]);
    const jagged = (n: string) => cols[n] as { offsets: Int32Array; values: Int32Array | Uint32Array };
    const counts = [...(cols[coll] as Int32Array)];
    for (const n of [...fields, id]) t.same(perEntry(jagged(n), entries).map((e) => (e as unknown[]).length), counts, `${n}: one value per element`);
    // Decoded by hand from each entry's bytes.
    const hand = (await basketEntries(path, treeName, `${coll.slice(coll.lastIndexOf('/') + 1)}.KM3NETDAQ::JDAQPreamble`)).map((v, i) => {
      const n = counts[i]!;
      t.equal(v.byteLength, n * 18, `${treeName} entry ${i}: ${n} × (2 ints, a 10-byte TObject)`);
      const ints = (at: number) => Array.from({ length: n }, (_, k) => v.getInt32(at + 4 * k));
      const tobject = (at: number) => Array.from({ length: n }, (_, k) => v.getUint32(8 * n + 10 * k + at));
      return [ints(0), ints(4 * n), tobject(2), tobject(6)];
    });
    t.equal(hand.length, entries);
    fields.forEach((n, j) => t.same(perEntry(jagged(n), entries), hand.map((e) => e[j]), `${n}: every value equals the hand decoding`));
    const ids = (await basketEntries(path, treeName, `${coll.slice(coll.lastIndexOf('/') + 1)}.KM3NETDAQ::JDAQModuleIdentifier`)).map((v) => Array.from({ length: v.byteLength / 4 }, (_, k) => v.getInt32(4 * k)));
    t.same(perEntry(jagged(id), entries), ids, `${id}: every value equals the hand decoding`);
    const length = jagged(fields[0]!).values;
    const hits = jagged(`${coll}.numberOfHits`).values;
    t.ok(length.every((l, k) => l === 56 + 6 * hits[k]!), `${treeName}: each superframe's length is 56 + 6 × its numberOfHits`);
    t.ok(jagged(fields[1]!).values.every((x) => x === 101), 'each type is 101 (a JDAQSuperFrame)');
    // What the file holds there: each element's frame_index (512, 509, 514 in L1), not a module id.
    t.same([...jagged(id).values], [...jagged(`${coll}.frame_index`).values], `${id}: the file holds each frame's frame_index there`);
    values += 5 * length.length;
  }
  t.ok(values >= 5 * 400, `${values} values compared`);
});
