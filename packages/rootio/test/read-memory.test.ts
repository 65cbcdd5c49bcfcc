import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalSource, openRootFile, RootFileWriter } from '@gluon/rootio';
import { giveReadMemory, KEEP_MAX_BYTES, keptReadMemory, takeReadMemory } from '../src/read-memory.js';

/**
 * A read's compressed bytes go into memory that the next read on the thread reuses
 * (read-memory.ts). Nothing a read hands out or keeps may be a view of that memory.
 */

t.test('memory given back is what the next read takes; shared and plain are kept apart', async (t) => {
  const a = takeReadMemory(1000, false);
  a.fill(7);
  giveReadMemory(a);
  const b = takeReadMemory(600, false);
  t.equal(b.buffer, a.buffer, 'the kept buffer is reused for a read that fits in it');
  t.equal(b.length, 600, 'as a view of the size asked for');
  t.not(takeReadMemory(600, false).buffer, a.buffer, 'while taken, nobody else gets it');
  giveReadMemory(b);
  t.not(takeReadMemory(2000, false).buffer, a.buffer, 'a read larger than the kept buffer gets fresh memory');
  const s = takeReadMemory(100, true);
  t.ok(s.buffer instanceof SharedArrayBuffer, 'shared memory when asked for');
  giveReadMemory(s);
  t.same(keptReadMemory(), { plain: 1000, shared: 100, ring: 0, thread: 0 }, 'one of each kind is kept');
  giveReadMemory(takeReadMemory(10, false));
  t.equal(keptReadMemory().plain, 1000, 'of two, the larger is kept (a nested read gives back a small one)');
  giveReadMemory(new Uint8Array(new ArrayBuffer(KEEP_MAX_BYTES + 1), 0, 1));
  t.equal(keptReadMemory().plain, 1000, `a buffer over ${KEEP_MAX_BYTES} bytes is not kept`);
});

t.test('a basket kept past a read (stored uncompressed) is not a view of the reused memory', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rootio-read-memory-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // Two files of one layout, uncompressed (a basket's bytes are then its payload as read), with
  // different values: a read of the second overwrites what a read of the first left in the memory.
  const write = async (name: string, first: number) => {
    const w = await RootFileWriter.create(join(dir, name), { compression: { algorithm: 'none', level: 0 } });
    const tw = w.createTree('t', 't', [{ name: 'x', type: 'int32' }], { basketEntries: 100 });
    await tw.append({ x: Int32Array.from({ length: 300 }, (_, i) => first + i) });
    await w.close();
    return join(dir, name);
  };
  const one = await openRootFile(await write('one.root', 0));
  const two = await openRootFile(await write('two.root', 1_000_000));
  t.teardown(() => Promise.all([one.close(), two.close()]));
  const tree = await one.tree('t');
  // [0, 150) ends inside basket [100, 200): that basket is kept for the next range.
  const head = (await tree.arrays(['x'], { entryStart: 0, entryStop: 150 })).x as Int32Array;
  t.equal(head[149], 149);
  await (await two.tree('t')).arrays(['x'], { entryStart: 0, entryStop: 150 });
  const basketReads = tree.basketReads;
  const next = (await tree.arrays(['x'], { entryStart: 150, entryStop: 200 })).x as Int32Array;
  t.equal(tree.basketReads, basketReads, 'the next range is read from the kept basket');
  t.same(Array.from(next), Array.from({ length: 50 }, (_, i) => 150 + i), 'with its own values, not what a later read left in the memory');
});

t.test('reads running at once on one thread each get their own memory', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rootio-read-memory-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const files: Array<{ f: Awaited<ReturnType<typeof openRootFile>>; first: number }> = [];
  for (const [name, first] of [['a.root', 0], ['b.root', 5_000_000], ['c.root', -7_000_000]] as const) {
    const w = await RootFileWriter.create(join(dir, name));
    const tw = w.createTree('t', 't', [{ name: 'x', type: 'int32' }, { name: 'v', type: 'float', jagged: 'vector' }], { basketEntries: 500 });
    const n = 5000;
    const offsets = Int32Array.from({ length: n + 1 }, (_, i) => 2 * i);
    await tw.append({ x: Int32Array.from({ length: n }, (_, i) => first + i), v: { offsets, values: Float32Array.from({ length: 2 * n }, (_, i) => first + i / 2) } });
    await w.close();
    files.push({ f: await openRootFile(join(dir, name)), first });
  }
  t.teardown(() => Promise.all(files.map(({ f }) => f.close())));
  for (let round = 0; round < 5; round++) {
    const got = await Promise.all(files.map(async ({ f }) => (await f.tree('t')).arrays(['x', 'v'])));
    files.forEach(({ first }, k) => {
      const x = got[k]!.x as Int32Array;
      const v = got[k]!.v as { offsets: Int32Array; values: Float32Array };
      t.ok(x.every((e, i) => e === first + i) && v.values.every((e, i) => e === Math.fround(first + i / 2)), `round ${round}, file ${k}: its own values`);
    });
  }
});

t.test('read into memory too small for the ranges: an error naming both sizes, nothing read', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gluon-into-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'bytes.bin');
  writeFileSync(path, new Uint8Array(64).map((_, i) => i));
  const src = await LocalSource.open(path);
  t.teardown(() => src.close());
  await t.rejects(src.read([[0, 16], [32, 16]], { into: new Uint8Array(20) }), { name: 'RangeError', message: 'read: 20 bytes of room for 32' });
  const room = new Uint8Array(40);
  const [a, b] = await src.read([[0, 16], [32, 16]], { into: room });
  t.equal(a!.buffer, room.buffer, 'each range a view of the memory given');
  t.same([a![0], b![0], b![15]], [0, 32, 47]);
});
