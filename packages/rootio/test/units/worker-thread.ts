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

interface ThreadAnswer { ok: boolean; cols?: Record<string, unknown>; name?: string; message?: string; execArgv: string[] }

/**
 * Runs the fixture in a thread and resolves with its one message. No time budget of its own: it
 * settles on the thread's message, error or exit (tap's per-file timeout bounds a hang). The
 * thread gets no execArgv: it is plain ESM importing the built package, and inheriting the test
 * runner's loaders (TypeScript, mocks, coverage) made it take 3–5 s to start on a loaded machine,
 * which a fixed 20 s budget sometimes missed.
 */
function inThread(path: string, branches: string[]): Promise<ThreadAnswer> {
  return new Promise((resolve, reject) => {
    const w = new Worker(join(here, '..', 'fixtures', 'read-in-thread.mjs'), { workerData: { path, tree: 't', branches }, execArgv: [] });
    let answer: ThreadAnswer | undefined;
    w.once('message', (m: ThreadAnswer) => { answer = m; void w.terminate(); });
    w.once('error', reject);
    w.once('exit', (code) => (answer ? resolve(answer) : reject(new Error(`the reading thread exited (code ${code}) without answering`))));
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
  t.same(got.execArgv, [], 'the thread starts without the test runner\'s loaders');
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
