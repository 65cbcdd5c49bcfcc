import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { openRootFile, RootFileWriter } from '@gluon/rootio';

/** In a worker thread local files are read with blocking preads: same columns, same errors. */
const here = dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'rootio-thread-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

function inThread(path: string, branches: string[]): Promise<{ ok: boolean; cols?: Record<string, unknown>; name?: string; message?: string }> {
  return new Promise((resolve, reject) => {
    const w = new Worker(join(here, 'fixtures', 'read-in-thread.mjs'), { workerData: { path, tree: 't', branches } });
    const timer = setTimeout(() => { void w.terminate(); reject(new Error('the reading thread did not answer within 20 s')); }, 20_000);
    w.once('message', (m) => { clearTimeout(timer); void w.terminate(); resolve(m); });
    w.once('error', (e) => { clearTimeout(timer); reject(e); });
  });
}

t.test('a worker thread reads the same columns as the main thread, and the same error for a truncated file', async (t) => {
  const path = join(dir, 'small.root');
  const n = 5000;
  const offsets = Int32Array.from({ length: n + 1 }, (_, i) => 3 * i);
  const w = await RootFileWriter.create(path);
  const tw = w.createTree('t', 'small', [{ name: 'x', type: 'double' }, { name: 'v', type: 'float', jagged: 'vector' }], { basketEntries: 700 });
  await tw.append({ x: Float64Array.from({ length: n }, (_, i) => i / 7), v: { offsets, values: Float32Array.from({ length: 3 * n }, (_, j) => j - 9) } });
  await w.close();

  const f = await openRootFile(path);
  const main = await (await f.tree('t')).arrays(['x', 'v']);
  await f.close();
  const got = await inThread(path, ['x', 'v']);
  t.ok(got.ok, got.message ?? 'read in the thread');
  t.same(got.cols, main, 'identical columns');

  // A file cut short: its keys point past the end, which the reader reports as a typed error
  // naming the file (the thread must not hang or throw anything else).
  const bytes = readFileSync(path);
  const cut = join(dir, 'cut.root');
  writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
  const e = await inThread(cut, ['x', 'v']);
  t.notOk(e.ok);
  t.match(e.name, /^Root(Format|IO)Error$/, `a typed error (${e.name}: ${e.message})`);
  t.match(e.message, /cut\.root/, 'naming the file');
});
