import t from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RootFileWriter } from '@gluon/rootio';
import { NO_DATA, sharedData } from '../helpers.js';

/**
 * The reader's per-branch and per-basket objects (BranchInfo, BasketRef, Basket) share one V8
 * hidden class each, whatever the branch kind, the file or the order files are opened in. When
 * they came in several (spread literals, one shape per call site and per file), TreeReader.arrays
 * deoptimized on a "wrong map" and was recompiled every few runs in long-lived workers.
 */
const here = dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'rootio-shapes-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

async function writeFile(path: string, n: number, basketEntries: number, order: 'scalars-first' | 'vectors-first'): Promise<void> {
  const offsets = Int32Array.from({ length: n + 1 }, (_, i) => 2 * i);
  const scalars = [{ name: 'x', type: 'double' as const }, { name: 'n', type: 'int32' as const }];
  const jagged = [{ name: 'v', type: 'float' as const, jagged: 'vector' as const }, { name: 'c', type: 'int32' as const, jagged: 'counted' as const, counter: 'n' }];
  const w = await RootFileWriter.create(path);
  const tw = w.createTree('t', 'shapes', order === 'scalars-first' ? [...scalars, ...jagged] : [...jagged, ...scalars], { basketEntries });
  await tw.append({
    x: Float64Array.from({ length: n }, (_, i) => i / 3), n: new Int32Array(n).fill(2),
    v: { offsets, values: Float32Array.from({ length: 2 * n }, (_, j) => j) },
    c: { offsets, values: Int32Array.from({ length: 2 * n }, (_, j) => -j) },
  });
  await w.close();
}

function shapes(tree: string, paths: string[]): { reads: number; info: number; ref: number; basket: number } {
  const out = execFileSync(process.execPath, ['--allow-natives-syntax', join(here, '..', 'fixtures', 'shapes.mjs'), tree, ...paths], { encoding: 'utf8', timeout: 60_000 });
  return JSON.parse(out.trim().split('\n').at(-1)!);
}

t.test('branches, basket refs and baskets of files written differently: one hidden class each', async (t) => {
  const a = join(dir, 'a.root'), b = join(dir, 'b.root');
  await writeFile(a, 3000, 250, 'scalars-first');
  await writeFile(b, 5000, 1000, 'vectors-first');
  const got = shapes('t', [a, b, a]);
  t.equal(got.reads, 6);
  t.same({ info: got.info, ref: got.ref, basket: got.basket }, { info: 1, ref: 1, basket: 1 });
});

t.test('the same on ROOT-written files (the real 4-lepton data)', async (t) => {
  const data = sharedData();
  const files = data ? ['A', 'B'].map((p) => join(data, 'atlas-opendata-13tev-2020-4lep', 'Data', `data_${p}.4lep.root`)) : [];
  if (!files.length || !files.every(existsSync)) return t.skip;
  const got = shapes('mini', files);
  t.same({ info: got.info, ref: got.ref, basket: got.basket }, { info: 1, ref: 1, basket: 1 });
});
