import t from 'tap';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openFile } from 'jsroot';
import { decompress, openRootFile, RootFileWriter, RootIOError } from '@gluon/rootio';
import { compressPayload, MAX_BLOCK } from '../../src/write/compress.js';
import { jsrootValues, normalise, perEntry } from '../helpers.js';

/** Edge cases of the writer: empty trees and baskets, 64-bit addresses, big blocks, bad input. */
const dir = mkdtempSync(join(tmpdir(), 'rootio-edges-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test('an empty tree (no entries, no baskets) reads back as 0 entries', async (t) => {
  const path = join(dir, 'empty.root');
  const w = await RootFileWriter.create(path);
  w.createTree('empty', 'nothing', [{ name: 'x', type: 'float' }, { name: 'v', type: 'int32', jagged: 'vector' }, { name: 'c', type: 'double', jagged: 'counted', counter: 'nc' }]);
  await w.close();
  const j = await (await openFile(path)).readObject('empty');
  t.equal(j.fEntries, 0);
  t.same(j.fBranches.arr.map((b: any) => b.fName), ['x', 'v', 'nc', 'c']);
  t.same(j.fBranches.arr.map((b: any) => b.fWriteBasket), [0, 0, 0, 0]);
  const f = await openRootFile(path);
  t.teardown(() => f.close());
  const tree = await f.tree('empty');
  t.equal(tree.numEntries, 0);
  const cols = await tree.arrays(['x', 'v', 'c']);
  t.equal((cols['x'] as Float32Array).length, 0);
  t.same(Array.from((cols['v'] as { offsets: Int32Array }).offsets), [0]);
});

t.test('a counted branch declared before its counter: the counter is written first, both readers agree', async (t) => {
  const path = join(dir, 'counter-after.root');
  const n = 300;
  const counts = Int32Array.from({ length: n }, (_, i) => i % 4);
  const offsets = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) offsets[i + 1] = offsets[i]! + counts[i]!;
  const values = Float32Array.from({ length: offsets[n]! }, (_, j) => j / 4);
  const w = await RootFileWriter.create(path);
  const tw = w.createTree('t', 'counter declared last', [{ name: 'c', type: 'float', jagged: 'counted', counter: 'n' }, { name: 'x', type: 'double' }, { name: 'n', type: 'int32' }], { basketEntries: 70 });
  await tw.append({ c: { offsets, values }, x: Float64Array.from({ length: n }, (_, i) => i), n: counts });
  await w.close();
  const j = await (await openFile(path)).readObject('t');
  t.same(j.fBranches.arr.map((b: any) => b.fName), ['n', 'c', 'x'], 'the counter moved before its user');
  const f = await openRootFile(path);
  t.teardown(() => f.close());
  const tree = await f.tree('t');
  t.equal(tree.branch('c').kind, 'counted-array');
  t.equal(tree.branch('c').counter, 'n');
  const got = await tree.arrays(['c', 'n'], { entryStart: 65, entryStop: 150 });
  const expect = Array.from({ length: 85 }, (_, i) => Array.from(values.subarray(offsets[65 + i]!, offsets[66 + i]!)));
  t.same(perEntry(got['c']!, 85), expect, 'our reader');
  const js = await jsrootValues(path, 't', ['c']);
  t.same(js['c']!.slice(65, 150).map((v) => (v as number[]).map(normalise)), expect.map((e) => e.map(normalise)), 'jsroot');
});

t.test('vectors of every length from 0 to 22, whole and in ranges that cut baskets', async (t) => {
  // Lengths 0..22 exercise both the short-entry fast copy (≤ 6 elements) and the exact loop,
  // for 4-byte elements (the fused count-and-copy path) and for 2- and 8-byte ones.
  const path = join(dir, 'vector-lengths.root');
  const n = 400;
  const counts = Array.from({ length: n }, (_, i) => (i * 37) % 23);
  const offsets = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) offsets[i + 1] = offsets[i]! + counts[i]!;
  const m = offsets[n]!;
  const cols = {
    vf: { offsets, values: Float32Array.from({ length: m }, (_, j) => j / 8 - 300) },
    vi: { offsets, values: Int32Array.from({ length: m }, (_, j) => (j % 2 ? -1 : 1) * j * 1001) },
    vs: { offsets, values: Int16Array.from({ length: m }, (_, j) => (j % 600) - 300) },
    vd: { offsets, values: Float64Array.from({ length: m }, (_, j) => j / 3) },
  };
  const w = await RootFileWriter.create(path);
  const tw = w.createTree('t', 'vector lengths', Object.keys(cols).map((name) => ({ name, type: ({ vf: 'float', vi: 'int32', vs: 'int16', vd: 'double' } as const)[name as 'vf'], jagged: 'vector' as const })), { basketEntries: 130 });
  await tw.append(cols);
  await w.close();
  const f = await openRootFile(path);
  t.teardown(() => f.close());
  const tree = await f.tree('t');
  for (const [a, z] of [[0, n], [1, 399], [129, 131], [130, 260], [5, 6], [250, 400], [0, 0]] as const) {
    const got = await tree.arrays(Object.keys(cols), { entryStart: a, entryStop: z });
    for (const [name, col] of Object.entries(cols)) {
      const expect = Array.from({ length: z - a }, (_, i) => Array.from(col.values.subarray(offsets[a + i]!, offsets[a + i + 1]!)));
      t.same(perEntry(got[name]!, z - a), expect, `${name} [${a}, ${z})`);
    }
  }
});

t.test('0-entry baskets between full ones are skipped by both readers', async (t) => {
  const path = join(dir, 'zero-basket.root');
  const w = await RootFileWriter.create(path);
  const tw = w.createTree('t', '', [{ name: 'x', type: 'int32' }, { name: 'v', type: 'float', jagged: 'vector' }, { name: 'c', type: 'int16', jagged: 'counted', counter: 'n' }]);
  const expect = { x: [] as number[], v: [] as number[][], c: [] as number[][] };
  let k = 0;
  for (const n of [3, 0, 4]) {
    if (n > 0) {
      const offsets = Int32Array.from({ length: n + 1 }, (_, i) => i * (i + 1) / 2);
      const total = offsets[n]!;
      const x = Int32Array.from({ length: n }, (_, i) => k + i);
      const vals = Float32Array.from({ length: total }, (_, i) => k * 10 + i + 0.5);
      const cv = Int16Array.from({ length: total }, (_, i) => -(k * 10 + i));
      await tw.append({ x, v: { offsets, values: vals }, c: { offsets, values: cv } });
      expect.x.push(...x);
      for (let i = 0; i < n; i++) {
        expect.v.push(Array.from(vals.subarray(offsets[i]!, offsets[i + 1]!)));
        expect.c.push(Array.from(cv.subarray(offsets[i]!, offsets[i + 1]!)));
      }
      k += n;
    }
    tw.flush({ emptyBaskets: true }); // the second flush finds nothing pending: every branch gets a 0-entry basket
  }
  await w.close();
  const j = await (await openFile(path)).readObject('t');
  t.same(Array.from(j.fBranches.arr[0].fBasketEntry).slice(0, 4), [0, 3, 3, 7], 'a basket with no entries sits between the two full ones');
  t.equal(j.fAutoFlush, 0, 'baskets no longer follow basketEntries, so no cluster size is claimed');
  const js = await jsrootValues(path, 't', ['x', 'v', 'c']);
  t.same(js['x']!.map(normalise), expect.x);
  t.same(js['v'], expect.v);
  t.same(js['c'], expect.c);
  const f = await openRootFile(path);
  t.teardown(() => f.close());
  const tree = await f.tree('t');
  const cols = await tree.arrays(['x', 'v', 'c']);
  t.same(perEntry(cols['x']!, 7), expect.x);
  t.same(perEntry(cols['v']!, 7), expect.v);
  t.same(perEntry(cols['c']!, 7), expect.c);
});

t.test('crossing 2 GB and 4 GiB: 64-bit keys, directory and header (sparse file, no GBs written)', async (t) => {
  // The writer leaves a hole up to just below 4 GiB, then writes baskets that straddle 2^32.
  const path = join(dir, 'big.root');
  const w = await RootFileWriter.create(path, { seekOffset: 2 ** 32 - 3000 });
  const tw = w.createTree('t', '', [{ name: 'x', type: 'double' }, { name: 'v', type: 'uint16', jagged: 'vector' }], { basketEntries: 50 });
  const n = 400;
  const x = Float64Array.from({ length: n }, (_, i) => i * 1.5);
  const offsets = Int32Array.from({ length: n + 1 }, (_, i) => 2 * i);
  const vals = Uint16Array.from({ length: 2 * n }, (_, i) => i);
  await tw.append({ x, v: { offsets, values: vals } });
  w.writeHistogram({ type: 'TH1D', name: 'h', nbins: 2, lo: 0, hi: 1, contents: [0, 1, 2, 0] });
  await w.close();
  t.ok(statSync(path).size > 2 ** 32, 'file is past 4 GiB');
  const jf = await openFile(path);
  const tree = await jf.readObject('t');
  const seeks: number[] = Array.from(tree.fBranches.arr[0].fBasketSeek as ArrayLike<number>).filter((s) => s > 0);
  t.ok(seeks.some((s) => s < 2 ** 32) && seeks.some((s) => s > 2 ** 32), `basket seeks on both sides of 2^32: ${seeks.join(', ')}`);
  const js = await jsrootValues(path, 't', ['x', 'v']);
  t.same(js['x'], Array.from(x));
  t.same(js['v']!.slice(0, 3), [[0, 1], [2, 3], [4, 5]]);
  t.equal((await jf.readObject('h')).fArray[2], 2);
  const f = await openRootFile(path);
  t.teardown(() => f.close());
  const cols = await (await f.tree('t')).arrays(['x', 'v']);
  t.same(Array.from(cols['x'] as Float64Array), Array.from(x));
  t.same(perEntry(cols['v']!, n), js['v']);
  t.same(Array.from((await f.histogram('h')).contents), [0, 1, 2, 0]);
});

t.test('payloads over 16 MiB are split into blocks of at most 16 MiB - 1', async (t) => {
  const size = MAX_BLOCK + 1000;
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = (i * 2654435761) >>> 27;
  const z = compressPayload(data, { algorithm: 'zlib', level: 1 });
  t.ok(z.length < size);
  t.equal(String.fromCharCode(z[0]!, z[1]!), 'ZL');
  const first = z[6]! | (z[7]! << 8) | (z[8]! << 16);
  t.equal(first, MAX_BLOCK, 'first block holds the maximum');
  const back = decompress(z, size, 'memory', 0);
  t.ok(Buffer.from(back).equals(Buffer.from(data)), 'our reader decompresses both blocks to the original');
});

t.test('bad input is refused with an error naming what and where', async (t) => {
  const path = join(dir, 'bad.root');
  const w = await RootFileWriter.create(path);
  t.teardown(() => w.close());
  t.throws(() => w.createTree('t', '', [{ name: 'x', type: 'float32' as never }]), /branch x has unknown type float32/);
  t.throws(() => w.createTree('t', '', [{ name: 'c', type: 'float', jagged: 'counted' }]), /counted branch c needs a counter/);
  t.throws(() => w.createTree('t', '', [{ name: 'x', type: 'int32' }, { name: 'x', type: 'int32' }]), /duplicate branch/);
  const tw = w.createTree('t', '', [{ name: 'n', type: 'int32' }, { name: 'c', type: 'float', jagged: 'counted', counter: 'n' }, { name: 's', type: 'double' }]);
  await t.rejects(tw.append({ n: [1], c: { offsets: [0, 1], values: [1] } }), /lacks column s/);
  await t.rejects(tw.append({ n: [1], c: { offsets: [0, 1], values: [1] }, s: [1, 2] }), /column s has 2 entries, others have 1/);
  await t.rejects(tw.append({ n: [2], c: { offsets: [0, 1], values: [1] }, s: [1] }), /entry 0: c has 1 values but counter n says 2/);
  await t.rejects(tw.append({ n: [1], c: { offsets: [0, 3], values: [1] }, s: [1] }), /last offset 3 is past the 1 values/);
  await t.rejects(tw.append({ n: [1], c: { offsets: [0, 1], values: [1] }, s: [1], zz: [1] }), /column zz, which is not a branch/);
  await t.rejects(tw.append({ n: [1], c: { offsets: [0, 1], values: [1] }, s: 5 as never }), /column s must be a typed array or an array/);
  await t.rejects(tw.append({ n: [1], c: { offsets: [0, 1] } as never, s: [1] }), /column c is jagged and needs \{offsets, values\} arrays/);
  t.throws(() => w.writeHistogram({ type: 'TH1D', name: 'h', nbins: 3, lo: 0, hi: 1, contents: [1, 2, 3] }), /writeHistogram\(h\): contents must have nbins \+ 2 = 5 values/);
  t.throws(() => w.writeHistogram({ type: 'TH3D' as never, name: 'h', nbins: 1, lo: 0, hi: 1, contents: [0, 0, 0] }), /type must be TH1D, TH1F or TH2D/);
  t.throws(() => w.writeHistogram({ type: 'TH1D', name: 'h', nbins: 1, lo: 1, hi: 0, contents: [0, 0, 0] }), /lo \(1\) must be below hi \(0\)/);
  // A TypeError naming the call and the file, as the writer's other option errors (a plain Error
  // naming no file until 2026-12-08).
  const lz4 = join(dir, 'x.root');
  await t.rejects(RootFileWriter.create(lz4, { compression: { algorithm: 'lz4' as never, level: 1 } }), { name: 'TypeError', message: `RootFileWriter.create(${lz4}): compression algorithm lz4 is not supported for writing (zlib or none)` });
  await t.rejects(RootFileWriter.create(lz4, { compression: { algorithm: 'zlib', level: 12 } }), { name: 'RangeError', message: `RootFileWriter.create(${lz4}): compression level must be an integer 0..9, got 12` });
  await t.rejects(RootFileWriter.create(join(dir, 'no-such-dir', 'x.root')), RootIOError, 'an unwritable path is a RootIOError');
  // A directory that does not exist is named, with the part missing: it said only
  // "cannot create the file: ENOENT: no such file or directory, open '…'" until 2026-12-07.
  const deep = join(dir, 'no-such-dir', 'sub', 'x.root');
  await t.rejects(RootFileWriter.create(deep), { name: 'RootIOError', path: deep,
    message: `${deep}: cannot create the file: its directory ${join(dir, 'no-such-dir', 'sub')} does not exist (no no-such-dir in ${dir}); create it first` });
  mkdirSync(join(dir, 'outputs'), { recursive: true });
  const typo = join(dir, 'output', 'x.root');
  await t.rejects(RootFileWriter.create(typo), { message: `${typo}: cannot create the file: its directory ${join(dir, 'output')} does not exist (did you mean outputs?); create it first` });
  writeFileSync(join(dir, 'a-file'), '');
  const underFile = join(dir, 'a-file', 'x.root');
  await t.rejects(RootFileWriter.create(underFile), { message: `${underFile}: cannot create the file: ${join(dir, 'a-file')} is a file, not a directory` });
});

t.test('`name`: a file written under a temporary name and renamed has the bytes of one written under its final name', async (t) => {
  const stamp = { uuid: new Uint8Array(16).fill(7), time: new Date('2020-01-01T00:00:00Z') };
  const write = async (path: string, name?: string) => {
    const w = await RootFileWriter.create(path, { stamp, ...(name ? { name } : {}) });
    const tw = w.createTree('t', 'named', [{ name: 'x', type: 'float' }, { name: 'v', type: 'int32', jagged: 'vector' }]);
    await tw.append({ x: [1, 2, 3], v: { offsets: [0, 1, 1, 3], values: [4, 5, 6] } });
    await w.close();
  };
  mkdirSync(join(dir, 'direct'));
  mkdirSync(join(dir, 'renamed'));
  await write(join(dir, 'direct', 'data.root'));
  await write(join(dir, 'renamed', 'data.root.partial'), 'data.root');
  renameSync(join(dir, 'renamed', 'data.root.partial'), join(dir, 'renamed', 'data.root'));
  t.ok(readFileSync(join(dir, 'direct', 'data.root')).equals(readFileSync(join(dir, 'renamed', 'data.root'))), 'the same bytes');
  const j = await openFile(join(dir, 'renamed', 'data.root'));
  t.equal((await j.readObject('t')).fEntries, 3, 'jsroot reads it');
  for (const bad of ['', 'a/b.root']) {
    await t.rejects(RootFileWriter.create(join(dir, 'bad.root'), { name: bad }), /name must be a non-empty file name without '\/', got/, JSON.stringify(bad));
  }
});
