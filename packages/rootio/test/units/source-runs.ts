import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { LocalSource } from '@gluon/rootio';

/**
 * LocalSource.read puts ranges that follow each other in the file and in the memory they are read
 * into in one read (a read's baskets in file order). Every range must still get exactly its own
 * bytes, whatever the order, gaps, repeats and empty ranges, on the main thread (non-blocking
 * reads) and in a worker thread (blocking ones).
 */

const dir = mkdtempSync(join(tmpdir(), 'rootio-runs-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const bytes = new Uint8Array(300_000);
let x = 12345;
for (let i = 0; i < bytes.length; i++) bytes[i] = (x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 24;
const path = join(dir, 'bytes.bin');
writeFileSync(path, bytes);

/** Adjacent runs, a gap, a range read twice, an empty range, a run out of order, a range at the end. */
const cases: Array<[string, Array<[number, number]>]> = [
  ['one run of three', [[0, 10], [10, 5000], [5010, 90_000]]],
  ['two runs with a gap', [[100, 50], [150, 50], [1000, 20], [1020, 7]]],
  ['out of file order', [[500, 100], [0, 100], [100, 400], [600, 1]]],
  ['the same range twice', [[42, 58], [42, 58], [100, 3]]],
  ['empty ranges in a run', [[7, 0], [7, 9], [16, 0], [16, 4]]],
  ['up to the end of the file', [[299_000, 500], [299_500, 500]]],
];

for (const [name, ranges] of cases) {
  t.test(`main thread: ${name}`, async (t) => {
    const src = await LocalSource.open(path);
    t.teardown(() => src.close());
    for (const opts of [{}, { shared: true }, { into: new Uint8Array(ranges.reduce((n, r) => n + r[1], 0) + 13) }]) {
      const got = await src.read(ranges, opts);
      t.equal(got.length, ranges.length);
      ranges.forEach(([at, n], i) => t.same(Buffer.from(got[i]!), Buffer.from(bytes.subarray(at, at + n)), `range ${i} (${Object.keys(opts)[0] ?? 'own memory'})`));
    }
  });
}

t.test('a worker thread (blocking reads) gives every range its own bytes too', async (t) => {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    import('@gluon/rootio').then(async ({ LocalSource }) => {
      const src = await LocalSource.open(workerData.path);
      const out = [];
      for (const ranges of workerData.cases) {
        const into = new Uint8Array(ranges.reduce((n, r) => n + r[1], 0));
        out.push((await src.read(ranges, { into })).map((v) => Array.from(v)));
      }
      await src.close();
      parentPort.postMessage(out);
    });`;
  const w = new Worker(code, { eval: true, workerData: { path, cases: cases.map((c) => c[1]) } });
  const got = await new Promise<number[][][]>((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  });
  cases.forEach(([name, ranges], c) => ranges.forEach(([at, n], i) => t.same(got[c]![i], Array.from(bytes.subarray(at, at + n)), `${name}: range ${i}`)));
});
