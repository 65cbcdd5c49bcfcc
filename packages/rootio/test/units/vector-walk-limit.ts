/**
 * Under a virtual-memory limit (`ulimit -v`, as batch systems set), a WebAssembly memory cannot be
 * made (each reserves ~10 GiB of address space): std::vector<4-byte> branches are then read the
 * JavaScript way, with the same values and one warning, rather than failing with a RangeError.
 */
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RootFileWriter } from '@gluon/rootio';

const script = fileURLToPath(new URL('../fixtures/read-columns.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'rootio-vmlimit-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

/** 4 GB: room for Node itself, not for a WebAssembly memory's reservation. */
const LIMIT_KIB = 4_000_000;

/** Whether a WebAssembly memory can be made under the limit on this Node (Node 24 can). */
const memoryUnderLimit = spawnSync('sh', ['-c', `ulimit -v ${LIMIT_KIB} && exec "$0" -e 'new WebAssembly.Memory({ initial: 1 })'`, process.execPath]).status === 0;

t.test('std::vector<float> and <int> read under ulimit -v: same values, one warning', {
  skip: memoryUnderLimit && `a WebAssembly memory can be made under ulimit -v ${LIMIT_KIB} KiB on this Node: nothing to fall back from`,
}, async (t) => {
  const path = join(dir, 'vectors.root');
  const n = 5_000;
  const counts = Array.from({ length: n }, (_, i) => (i * 7) % 6);
  const offsets = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) offsets[i + 1] = offsets[i]! + counts[i]!;
  const total = offsets[n]!;
  const floats = Float32Array.from({ length: total }, (_, i) => (i % 997) / 8 - 60);
  const ints = Int32Array.from({ length: total }, (_, i) => (i * 7919) % 100_003 - 50_000);
  const w = await RootFileWriter.create(path, { compression: { algorithm: 'zlib', level: 1 } });
  const tw = w.createTree('events', 'vectors', [
    { name: 'vf', type: 'float', jagged: 'vector' },
    { name: 'vi', type: 'int32', jagged: 'vector' },
  ], { basketEntries: 700 });
  await tw.append({ vf: { offsets, values: floats }, vi: { offsets, values: ints } });
  await w.close();

  const run = (limit: boolean, threads = 1) => {
    const cmd = limit ? `ulimit -v ${LIMIT_KIB} && exec "$0" "$@"` : 'exec "$0" "$@"';
    const out = execFileSync('sh', ['-c', `${cmd} 2>"$TMPERR"`, process.execPath, script, path, 'events', 'vf', 'vi'], {
      encoding: 'utf8', env: { ...process.env, THREADS: String(threads), TMPERR: join(dir, `${limit ? 'limited' : 'free'}-${threads}.err`) },
    });
    return JSON.parse(out) as { wasmMemory: boolean; cols: Record<string, { offsets: number[]; values: number[] }> };
  };
  const limited = run(true);
  t.notOk(limited.wasmMemory, 'no WebAssembly memory under the limit');
  const free = run(false);
  t.ok(free.wasmMemory, 'without the limit the kernel has its memory');
  t.same(limited.cols.vf!.offsets, Array.from(offsets), 'vector<float> offsets');
  t.same(limited.cols.vf!.values, Array.from(floats), 'vector<float> values');
  t.same(limited.cols.vi!.values, Array.from(ints), 'vector<int> values');
  t.same(limited.cols, free.cols, 'the same columns as with the kernel');
  const { readFileSync } = await import('node:fs');
  const err = readFileSync(join(dir, 'limited-1.err'), 'utf8');
  t.equal(err.match(/GLUON_ROOTIO_NO_WASM_MEMORY/g)?.length, 1, `one warning, saying why: ${err.trim()}`);
  t.match(err, /ulimit -v/);
  t.notMatch(readFileSync(join(dir, 'free-1.err'), 'utf8'), /GLUON_ROOTIO_NO_WASM_MEMORY/, 'no warning with the kernel');
  // On 2 decompression threads the ring cannot be a WebAssembly memory either (ring-kernel.ts):
  // it is plain shared memory, and its baskets are read the JavaScript way too.
  const two = run(true, 2);
  t.same(two.cols, free.cols, '2 threads under the limit: the same columns');
  t.equal(readFileSync(join(dir, 'limited-2.err'), 'utf8').match(/GLUON_ROOTIO_NO_WASM_MEMORY/g)?.length, 1, '2 threads: one warning');
});

// The XXH64 before every LZ4 block is hashed in WebAssembly too (xxhash-kernel.ts): under the
// limit it is hashed in JavaScript, each block still checked against it, with the same columns.
t.test('LZ4 blocks read under ulimit -v: checksums hashed in JavaScript, the same columns', {
  skip: memoryUnderLimit && `a WebAssembly memory can be made under ulimit -v ${LIMIT_KIB} KiB on this Node: nothing to fall back from`,
}, async (t) => {
  const path = fileURLToPath(new URL('../fixtures/skhep/uproot-issue213.root', import.meta.url));
  const run = (limit: boolean) => {
    const cmd = limit ? `ulimit -v ${LIMIT_KIB} && exec "$0" "$@"` : 'exec "$0" "$@"';
    const out = execFileSync('sh', ['-c', cmd, process.execPath, script, path, 'T', 'eventPack/fEvtIndex', 'eventPack/fMCHits.fEneDep', 'eventPack/fMCHits.fTime'], { encoding: 'utf8' });
    return JSON.parse(out) as { wasmMemory: boolean; cols: Record<string, unknown> };
  };
  const limited = run(true);
  t.notOk(limited.wasmMemory, 'no WebAssembly memory under the limit');
  const free = run(false);
  t.same(limited.cols, free.cols, 'the same columns as with the WebAssembly hash');
  t.equal((free.cols['eventPack/fEvtIndex'] as number[]).length, 100, 'every entry read');
});
