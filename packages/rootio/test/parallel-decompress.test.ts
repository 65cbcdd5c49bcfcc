import t from 'tap';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openRootFile } from '@gluon/rootio';
import { NO_DATA, sharedData } from './helpers.js';

/**
 * decompressThreads > 1: a read's baskets are inflated on libuv's pool in parallel; every value
 * must be what the one-thread read gives, for every file, codec and branch we read, and damage
 * must still be a RootFormatError naming the block.
 */
const fixtures = fileURLToPath(new URL('fixtures/skhep/', import.meta.url));
const data = sharedData();
const files = [
  ...readdirSync(fixtures).filter((f) => f.endsWith('.root') && !f.includes('rntuple')).map((f) => join(fixtures, f)),
  ...(data ? readdirSync(join(data, 'root-testfiles')).filter((f) => f.endsWith('.root')).map((f) => join(data, 'root-testfiles', f)) : []),
  ...(data ? [join(data, 'atlas-opendata-13tev-2020-4lep', 'Data', 'data_A.4lep.root')] : []),
];
if (!data) t.comment(NO_DATA);

const plain = (x: unknown) => JSON.stringify(x, (_k, v) => (typeof v === 'bigint' ? String(v) : ArrayBuffer.isView(v) ? Array.from(v as ArrayLike<number>) : v));

t.test('parallel decompression reads the same values as the one-thread read', async (t) => {
  for (const path of files) {
    const one = await openRootFile(path);
    const four = await openRootFile(path, { decompressThreads: 4 });
    t.teardown(() => Promise.all([one.close(), four.close()]));
    for (const k of one.keys().filter((k) => k.className === 'TTree')) {
      const a = await one.tree(`${k.name};${k.cycle}`);
      const b = await four.tree(`${k.name};${k.cycle}`);
      const names = a.branches.filter((x) => x.kind !== 'unsupported').map((x) => x.name);
      t.equal(plain(await b.arrays(names)), plain(await a.arrays(names)), `${path.split('/').pop()} ${k.name}: ${names.length} branches`);
    }
  }
});

t.test('decompressThreads must be a positive integer', async (t) => {
  await t.rejects(openRootFile(files[0]!, { decompressThreads: 0 }), { name: 'RangeError', message: /decompressThreads must be a positive integer, got 0/ });
});

t.test('a damaged basket read on the pool is a RootFormatError, nothing left unobserved', async (t) => {
  if (!data) return t.skip(NO_DATA);
  const { mkdtempSync, readFileSync, rmSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const src = join(data, 'root-testfiles', 'uproot-HZZ-zlib.root');
  const f = await openRootFile(src);
  const meta = (await f.object('events')) as unknown as { fBranches: { arr: Array<{ fName: string; fBasketSeek: number[]; fBasketBytes: number[] }> } };
  await f.close();
  const b = meta.fBranches.arr.find((x) => x.fName === 'Muon_Px')!;
  const bytes = Uint8Array.from(readFileSync(src));
  // The middle of the branch's first basket's compressed payload (after its key header).
  const seek = Number(b.fBasketSeek[0]);
  const keylen = new DataView(bytes.buffer).getInt16(seek + 14);
  const at = seek + keylen + Math.floor((Number(b.fBasketBytes[0]) - keylen) / 2);
  bytes[at] ^= 0xff;
  const dir = mkdtempSync(join(tmpdir(), 'rootio-par-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const bad = join(dir, 'damaged.root');
  writeFileSync(bad, bytes);
  const g = await openRootFile(bad, { decompressThreads: 4 });
  t.teardown(() => g.close());
  const tree = await g.tree('events');
  await t.rejects(tree.arrays(['NJet', 'Muon_Px', 'Muon_Py']), { name: 'RootFormatError', message: /damaged\.root: .*(zlib|basket)/ });
});
