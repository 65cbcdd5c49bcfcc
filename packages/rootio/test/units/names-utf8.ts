import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openRootFile, RootFileWriter, RootFormatError, type RootFile } from '../../src/index.js';
import { ObjectReader } from '../../src/meta/objects.js';
import { RBuffer, type RObject } from '../../src/meta/rbuffer.js';

/**
 * Names and titles as text: ROOT writes the bytes of a name as it was given, UTF-8 in today's
 * files (a unit "µm" in a title), latin-1 in some older ones. UTF-8 is read as UTF-8, other bytes
 * as latin-1, and a key, tree or branch is found by the name read either way.
 */
const dir = mkdtempSync(join(tmpdir(), 'rootio-names-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

/** A file of our writer (which writes names as UTF-8), uncompressed so names can be patched after. */
async function write(path: string, tree: string, title: string, branch: string): Promise<void> {
  const w = await RootFileWriter.create(path, { compression: { algorithm: 'none', level: 0 } });
  const tw = w.createTree(tree, title, [{ name: branch, type: 'double' }]);
  await tw.append({ [branch]: Float64Array.of(1.5, 2.5, 3.5) });
  await w.close();
}

/** The file's trees: name and title. */
function trees(f: RootFile): string[][] {
  return f.keys().filter((k) => k.className === 'TTree').map((k) => [k.name, k.title]);
}

/** Replaces every occurrence of ASCII `from` in the file by the bytes `to` (same length). */
function patch(path: string, from: string, to: Uint8Array): number {
  const bytes = readFileSync(path);
  const needle = Buffer.from(from, 'latin1');
  if (needle.length !== to.length) throw new Error('patch: lengths differ');
  let n = 0;
  for (let at = bytes.indexOf(needle); at >= 0; at = bytes.indexOf(needle, at + 1)) {
    bytes.set(to, at);
    n++;
  }
  writeFileSync(path, bytes);
  return n;
}

t.test('UTF-8 names and titles read as written, and are found by name', async (t) => {
  const path = join(dir, 'utf8.root');
  const tree = 'Δη_tracks';
  const branch = 'x_µm';
  const title = 'track length [µm] — ΔR < 0.4 ✓';
  // The writer takes branch names of ASCII letters only: this one's "µ" is patched in (c2 b5).
  await write(path, tree, title, 'x_QQm');
  t.ok(patch(path, 'x_QQm', Buffer.from(branch, 'utf8')) >= 1, 'the branch name patched');
  const f = await openRootFile(path);
  t.teardown(() => f.close());
  t.same(trees(f), [[tree, title]], 'the key: name and title as written');
  const r = await f.tree(tree);
  t.same(r.branches.map((b) => b.name), [branch], 'the branch name as written');
  t.same(Array.from((await r.arrays([branch]))[branch] as Float64Array), [1.5, 2.5, 3.5], 'read by its name');
  const err = await r.arrays(['x_um']).then(() => null, (e: unknown) => e);
  t.match((err as Error)?.message, /x_µm/, `a missing branch's error names the real one: ${(err as Error)?.message}`);
});

t.test('latin-1 names (bytes that are not UTF-8) read as latin-1, and are found by name', async (t) => {
  const path = join(dir, 'latin1.root');
  // Written as ASCII placeholders, then each placeholder byte made latin-1's "é" / "µ" (0xe9,
  // 0xb5), which alone are not UTF-8; a byte string that is valid UTF-8 stays UTF-8 (0xc3 0xa9).
  await write(path, 'caf_Q_tree', 'length in _M_m', 'br_QQ');
  t.ok(patch(path, 'caf_Q_', Uint8Array.of(0x63, 0x61, 0x66, 0xe9, 0x5f, 0x5f)) >= 2, 'the tree name: its key, its record\'s key, the tree');
  t.ok(patch(path, 'br_QQ', Uint8Array.of(0x62, 0x72, 0x5f, 0xb5, 0xe9)) >= 1, 'the branch name');
  t.ok(patch(path, '_M_m', Uint8Array.of(0x5f, 0xb5, 0x6d, 0x20)) >= 1, 'the title');
  const f = await openRootFile(path);
  t.teardown(() => f.close());
  const tree = 'café__tree';
  t.same(trees(f), [[tree, 'length in _µm ']]);
  const r = await f.tree(tree);
  t.same(r.branches.map((b) => b.name), ['br_µé']);
  t.same(Array.from((await r.arrays(['br_µé']))['br_µé'] as Float64Array), [1.5, 2.5, 3.5], 'read by its name');
});

t.test('names are never NFC-folded or stripped: a leading byte-order mark stays', async (t) => {
  const path = join(dir, 'bom.root');
  const tree = '\ufeffe\u0301vents';
  await write(path, tree, 't', 'x');
  const f = await openRootFile(path);
  t.teardown(() => f.close());
  t.equal(trees(f)[0]![0], tree, 'the name as written, its byte-order mark and combining accent kept');
  t.equal((await f.tree(tree)).numEntries, 3);
});

t.test('error messages escape control characters and overrides that UTF-8 names carry', async (t) => {
  const path = join(dir, 'hostile.root');
  // C1's NEL (U+0085, bytes c2 85), a right-to-left override and a right-to-left mark: as
  // latin-1 they were harmless-looking letters; as UTF-8 they are the characters themselves.
  const evil = 'a\u0085b\u202ec\u200fd';
  await write(path, evil, 't', 'x');
  const f = await openRootFile(path);
  t.teardown(() => f.close());
  t.equal(trees(f)[0]![0], evil, 'the API keeps the raw name');
  const err = await f.tree('nope').then(() => null, (e: unknown) => e);
  t.type(err, RootFormatError);
  const message = (err as Error).message;
  t.notMatch(message, /[\x00-\x1f\x7f-\x9f\u200e\u200f\u061c\u2028\u2029\u202a-\u202e\u2066-\u2069]/, `no raw control character: ${JSON.stringify(message)}`);
  t.ok(message.includes('a\\x85b\\u202ec\\u200fd'), `the name is shown escaped: ${message}`);
});

t.test('a name asked in another Unicode form is suggested: the micro sign typed as Greek mu', async (t) => {
  const path = join(dir, 'micro.root');
  await write(path, 'µ', 'micro sign (U+00B5)', 'x');
  const f = await openRootFile(path);
  t.teardown(() => f.close());
  const err = await f.tree('μ').then(() => null, (e: unknown) => e);
  t.type(err, RootFormatError);
  t.match((err as Error).message, /no object named μ in the file: .*\(did you mean µ\?\)/, 'U+03BC asked, U+00B5 suggested');
});

t.test('a version-4 TList\'s option strings (one length byte) are read as every other name', async (t) => {
  // TList::Streamer before version 5 wrote each element's option with a one-byte length; such a
  // list is read by hand (meta/objects.ts). Here: one null element whose option is given bytes.
  const list = (option: Uint8Array): RObject => {
    const body = [
      0x00, 0x04, // version 4 (after the byte count)
      0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, // TObject: version 1, fUniqueID, fBits
      0x04, ...Buffer.from('opts'), // fName
      0, 0, 0, 1, // one element
      0, 0, 0, 0, // a null pointer
      option.length, ...option,
    ];
    const bytes = Uint8Array.from([0x40, 0, 0, body.length, ...body]);
    return new ObjectReader().readObject(new RBuffer(bytes), 'TList');
  };
  t.same(list(Buffer.from('µm Δη', 'utf8')).opt, ['µm Δη'], 'UTF-8 read as UTF-8');
  // Not UTF-8: latin-1, byte for byte (windows-1252 would make 0x80 "€" and 0x9f "Ÿ").
  t.same(list(Uint8Array.of(0xb5, 0x80, 0x9f)).opt, ['\u00b5\u0080\u009f'], 'other bytes as latin-1');
});
