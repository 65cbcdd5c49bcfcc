import t from 'tap';
import { fileURLToPath } from 'node:url';
import { RootFormatError } from '@gluon/rootio';
import { readAllDigest } from '../fuzz-read.js';

/**
 * Inputs bench/rootio-fuzz.ts found to end in something other than a clear typed error (a raw
 * RangeError or TypeError, or a typed error carrying one), minimised to one change of a committed
 * fixture (scripts/make-fuzz-fixtures.ts says which). Each must now be a RootFormatError naming
 * the file, what is damaged and where.
 */
const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/fuzz/${name}`, import.meta.url));

async function failure(name: string): Promise<RootFormatError> {
  try {
    await readAllDigest(fixture(name), 60_000);
  } catch (err) {
    if (err instanceof RootFormatError) return err;
    throw err;
  }
  throw new Error(`${name} read without an error`);
}

t.test('a key length before the start of the list of keys', async (t) => {
  const e = await failure('keys-list-negative-keylen.root');
  t.match(e.message, /keys-list-negative-keylen\.root: the list of keys is damaged: the key length of the list of keys \(-32768\) lies outside its 117-byte record \(at byte 970\)/);
  t.notOk('cause' in e, 'no raw error underneath');
});

t.test("a basket key's name with a negative length", async (t) => {
  const e = await failure('basket-name-negative-length.root');
  t.match(e.message, /basket-name-negative-length\.root: branch I32: basket 0 key header is damaged: a name of -65536 bytes runs outside its 64-byte key \(at byte 358\)/);
});

t.test('a record whose key declares an object of 0 bytes over its data', async (t) => {
  const e = await failure('streamers-zero-objlen.root');
  t.match(e.message, /streamers-zero-objlen\.root: 335 bytes of data where the header declares 0 \(at byte 1151\)/);
  t.notOk('cause' in e, 'no raw error underneath');
});

t.test('an RNTuple column of a type format 1.0 does not define', async (t) => {
  const e = await failure('rntuple-column-type-undefined.root');
  t.match(e.message, /rntuple-column-type-undefined\.root: the header of RNTuple ntuple;1 is damaged: column 0 has type 0x2b, which RNTuple format 1\.0 does not define \(at byte 1760\)/);
});

t.test('an RNTuple page whose bytes are not those of its checksum', async (t) => {
  const e = await failure('rntuple-page-checksum.root');
  t.match(e.message, /rntuple-page-checksum\.root: RNTuple ntuple;1, field one_integers: the page of 5 elements \(20 bytes\) is not that of its checksum \(XXH3-64\): damaged \(at byte 697\)/);
});

t.test("an RNTuple header whose bytes are not those of its checksum", async (t) => {
  const e = await failure('rntuple-header-checksum.root');
  t.match(e.message, /rntuple-header-checksum\.root: the header of RNTuple ntuple;1 is damaged: the header envelope's checksum \(XXH3-64\) is not that of its 255 bytes: they are damaged \(at byte 1816\)/);
});

t.test('an RNTuple column whose elements have a width its type does not have', async (t) => {
  const e = await failure('rntuple-column-zero-bits.root');
  t.match(e.message, /rntuple-column-zero-bits\.root: the header of RNTuple ntuple;1 is damaged: column 0 has type 0x13 with 0-bit elements, a width that type does not have \(at byte 1760\)/);
});

// TTree and histogram objects read by a damaged StreamerInfo (or with damaged bytes) lack members
// or have them of other types: each is said as the member that is wrong, at the object's key.
const shapes: Array<[string, RegExp]> = [
  ['tree-branch-null.root', /the TTree mytree;1 is damaged: branch 4 is missing, not a branch \(at byte 1133\)/],
  ['tree-branch-list-missing.root', /the TTree Refs;1 is damaged: branch 0's name \(fName\) is missing, not a string \(at byte 618\)/],
  ['tree-basket-seek-nan.root', /the TTree tree;1 is damaged: branch float16_10's fBasketSeek has 0 values for 1 written baskets \(at byte 1971\)/],
  ['tree-branch-name-number.root', /the TTree tree;1 is damaged: branch 0's name \(fName\) is 32000, not a string \(at byte 1971\)/],
  ['tree-branch-leaves-missing.root', /the TTree mytree;1 is damaged: branch I32's leaf list \(fLeaves\) is missing \(at byte 1133\)/],
  ['tree-basket-entries-missing.root', /the TTree mytree;1 is damaged: branch I32's fBasketEntry is missing, not an array \(at byte 1133\)/],
  ['histogram-axis-missing.root', /the histogram hprof2d;1 is damaged: its axis fXaxis is missing \(at byte 240\)/],
  // Our writer's file: the edges are numbers of the right count, so only their order says it.
  ['histogram-edges-decrease.root', /the histogram h;1 is damaged: its fXaxis's bin edges \(fXbins\) decrease: edge 3 is 9 after 16 \(at byte 254\)/],
];
for (const [name, said] of shapes) {
  t.test(`${name}: the member that is wrong, and where`, async (t) => {
    const e = await failure(name);
    t.ok(e.message.includes(name), 'names the file');
    t.match(e.message, said);
    t.ok(e.offset > 0, 'at the object\'s key');
    t.notOk('cause' in e, 'no raw error underneath');
  });
}

t.test('a streamer member described as an array of 16,777,216 elements', async (t) => {
  const e = await failure('streamer-member-huge-array.root');
  t.match(e.message, /streamer-member-huge-array\.root: tree \(TTree\) is damaged: fFileName claims 16777216 elements, more than its record holds \(at byte 5887\)/);
});

t.test('a tree whose entry count (2^33) its one basket claims whole', async (t) => {
  const e = await failure('tree-entries-huge.root');
  t.match(e.message, /tree-entries-huge\.root: branch I32: basket has 20 bytes for 8589934592 entries of 4 bytes/);
});

t.test('an RNTuple collection whose index says its entry ends at element 1,090,519,052', async (t) => {
  const e = await failure('rntuple-index-huge.root');
  t.match(e.message, /rntuple-index-huge\.root: RNTuple ntuple;1: field two_v_floats's pages hold 12 of elements 0–1090519052/);
  t.notOk('cause' in e, 'no raw error underneath');
});
