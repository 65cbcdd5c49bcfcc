/**
 * Reads every branch of every TTree in a folder of ROOT files and reports what does not read:
 * files that do not open, trees that do not load, branches listed as readable whose read throws,
 * and a count of unsupported branch types. Not a test: point it at a checkout of
 * scikit-hep-testdata (`src/skhep_testdata/data`) or any collection of real files.
 *
 *   npx tsc -b packages/rootio && npx tsx scripts/rootio-conformance.ts DIR [--max-mb 3]
 *
 * Exits 1 when any readable branch fails.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { openRootFile } from '@gluon/rootio';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: npx tsx scripts/rootio-conformance.ts DIR [--max-mb N]');
  process.exit(2);
}
const maxAt = process.argv.indexOf('--max-mb');
const maxBytes = (maxAt > 0 ? Number(process.argv[maxAt + 1]) : 3) * 1e6;
const unsupported = new Map<string, number>();
const totals = { files: 0, trees: 0, branches: 0, read: 0, failed: 0 };
const files = readdirSync(dir).filter((f) => f.endsWith('.root') && statSync(join(dir, f)).size <= maxBytes).sort();
for (const name of files) {
  let f;
  try {
    f = await openRootFile(join(dir, name));
  } catch (err) {
    totals.failed++;
    console.log(`does not open: ${name}: ${(err as Error).message}`);
    continue;
  }
  totals.files++;
  try {
    for (const key of await f.keys()) {
      if (!/^(TTree|TNtuple|TNtupleD)$/.test(key.className)) continue;
      let tree;
      try {
        tree = await f.tree(key.name);
      } catch (err) {
        totals.failed++;
        console.log(`tree does not load: ${name} ${key.name}: ${(err as Error).message}`);
        continue;
      }
      totals.trees++;
      for (const b of tree.branches) {
        totals.branches++;
        if (b.kind === 'unsupported') {
          if (/split: read its sub-branches/.test(b.typeName)) continue;
          const kind = b.typeName.replace(/ member of .*/, ' member').replace(/^leaf list of .*/, 'leaf list');
          unsupported.set(kind, (unsupported.get(kind) ?? 0) + 1);
          continue;
        }
        try {
          await tree.arrays([b.name]);
          totals.read++;
        } catch (err) {
          totals.failed++;
          console.log(`does not read: ${name} ${key.name} ${b.name} (${b.typeName}): ${(err as Error).message}`);
        }
      }
    }
  } finally {
    await f.close();
  }
}
console.log(totals);
console.log('unsupported, by type:', Object.fromEntries([...unsupported].sort((a, b) => b[1] - a[1])));
process.exit(totals.failed ? 1 : 0);
