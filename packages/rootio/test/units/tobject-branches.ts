import t from 'tap';
import { fileURLToPath } from 'node:url';
import { openRootFile, UnsupportedBranchTypeError } from '@gluon/rootio';
import { jsrootValues } from '../helpers.js';

/**
 * A split object's TObject branch (its base class TObject, not split further: BDSIM's
 * `Header./Header.TObject`), each entry the TObject as its own streamer writes it, read as its two
 * members (`….TObject.fUniqueID`, `….TObject.fBits`), compared entry by entry with jsroot's
 * TObjects. Files from scikit-hep-testdata (BSD-3-Clause, see fixtures/skhep/LICENSE):
 * uproot-issue371.root and uproot-issue468.root, BDSIM's output. Such branches were listed
 * unsupported (`base class TObject of BDSOutputROOTEventHeader`), found by scripts/rootio-conformance.ts.
 */
const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/skhep/${name}`, import.meta.url));

for (const file of ['uproot-issue371.root', 'uproot-issue468.root']) {
  t.test(`${file}: every TObject branch's members equal jsroot's TObjects`, async (t) => {
    const path = fixture(file);
    const f = await openRootFile(path);
    t.teardown(() => f.close());
    let branches = 0;
    let entries = 0;
    let set = 0;
    for (const key of f.keys().filter((k) => k.className === 'TTree')) {
      const tree = await f.tree(key.name);
      for (const top of tree.branches.filter((b) => /^base class TObject of /.test(b.typeName))) {
        branches++;
        t.equal(top.kind, 'unsupported', `${top.name}: the branch itself reads nothing`);
        t.match(top.typeName, /^base class TObject of \S+ \(read its members: .*\.fUniqueID, .*\.fBits\)$/);
        await t.rejects(tree.arrays([top.name]), UnsupportedBranchTypeError);
        const names = [`${top.name}.fUniqueID`, `${top.name}.fBits`];
        t.same(names.map((n) => `${tree.branch(n).kind} ${tree.branch(n).typeName}`), ['scalar uint32', 'scalar uint32']);
        const mine = await tree.arrays(names);
        const own = top.name.slice(top.name.indexOf('/') + 1);
        const theirs = (await jsrootValues(path, key.name, [own]))[own] as Array<{ fUniqueID: number; fBits: number }>;
        t.same([...(mine[names[0]!] as Uint32Array)], theirs.map((o) => o.fUniqueID), `${top.name}.fUniqueID: every entry equals jsroot's`);
        t.same([...(mine[names[1]!] as Uint32Array)], theirs.map((o) => o.fBits), `${top.name}.fBits: every entry equals jsroot's`);
        entries += tree.numEntries;
        set += [...(mine[names[1]!] as Uint32Array)].filter((x) => x !== 0).length;
      }
    }
    t.ok(branches >= 10, `${branches} TObject branches read`);
    t.ok(entries >= branches && set > 0, `${entries} entries compared, ${set} with bits set (not a comparison of zeros)`);
  });
}
