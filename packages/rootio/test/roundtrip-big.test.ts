import t from 'tap';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openRootFile, RootFileWriter } from '@gluon/rootio';

/**
 * Opt-in (ROOTIO_BIG_TEST=1; writes ~4.5 GB to $TMPDIR): a real > 4 GiB streaming write,
 * uncompressed, with memory checked to stay bounded, then entries at the start, around the
 * 4 GiB mark and at the end read back with our reader.
 */
if (process.env['ROOTIO_BIG_TEST'] !== '1') {
  t.skip('set ROOTIO_BIG_TEST=1 to write and read a > 4 GiB file (several GB of disk, about a minute)', () => {});
} else {
  const dir = mkdtempSync(join(tmpdir(), 'rootio-big-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));

  t.test('> 4 GiB of baskets streamed with bounded memory, read back across the boundary', async (t) => {
    const path = join(dir, 'big.root');
    const w = await RootFileWriter.create(path, { compression: { algorithm: 'zlib', level: 0 } });
    const tw = w.createTree('t', '', [{ name: 'x', type: 'double' }, { name: 'v', type: 'float', jagged: 'vector' }], { basketEntries: 200_000 });
    const batch = 1_000_000;
    const perEntry = 8 + 10 + 3 * 4; // double + vector header + 3 floats
    const batches = Math.ceil((4.3 * 2 ** 30) / (perEntry * batch));
    const x = new Float64Array(batch);
    const offsets = Int32Array.from({ length: batch + 1 }, (_, i) => 3 * i);
    const values = new Float32Array(3 * batch);
    const rss0 = process.memoryUsage().rss;
    let maxRss = rss0;
    for (let k = 0; k < batches; k++) {
      for (let i = 0; i < batch; i++) {
        const e = k * batch + i;
        x[i] = e;
        values[3 * i] = e % 1000; values[3 * i + 1] = -(e % 777); values[3 * i + 2] = k;
      }
      await tw.append({ x, v: { offsets, values } });
      maxRss = Math.max(maxRss, process.memoryUsage().rss);
    }
    await w.close();
    const n = batches * batch;
    t.ok(statSync(path).size > 2 ** 32, `file is ${statSync(path).size} bytes`);
    t.ok(maxRss - rss0 < 512 * 2 ** 20, `memory grew by ${((maxRss - rss0) / 2 ** 20).toFixed(0)} MiB while writing (bounded by one basket per branch)`);

    const f = await openRootFile(path);
    t.teardown(() => f.close());
    const tree = await f.tree('t');
    t.equal(tree.numEntries, n);
    for (const start of [0, Math.floor((2 ** 32 / perEntry) - 5), n - 5]) {
      const cols = await tree.arrays(['x', 'v'], { entryStart: start, entryStop: start + 5 });
      const xs = cols['x'] as Float64Array;
      const v = cols['v'] as { offsets: Int32Array; values: Float32Array };
      for (let i = 0; i < 5; i++) {
        const e = start + i;
        t.equal(xs[i], e, `x at ${e}`);
        t.same(Array.from(v.values.subarray(v.offsets[i]!, v.offsets[i + 1]!)), [e % 1000, -(e % 777), Math.floor(e / batch)], `v at ${e}`);
      }
    }
  });
}
