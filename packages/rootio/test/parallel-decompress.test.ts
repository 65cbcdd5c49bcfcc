import t, { type Test } from 'tap';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { openRootFile, RootFileWriter, type BranchSpec, type TreeWriter } from '@gluon/rootio';
import { NO_DATA, sharedData } from './helpers.js';
import { firstDifference, noDifference, sameValues } from '../../../test/helpers/same-values.js';

/**
 * decompressThreads > 1: a read's baskets are decompressed on worker threads in parallel; every value
 * must be what the one-thread read gives, for every file, codec and branch we read, and damage
 * must still be a RootFormatError naming the block.
 */
const fixtures = fileURLToPath(new URL('fixtures/skhep/', import.meta.url));
const data = sharedData();
const files = [
  ...readdirSync(fixtures).filter((f) => f.endsWith('.root') && !f.includes('rntuple')).map((f) => join(fixtures, f)),
  ...(data ? readdirSync(join(data, 'root-testfiles')).filter((f) => f.endsWith('.root')).map((f) => join(data, 'root-testfiles', f)) : []),
  ...(data ? [join(data, 'atlas-opendata-13tev-2020-4lep', 'Data', 'data_A.4lep.root')] : []),
];
if (!data) t.comment(NO_DATA);

t.test('parallel decompression reads the same values as the one-thread read', async (t) => {
  for (const path of files) {
    const one = await openRootFile(path);
    const four = await openRootFile(path, { decompressThreads: 4 });
    t.teardown(() => Promise.all([one.close(), four.close()]));
    for (const k of one.keys().filter((k) => k.className === 'TTree')) {
      const a = await one.tree(`${k.name};${k.cycle}`);
      const b = await four.tree(`${k.name};${k.cycle}`);
      const names = a.branches.filter((x) => x.kind !== 'unsupported').map((x) => x.name);
      sameValues(t, await b.arrays(names), await a.arrays(names), `${path.split('/').pop()} ${k.name}: ${names.length} branches`);
    }
  }
});

t.test('decompressThreads must be a positive integer', async (t) => {
  await t.rejects(openRootFile(files[0]!, { decompressThreads: 0 }), { name: 'RangeError', message: /decompressThreads must be a positive integer ≤ \d+ \(.*\), got 0$/ });
});

t.test('a damaged basket read on the pool is a RootFormatError, nothing left unobserved', async (t) => {
  if (!data) return t.skip;
  const { mkdtempSync, readFileSync, rmSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const src = join(data, 'root-testfiles', 'uproot-HZZ-zlib.root');
  const f = await openRootFile(src);
  const meta = (await f.object('events')) as unknown as { fBranches: { arr: Array<{ fName: string; fBasketSeek: number[]; fBasketBytes: number[] }> } };
  await f.close();
  const b = meta.fBranches.arr.find((x) => x.fName === 'Muon_Px')!;
  const bytes = Uint8Array.from(readFileSync(src));
  // The middle of the branch's first basket's compressed payload (after its key header).
  const seek = Number(b.fBasketSeek[0]);
  const keylen = new DataView(bytes.buffer).getInt16(seek + 14);
  const at = seek + keylen + Math.floor((Number(b.fBasketBytes[0]) - keylen) / 2);
  bytes[at] ^= 0xff;
  const dir = mkdtempSync(join(tmpdir(), 'rootio-par-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const bad = join(dir, 'damaged.root');
  writeFileSync(bad, bytes);
  const g = await openRootFile(bad, { decompressThreads: 4 });
  t.teardown(() => g.close());
  const tree = await g.tree('events');
  await t.rejects(tree.arrays(['NJet', 'Muon_Px', 'Muon_Py']), { name: 'RootFormatError', message: /damaged\.root: .*(zlib|basket)/ });
});

/** Writes tree `t` of `columns` into a temporary file (removed after the test), 1,000 entries a basket. */
async function writeTree(t: Test, file: string, spec: BranchSpec[], columns: Parameters<TreeWriter['append']>[0]): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'rootio-par-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, file);
  const w = await RootFileWriter.create(path, { compression: { algorithm: 'zlib', level: 1 } });
  await w.createTree('t', file, spec, { basketEntries: 1_000 }).append(columns);
  await w.close();
  return path;
}

t.test('many baskets on 2 and 3 threads: arrays and iterate (baskets cut by the steps, cached between them) match one thread', async (t) => {
  const n = 60_000;
  const counts = Int32Array.from({ length: n }, (_, i) => (i * 7) % 5);
  const offsets = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) offsets[i + 1] = offsets[i]! + counts[i]!;
  const values = Float32Array.from({ length: offsets[n]! }, (_, i) => Math.sin(i) * 1000);
  const path = await writeTree(t, 'many-baskets.root', [
    { name: 'x', type: 'double' }, { name: 'n', type: 'int32' }, { name: 'v', type: 'float', jagged: 'vector' },
    { name: 'c', type: 'float', jagged: 'counted', counter: 'n' },
  ], { x: Float64Array.from({ length: n }, (_, i) => i * 0.5), n: counts, v: { offsets, values }, c: { offsets, values } });
  const names = ['x', 'n', 'v', 'c'];
  const one = await openRootFile(path);
  t.teardown(() => one.close());
  const want = await (await one.tree('t')).arrays(names);
  const wantSteps = [];
  for await (const b of (await one.tree('t')).iterate(names, { step: 7_777 })) wantSteps.push(b);
  for (const threads of [2, 3]) {
    const f = await openRootFile(path, { decompressThreads: threads });
    t.teardown(() => f.close());
    const tree = await f.tree('t');
    sameValues(t, await tree.arrays(names), want, `${threads} threads: the whole read (240 baskets)`);
    // Each step compared as it comes, before the next is read.
    const diffs: Array<string | null> = [];
    for await (const b of tree.iterate(names, { step: 7_777 })) diffs.push(firstDifference(b, wantSteps[diffs.length], `steps[${diffs.length}]`));
    const count = diffs.length === wantSteps.length ? null : `${diffs.length} steps where ${wantSteps.length} were expected`;
    noDifference(t, diffs.find((d) => d !== null) ?? count, `${threads} threads: ${diffs.length} steps of 7,777 entries`);
  }
});

t.test('a basket cut by a step and kept for the next comes from its own memory, not a ring slot refilled since', async (t) => {
  // Baskets of `big` (800 KB) make a ring of 40 slots; a step of 49,500 entries reads 50 baskets
  // of `x` then 50 of `big`, so the ring wraps after `x`'s last basket (cut by the step, kept for
  // the next step) has been decoded: that basket must not be read back from a refilled slot.
  const n = 60_000;
  const per = 200;
  const offsets = Int32Array.from({ length: n + 1 }, (_, i) => i * per);
  // A loop, not Float32Array.from({ length }, fn): its generic path took 2 CPU-s for these 12 M values.
  const values = new Float32Array(n * per);
  for (let i = 0; i < values.length; i++) values[i] = (i * 31) % 97;
  const path = await writeTree(t, 'ring-wrap.root', [{ name: 'x', type: 'double' }, { name: 'big', type: 'float', jagged: 'vector' }],
    { x: Float64Array.from({ length: n }, (_, i) => i + 0.25), big: { offsets, values } });
  const f = await openRootFile(path, { decompressThreads: 2 });
  t.teardown(() => f.close());
  const tree = await f.tree('t');
  let checked = 0;
  for await (const b of tree.iterate(['x', 'big'], { step: 49_500 })) {
    const x = b.columns.x as Float64Array;
    let bad = -1;
    for (let i = 0; i < x.length && bad < 0; i++) if (x[i] !== b.entryStart + i + 0.25) bad = i;
    t.equal(bad, -1, `entries ${b.entryStart}–${b.entryStop}: every x is its own entry's${bad >= 0 ? ` (entry ${b.entryStart + bad} reads ${x[bad]})` : ''}`);
    checked += x.length;
  }
  t.equal(checked, n);
});
