import t from 'tap';
import { fileURLToPath } from 'node:url';
import { openRootFile, type Column } from '@gluon/rootio';

/**
 * Strings and STL containers to any depth (scikit-hep-testdata's uproot-stl_containers.root,
 * made by its dev/make-root/stl_containers.C: entry k = 1…5 holds the numbers 1…k, the names
 * "one"…, containers of containers of those, and maps from them). The expected values are
 * rebuilt here from the macro's rules; std::set and std::map keep their keys sorted.
 */
const path = fileURLToPath(new URL('../fixtures/skhep/uproot-stl_containers.root', import.meta.url));
const NAMES = ['one', 'two', 'three', 'four', 'five'];
const upTo = (k: number) => Array.from({ length: k }, (_, i) => i + 1);
const names = (k: number) => NAMES.slice(0, k);
const sorted = (xs: string[]) => [...xs].sort();
const byName = (k: number) => sorted(names(k)).map((n) => [n, NAMES.indexOf(n) + 1] as const);

const expected: Record<string, (k: number) => unknown> = {
  string: (k) => NAMES[k - 1],
  tstring: (k) => NAMES[k - 1],
  vector_int32: upTo,
  vector_string: names,
  vector_tstring: names,
  vector_vector_int32: (k) => upTo(k).map(upTo),
  vector_vector_string: (k) => upTo(k).map(names),
  vector_vector_tstring: (k) => upTo(k).map(names),
  vector_set_int32: (k) => upTo(k).map(upTo),
  vector_set_string: (k) => upTo(k).map((j) => sorted(names(j))),
  set_int32: upTo,
  set_string: (k) => sorted(names(k)),
  map_int32_int16: (k) => upTo(k).map((j) => [j, j]),
  map_int32_vector_int16: (k) => upTo(k).map((j) => [j, upTo(j)]),
  map_int32_vector_string: (k) => upTo(k).map((j) => [j, names(j)]),
  map_int32_set_int16: (k) => upTo(k).map((j) => [j, upTo(j)]),
  map_int32_set_string: (k) => upTo(k).map((j) => [j, sorted(names(j))]),
  map_string_int16: (k) => byName(k).map(([n, j]) => [n, j]),
  map_string_vector_int16: (k) => byName(k).map(([n, j]) => [n, upTo(j)]),
  map_string_vector_string: (k) => byName(k).map(([n, j]) => [n, names(j)]),
  map_string_set_int16: (k) => byName(k).map(([n, j]) => [n, upTo(j)]),
  map_string_set_string: (k) => byName(k).map(([n, j]) => [n, sorted(names(j))]),
  map_int32_vector_vector_int16: (k) => upTo(k).map((j) => [j, upTo(j).map(upTo)]),
  map_int32_vector_set_int16: (k) => upTo(k).map((j) => [j, upTo(j).map(upTo)]),
  map_string_string: (k) => byName(k).map(([n]) => [n, n.toUpperCase()]),
  map_string_tstring: (k) => byName(k).map(([n]) => [n, n.toUpperCase()]),
};

/** A column back as one plain value per item of its top level. */
function rows(c: Column): unknown[] {
  if (Array.isArray(c)) return c;
  if (ArrayBuffer.isView(c)) return Array.from(c as ArrayLike<number | bigint>, Number);
  const level = c as { offsets: Int32Array; values: Column; keys?: Column };
  const values = rows(level.values);
  const keys = level.keys ? rows(level.keys) : null;
  const items = keys ? keys.map((k, i) => [k, values[i]]) : values;
  return Array.from({ length: level.offsets.length - 1 }, (_, i) => items.slice(level.offsets[i]!, level.offsets[i + 1]!));
}

t.test('every container branch reads as the macro filled it', async (t) => {
  const f = await openRootFile(path);
  t.teardown(() => f.close());
  const tree = await f.tree('tree');
  t.same(tree.branches.filter((b) => b.kind === 'unsupported').map((b) => b.name), [], 'no branch is unsupported');
  const cols = await tree.arrays(Object.keys(expected));
  for (const [name, want] of Object.entries(expected)) {
    t.same(rows(cols[name]!), upTo(5).map(want), `${name} (${tree.branch(name).typeName})`);
  }
  const part = await tree.arrays(['map_string_vector_string', 'vector_vector_int32'], { entryStart: 2, entryStop: 4 });
  t.same(rows(part.map_string_vector_string!), [3, 4].map(expected.map_string_vector_string!), 'a range inside the basket');
  t.same(rows(part.vector_vector_int32!), [3, 4].map(expected.vector_vector_int32!));
});

t.test('damaged container bytes end in RootFormatError naming the file, never another error', async (t) => {
  const { mkdtempSync, readFileSync, rmSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { RootFormatError, UnsupportedBranchTypeError } = await import('@gluon/rootio');
  const good = readFileSync(path);
  const tmp = mkdtempSync(join(tmpdir(), 'stl-damage-'));
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
  let failed = 0;
  for (let k = 0; k < 60; k++) {
    const bytes = Uint8Array.from(good);
    const at = 100 + Math.floor(((good.length - 100) * k) / 60);
    bytes[at] ^= 0x5a;
    const p = join(tmp, `d${k}.root`);
    writeFileSync(p, bytes);
    try {
      const f = await openRootFile(p);
      try {
        const tree = await f.tree('tree');
        await tree.arrays(tree.branches.filter((b) => b.kind !== 'unsupported').map((b) => b.name));
      } finally {
        await f.close();
      }
    } catch (err) {
      failed++;
      if (!(err instanceof RootFormatError || err instanceof UnsupportedBranchTypeError)) t.fail(`byte ${at}: ${(err as Error)?.name}: ${(err as Error)?.message}`);
    }
  }
  t.ok(failed > 10, `${failed} of 60 damaged copies were refused with a RootFormatError`);
});
