import t, { type Test } from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openRootFile, RootFileWriter, type Column, type Jagged } from '@gluon/rootio';
import { ColumnMemory } from '../../src/column-memory.js';

/**
 * `arrays(names, { into })` writes numeric columns into the memory of an earlier read's columns
 * (column-memory.ts), and `iterate(…, { reuse: true })` each batch into the batch before it:
 * the same values as a read into fresh memory, in the given memory where it fits, and never
 * outside the bytes each given array spans.
 */

const N = 3000;

/** A file with a scalar, a vector and a counted branch (baskets of 500 entries), and what it holds. */
async function file(dir: string): Promise<string> {
  const path = join(dir, 'into.root');
  const w = await RootFileWriter.create(path, { compression: { algorithm: 'zlib', level: 1 } });
  const tw = w.createTree('t', 't', [
    { name: 'n', type: 'uint32' }, { name: 'x', type: 'float' },
    { name: 'v', type: 'float', jagged: 'vector' }, { name: 'c', type: 'int32', jagged: 'counted', counter: 'n' },
  ], { basketEntries: 500 });
  const n = Uint32Array.from({ length: N }, (_, i) => i % 5);
  const offsets = new Int32Array(N + 1);
  for (let i = 0; i < N; i++) offsets[i + 1] = offsets[i]! + n[i]!;
  const m = offsets[N]!;
  await tw.append({
    n, x: Float32Array.from({ length: N }, (_, i) => i / 4),
    v: { offsets, values: Float32Array.from({ length: m }, (_, i) => -i) }, c: { offsets, values: Int32Array.from({ length: m }, (_, i) => 7 * i) },
  });
  await w.close();
  return path;
}

/** The tree of {@link file}, written in a scratch directory removed (with the file closed) at teardown. */
async function treeOf(t: Tap) {
  const dir = mkdtempSync(join(tmpdir(), 'rootio-into-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const f = await openRootFile(await file(dir));
  t.teardown(() => f.close());
  return f.tree('t');
}
type Tap = Test;

/** The typed arrays of a column (values and offsets of a jagged one). */
function arraysOf(c: Column): ArrayBufferView[] {
  return 'offsets' in (c as object) ? [(c as Jagged).offsets, (c as Jagged).values] : [c as ArrayBufferView];
}

const plain = (cols: Record<string, Column>) => Object.fromEntries(Object.entries(cols).map(([k, c]) => [k, arraysOf(c).map((a) => Array.from(a as unknown as ArrayLike<number>))]));

t.test('a read into an earlier read\'s columns gives the same values, in that memory', async (t) => {
  const tree = await treeOf(t);
  const names = ['n', 'x', 'v', 'c'];
  const first = await tree.arrays(names, { entryStart: 0, entryStop: 1500 });
  const given = new Set(Object.values(first).flatMap(arraysOf).map((a) => a.buffer));
  const expected = plain(await tree.arrays(names, { entryStart: 1000, entryStop: 2400 }));
  const again = await tree.arrays(names, { entryStart: 1000, entryStop: 2400, into: first });
  t.same(plain(again), expected, 'the values of a read into fresh memory');
  for (const [k, c] of Object.entries(again)) {
    for (const a of arraysOf(c)) t.ok(given.has(a.buffer as ArrayBuffer), `${k}: in the memory given`);
  }
  // v and c have equal offsets: one array (shared-offsets.ts).
  t.equal((again.c as Jagged).offsets, (again.v as Jagged).offsets, 'v and c share their offsets');
  const buffers = [...new Set(Object.values(again).flatMap(arraysOf))].map((a) => a.buffer);
  t.equal(new Set(buffers).size, buffers.length, 'each given array holds one column array at most');
  // A larger range than the memory given: what does not fit is in fresh memory, and correct.
  const wide = await tree.arrays(names, { entryStart: 0, entryStop: N, into: again });
  t.same(plain(wide), plain(await tree.arrays(names)), 'a read too large for the given memory');
});

t.test('only the bytes a given array spans are written, each once', async (t) => {
  const backing = new ArrayBuffer(4096);
  const bytes = new Uint8Array(backing).fill(0xaa);
  // Two views inside one buffer (as a small Buffer is a slice of Node's pool), one given twice,
  // one overlapping it, and one misaligned for 4-byte elements.
  const a = new Float32Array(backing, 64, 100);
  const b = new Float32Array(backing, 1024, 10);
  const overlapping = new Uint8Array(backing, 80, 100);
  const odd = new Uint8Array(backing, 2001, 1000);
  const memory = new ColumnMemory([a, { offsets: new Int32Array(backing, 1024, 10), values: a }, overlapping, odd, b, ['strings']]);
  const x = memory.take('float', 100) as Float32Array;
  t.equal(x.buffer, backing);
  t.equal(x.byteOffset, 64, 'the region that fits best');
  const y = memory.take('float', 50);
  t.not(y.buffer, backing, 'a region given twice, or overlapping one given, is not taken again; a misaligned one not for 4-byte elements');
  const z = memory.take('uint8', 900) as Uint8Array;
  t.equal(z.byteOffset, 2001, 'a misaligned region still holds bytes');
  t.equal(memory.take('int32', 10).byteOffset, 1024);
  t.not(memory.take('int32', 10).buffer, backing, 'every region taken once');
  x.fill(1);
  z.fill(2);
  t.equal(bytes[63], 0xaa, 'nothing before a region is written');
  t.equal(bytes[64 + 400], 0xaa, 'nothing after it');
  t.equal(bytes[2000], 0xaa);
  t.equal(bytes[2001 + 900], 0xaa);
});

t.test('iterate with reuse: each batch in the memory of the one before, values as without', async (t) => {
  const tree = await treeOf(t);
  const names = ['x', 'v'];
  const fresh: unknown[] = [];
  for await (const b of tree.iterate(names, { step: 700 })) fresh.push(plain(b.columns));
  const reused: unknown[] = [];
  let before: Set<ArrayBufferLike> | null = null;
  let inPlace = 0;
  for await (const b of tree.iterate(names, { step: 700, reuse: true })) {
    reused.push(plain(b.columns));
    const now = Object.values(b.columns).flatMap(arraysOf).map((a) => a.buffer);
    if (before && now.every((x) => before!.has(x))) inPlace++;
    before = new Set(now);
  }
  t.same(reused, fresh, 'the same batches');
  // 3000 entries in steps of 700: 5 batches; each fits in the memory of the one before (the last has 200).
  t.equal(inPlace, 4, 'every batch after the first in the memory of the one before');
});

t.test('an RNTuple read into an earlier read\'s columns: same values, in that memory', async (t) => {
  const f = await openRootFile(fileURLToPath(new URL('../fixtures/skhep/test_1jag_int_float_rntuple_v1-0-0-0.root', import.meta.url)));
  t.teardown(() => f.close());
  const r = await f.rntuple(f.keys().find((k) => k.className === 'ROOT::RNTuple')!.name);
  const names = ['one_v_integers', 'two_v_floats'];
  const first = await r.arrays(names);
  const given = new Set(Object.values(first).map((c) => (c as Jagged).values.buffer));
  const expected = plain(await r.arrays(names, { entryStart: 20, entryStop: 90 }));
  const again = await r.arrays(names, { entryStart: 20, entryStop: 90, into: first });
  t.same(plain(again), expected);
  for (const [k, c] of Object.entries(again)) t.ok(given.has((c as Jagged).values.buffer as ArrayBuffer), `${k}: values in the memory given`);
});
