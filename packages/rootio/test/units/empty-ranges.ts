import t from 'tap';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openRootFile, type BranchInfo, type Column } from '@gluon/rootio';

/**
 * An empty entry range (a tree with no entries, or `entryStart === entryStop`) reads every
 * readable branch as an empty column of its kind's shape, as a range with entries does: a
 * counted array is still `{offsets: [0], values: []}`. Found by scripts/rootio-conformance.ts on
 * scikit-hep-testdata's uproot-issue124.root (a KM3NeT tree of 0 entries): a TClonesArray's
 * fBits member read as a bare Uint32Array, and a packed (Double32_t) counted member raised
 * "the counts of … are needed" (uproot-issue187.root's V0s.fV0CosPA), whenever no basket
 * overlapped the range (a tree of 0 entries, or a range at its end). Every committed scikit-hep-testdata fixture, every tree and
 * RNTuple.
 */
const dir = fileURLToPath(new URL('../fixtures/skhep/', import.meta.url));

function emptyShape(b: BranchInfo, c: Column): string | null {
  switch (b.kind) {
    case 'scalar':
      return ArrayBuffer.isView(c) && (c as { length: number }).length === 0 ? null : 'not an empty typed array';
    case 'string':
      return Array.isArray(c) && c.length === 0 ? null : 'not an empty list of strings';
    case 'fixed-array': {
      const f = c as { values?: ArrayLike<unknown>; innerShape?: number[] };
      return f.values?.length === 0 && f.innerShape?.length ? null : 'not {values: [], innerShape}';
    }
    default: {
      // A container of containers has one offsets array per level, the first as every jagged column's.
      const j = c as { offsets?: Int32Array };
      return j.offsets instanceof Int32Array && j.offsets.length === 1 && j.offsets[0] === 0 ? null : `not {offsets: [0], …}: ${Object.keys(c)}`;
    }
  }
}

for (const name of readdirSync(dir).filter((f) => f.endsWith('.root')).sort()) {
  t.test(name, async (t) => {
    const f = await openRootFile(dir + name);
    t.teardown(() => f.close());
    let checked = 0;
    for (const key of f.keys()) {
      const reader = key.className === 'ROOT::RNTuple' ? await f.rntuple(key.name) : /^(TTree|TNtuple|TNtupleD)$/.test(key.className) ? await f.tree(key.name) : null;
      if (!reader) continue;
      // Inside the first basket, and past the last entry (where no basket overlaps the range).
      for (const at of new Set([Math.min(1, reader.numEntries), reader.numEntries])) {
        for (const b of reader.branches.filter((x) => x.kind !== 'unsupported')) {
          const c = (await reader.arrays([b.name], { entryStart: at, entryStop: at }))[b.name]!;
          const problem = emptyShape(b, c);
          if (problem) t.fail(`${key.name} ${b.name} (${b.kind} ${b.typeName}) over entries ${at}–${at}: ${problem}`);
          checked++;
        }
      }
    }
    t.pass(`${checked} branches read over an empty range`);
  });
}
