/**
 * Writes test/fixtures/fuzz/: each file is a committed fixture (test/fixtures/skhep) with the few
 * bytes changed that bench/rootio-fuzz.ts found to make the reader fail other than with a clear
 * typed error, minimised by hand to the one change that matters. test/units/fuzz-findings.ts reads
 * them. Run from packages/rootio: `npx tsx scripts/make-fuzz-fixtures.ts`.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';
import { decompress } from '../src/decompress.js';
import { RootFileWriter } from '../src/write/index.js';
import { xxh3 } from '../src/rntuple/xxh3.js';

interface Crafted {
  name: string;
  /** A committed fixture of test/fixtures/skhep, or a file of our writer (WRITTEN). */
  base: string;
  /** [file offset, bytes written there] */
  patches: Array<[number, number[]]>;
  /** Or the file cut to this length. */
  truncate?: number;
  /**
   * An RNTuple envelope changed inside: its anchor field (the header's u64 seek at `anchor`, then its
   * compressed and uncompressed sizes) is pointed at a copy appended uncompressed at the end of
   * the file, with `patches` applied at offsets within the envelope's decompressed bytes (and its
   * XXH3-64 checksum made theirs).
   */
  envelope?: { anchor: number; patches: Array<[number, number[]]>; keepChecksum?: boolean };
  /**
   * A compressed block (its 9-byte header at `at`) decompressed, changed by `change`, and
   * deflated back in its place as a zlib block (it must fit): the change passes the checksum.
   * With `page` (an RNTuple page's size in bytes, the block its start), the page's XXH3-64 after
   * it is made that of the new bytes too.
   */
  block?: { at: number; change: Change | Change[]; page?: number };
}

/** A change to decompressed bytes, as bench/rootio-fuzz.ts describes its changes. */
type Change =
  | { copy: number; to: number; n: number } // `n` bytes from `copy` copied to `to`
  | { int32: number; at: number } // big-endian
  | { int64le: number; at: number }
  | { int64: number; at: number } // big-endian
  | { float64: number; at: number } // big-endian
  | { text: string; to: string; nth?: number }; // occurrence `nth` (from 0) of `text` replaced (same length)

const be16 = (v: number) => [(v >> 8) & 0xff, v & 0xff];

export const CRAFTED: Crafted[] = [
  // The top directory's list of keys has its own key first; its key length (int16 at 984) is
  // -32768: the reader jumped there and read before the start of the buffer.
  { name: 'keys-list-negative-keylen.root', base: 'test_int_float_rntuple_v1-0-0-0.root', patches: [[984, be16(0x8000)]] },
  // The first TBasket key (at 327, branch I32): its class name's length byte (353) is 255, the
  // marker of a long string, and the 4-byte length after it -65536. The reader skipped back
  // before the buffer and read the TBasket fields there: a raw RangeError from a DataView.
  { name: 'basket-name-negative-length.root', base: 'uproot-issue413.root', patches: [[353, [255, 0xff, 0xff, 0x00, 0x00]]] },
  // The StreamerInfo record's key (at 1087) declares an object length (int32 at 1093) of 0 over
  // its 335 bytes: decompress() decoded nothing and returned null, and the reader met a TypeError
  // reading the null ("Cannot read properties of null (reading 'buffer')").
  { name: 'streamers-zero-objlen.root', base: 'test_int_float_rntuple_v1-0-0-0.root', patches: [[1093, [0, 0, 0, 0]]] },
  // RNTuple header (anchor field at 906) with column 0's type (u16 at 199 of the envelope) 0x2b,
  // which format 1.0 does not define: reading the field was an UnsupportedBranchTypeError that
  // named no file; the type is damage, said when the header is read.
  { name: 'rntuple-column-type-undefined.root', base: 'test_int_float_rntuple_v1-0-0-0.root', patches: [], envelope: { anchor: 906, patches: [[199, [0x2b, 0]]] } },
  // The same column (split int32) with 0-bit elements (u16 at 201): its pages' size came out 0,
  // decompress() returned null and decodePage() failed on it ("Cannot read properties of null").
  { name: 'rntuple-column-zero-bits.root', base: 'test_int_float_rntuple_v1-0-0-0.root', patches: [], envelope: { anchor: 906, patches: [[201, [0, 0]]] } },
  // The TTree mytree's block (at 1173), 55 bytes from 1395 copied to 2435: a branch of the
  // branch list became null ("the TTree mytree;1 has damaged metadata: Cannot read properties of
  // null (reading 'fName')", no offset).
  { name: 'tree-branch-null.root', base: 'uproot-issue413.root', patches: [], block: { at: 1173, change: { copy: 1395, to: 2435, n: 55 } } },
  // The TTree of string-example (block at 675) with the int32 at 250 of its bytes 16777216: its
  // branch list was missing ("Cannot read properties of undefined (reading 'arr')").
  { name: 'tree-branch-list-missing.root', base: 'string-example.root', patches: [], block: { at: 675, change: { int32: 16777216, at: 250 } } },
  // The TTree's block (at 2009), 13 bytes at 4411 shifted by -3: a branch's basket seeks came
  // out short, and a seek NaN ("invalid byte range (offset NaN, length 145)", naming no branch).
  { name: 'tree-basket-seek-nan.root', base: 'uproot-double32-float16.root', patches: [], block: { at: 2009, change: { copy: 4414, to: 4411, n: 13 } } },
  // The StreamerInfo (block at 3083), 19 bytes from 12439 copied to 7186: TBranch's description
  // read a number into fName, and tree.arrays() threw a raw TypeError at its own branch names.
  { name: 'tree-branch-name-number.root', base: 'uproot-double32-float16.root', patches: [], block: { at: 3083, change: { copy: 12439, to: 7186, n: 19 } } },
  // The StreamerInfo (block at 683) with the int64 at 9048 of its bytes 32768 (little-endian):
  // the profile's axis was missing ("Cannot read properties of undefined (reading 'fXbins')").
  { name: 'histogram-axis-missing.root', base: 'uproot-issue-227a.root', patches: [], block: { at: 683, change: { int64le: 32768, at: 9048 } } },
  // The StreamerInfo (block at 8655), 25 bytes from 24309 copied to 23487: a member of TTree is
  // described as an array of 16,777,216 TStrings. Reading the tree allocated 128 MB of array
  // slots before the first element failed (RSS +70 MiB for a 16 kB file).
  { name: 'streamer-member-huge-array.root', base: 'uproot-stl_containers.root', patches: [], block: { at: 8655, change: { copy: 24309, to: 23487, n: 25 } } },
  // The TTree mytree (block at 1173) with its entry count (int64 at 66) 2^33: the one-basket
  // branches' baskets then claim every entry, and reading I32 allocated its column, 32 GB, before
  // checking the basket's bytes: a raw RangeError from Buffer.allocUnsafeSlow (found in data_B).
  { name: 'tree-entries-huge.root', base: 'uproot-issue413.root', patches: [], block: { at: 1173, change: [{ int64: 2 ** 33, at: 66 }, { int64: 0, at: 631 }] } },
  // The StreamerInfo (block at 2134) with TBranch's member fLeaves (the second of the name, after
  // TTree's) renamed fLeavez: the branches
  // read have no leaf list ("has damaged metadata: Cannot read properties of undefined (reading
  // 'arr')", found in uproot-HZZ-lz4).
  { name: 'tree-branch-leaves-missing.root', base: 'uproot-issue413.root', patches: [], block: { at: 2134, change: { text: 'fLeaves', to: 'fLeavez', nth: 1 } } },
  // The StreamerInfo (block at 2134) with TBranch's fBasketEntry and fWriteBasket renamed: a
  // branch with a basket kept inside the TTree and no basket entries (found in data_D.4lep).
  { name: 'tree-basket-entries-missing.root', base: 'uproot-issue413.root', patches: [], block: { at: 2134, change: [{ text: 'fBasketEntry', to: 'fBasketEntrz' }, { text: 'fWriteBasket', to: 'fWriteBaskez' }] } },
  // The index column of two_v_floats (split, delta-encoded Index64; its page a ZSTD block at
  // 725), byte 3 of entry 4's delta 0x41: the entry ends at element 1,090,519,052. Reading the
  // floats took memory for 4.4 GB of them before asking the page list, which lists 12: a raw
  // RangeError from Buffer.allocUnsafeSlow (found as a byte of a ZSTD page of Run2012BC's Muons).
  // The page's checksum is made that of the changed page (30 bytes), so the count is what fails.
  { name: 'rntuple-index-huge.root', base: 'test_int_vfloat_tlv_vtlv_rntuple_v1-0-0-0.root', patches: [], block: { at: 725, change: { int32: 0x41, at: 16 }, page: 30 } },
  // Column 0 of the same file (one_integers, split int32, its 20-byte page at 697 stored
  // uncompressed): the low byte of entry 0 0x7f, the page's XXH3-64 left as written. Entry 0 read
  // as 127 without a word (the reader checked no page's checksum).
  { name: 'rntuple-page-checksum.root', base: 'test_int_vfloat_tlv_vtlv_rntuple_v1-0-0-0.root', patches: [[697, [0x7f]]] },
  // The RNTuple header (anchor field at 906) with the last letter of field one_integers (byte 99
  // of the envelope) z, its XXH3-64 checksum left as written: the field read as one_integerz,
  // without a word (the reader checked no envelope's checksum).
  { name: 'rntuple-header-checksum.root', base: 'test_int_float_rntuple_v1-0-0-0.root', patches: [], envelope: { anchor: 906, patches: [[99, [0x7a]]], keepChecksum: true } },
  // Our writer's TH1D with edges 0, 1, 4, 9, 16 (WRITTEN), its block (at 293) with edge 2 (the
  // double at 185) 16: it read without a word, bin 2 overlapping bin 3.
  { name: 'histogram-edges-decrease.root', base: 'writer:th1d-edges', patches: [], block: { at: 293, change: { float64: 16, at: 185 } } },
];

/** Bases written by our writer (reproducibly: a fixed UUID and time). */
const WRITTEN: Record<string, (path: string) => Promise<void>> = {
  'writer:th1d-edges': async (path) => {
    const w = await RootFileWriter.create(path, { name: 'histogram-edges-decrease.root', compression: { algorithm: 'zlib', level: 6 }, stamp: { uuid: new Uint8Array(16), time: new Date(Date.UTC(2026, 11, 7)) } });
    w.writeHistogram({ type: 'TH1D', name: 'h', title: 'edges', nbins: 4, lo: 0, hi: 16, edges: [0, 1, 4, 9, 16], contents: [0, 1, 2, 3, 4, 0] });
    await w.close();
  },
};

async function baseBytes(base: string): Promise<Uint8Array> {
  if (!WRITTEN[base]) return new Uint8Array(readFileSync(dir(`skhep/${base}`)));
  const tmp = join(mkdtempSync(join(tmpdir(), 'fuzz-fixture-')), 'base.root');
  await WRITTEN[base](tmp);
  return new Uint8Array(readFileSync(tmp));
}

const dir = (p: string) => fileURLToPath(new URL(`../test/fixtures/${p}`, import.meta.url));
for (const c of CRAFTED) {
  let b = await baseBytes(c.base);
  for (const [at, bytes] of c.patches) b.set(bytes, at);
  if (c.truncate !== undefined) b = b.subarray(0, c.truncate);
  if (c.block) {
    const at = c.block.at;
    const csize = b[at + 3]! | (b[at + 4]! << 8) | (b[at + 5]! << 16);
    const usize = b[at + 6]! | (b[at + 7]! << 8) | (b[at + 8]! << 16);
    const plain = Uint8Array.from(decompress(b.subarray(at, at + 9 + csize), usize, c.base, at));
    const dv = new DataView(plain.buffer);
    for (const ch of [c.block.change].flat()) {
    if ('copy' in ch) plain.copyWithin(ch.to, ch.copy, ch.copy + ch.n);
    else if ('int32' in ch) dv.setInt32(ch.at, ch.int32);
    else if ('int64le' in ch) dv.setBigInt64(ch.at, BigInt(ch.int64le), true);
    else if ('int64' in ch) dv.setBigInt64(ch.at, BigInt(ch.int64));
    else if ('float64' in ch) dv.setFloat64(ch.at, ch.float64);
    else {
      let k = -1;
      for (let i = 0; i <= (ch.nth ?? 0); i++) k = Buffer.from(plain).indexOf(ch.text, k + 1, 'latin1');
      plain.set(Buffer.from(ch.to, 'latin1'), k);
    }
    }
    const body = deflateSync(plain, { level: 9 });
    if (body.length > csize) throw new Error(`${c.name}: the changed block deflates to ${body.length} bytes, past its ${csize}`);
    b.set([0x5a, 0x4c, 8, body.length & 0xff, (body.length >> 8) & 0xff, body.length >> 16], at);
    b.set(body, at + 9);
    if (c.block.page) new DataView(b.buffer, b.byteOffset).setBigUint64(at + c.block.page, xxh3(b.subarray(at, at + c.block.page)), true);
  }
  if (c.envelope) {
    const dv = new DataView(b.buffer);
    const at = Number(dv.getBigUint64(c.envelope.anchor));
    const size = Number(dv.getBigUint64(c.envelope.anchor + 8));
    const length = Number(dv.getBigUint64(c.envelope.anchor + 16));
    const plain = Uint8Array.from(decompress(b.subarray(at, at + size), length, c.base, at));
    for (const [k, bytes] of c.envelope.patches) plain.set(bytes, k);
    // Its checksum made that of the changed bytes: the damage reaches the parser behind it.
    if (!c.envelope.keepChecksum) new DataView(plain.buffer).setBigUint64(plain.length - 8, xxh3(plain.subarray(0, plain.length - 8)), true);
    const out = new Uint8Array(b.length + plain.length);
    out.set(b);
    out.set(plain, b.length);
    const odv = new DataView(out.buffer);
    odv.setBigUint64(c.envelope.anchor, BigInt(b.length));
    odv.setBigUint64(c.envelope.anchor + 8, BigInt(plain.length));
    // The anchor's checksum (big-endian, after its 64 bytes of fields, which begin with the four
    // version numbers before the header's seek) made that of its new fields, as ROOT checks it.
    const fields = c.envelope.anchor - 8;
    odv.setBigUint64(fields + 64, xxh3(out.subarray(fields, fields + 64)));
    b = out;
  }
  writeFileSync(dir(`fuzz/${c.name}`), b);
  process.stdout.write(`${c.name}: ${b.length} bytes\n`);
}
