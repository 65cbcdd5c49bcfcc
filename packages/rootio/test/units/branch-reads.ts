import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openRootFile, RootFileWriter, RootFormatError } from '@gluon/rootio';

/**
 * On 1 thread from a local file, the first branches' baskets are read on their own and the rest
 * in one batched read, all started at once, and each branch is decoded as soon as its bytes are in
 * (tree.ts). A read that fails for a later branch must surface as that branch's RootFormatError,
 * not as an unhandled rejection while the earlier branches decode, and leave the file readable.
 */
const dir = mkdtempSync(join(tmpdir(), 'rootio-branch-reads-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const N = 3000;
const STEP = 1000;
/** Three branches of three baskets each, uncompressed (the tree's basket seeks are plain bytes to patch). */
async function write(path: string): Promise<void> {
  const w = await RootFileWriter.create(path, { compression: { algorithm: 'none', level: 0 } });
  const tw = w.createTree('t', 'branch reads', [
    { name: 'a', type: 'float' }, { name: 'n', type: 'int32', jagged: 'vector' }, { name: 'z', type: 'float' },
  ], { basketEntries: STEP });
  for (let s = 0; s < N; s += STEP) {
    const offsets = Int32Array.from({ length: STEP + 1 }, (_, i) => 2 * i);
    await tw.append({
      a: Float32Array.from({ length: STEP }, (_, i) => s + i),
      n: { offsets, values: Int32Array.from({ length: 2 * STEP }, (_, i) => s + i) },
      z: Float32Array.from({ length: STEP }, (_, i) => -(s + i)),
    });
  }
  await w.close();
}

t.test('a later branch whose basket points past the end: its RootFormatError, nothing unhandled, the file still readable', async (t) => {
  const good = join(dir, 'good.root');
  await write(good);
  const f0 = await openRootFile(good);
  const meta = (await f0.object('t')) as unknown as { fBranches: { arr: Array<{ fName: string; fBasketSeek: number[] }> } };
  await f0.close();
  const seek = Number(meta.fBranches.arr.find((b) => b.fName === 'z')!.fBasketSeek[2]);
  const bytes = Uint8Array.from(readFileSync(good));
  const dv = new DataView(bytes.buffer);
  // The tree object (with its seek arrays) is written after every basket: the last match.
  const meta0 = meta.fBranches.arr.flatMap((b) => b.fBasketSeek.map(Number));
  let at = -1;
  for (let p = Math.max(...meta0); p + 8 <= bytes.length; p++) if (dv.getBigInt64(p) === BigInt(seek)) at = p;
  t.ok(at > 0, 'found the seek of z\'s last basket in the tree');
  dv.setBigInt64(at, BigInt(bytes.length + 5000));
  const bad = join(dir, 'bad.root');
  writeFileSync(bad, bytes);

  const unhandled: unknown[] = [];
  const onUnhandled = (err: unknown) => unhandled.push(err);
  process.on('unhandledRejection', onUnhandled);
  t.teardown(() => process.off('unhandledRejection', onUnhandled));
  const f = await openRootFile(bad);
  t.teardown(() => f.close());
  const tree = await f.tree('t');
  // z's read fails at once; a and n are decoded first, over several turns of the event loop.
  const err = await tree.arrays(['a', 'n', 'z']).then(() => null, (e: unknown) => e);
  t.type(err, RootFormatError);
  t.match((err as Error).message, /past the end of the file/);
  // Every read this one started has settled, and its rejections were observed.
  await new Promise((resolve) => setImmediate(resolve));
  t.same(unhandled, [], 'no unhandled rejection');
  // The branches that are whole read right, more than once (the read memory is reused).
  for (let r = 0; r < 2; r++) {
    const cols = await tree.arrays(['n', 'a']);
    t.same(Array.from(cols.a as Float32Array), Array.from({ length: N }, (_, i) => i), 'a');
    const n = cols.n as { offsets: Int32Array; values: Int32Array };
    t.same(Array.from(n.values), Array.from({ length: 2 * N }, (_, i) => (i % (2 * STEP)) + STEP * Math.floor(i / (2 * STEP))), 'n');
    t.equal(n.offsets[N], 2 * N);
  }
  const z = await tree.arrays(['z'], { entryStop: 2 * STEP });
  t.same(Array.from(z.z as Float32Array), Array.from({ length: 2 * STEP }, (_, i) => -i), 'z before its bad basket');
});

t.test('the same branch asked for twice, in one read over baskets cached by the read before', async (t) => {
  const path = join(dir, 'twice.root');
  await write(path);
  const f = await openRootFile(path);
  t.teardown(() => f.close());
  const tree = await f.tree('t');
  // Leaves the basket [1000, 2000) of each branch cached.
  await tree.arrays(['a', 'n'], { entryStart: 500, entryStop: 1500 });
  const cols = await tree.arrays(['n', 'a', 'n'], { entryStart: 1200, entryStop: 2600 });
  t.same(Array.from(cols.a as Float32Array), Array.from({ length: 1400 }, (_, i) => 1200 + i));
  t.equal((cols.n as { offsets: Int32Array }).offsets[1400], 2800);
});
