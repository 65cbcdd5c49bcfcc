import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openRootFile, RootFileWriter, type RootFile } from '@gluon/rootio';

/**
 * `file.tree(name)` reads and parses the TTree object once per file: each later call makes a new
 * reader from the same object without reading the file, and reads the same values. A read of the
 * object that failed is not kept: the next call reads it again.
 */

async function written(dir: string): Promise<string> {
  const path = join(dir, 'tree-object.root');
  const w = await RootFileWriter.create(path, { compression: { algorithm: 'zlib', level: 1 } });
  const tw = w.createTree('t', 't', [{ name: 'x', type: 'float' }, { name: 'v', type: 'int32', jagged: 'vector' }], { basketEntries: 100 });
  const offsets = Int32Array.from({ length: 301 }, (_, i) => 2 * i);
  await tw.append({ x: Float32Array.from({ length: 300 }, (_, i) => i / 2), v: { offsets, values: Int32Array.from({ length: 600 }, (_, i) => -i) } });
  await w.close();
  return path;
}

/** Counts the file's reads (of any bytes), and fails the next `failNext` of them with an I/O error. */
function countReads(file: RootFile): { reads: number; failNext: number } {
  const seen = { reads: 0, failNext: 0 };
  const source = file.source as { read: RootFile['source']['read'] };
  const read = source.read.bind(source);
  source.read = ((...args: Parameters<typeof read>) => {
    seen.reads++;
    if (seen.failNext > 0) {
      seen.failNext--;
      return Promise.reject(new Error('the disk went away'));
    }
    return read(...args);
  }) as typeof read;
  return seen;
}

t.test('a second tree() reads nothing and reads the same values', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rootio-tree-object-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = await openRootFile(await written(dir));
  t.teardown(() => file.close());
  const seen = countReads(file);
  const first = await file.tree('t');
  t.ok(seen.reads > 0, 'the first tree() reads the TTree object');
  const before = seen.reads;
  const second = await file.tree('t');
  t.equal(seen.reads, before, 'the second tree() reads nothing');
  t.not(second, first, 'each call gives a reader of its own');
  t.same(second.branches.map((b) => b.name), ['x', 'v']);
  const a = await first.arrays(['x', 'v']);
  const b = await second.arrays(['x', 'v']);
  t.same(b, a);
  t.equal((b.x as Float32Array)[299], 149.5);
});

t.test('a failed read of the TTree object is not kept', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rootio-tree-object-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = await openRootFile(await written(dir));
  t.teardown(() => file.close());
  const seen = countReads(file);
  seen.failNext = 1;
  await t.rejects(file.tree('t'), /the disk went away/);
  const tree = await file.tree('t');
  t.equal(tree.numEntries, 300, 'the next call reads it again');
});
