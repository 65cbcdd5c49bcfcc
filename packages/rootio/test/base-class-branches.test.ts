import t, { type Test } from 'tap';
import { fileURLToPath } from 'node:url';
import { openRootFile, UnsupportedBranchTypeError, type TreeReader } from '@gluon/rootio';
import { jsrootValues, normalise, perEntry } from './helpers.js';

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
const fixture = (name: string) => fileURLToPath(new URL(`fixtures/skhep/${name}`, import.meta.url));

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
