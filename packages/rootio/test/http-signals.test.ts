import t from 'tap';
import { getEventListeners, setMaxListeners } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpSource, openRootFile, RootFileWriter } from '@gluon/rootio';
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

t.test('reads leave no listener on the signal they are given, and end when it aborts', async (t) => {
  const body = await smallFile();
  const { url } = await serve(t, body);
  const src = await HttpSource.open(url, { retries: 1 });
  t.teardown(() => src.close());
  // The file's own signals: 50 reads at once must not look like a leak to Node.
  const warnings: string[] = [];
  const warned = (w: Error) => void (w.name === 'MaxListenersExceededWarning' && warnings.push(w.message));
  process.on('warning', warned);
  t.teardown(() => void process.off('warning', warned));
  const ctl = new AbortController();
  // 50 reads in flight under it: one listener each (this test's choice, no leak).
  setMaxListeners(100, ctl.signal);
  let most = 0;
  for (let round = 0; round < 20; round++) {
    const reads = Array.from({ length: 50 }, (_, i) => src.read([[(round * 50 + i) % (body.length - 8), 8]], { signal: ctl.signal }));
    most = Math.max(most, getEventListeners(ctl.signal, 'abort').length);
    const got = await Promise.all(reads);
    t.equal(got.length, 50);
  }
  t.ok(most > 0, `the reads in flight listened (${most} at once)`);
  t.equal(getEventListeners(ctl.signal, 'abort').length, 0, 'none listens after 1,000 reads');
  t.equal(warnings.length, 0, `no MaxListenersExceededWarning (${warnings.join('; ')})`);
  const pending = src.read([[100, 8]], { signal: ctl.signal });
  ctl.abort();
  await t.rejects(pending, { name: 'RootIOError', message: /the read of bytes=100-107 was stopped/ });
  await t.rejects(src.read([[100, 8]], { signal: ctl.signal }), { name: 'RootIOError', message: /was stopped/ }, 'a read under an aborted signal is refused');
});
