import t from 'tap';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openRootFile, type BranchInfo, type Column } from '@gluon/rootio';

/**
 * A branch's `kind` says what its column is (the README's table "What comes back"): a caller
 * switches on it. Split objects' `std::string` members (uproot-small-evnt-tree-fullsplit's
 * `evt/StdStr`, BDSIM's `Summary./Summary.seedStateAtStart`, ATLAS's
 * `FileMetaDataAux./FileMetaDataAux.dataType`) were listed `nested` while their column was a
 * `string[]`, so code written for `nested` (`{offsets, values}`) found no offsets.
 */
const dir = fileURLToPath(new URL('../fixtures/skhep/', import.meta.url));

/** What is wrong with `c` as the column of a `b.kind` branch of `n` entries, or null. */
function shapeError(b: BranchInfo, c: Column, n: number): string | null {
  const levels = (x: unknown, count: number, depth: number): string | null => {
    if (Array.isArray(x) || ArrayBuffer.isView(x)) return (x as { length: number }).length === count ? null : `level ${depth} holds ${(x as { length: number }).length} values for ${count}`;
    const j = x as { offsets?: unknown; values?: unknown; keys?: unknown };
    if (!(j?.offsets instanceof Int32Array)) return `level ${depth} has no offsets (${Array.isArray(x) ? 'an array' : typeof x})`;
    const o = j.offsets;
    if (o.length !== count + 1 || o[0] !== 0) return `level ${depth}: ${o.length} offsets for ${count} entries`;
    if (j.keys !== undefined) return levels(j.keys, o[count]!, depth + 1) ?? levels(j.values, o[count]!, depth + 1);
    return levels(j.values, o[count]!, depth + 1);
  };
  switch (b.kind) {
    case 'scalar':
      return ArrayBuffer.isView(c) && (c as { length: number }).length === n ? null : 'not a typed array of one value per entry';
    case 'string':
      return Array.isArray(c) && c.length === n && c.every((s) => typeof s === 'string') ? null : 'not a string[] of one string per entry';
    case 'fixed-array': {
      const f = c as { values?: { length: number }; innerShape?: number[] };
      return f.innerShape && f.values?.length === n * f.innerShape.reduce((a, x) => a * x, 1) ? null : 'not {values, innerShape}';
    }
    case 'vector':
    case 'counted-array':
    case 'nested': {
      // A nested column has an offsets array at its first level, as every jagged column does.
      if (!((c as { offsets?: unknown }).offsets instanceof Int32Array)) return `no offsets at its first level (${Array.isArray(c) ? 'an array' : typeof c})`;
      return levels(c, n, 0);
    }
    default:
      return `kind ${b.kind}`;
  }
}

for (const [file, trees] of [
  ['uproot-small-evnt-tree-fullsplit.root', ['tree']],
  ['uproot-nesteddirs.root', ['three/tree']],
  ['uproot-issue468.root', ['Event', 'Run']],
  ['uproot-physlite-rntuple_v1-0-0-0.root', ['MetaData']],
] as const) {
  t.test(`${file}: every readable branch's column is what its kind says`, async (t) => {
    const f = await openRootFile(dir + file);
    t.teardown(() => f.close());
    for (const name of trees) {
      const tree = await f.tree(name);
      const readable = tree.branches.filter((b) => b.kind !== 'unsupported');
      const n = Math.min(tree.numEntries, 20);
      const cols = await tree.arrays(readable.map((b) => b.name), { entryStop: n });
      const wrong = readable.map((b) => [b, shapeError(b, cols[b.name]!, n)] as const).filter(([, e]) => e !== null);
      t.same(wrong.map(([b, e]) => `${b.name} (${b.kind}, ${b.typeName}): ${e}`), [], `${name}: ${readable.length} branches`);
    }
  });
}

t.test("a split object's std::string member is a string branch", async (t) => {
  const f = await openRootFile(dir + 'uproot-small-evnt-tree-fullsplit.root');
  t.teardown(() => f.close());
  const tree = await f.tree('tree');
  t.match(tree.branch('evt/StdStr'), { kind: 'string', typeName: 'string' });
  const { 'evt/StdStr': s } = await tree.arrays(['evt/StdStr'], { entryStart: 98 });
  t.same(s, ['std-098', 'std-099'], 'a range of it');
});

/**
 * The README's RNTuple table names NanoAOD's fields as examples: it said `_collection0.Muon_pt`,
 * which the committed NanoAOD fixture does not have (its muons are `_collection15.Muon_pt`, and
 * `Muon_pt` projected), so a new user trying it got "no field named _collection0.Muon_pt". Every
 * name of the table's NanoAOD rows is read from the fixture.
 */
t.test('the NanoAOD names of the README\'s RNTuple table are fields of the committed fixture', async (t) => {
  const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
  const rows = readme.split('\n').filter((l) => l.startsWith('|') && l.includes('NanoAOD'));
  const spans = rows.flatMap((l) => [...l.matchAll(/`([^`]+)`/g)].map((m) => m[1]!));
  const fields = spans.filter((s) => s.includes('Muon'));
  const collections = spans.filter((s) => /^_collection\d+$/.test(s));
  t.ok(fields.length >= 2 && collections.length >= 1, `the table names NanoAOD fields (${fields.join(', ')}) and a collection (${collections.join(', ')})`);
  const f = await openRootFile(`${dir}cmsopendata2015_ttbar_19980_NANOAOD_RNTupleImporter_rntuple_v1-0-0-1.root`);
  t.teardown(() => f.close());
  const r = await f.rntuple('Events');
  for (const c of collections) t.ok(r.branches.some((b) => b.name.startsWith(`${c}.`)), `${c} is a collection of the fixture`);
  for (const name of fields) {
    const got = await r.arrays([name]).then((a) => a[name], (e: Error) => e.message);
    t.notOk(typeof got === 'string', `${name} reads${typeof got === 'string' ? `: ${got.slice(0, 200)}` : ''}`);
  }
});
