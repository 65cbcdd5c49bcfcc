import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openRootFile, RootFileWriter, type Column, type Jagged } from '../../src/index.js';
import { columnBytes } from '../mixed-tree.js';
import { NO_DATA, sharedData } from '../helpers.js';

/**
 * Jagged columns of one read whose offsets are equal share one offsets array (shared-offsets.ts):
 * the same values as each branch read alone, whichever path decodes it (the WebAssembly kernel,
 * the JavaScript walk, counted arrays), whole, in ranges cut inside baskets, on 1 and 2 threads;
 * a column that differs from the others only after some baskets gets an array of its own; and
 * memory given back with `into` overwrites a shared array only when every column holding it was
 * given back.
 */
const dir = mkdtempSync(join(tmpdir(), 'rootio-shared-offsets-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const N = 3000;
const STEP = 500;
/** Entries from here on (inside the fourth basket) hold other counts in `e` and `g`. */
const SPLIT = 1700;
const base = (i: number) => i % 5;
const later = (i: number) => (i < SPLIT ? base(i) : (i * 7) % 4);
const other = (i: number) => i % 3;

function offsetsOf(count: (i: number) => number): Int32Array {
  const o = new Int32Array(N + 1);
  for (let i = 0; i < N; i++) o[i + 1] = o[i]! + count(i);
  return o;
}

const path = join(dir, 'shared.root');
{
  const w = await RootFileWriter.create(path, { compression: { algorithm: 'zlib', level: 1 } });
  const tw = w.createTree('t', 'shared offsets', [
    { name: 'n', type: 'int32' },
    { name: 'a', type: 'float', jagged: 'vector' }, { name: 'b', type: 'int32', jagged: 'vector' },
    { name: 'd', type: 'double', jagged: 'vector' }, { name: 'c', type: 'float', jagged: 'counted', counter: 'n' },
    { name: 'e', type: 'float', jagged: 'vector' }, { name: 'f', type: 'float', jagged: 'vector' },
    { name: 'g', type: 'double', jagged: 'vector' },
  ], { basketEntries: STEP });
  const o = offsetsOf(base), oe = offsetsOf(later), of = offsetsOf(other);
  const floats = (offsets: Int32Array, k: number) => Float32Array.from({ length: offsets[N]! }, (_, j) => k * 1000 + j / 4);
  await tw.append({
    n: Int32Array.from({ length: N }, (_, i) => base(i)),
    a: { offsets: o, values: floats(o, 1) }, b: { offsets: o, values: Int32Array.from({ length: o[N]! }, (_, j) => -j) },
    d: { offsets: o, values: Float64Array.from({ length: o[N]! }, (_, j) => j / 3) }, c: { offsets: o, values: floats(o, 2) },
    e: { offsets: oe, values: floats(oe, 3) }, f: { offsets: of, values: floats(of, 4) },
    g: { offsets: oe, values: Float64Array.from({ length: oe[N]! }, (_, j) => -j / 7) },
  });
  await w.close();
}

const ALL = ['n', 'a', 'b', 'd', 'c', 'e', 'f', 'g'];
const jagged = (cols: Record<string, Column>, name: string) => cols[name] as Jagged;
const copyOf = (cols: Record<string, Column>, names: string[]) => columnBytes(cols, names);

for (const threads of [1, 2]) {
  t.test(`${threads} thread(s): equal offsets are one array, and every column reads as when read alone`, async (t) => {
    const f = await openRootFile(path, { decompressThreads: threads });
    t.teardown(() => f.close());
    const tree = await f.tree('t');
    for (const range of [{}, { entryStart: 250, entryStop: 2750 }, { entryStart: SPLIT - 1, entryStop: SPLIT + 1 }, { entryStart: SPLIT - 1, entryStop: SPLIT + 3 }]) {
      const what = JSON.stringify(range);
      const cols = await tree.arrays(ALL, range);
      for (const name of ALL) {
        const alone = await tree.arrays([name], range);
        t.same(copyOf(cols, [name]), copyOf(alone, [name]), `${what}: ${name} as read alone`);
      }
      const a = jagged(cols, 'a').offsets;
      for (const name of ['b', 'd', 'c']) t.equal(jagged(cols, name).offsets, a, `${what}: ${name} shares a's offsets`);
      for (const name of ['a', 'b', 'd', 'c', 'e', 'f', 'g']) t.not(jagged(cols, name), jagged(cols, name === 'a' ? 'b' : 'a'), `${what}: ${name} is an object of its own`);
      // Shared exactly where the counts over the range are equal.
      const from = range.entryStart ?? 0, to = range.entryStop ?? N;
      const equal = (count: (i: number) => number) => Array.from({ length: to - from }, (_, k) => from + k).every((i) => count(i) === base(i));
      for (const [name, count] of [['e', later], ['f', other]] as const) {
        if (equal(count)) t.equal(jagged(cols, name).offsets, a, `${what}: ${name}'s counts equal a's here: shared`);
        else t.not(jagged(cols, name).offsets, a, `${what}: ${name} has offsets of its own`);
      }
      t.equal(jagged(cols, 'g').offsets, jagged(cols, 'e').offsets, `${what}: g shares e's offsets (the JavaScript walk's compare)`);
    }
    // e first: a matches e's first baskets, then differs (nothing else earlier equals it: its own
    // array, the matched part copied in); b matches e first, then moves to a where e differs (a
    // equals e up to there); g matches e throughout.
    const cols = await tree.arrays(['e', 'a', 'b', 'g'], { entryStart: 0, entryStop: N });
    t.not(jagged(cols, 'a').offsets, jagged(cols, 'e').offsets, 'a read after e: its own offsets from entry 1700 on');
    t.equal(jagged(cols, 'b').offsets, jagged(cols, 'a').offsets, 'b read after e and a: a\'s');
    t.equal(jagged(cols, 'g').offsets, jagged(cols, 'e').offsets, 'g read after e and a: e\'s');
    for (const name of ['e', 'a', 'b', 'g']) t.same(copyOf(cols, [name]), copyOf(await tree.arrays([name]), [name]), `${name} as read alone`);
  });
}

t.test('into: a shared offsets array is reused only when every column holding it is given back', async (t) => {
  const f = await openRootFile(path);
  t.teardown(() => f.close());
  const tree = await f.tree('t');
  const expected = copyOf(await tree.arrays(ALL), ALL);
  // Everything given back: the shared array is reused (once), the values are right.
  const first = await tree.arrays(ALL);
  const given = new Set(Object.values(first).map((c) => (c as Jagged).offsets?.buffer ?? (c as Int32Array).buffer));
  const second = await tree.arrays(ALL, { into: first });
  t.same(copyOf(second, ALL), expected, 'the same values in the given memory');
  t.ok(given.has(jagged(second, 'a').offsets.buffer), 'the shared offsets went into given memory');
  t.equal(jagged(second, 'b').offsets, jagged(second, 'a').offsets, 'and are shared again');
  // a given back, b, d and c (holding a's offsets) kept: their offsets must not change.
  const kept = copyOf(second, ['b', 'd', 'c']);
  const third = await tree.arrays(['f', 'a'], { into: { a: second.a!, f: second.f! } });
  t.same(copyOf(second, ['b', 'd', 'c']), kept, 'the kept columns\' shared offsets are intact');
  t.not(jagged(third, 'a').offsets.buffer, jagged(second, 'b').offsets.buffer, 'the shared array was not reused');
  t.same(copyOf(third, ['f', 'a']), copyOf(await tree.arrays(['f', 'a']), ['f', 'a']), 'the new read is right');
  // Every holder given back, under other keys: reused.
  const fourth = await tree.arrays(['a', 'b'], { into: { x: second.b!, y: second.d!, z: second.c!, w: third.a!, v: third.f!, u: second.a! } });
  t.same(copyOf(fourth, ['a', 'b']), copyOf(await tree.arrays(['a', 'b']), ['a', 'b']), 'values right into every holder given back');
});

/**
 * One jagged column given back alone (`into: first.Muon_Px`, not `into: first`) had its offsets
 * and values taken for two columns' memory, unguarded: the read wrote its offsets into the array
 * the kept Muon_Py shares (found by the new-user trial; HZZ's counted arrays have their offsets
 * in a buffer of their own, which a read of the same size fits exactly). It is a TypeError now
 * (read-args.ts), and nothing kept changes.
 */
const data = sharedData();
t.test('into: one jagged column given alone is refused, and the columns sharing its offsets keep them', { skip: data ? false : NO_DATA }, async (t) => {
  const f = await openRootFile(join(data!, 'root-testfiles', 'uproot-HZZ.root'));
  t.teardown(() => f.close());
  const tree = await f.tree('events');
  const first = await tree.arrays(['Muon_Px', 'Muon_Py'], { entryStart: 0, entryStop: 1000 });
  t.equal(jagged(first, 'Muon_Py').offsets, jagged(first, 'Muon_Px').offsets, 'Muon_Px and Muon_Py share their offsets');
  const kept = copyOf(first, ['Muon_Py']);
  await t.rejects(tree.arrays(['Muon_Pz'], { entryStart: 1000, entryStop: 2000, into: first.Muon_Px as never }), {
    name: 'TypeError', message: /: into must be the columns of an earlier read \(the object arrays\(\) returned\), got one column, \{offsets, values\} /,
  });
  t.same(copyOf(first, ['Muon_Py']), kept, 'the kept column\'s shared offsets are intact');
});

t.test('iterate with reuse: each batch shares its offsets and reads as in fresh memory', async (t) => {
  const f = await openRootFile(path);
  t.teardown(() => f.close());
  const tree = await f.tree('t');
  const fresh: string[][] = [];
  for await (const b of tree.iterate(ALL, { step: 700 })) fresh.push(copyOf(b.columns, ALL));
  let k = 0;
  for await (const b of tree.iterate(ALL, { step: 700, reuse: true })) {
    t.same(copyOf(b.columns, ALL), fresh[k], `batch ${k}`);
    t.equal(jagged(b.columns, 'c').offsets, jagged(b.columns, 'a').offsets, `batch ${k}: shared`);
    k++;
  }
  t.equal(k, fresh.length);
});
