import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openRootFile, RootFileWriter } from '@gluon/rootio';
import { serve } from './range-server.js';

/**
 * How reads over HTTP end their requests: on every Node this package supports (engines >=20,
 * while `AbortSignal.any` came with 20.3), and without tying anything to the file's lifetime per
 * request.
 */
const dir = mkdtempSync(join(tmpdir(), 'rootio-signals-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

/** A small file of our own writer: tree `t`, branch `x` (0, 1, … 99 as doubles). */
async function smallFile(): Promise<Uint8Array> {
  const path = join(dir, 'small.root');
  const w = await RootFileWriter.create(path);
  const tw = w.createTree('t', 'small', [{ name: 'x', type: 'double' }]);
  await tw.append({ x: Float64Array.from({ length: 100 }, (_, i) => i) });
  await w.close();
  return readFileSync(path);
}

t.test('reads over HTTP work where AbortSignal.any does not exist (Node 20.0 to 20.2)', async (t) => {
  const { url } = await serve(t, await smallFile());
  const any = Object.getOwnPropertyDescriptor(AbortSignal, 'any');
  // As on Node 20.2: the static is absent, not merely undefined.
  delete (AbortSignal as { any?: unknown }).any;
  t.teardown(() => {
    if (any) Object.defineProperty(AbortSignal, 'any', any);
  });
  t.equal('any' in AbortSignal, false, 'AbortSignal.any is gone for this test');
  const f = await openRootFile(url, { metadataTimeoutMs: 600_000, http: { retries: 1 } });
  t.teardown(() => f.close());
  const tree = await f.tree('t');
  const x = (await tree.arrays(['x'])).x as Float64Array;
  t.same(Array.from(x), Array.from({ length: 100 }, (_, i) => i), 'the values read over HTTP');
});
