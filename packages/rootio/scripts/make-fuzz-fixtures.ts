/**
 * Writes test/fixtures/fuzz/: each file is a committed fixture (test/fixtures/skhep) with the few
 * bytes changed that bench/rootio-fuzz.ts found to make the reader fail other than with a clear
 * typed error, minimised by hand to the one change that matters. test/fuzz-findings.test.ts reads
 * them. Run from packages/rootio: `npx tsx scripts/make-fuzz-fixtures.ts`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decompress } from '../src/decompress.js';

interface Crafted {
  name: string;
  base: string;
  /** [file offset, bytes written there] */
  patches: Array<[number, number[]]>;
  /** Or the file cut to this length. */
  truncate?: number;
  /**
   * An RNTuple envelope changed inside: its anchor field (the u64 seek at `anchor`, then its
   * compressed and uncompressed sizes) is pointed at a copy appended uncompressed at the end of
   * the file, with `patches` applied at offsets within the envelope's decompressed bytes.
   */
  envelope?: { anchor: number; patches: Array<[number, number[]]> };
}

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
];

const dir = (p: string) => fileURLToPath(new URL(`../test/fixtures/${p}`, import.meta.url));
for (const c of CRAFTED) {
  let b = new Uint8Array(readFileSync(dir(`skhep/${c.base}`)));
  for (const [at, bytes] of c.patches) b.set(bytes, at);
  if (c.truncate !== undefined) b = b.subarray(0, c.truncate);
  if (c.envelope) {
    const dv = new DataView(b.buffer);
    const at = Number(dv.getBigUint64(c.envelope.anchor));
    const size = Number(dv.getBigUint64(c.envelope.anchor + 8));
    const length = Number(dv.getBigUint64(c.envelope.anchor + 16));
    const plain = Uint8Array.from(decompress(b.subarray(at, at + size), length, c.base, at));
    for (const [k, bytes] of c.envelope.patches) plain.set(bytes, k);
    const out = new Uint8Array(b.length + plain.length);
    out.set(b);
    out.set(plain, b.length);
    const odv = new DataView(out.buffer);
    odv.setBigUint64(c.envelope.anchor, BigInt(b.length));
    odv.setBigUint64(c.envelope.anchor + 8, BigInt(plain.length));
    b = out;
  }
  writeFileSync(dir(`fuzz/${c.name}`), b);
  process.stdout.write(`${c.name}: ${b.length} bytes\n`);
}
