import t from 'tap';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { openRootFile, UnsupportedBranchTypeError } from '@gluon/rootio';
import { jsrootValues, NO_DATA, normalise, perEntry, sharedData } from '../helpers.js';

const data = sharedData();
if (!data) {
  t.skip;
} else {
  const files = [
    ...readdirSync(join(data, 'root-testfiles')).filter((f) => f.endsWith('.root')).map((f) => join(data, 'root-testfiles', f)),
    ...['A', 'B', 'C', 'D'].map((p) => join(data, 'atlas-opendata-13tev-2020-4lep', 'Data', `data_${p}.4lep.root`)),
  ];
  for (const path of files) {
    t.test(path.split('/').slice(-1)[0]!, async (t) => {
      const f = await openRootFile(path);
      t.teardown(() => f.close());
      const trees = f.keys().filter((k) => k.className === 'TTree');
      if (trees.length === 0) return t.pass('no trees in this file');
      for (const key of trees) {
        const tree = await f.tree(key.name);
        const supported = tree.branches.filter((b) => b.kind !== 'unsupported');
        for (const b of tree.branches.filter((b) => b.kind === 'unsupported')) {
          await t.rejects(tree.arrays([b.name]), UnsupportedBranchTypeError, `${b.name} (${b.typeName}) is reported, not mis-read`);
        }
        if (supported.length === 0) continue;
        const ours = await tree.arrays(supported.map((b) => b.name));
        const theirs = tree.numEntries ? await jsrootValues(path, key.name, supported.map((b) => b.name)) : {};
        let mismatches = 0;
        for (const b of supported) {
          // jsroot turns a fixed char array (TLeafB with a length) into a C string, which ends at
          // the first zero byte; ROOT and uproot mean signed bytes. Where jsroot gave a string,
          // compare what it can represent: our bytes up to the first zero, as its char codes.
          const theirsRaw = theirs[b.name] ?? [];
          const mine = perEntry(ours[b.name]!, tree.numEntries).map((v, i) => {
            if (!b.typeName.startsWith('int8[') || typeof theirsRaw[i] !== 'string' || !Array.isArray(v)) return normalise(v);
            return v.includes(0) ? v.slice(0, v.indexOf(0)) : v;
          });
          const ref = theirsRaw.map((v) => (b.typeName.startsWith('int8[') && typeof v === 'string' ? Array.from(v, (ch) => (ch.charCodeAt(0) << 24) >> 24) : normalise(v)));
          if (mine.length !== tree.numEntries || JSON.stringify(mine) !== JSON.stringify(ref)) {
            mismatches++;
            const at = mine.findIndex((v, i) => JSON.stringify(v) !== JSON.stringify(ref[i]));
            t.fail(`${key.name}.${b.name} (${b.typeName}) differs from jsroot at entry ${at}: ${JSON.stringify(mine[at])} vs ${JSON.stringify(ref[at])}`);
          }
        }
        t.equal(mismatches, 0, `${key.name}: ${supported.length} branches × ${tree.numEntries} entries equal jsroot`);
      }
    });
  }
}
