import t from 'tap';
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
