import t, { type Test } from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openRootFile, UnsupportedBranchTypeError, type Column } from '@gluon/rootio';
import { serve } from '../range-server.js';

/**
 * RNTuple (binary format 1.0) files from scikit-hep-testdata, each made by a macro in its
 * dev/make-root/ whose filled values are rebuilt here; plus the CMS open-data muons and a
 * NanoAOD converted to RNTuple (collections of records, projected fields, cardinalities).
 */
const dir = fileURLToPath(new URL('../fixtures/skhep/', import.meta.url));
const fixture = (name: string) => `${dir}${name}`;
const f32 = (x: number) => Math.fround(x);

async function open(name: string, t: Tap) {
  const f = await openRootFile(fixture(name));
  t.teardown(() => f.close());
  const key = f.keys().find((k) => k.className === 'ROOT::RNTuple')!;
  return f.rntuple(key.name);
}
type Tap = Test;

/** A column back as one plain value per top-level item (as the stl-containers test does). */
function rows(c: Column): unknown[] {
  if (Array.isArray(c)) return c;
  if (ArrayBuffer.isView(c)) return Array.from(c as ArrayLike<number | bigint>, Number);
  const level = c as { offsets?: Int32Array; values: Column; innerShape?: number[] };
  const values = rows(level.values);
  if (level.innerShape) return Array.from({ length: values.length / level.innerShape[0]! }, (_, i) => values.slice(i * level.innerShape![0]!, (i + 1) * level.innerShape![0]!));
  return Array.from({ length: level.offsets!.length - 1 }, (_, i) => values.slice(level.offsets![i]!, level.offsets![i + 1]!));
}

// The checksum every envelope ends in, against libxxhash 0.8.1's XXH3_64bits on bytes (7i + 3) mod
// 256 of each length class (0, 1–3, 4–8, 9–16, 17–128, 129–240, longer, a block and past it).
t.test('XXH3-64 as libxxhash computes it', async (t) => {
  const { xxh3 } = await import('../../src/rntuple/xxh3.js');
  const want: Array<[number, bigint]> = [[0, 0x2d06800538d394c2n], [1, 0x13e608bc156defedn], [3, 0xa9088dda485b481cn], [4, 0x6d9253b16c8b1ed3n], [8, 0x60539db630471163n], [9, 0xfeff668361d723a8n], [16, 0xb8c859b0f030b585n], [17, 0x714a04408e79b80fn], [33, 0x3e44983ad21679c8n], [65, 0x829218de4d798646n], [97, 0x1daa83271a8e7b7cn], [128, 0x67425a03650261bfn], [129, 0xc664bf3311c6abc4n], [240, 0x64556dc6b462a6cfn], [241, 0x8beadd3a8874fe17n], [1024, 0x9b81661c641c72b1n], [1025, 0x806c2072ed713576n], [5000, 0x799aaddd7339581dn]];
  for (const [n, h] of want) t.equal(xxh3(Uint8Array.from({ length: n }, (_, i) => (i * 7 + 3) % 256)), h, `${n} bytes`);
});

// The loops that read every byte of XXH3-64 (inputs past 240 bytes: RNTuple pages) and of XXH64
// (the checksum before every LZ4 block) run in WebAssembly (xxhash.wat); the JavaScript ones stay
// for where no WebAssembly memory can be made. Both give libxxhash's values, and each other's on
// random bytes of random lengths around every block and stripe boundary, from unaligned views,
// and past the kernel's kept memory (it is dropped after such an input and made again).
t.test('xxHash: the WebAssembly and the JavaScript loops agree (XXH3-64, XXH64)', async (t) => {
  const { xxh3 } = await import('../../src/rntuple/xxh3.js');
  const { xxh64 } = await import('../../src/lz4.js');
  const { xxhashKernel } = await import('../../src/xxhash-kernel.js');
  t.teardown(() => { xxhashKernel.wasm = true; });
  const want: Array<[number, bigint]> = [[241, 0x8beadd3a8874fe17n], [1024, 0x9b81661c641c72b1n], [1025, 0x806c2072ed713576n], [5000, 0x799aaddd7339581dn]];
  for (const wasm of [true, false]) {
    xxhashKernel.wasm = wasm;
    for (const [n, h] of want) t.equal(xxh3(Uint8Array.from({ length: n }, (_, i) => (i * 7 + 3) % 256)), h, `XXH3 of ${n} bytes, ${wasm ? 'WebAssembly' : 'JavaScript'}`);
    // XXH64's published value for no bytes, and the loop's first stripe.
    t.equal(xxh64(new Uint8Array(0)), 0xef46db3751d8e999n, 'XXH64 of no bytes');
  }
  let seed = 12345;
  const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
  const lengths = [32, 33, 63, 64, 241, 255, 256, 1023, 1024, 1025, 1087, 1088, 1089, 2048, 2049, 65536, 17 << 20];
  for (let i = 0; i < 40; i++) lengths.push(241 + (next() % 300_000));
  const differ = { xxh3: 0, xxh64: 0 };
  for (const n of lengths) {
    const b = new Uint8Array(n);
    const bv = new DataView(b.buffer);
    for (let i = 0; i + 4 <= n; i += 4) bv.setUint32(i, next(), true);
    for (let i = n & ~3; i < n; i++) b[i] = next() & 255;
    // An unaligned view, as pages and blocks lie in a read's buffer.
    const at = 1 + (next() % 7);
    const c = new Uint8Array(n + 8);
    c.set(b, at);
    const v = c.subarray(at, at + n);
    xxhashKernel.wasm = true;
    const w3 = n > 240 ? xxh3(v) : 0n;
    const w64 = n < 1 << 20 ? xxh64(v) : 0n;
    xxhashKernel.wasm = false;
    if (n > 240 && w3 !== xxh3(v)) differ.xxh3++;
    // BigInt XXH64 runs ~47 MB/s: compared up to 1 MiB.
    if (n < 1 << 20 && w64 !== xxh64(v)) differ.xxh64++;
  }
  t.same(differ, { xxh3: 0, xxh64: 0 }, `${lengths.length} lengths, 32 bytes to 17 MiB`);
});

t.test('scalars (int_float) and vectors (1jag_int_float)', async (t) => {
  const r = await open('test_int_float_rntuple_v1-0-0-0.root', t);
  t.equal(r.numEntries, 10);
  const c = await r.arrays(['one_integers', 'two_floats']);
  t.same(Array.from(c.one_integers as Int32Array), [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
  t.same(Array.from(c.two_floats as Float32Array), [9.9, 8.8, 7.7, 6.6, 5.5, 4.4, 3.3, 2.2, 1.1, 0].map(f32));
  // A bad entry range names the RNTuple, its file, the bound, the value and the valid range.
  await t.rejects(r.arrays(['one_integers'], { entryStart: 1.5 }), { name: 'RangeError', message: /^RNTuple "\S+" in \S+test_int_float_rntuple_v1-0-0-0\.root: entryStart must be an integer \(negative counts from the end, as in uproot; its 10 entries are \[0, 10\)\), got 1\.5$/ });
  t.same(Array.from((await r.arrays(['one_integers'], { entryStart: -3 })).one_integers as Int32Array), [2, 1, 0], 'a negative start counts from the end, as in uproot');
  t.equal(((await r.arrays(['one_integers'], { entryStart: 100, entryStop: 500 })).one_integers as Int32Array).length, 0, 'a range past the end reads as empty');
  t.equal(((await r.arrays(['one_integers'], { entryStart: 2, entryStop: 1 })).one_integers as Int32Array).length, 0, 'a stop below the start reads nothing, as in uproot');
  t.same(await r.iterate(['one_integers'], { entryStart: 2, entryStop: 1 }).next(), { done: true, value: undefined }, 'and iterates over nothing');
  const j = await open('test_1jag_int_float_rntuple_v1-0-0-0.root', t);
  // for i = 100 … 1: clear when i % 10 == 0, Fill, then push i and i / 10.
  const ints: number[][] = [];
  let cur: number[] = [];
  for (let i = 100; i > 0; i--) {
    if (i % 10 === 0) cur = [];
    ints.push([...cur]);
    cur.push(i);
  }
  const v = await j.arrays(['one_v_integers', 'two_v_floats']);
  t.same(rows(v.one_v_integers!), ints);
  t.same(rows(v.two_v_floats!), ints.map((e) => e.map((i) => f32(i / 10))));
});

t.test('split, zigzag and delta encodings (split_3e4, splitint)', async (t) => {
  const r = await open('test_split_3e4_rntuple_v1-0-0-0.root', t);
  const c = await r.arrays(['one_int32', 'two_uint32', 'three_vint32']);
  t.ok((c.one_int32 as Int32Array).every((x) => x === 67305985), 'every int32 is 0x04030201');
  t.ok((c.two_uint32 as Uint32Array).every((x) => x === 4293844428), 'every uint32 is 0xffddccbb');
  const lens = rows(c.three_vint32!).map((e) => (e as unknown[]).length);
  t.same(lens.slice(0, 12), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1], 'vector lengths cycle 0…9 across 30,000 entries (pages)');
  t.equal(lens.length, 30000);
  const s = await open('test_splitint_rntuple_v1-0-1-0.root', t);
  const si = await s.arrays(['int16', 'int32', 'int64']);
  t.ok(rows(si.int16!).some((x) => (x as number) < 0), 'negative values come back through zigzag');
});

t.test('packed floats: Real32Trunc and Real32Quant (float_types)', async (t) => {
  const r = await open('test_float_types_rntuple_v1-0-0-0.root', t);
  const input = [1.23456789, 1.4660155e13, -6.2875986e-22, -1.9060668].map(f32);
  const bits = new DataView(new ArrayBuffer(4));
  const trunc = (x: number, b: number) => {
    bits.setFloat32(0, x);
    bits.setUint32(0, (bits.getUint32(0) >>> (32 - b)) * 2 ** (32 - b));
    return bits.getFloat32(0);
  };
  for (const b of [10, 16, 24, 31]) {
    t.same(Array.from((await r.arrays([`trunc${b}`]))[`trunc${b}`] as Float32Array), input.map((x) => trunc(x, b)), `trunc${b}`);
  }
  const quantIn = [1.23456789, 1.6666666, -6.2875986e-22, -1.9060668].map(f32);
  for (const b of [8, 16, 20, 24]) {
    const got = Array.from((await r.arrays([`quant${b}`]))[`quant${b}`] as Float32Array);
    const scale = 5 / (2 ** b - 1);
    const want = quantIn.map((x) => f32(-2 + Math.round((x + 2) / scale) * scale));
    got.forEach((g, i) => t.ok(Math.abs(g - want[i]!) <= 1e-6 * Math.max(1, Math.abs(want[i]!)), `quant${b}[${i}] ${g} ≈ ${want[i]}`));
  }
});

t.test('several column representations, one primary per cluster', async (t) => {
  const r = await open('test_multiple_representations_rntuple_v1-0-0-0.root', t);
  t.same(Array.from((await r.arrays(['real'])).real as Float32Array), [1, 2, 3], 'Real32, then Real16, then Real32 again');
});

t.test('std::atomic, std::bitset, columns added while writing (schema extension)', async (t) => {
  const a = await open('test_atomic_bitset_rntuple_v1-0-0-0.root', t);
  const c = await a.arrays(['atomic_int', 'bitset']);
  t.same(Array.from(c.atomic_int as Int32Array), [1, 2, 3]);
  const v = [42, 42 | 0b1010101010101010, (42 | 0b1010101010101010) & 0b1100110011001100];
  t.same(rows(c.bitset!), v.map((x) => Array.from({ length: 42 }, (_, k) => (k < 31 ? (x >> k) & 1 : 0))), 'bits least significant first');
  const e = await open('test_extension_columns_rntuple_v1-0-0-0.root', t);
  const x = await e.arrays(['int_field', 'float_field', 'intvec_field']);
  const i = Array.from({ length: 600 }, (_, k) => k % 200);
  t.same(Array.from(x.int_field as Int32Array), i);
  t.same(Array.from(x.float_field as Float32Array), i.map((k, n) => (n < 200 ? 0 : k + 0.5)), 'zeros before the column existed');
  t.same(rows(x.intvec_field!), i.map((k, n) => (n < 400 ? [] : [k, k + 1])));
});

t.test('STL containers, records, tuples, pairs and collections of them (stl_containers, int_vfloat_tlv_vtlv)', async (t) => {
  const r = await open('test_stl_containers_rntuple_v1-0-0-0.root', t);
  const names = ['one', 'two', 'three', 'four', 'five'];
  const upTo = (k: number) => Array.from({ length: k }, (_, j) => j + 1);
  const c = await r.arrays(['string', 'vector_int32', 'array_float', 'vector_string', 'tuple_int32_string._0', 'tuple_int32_string._1',
    'pair_int32_string._1', 'vector_tuple_int32_string._1', 'lorentz_vector.pt']);
  t.same(c.string, names);
  t.same(rows(c.vector_int32!), upTo(5).map(upTo));
  t.same(rows(c.array_float!), upTo(5).map((k) => [k, k, k]));
  t.same(rows(c.vector_string!), upTo(5).map((k) => names.slice(0, k)));
  t.same(rows(c['tuple_int32_string._0']!), upTo(5));
  t.same(c['tuple_int32_string._1'], names);
  t.same(c['pair_int32_string._1'], names);
  t.same(rows(c['vector_tuple_int32_string._1']!), upTo(5).map((k) => names.slice(0, k)));
  t.same(Array.from(c['lorentz_vector.pt'] as Float32Array), upTo(5));
  await t.rejects(r.arrays(['variant_int32_string']), UnsupportedBranchTypeError, 'variants are refused by type');
  await t.rejects(r.arrays(['lorentz_vector']), { message: /record \(read its members: lorentz_vector.pt, lorentz_vector.eta/ });
  const lv = await open('test_int_vfloat_tlv_vtlv_rntuple_v1-0-0-0.root', t);
  const l = await lv.arrays(['four_v_LVs.pt', 'four_v_LVs.mass']);
  t.same((l['four_v_LVs.pt'] as { offsets: Int32Array }).offsets, (l['four_v_LVs.mass'] as { offsets: Int32Array }).offsets, 'members of one collection share offsets');
});

t.test('real data: CMS muons and a NanoAOD in RNTuple (projected fields, cardinalities)', async (t) => {
  const m = await open('Run2012BC_DoubleMuParked_Muons_1000evts_rntuple_v1-0-0-0.root', t);
  t.equal(m.numEntries, 1000);
  const c = await m.arrays(['nMuon', 'Muon_pt', '_collection0.Muon_pt', 'Muon_charge']);
  const pt = c.Muon_pt as { offsets: Int32Array; values: Float32Array };
  t.same(pt, c['_collection0.Muon_pt'], 'the projected Muon_pt reads the collection member');
  const counts = Array.from(c.nMuon as Uint32Array);
  t.same(counts, Array.from(pt.offsets.subarray(1), (o, i) => o - pt.offsets[i]!), 'nMuon is each entry\'s collection size');
  t.same(Array.from(pt.values.subarray(0, 2)), [10.763696670532227, 15.736522674560547], 'event 0: the dataset\'s two muons');
  t.ok(rows(c.Muon_charge!).flat().every((q) => q === 1 || q === -1), 'charges are ±1');
  const n = await open('cmsopendata2015_ttbar_19980_NANOAOD_RNTupleImporter_rntuple_v1-0-0-1.root', t);
  t.ok(n.branches.length > 900, `${n.branches.length} fields listed`);
  const e = await n.arrays(['run', 'event', 'nJet', 'Jet_pt']);
  t.same(Array.from(e.nJet as Uint32Array), rows(e.Jet_pt!).map((x) => (x as unknown[]).length));
  // A misspelt field: the likely spelling, and `…` where the list of fields is cut at 40 (until
  // 2026-12-08 neither: 40 names and nothing saying more were left out).
  const missing = await n.arrays(['Muon_ptt']).then(() => null, (err: Error) => err);
  t.match(missing?.message, new RegExp(`: RNTuple Events has no field named Muon_ptt \\(did you mean Muon_pt\\?\\) \\(it has ${n.branches.length}: run, .*, …\\)$`));
});

t.test('any entry range reads the same as the whole, across pages, clusters and cluster groups', async (t) => {
  for (const name of readdirSync(dir).filter((f) => /^test_.*rntuple/.test(f))) {
    const r = await open(name, t);
    const fields = r.branches.filter((b) => b.kind !== 'unsupported').map((b) => b.name);
    const whole = await r.arrays(fields);
    const n = r.numEntries;
    for (const [a, b] of [[0, 1], [Math.floor(n / 3), Math.floor((2 * n) / 3) + 1], [n - 1, n]] as const) {
      const part = await r.arrays(fields, { entryStart: a, entryStop: b });
      for (const f of fields) t.same(rows(part[f]!), rows(whole[f]!).slice(a, b), `${name} ${f} [${a}, ${b})`);
    }
  }
});

t.test('over HTTP the same as from disk', async (t) => {
  const body = readFileSync(fixture('ntpl001_staff_rntuple_v1-0-1-0.root'));
  const { url } = await serve(t, body);
  const remote = await openRootFile(url);
  t.teardown(() => remote.close());
  const local = await open('ntpl001_staff_rntuple_v1-0-1-0.root', t);
  const r = await remote.rntuple('Staff');
  t.equal(r.numEntries, 3354);
  const names = ['Age', 'Cost', 'Division', 'Nation'];
  t.same(await r.arrays(names), await local.arrays(names));
  await t.rejects(remote.tree('Staff'), { message: /is an RNTuple, not a TTree: open it with file.rntuple\('Staff'\)/ });
});

t.test('damaged RNTuple bytes end in RootFormatError naming the file, never another error', async (t) => {
  const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { RootFormatError } = await import('@gluon/rootio');
  const good = readFileSync(fixture('test_1jag_int_float_rntuple_v1-0-0-0.root'));
  const tmp = mkdtempSync(join(tmpdir(), 'rntuple-damage-'));
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
  let failed = 0;
  for (let k = 0; k < 60; k++) {
    const bytes = Uint8Array.from(good);
    const at = 100 + Math.floor(((good.length - 100) * k) / 60);
    bytes[at] ^= 0x5a;
    const path = join(tmp, `d${k}.root`);
    writeFileSync(path, bytes);
    try {
      const f = await openRootFile(path);
      try {
        const r = await f.rntuple('ntuple');
        await r.arrays(r.branches.filter((b) => b.kind !== 'unsupported').map((b) => b.name));
      } finally {
        await f.close();
      }
    } catch (err) {
      failed++;
      if (!(err instanceof RootFormatError || err instanceof UnsupportedBranchTypeError)) t.fail(`byte ${at}: ${(err as Error)?.name}: ${(err as Error)?.message}`);
      else if (!(err as Error).message.startsWith(path)) t.fail(`byte ${at}: the error does not name the file: ${(err as Error).message}`);
    }
  }
  t.ok(failed > 10, `${failed} of 60 damaged copies were refused with a RootFormatError`);
});

/**
 * Writer-free edits of an RNTuple file for the cross-checks between its envelopes: an envelope
 * decompressed, changed, its own XXH3-64 made that of its new bytes and appended as is at the end
 * of the file, the anchor (whose fields' checksum is made theirs) or the footer pointing at it.
 */
async function envelopeKit(name: string) {
  const { decompress } = await import('../../src/decompress.js');
  const { xxh3 } = await import('../../src/rntuple/xxh3.js');
  const { readAnchor, readFooter, readHeader, RBuffer } = await import('../../src/rntuple/envelope.js');
  const { mapFile } = await import('../fuzz-map.js');
  const src = new Uint8Array(readFileSync(fixture(name)));
  const anchorRegion = mapFile(src).regions.find((r) => r.kind === 'rntuple anchor')!;
  // Stored as is (78 bytes: byte count and version, the fields, their checksum): patched in place.
  const at = anchorRegion.start;
  const a = readAnchor(new RBuffer(src.subarray(at, anchorRegion.end), 0, at));
  const plain = (b: Uint8Array, l: { offset: number; size: number; length: number }) => Uint8Array.from(decompress(b.subarray(l.offset, l.offset + l.size), l.length, name, l.offset));
  const header = plain(src, a.header);
  const footer = plain(src, a.footer);
  const groups = readFooter(footer, a.footer.offset, readHeader(header, a.header.offset));
  /** `env` with its checksum made that of its bytes. */
  const sealed = (env: Uint8Array) => {
    const e = Uint8Array.from(env);
    new DataView(e.buffer).setBigUint64(e.length - 8, xxh3(e.subarray(0, e.length - 8)), true);
    return e;
  };
  /** `b` with `env` appended: the new bytes and where `env` is. */
  const append = (b: Uint8Array, env: Uint8Array) => {
    const out = new Uint8Array(b.length + env.length);
    out.set(b);
    out.set(env, b.length);
    return { bytes: out, offset: b.length };
  };
  /** `b` with the anchor's header (field 0) or footer (1) link set to `env` at `offset`, stored as is. */
  const point = (b: Uint8Array, which: 0 | 1, offset: number, length: number) => {
    const dv = new DataView(b.buffer, b.byteOffset);
    const f = at + 14 + 24 * which;
    dv.setBigUint64(f, BigInt(offset));
    dv.setBigUint64(f + 8, BigInt(length));
    dv.setBigUint64(f + 16, BigInt(length));
    dv.setBigUint64(at + 70, xxh3(b.subarray(at + 6, at + 70)));
    return b;
  };
  return { src, a, header, footer, groups, plain, sealed, append, point };
}

// The footer and every page list begin with the XXH3-64 of the header they were written with;
// they were read and dropped, so a footer or page list of another header (each passing its own
// checksum) was read against a schema its columns and pages are not of.
t.test("an RNTuple footer or page list written for another header is refused, naming which and where", async (t) => {
  const { RootFormatError } = await import('@gluon/rootio');
  const { scratch } = await import('../damage.js');
  const write = scratch(t);
  const refused = async (file: string, what: RegExp, t: Tap) => {
    const f = await openRootFile(file);
    t.teardown(() => f.close());
    const key = f.keys().find((k) => k.className === 'ROOT::RNTuple')!;
    let err: unknown = null;
    try {
      const r = await f.rntuple(key.name);
      await r.arrays(r.branches.filter((b) => b.kind !== 'unsupported').map((b) => b.name));
    } catch (e) {
      err = e;
    }
    t.type(err, RootFormatError, `refused: ${(err as Error | null)?.message}`);
    t.match((err as Error | null)?.message ?? '', what);
  };
  const hex = (v: bigint) => `0x${v.toString(16).padStart(16, '0')}`;
  const headerSum = (env: Uint8Array) => new DataView(env.buffer, env.byteOffset).getBigUint64(env.length - 8, true);
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

  // A header changed and its checksum made that of its new bytes (a field renamed: "one_integers"
  // to "one_intEgers"): its own check passes; the footer names the header it was written with.
  {
    const k = await envelopeKit('test_int_float_rntuple_v1-0-0-0.root');
    const h = Uint8Array.from(k.header);
    const i = Buffer.from(h).indexOf('one_integers');
    h[i + 7] = 0x45;
    const changed = k.sealed(h);
    const { bytes, offset } = k.append(k.src, changed);
    const file = write('header-changed.root', k.point(bytes, 0, offset, changed.length));
    await refused(file, new RegExp(`^${esc(file)}: the footer of RNTuple \\S+ is damaged: it is the footer of another header: it names the header checksum \\(XXH3-64\\) ${hex(headerSum(k.header))}, and this RNTuple's header envelope ends in ${hex(headerSum(changed))} \\(byte 16 of the envelope, decompressed\\) \\(at byte ${k.a.footer.offset}\\)$`), t);
  }

  // The header of another file (test_1jag_int_float's, a complete header written by ROOT) with
  // this file's footer.
  {
    const k = await envelopeKit('test_int_float_rntuple_v1-0-0-0.root');
    const other = await envelopeKit('test_1jag_int_float_rntuple_v1-0-0-0.root');
    const { bytes, offset } = k.append(k.src, other.header);
    const file = write('header-of-another-file.root', k.point(bytes, 0, offset, other.header.length));
    await refused(file, new RegExp(`^${esc(file)}: the footer of RNTuple \\S+ is damaged: it is the footer of another header: it names the header checksum \\(XXH3-64\\) ${hex(headerSum(k.header))}, and this RNTuple's header envelope ends in ${hex(headerSum(other.header))} \\(byte 16 of the envelope, decompressed\\) \\(at byte ${k.a.footer.offset}\\)$`), t);
  }

  // The footer's header checksum changed (its own checksum made that of its new bytes), stored as is.
  {
    const k = await envelopeKit('test_int_float_rntuple_v1-0-0-0.root');
    const f = Uint8Array.from(k.footer);
    f[16] ^= 1;
    const changed = k.sealed(f);
    const { bytes, offset } = k.append(k.src, changed);
    const file = write('footer-names-another-header.root', k.point(bytes, 1, offset, changed.length));
    await refused(file, new RegExp(`^${esc(file)}: the footer of RNTuple \\S+ is damaged: it is the footer of another header: it names the header checksum \\(XXH3-64\\) ${hex(headerSum(k.header) ^ 1n)}, and this RNTuple's header envelope ends in ${hex(headerSum(k.header))} \\(at byte ${offset + 16}\\)$`), t);
  }

  // The second of three page lists naming another header: the footer (sealed again) points at
  // the changed copy.
  {
    const k = await envelopeKit('test_multiple_cluster_groups_rntuple_v1-0-0-0.root');
    t.equal(k.groups.length, 3, 'three cluster groups, three page lists');
    const g = k.groups[1]!;
    const list = k.plain(k.src, g);
    list[8] ^= 1;
    const changed = k.sealed(list);
    const first = k.append(k.src, changed);
    // The footer's link to it: its length (u64), locator size (i32) and offset (u64), little-endian.
    const link = Buffer.alloc(20);
    link.writeBigUInt64LE(BigInt(g.length), 0);
    link.writeInt32LE(g.size, 8);
    link.writeBigUInt64LE(BigInt(g.offset), 12);
    const footer = Buffer.from(k.footer);
    const l = footer.indexOf(link);
    t.ok(l > 0 && footer.indexOf(link, l + 1) < 0, 'the link is found once in the footer');
    footer.writeInt32LE(changed.length, l + 8);
    footer.writeBigUInt64LE(BigInt(first.offset), l + 12);
    const f = k.sealed(footer);
    const second = k.append(first.bytes, f);
    const file = write('page-list-names-another-header.root', k.point(second.bytes, 1, second.offset, f.length));
    await refused(file, new RegExp(`^${esc(file)}: a page list of RNTuple \\S+ is damaged: it is the page list of another header: it names the header checksum \\(XXH3-64\\) ${hex(headerSum(k.header) ^ 1n)}, and this RNTuple's header envelope ends in ${hex(headerSum(k.header))} \\(at byte ${first.offset + 8}\\)$`), t);
  }
});

// The anchor ends in the XXH3-64 of its fields (big-endian, after its byte count), as ROOT writes
// and checks it; it was not read, so a changed size or offset of the header or footer was followed.
t.test('an RNTuple anchor whose fields are not those of its checksum is refused', async (t) => {
  const { RootFormatError } = await import('@gluon/rootio');
  const { scratch } = await import('../damage.js');
  const { mapFile } = await import('../fuzz-map.js');
  const write = scratch(t);
  const src = new Uint8Array(readFileSync(fixture('test_int_float_rntuple_v1-0-0-0.root')));
  const at = mapFile(src).regions.find((r) => r.kind === 'rntuple anchor')!.start;
  // Its Max Key Size (the last field, which a reader of blobs under 1 GiB does not use) halved.
  const b = Uint8Array.from(src);
  const dv = new DataView(b.buffer);
  dv.setBigUint64(at + 62, dv.getBigUint64(at + 62) / 2n);
  const file = write('anchor-changed.root', b);
  const f = await openRootFile(file);
  t.teardown(() => f.close());
  let err: unknown = null;
  try {
    const r = await f.rntuple('ntuple');
    await r.arrays(['one_integers', 'two_floats']);
  } catch (e) {
    err = e;
  }
  t.type(err, RootFormatError, `refused: ${(err as Error | null)?.message}`);
  t.match((err as Error | null)?.message ?? '', new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: the RNTuple anchor of ntuple is damaged: its checksum \\(XXH3-64\\) 0x[0-9a-f]{16} is not that of its 64 bytes of fields \\(0x[0-9a-f]{16}\\): they are damaged \\(at byte ${at + 70}\\)$`));
});

t.test('ATLAS PHYSLITE: fields added within a cluster (deferred columns) read; what is not read says so', async (t) => {
  // uproot-physlite-rntuple_v1-0-0-0.root: 100 events in one cluster. Each AuxDyn field came in
  // after the first event (its index column's first element is 1, where its first page starts);
  // every one of them was called damaged ("index column goes backwards at element 0"). Found by
  // scripts/rootio-conformance.ts, as were the other two defects checked here.
  const r = await open('uproot-physlite-rntuple_v1-0-0-0.root', t);
  t.equal(r.name, 'DataHeader', 'the first RNTuple of the file');
  const f = await openRootFile(fixture('uproot-physlite-rntuple_v1-0-0-0.root'));
  t.teardown(() => f.close());
  const ev = await f.rntuple('EventData');
  t.equal(ev.numEntries, 100);
  const electrons = ev.branches.filter((b) => b.name.startsWith('AnalysisElectronsAuxDyn:') && b.kind === 'vector');
  t.ok(electrons.length > 20, `${electrons.length} electron variables`);
  const cols = await ev.arrays(electrons.map((b) => b.name));
  const pt = cols['AnalysisElectronsAuxDyn:pt'] as { offsets: Int32Array; values: Float32Array };
  t.equal(pt.offsets.length, 101);
  t.equal(pt.offsets[1], 0, 'the first event, before the field existed, holds no electrons');
  t.equal(pt.offsets[100], 57, "every element of the field's one page (57 electrons)");
  for (const b of electrons) t.same([...(cols[b.name] as { offsets: Int32Array }).offsets], [...pt.offsets], `${b.name}: one value per electron`);
  t.ok(pt.values.every((x) => x > 0), 'every pt positive');
  t.ok([...(cols['AnalysisElectronsAuxDyn:charge'] as { values: Float32Array }).values].every((q) => q === 1 || q === -1), 'every charge ±1');
  // Every field listed as readable reads, each one alone.
  let read = 0;
  for (const b of ev.branches.filter((x) => x.kind !== 'unsupported')) {
    await ev.arrays([b.name]);
    read++;
  }
  t.ok(read > 800, `${read} fields of EventData read`);
  // A collection of collections of records (ElementLinks) is listed unsupported, not nested, and
  // says its type when asked for (it was listed nested, then refused as "record (read its members: )").
  const links = ev.branch('AnalysisElectronsAuxDyn:trackParticleLinks');
  t.equal(links.kind, 'unsupported');
  await t.rejects(ev.arrays([links.name]), { name: 'UnsupportedBranchTypeError', typeName: /^RNTuple field of type std::vector<std::vector<ElementLink</ });
  // A collection of fixed-size arrays (a GUID's bytes, vector<uint8[8]>) is unsupported, not a TypeError.
  const form = await f.rntuple('DataHeaderForm');
  const guid = form.branch('DataHeaderForm.m_dbRecords.fid.m_data4');
  t.equal(guid.kind, 'unsupported');
  await t.rejects(form.arrays([guid.name]), UnsupportedBranchTypeError);
});
