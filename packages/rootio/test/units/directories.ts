import t, { type Test } from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openFile } from 'jsroot';
import { openRootFile, RootFileWriter, RootFormatError, type RootFile } from '@gluon/rootio';
import { jsrootValues, normalise, perEntry } from '../helpers.js';
import { serve } from '../range-server.js';

/**
 * Keys inside subdirectories (TDirectory / TDirectoryFile), listed and read by their path
 * (`one/two/tree`, as uproot names them). Files of scikit-hep-testdata (BSD-3-Clause, see
 * fixtures/skhep/LICENSE): uproot-nesteddirs.root (trees two levels down), uproot-issue-861.root
 * (histograms in two directories). No public file has an RNTuple in a directory: that case moves
 * the staff RNTuple's key into a directory record appended to its file (below).
 */
const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/skhep/${name}`, import.meta.url));
const nested = fixture('uproot-nesteddirs.root');
const energies = fixture('uproot-issue-861.root');
const staff = fixture('ntpl001_staff_rntuple_v1-0-1-0.root');

async function open(t: Test, where: string): Promise<RootFile> {
  const f = await openRootFile(where);
  t.teardown(() => f.close());
  return f;
}

/** Every readable branch of `tree` in `file` against jsroot's values entry by entry; returns how many. */
async function sameAsJsroot(t: Test, f: RootFile, path: string, tree: string): Promise<number> {
  const ours = await f.tree(tree);
  const names = ours.branches.filter((b) => b.kind !== 'unsupported').map((b) => b.name);
  const cols = await ours.arrays(names);
  const theirs = await jsrootValues(path, tree, names);
  for (const n of names) t.same(perEntry(cols[n]!, ours.numEntries).map(normalise), theirs[n]!.map(normalise), `${tree} ${n}`);
  return names.length;
}

t.test('keys in subdirectories are listed by path, as uproot lists them, and their trees read as jsroot reads them', async (t) => {
  const f = await open(t, nested);
  // uproot's test_nesteddirs: file.keys() of this file.
  t.same(f.keys().filter((k) => k.name !== 'StreamerInfo').map((k) => `${k.name};${k.cycle}`),
    ['one;1', 'one/two;1', 'one/two/tree;1', 'one/tree;1', 'three;1', 'three/tree;1']);
  t.same(f.keys().filter((k) => k.name.includes('/')).map((k) => k.className), ['TDirectory', 'TTree', 'TTree', 'TTree']);
  t.equal(await sameAsJsroot(t, f, nested, 'one/two/tree'), 20, 'every branch of one/two/tree against jsroot');
  t.equal(await sameAsJsroot(t, f, nested, 'one/tree'), 3, 'every branch of one/tree against jsroot');
  // three/tree is the Event tree of uproot-small-evnt-tree-fullsplit.root (units/split-objects
  // checks that one's values against uproot's), whose split members jsroot does not take by path.
  const three = await f.tree('three/tree');
  const full = await open(t, fixture('uproot-small-evnt-tree-fullsplit.root'));
  const names = three.branches.filter((b) => b.kind !== 'unsupported').map((b) => b.name);
  t.equal(names.length, 41);
  t.same(await three.arrays(names), await (await full.tree('tree')).arrays(names), 'three/tree: every column as uproot-small-evnt-tree-fullsplit.root\'s');
  // uproot's expected values (test_nesteddirs): one/tree's branches one, two, three.
  const one = await f.tree('one/tree');
  const cols = await one.arrays(['one', 'two', 'three']);
  t.same([...(cols.one as Int32Array)], [1, 2, 3, 4]);
  t.same([...(cols.two as Float32Array)], [1.1, 2.2, 3.3, 4.4].map(Math.fround));
  t.same(cols.three, ['uno', 'dos', 'tres', 'quatro']);
  // A cycle on any part, and a leading slash, name the same key.
  t.equal((await f.tree('/one;1/two/tree;1')).numEntries, 100);
});

t.test('histograms in subdirectories read by path, equal to jsroot', async (t) => {
  const f = await open(t, energies);
  const hists = f.keys().filter((k) => k.className === 'TH1D');
  t.same(hists.map((k) => k.name), ['Energy/_F_EnergyCH0@DT5725S_14295', 'Time/_F_TimeCH0@DT5725S_14295']);
  const js = await openFile(energies);
  for (const k of hists) {
    const h = await f.histogram(k.name);
    const theirs = (await js.readObject(k.name)) as unknown as { fArray: ArrayLike<number>; fEntries: number; fXaxis: { fNbins: number } };
    t.equal(h.nbins, theirs.fXaxis.fNbins, `${k.name}: bins`);
    t.equal(h.entries, theirs.fEntries, `${k.name}: entries`);
    t.same([...h.contents], Array.from(theirs.fArray), `${k.name}: contents`);
  }
});

t.test('a path that does not lead to a key says which part is missing and what is there', async (t) => {
  const f = await open(t, nested);
  await t.rejects(f.tree('one/three/tree'), { name: 'RootFormatError', message: /no object named one\/three\/tree in the file: the directory one has no three .*the directory one holds: two \(TDirectory\), tree \(TTree\)/ });
  await t.rejects(f.tree('one/tree/x'), { name: 'RootFormatError', message: /no object named one\/tree\/x in the file: one\/tree is a TTree, not a directory/ });
  await t.rejects(f.tree('one/tree;2'), { name: 'RootFormatError', message: /the directory one has tree in cycle 1, not 2/ });
  await t.rejects(f.tree('One/tree'), { name: 'RootFormatError', message: /the top directory has no One \(did you mean one\?\)/ });
  await t.rejects(f.tree('one/two'), { name: 'RootFormatError', message: /one\/two is a TDirectory, not a TTree/ });
  await t.rejects(f.histogram('three/hist'), { name: 'RootFormatError', message: /the directory three has no hist; the directory three holds: tree \(TTree\)/ });
  await t.rejects(f.rntuple('three/ntuple'), { name: 'RootFormatError', message: /no object named three\/ntuple/ });
  // A directory asked as a histogram or an object was read as an object and called damaged
  // ("one (TDirectory) is damaged: no description (StreamerInfo) of class TDirectory version 5").
  await t.rejects(f.histogram('one/two'), { name: 'RootFormatError', message: /: one\/two is a TDirectory, not a histogram \(TH1, TH2, TH3 or a profile\)$/ });
  await t.rejects(f.object('one'), {
    name: 'RootFormatError', message: /: one is a directory \(TDirectory\), not an object to read: read what it holds by its path \(one\/two, one\/two\/tree, one\/tree\)$/,
  });
  await t.rejects(f.object('/one;1/two'), { name: 'RootFormatError', message: /: \/one;1\/two is a directory \(TDirectory\), not an object to read: read what it holds by its path \(one\/two\/tree\)$/ });
});

/**
 * Two cycles of one name (`hh;1`, `hh;2`): the name alone reads the newest, as ROOT's Get, uproot
 * and jsroot do. A missing cycle's error listed the name once (`it has: hh (TH1D)`) and said "has
 * hh in cycle 1, 2", pointing at no `hh;2`; an empty or malformed cycle was read by Number() (`hh;`
 * as 0: "… not " with nothing after it; `hh;2.0` and `hh; 2` as 2).
 */
t.test('a name in two cycles: the name alone is the newest, and errors name each cycle', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rootio-cycles-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'cycles.root');
  const w = await RootFileWriter.create(path);
  for (const v of [1, 2]) w.writeHistogram({ type: 'TH1D', name: 'hh', title: `cycle ${v}`, nbins: 2, lo: 0, hi: 1, contents: Float64Array.of(0, v, v, 0) });
  w.writeHistogram({ type: 'TH1D', name: 'other', title: 'other', nbins: 2, lo: 0, hi: 1, contents: Float64Array.of(0, 1, 1, 0) });
  await w.close();
  const f = await open(t, path);
  t.same(f.keys().filter((k) => k.name === 'hh').map((k) => [k.cycle, k.title]), [[1, 'cycle 1'], [2, 'cycle 2']], 'keys() lists each cycle');
  const theirs = (await (await openFile(path)).readObject('hh')) as unknown as { fTitle: string };
  t.equal(theirs.fTitle, 'cycle 2', 'jsroot reads hh as cycle 2');
  t.equal((await f.histogram('hh')).title, 'cycle 2', 'hh alone is the newest cycle');
  t.equal((await f.histogram('hh;1')).title, 'cycle 1', 'hh;1 the older');
  t.equal((await f.histogram('/hh;2')).title, 'cycle 2');
  await t.rejects(f.histogram('hh;3'), { name: 'RootFormatError', message: /: no object named hh;3 in the file: the top directory has hh in cycles 1, 2 \(hh alone reads hh;2\), not 3; it has: hh;1 \(TH1D\), hh;2 \(TH1D\), other \(TH1D\), StreamerInfo \(TList\)$/ });
  await t.rejects(f.histogram('hx'), { name: 'RootFormatError', message: /the top directory has no hx \(did you mean hh\?\); it has: hh;1 \(TH1D\), hh;2 \(TH1D\), other \(TH1D\)/ });
  for (const bad of ['', 'x', '2.0', ' 2', '-1']) {
    await t.rejects(f.histogram(`hh;${bad}`), { name: 'RootFormatError', message: `${path}: no object named hh;${bad} in the file: ${JSON.stringify(bad)} is not a cycle: after ";" comes a whole number (hh;1, hh;2), or leave ";" out for the newest` }, `hh;${bad}`);
  }
  // One cycle: said as before.
  await t.rejects(f.histogram('other;2'), { name: 'RootFormatError', message: /the top directory has other in cycle 1, not 2;/ });
});

t.test('over HTTP, subdirectories list and read as from disk', async (t) => {
  let below = 0;
  for (const path of [nested, energies]) {
    const { url } = await serve(t, readFileSync(path));
    const local = await open(t, path);
    const remote = await open(t, url);
    t.same(remote.keys(), local.keys(), 'the same keys');
    for (const k of local.keys()) {
      if (k.className === 'TTree') {
        const [a, b] = [await local.tree(k.name), await remote.tree(k.name)];
        const names = a.branches.filter((x) => x.kind !== 'unsupported').map((x) => x.name);
        t.same(await b.arrays(names), await a.arrays(names), `${k.name}: the same columns`);
      } else if (k.className === 'TH1D') {
        t.same((await remote.histogram(k.name)).contents, (await local.histogram(k.name)).contents, `${k.name}: the same contents`);
      } else continue;
      if (k.name.includes('/')) below++;
    }
  }
  t.equal(below, 5, 'the 3 trees and 2 histograms in subdirectories read');
});

/** A key header as ROOT writes it for a file under 2 GB (TKey::FillBuffer, version 4). */
function keyHeader(k: { objlen: number; cycle: number; seekKey: number; seekPdir: number; className: string; name: string; title: string }): Buffer {
  const strings = [k.className, k.name, k.title].map((s) => Buffer.concat([Buffer.from([s.length]), Buffer.from(s, 'latin1')]));
  const keylen = 26 + strings.reduce((a, s) => a + s.length, 0);
  const b = Buffer.alloc(26);
  b.writeInt32BE(keylen + k.objlen, 0);
  b.writeInt16BE(4, 4);
  b.writeInt32BE(k.objlen, 6);
  b.writeUInt32BE(0x7e58a000, 10); // a datime; nothing reads it
  b.writeInt16BE(keylen, 14);
  b.writeInt16BE(k.cycle, 16);
  b.writeInt32BE(k.seekKey, 18);
  b.writeInt32BE(k.seekPdir, 22);
  return Buffer.concat([b, ...strings]);
}

/** The top directory of a file under 2 GB: where its header is, and its keys' raw headers with their names and seeks. */
function topDirectory(file: Buffer) {
  const begin = file.readInt32BE(8);
  const dirAt = begin + file.readInt32BE(28);
  if (file.readInt32BE(4) >= 1_000_000 || file.readInt16BE(dirAt) > 1000) throw new Error('a file with 64-bit seeks: not what this helper writes');
  const seekKeys = file.readInt32BE(dirAt + 26);
  let at = seekKeys + file.readInt16BE(seekKeys + 14);
  const n = file.readInt32BE(at);
  at += 4;
  const keys = Array.from({ length: n }, () => {
    const keylen = file.readInt16BE(at + 14);
    const raw = file.subarray(at, at + keylen);
    const big = raw.readInt16BE(4) > 1000; // 64-bit seeks (ROOT 6.30 on writes them in every file)
    const s = big ? 34 : 26;
    const cls = raw.readUInt8(s);
    const nameLen = raw.readUInt8(s + 1 + cls);
    at += keylen;
    return { raw, big, className: raw.toString('latin1', s + 1, s + 1 + cls), name: raw.toString('latin1', s + 2 + cls, s + 2 + cls + nameLen),
      seekKey: big ? Number(raw.readBigInt64BE(18)) : raw.readInt32BE(18) };
  });
  return { begin, dirAt, seekKeys, keys };
}

/**
 * `file` with the key named `name` moved from its top directory into a new directory `dirName`,
 * as ROOT lays one out: the directory's key and record (TDirectoryFile's header) and its list of
 * keys appended, then a new list of keys for the top directory, which the top directory's header
 * and the file's end are pointed at. The moved key still points to its object's record.
 */
function moveIntoDirectory(file: Buffer, name: string, dirName: string): Buffer {
  const top = topDirectory(file);
  const moved = top.keys.find((k) => k.name === name)!;
  const D = file.length;
  const dirHeaderLen = 2 + 8 + 4 + 4 + 12 + 18; // version, datimes, nbytesKeys, nbytesName, 3 seeks, UUID
  const dirKey = keyHeader({ objlen: dirHeaderLen, cycle: 1, seekKey: D, seekPdir: top.begin, className: 'TDirectory', name: dirName, title: '' });
  const K = D + dirKey.length + dirHeaderLen;
  const movedRaw = Buffer.from(moved.raw);
  if (moved.big) movedRaw.writeBigInt64BE(BigInt(D), 26); // its directory is now the new one
  else movedRaw.writeInt32BE(D, 22);
  const listKey = keyHeader({ objlen: 4 + movedRaw.length, cycle: 1, seekKey: K, seekPdir: D, className: 'TDirectory', name: dirName, title: '' });
  const list = Buffer.concat([listKey, Buffer.alloc(4), movedRaw]);
  list.writeInt32BE(1, listKey.length);
  const dirHeader = Buffer.alloc(dirHeaderLen);
  dirHeader.writeInt16BE(5, 0);
  dirHeader.writeInt32BE(list.length, 10);
  dirHeader.writeInt32BE(dirKey.length, 14);
  dirHeader.writeInt32BE(D, 18);
  dirHeader.writeInt32BE(top.begin, 22);
  dirHeader.writeInt32BE(K, 26);
  const T = K + list.length;
  const kept = top.keys.filter((k) => k !== moved).map((k) => k.raw);
  const topListKey = Buffer.from(file.subarray(top.seekKeys, top.seekKeys + file.readInt16BE(top.seekKeys + 14)));
  const body = Buffer.concat([Buffer.alloc(4), dirKey, ...kept]);
  body.writeInt32BE(kept.length + 1, 0);
  topListKey.writeInt32BE(topListKey.length + body.length, 0);
  topListKey.writeInt32BE(body.length, 6);
  topListKey.writeInt32BE(T, 18);
  const out = Buffer.concat([file, dirKey, dirHeader, list, topListKey, body]);
  out.writeInt32BE(out.length, 12); // fEND
  out.writeInt32BE(topListKey.length + body.length, top.dirAt + 10); // the top directory's fNbytesKeys
  out.writeInt32BE(T, top.dirAt + 26); // and fSeekKeys
  return out;
}

t.test('an RNTuple in a directory reads by path, locally and over HTTP', async (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'rootio-dirs-'));
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
  const path = join(tmp, 'staff-in-dir.root');
  writeFileSync(path, moveIntoDirectory(readFileSync(staff), 'Staff', 'ntuples'));
  const original = await open(t, staff);
  const whole = await (await original.rntuple('Staff')).arrays(['Age', 'Cost', 'Division', 'Nation']);
  const { url } = await serve(t, readFileSync(path));
  for (const where of [path, url]) {
    const f = await open(t, where);
    t.same(f.keys().map((k) => `${k.name} ${k.className}`).sort(), ['StreamerInfo TList', 'ntuples TDirectory', 'ntuples/Staff ROOT::RNTuple']);
    const r = await f.rntuple('ntuples/Staff');
    t.equal(r.numEntries, 3354);
    t.same(await r.arrays(['Age', 'Cost', 'Division', 'Nation']), whole, `${where === url ? 'over HTTP' : 'local'}: the same columns as the RNTuple at the top`);
    await t.rejects(f.rntuple('Staff'), { name: 'RootFormatError', message: /no object named Staff in the file: the top directory has no Staff; it has: ntuples \(TDirectory\)/ });
    await t.rejects(f.tree('ntuples/Staff'), { message: /ntuples\/Staff is an RNTuple, not a TTree: open it with file.rntuple\('ntuples\/Staff'\)/ });
  }
});

t.test('a directory whose keys are another directory\'s (a loop) is a RootFormatError naming it, and the file does not open', async (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'rootio-dirs-'));
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
  const bytes = Buffer.from(readFileSync(nested));
  const top = topDirectory(bytes);
  const one = top.keys.find((k) => k.name === 'one')!;
  const header = one.seekKey + bytes.readInt16BE(one.seekKey + 14);
  bytes.writeInt32BE(top.seekKeys, header + 26); // one's fSeekKeys: the top directory's list
  const path = join(tmp, 'loop.root');
  writeFileSync(path, bytes);
  await t.rejects(openRootFile(path), RootFormatError);
  await t.rejects(openRootFile(path), { message: /the directory one lists the keys of the top directory \(at byte \d+\): damaged, it would loop/ });
});
