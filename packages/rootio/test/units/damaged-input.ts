import t, { type Test } from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openRootFile, RootFormatError } from '@gluon/rootio';
import { NO_DATA, sharedData } from '../helpers.js';
import { HANG_MS, readEverything, scratch, within } from '../damage.js';

/** Each kind of damage the issue names ends in RootFormatError naming file, offset and reason. */
const data = sharedData();
if (!data) {
  t.skip;
} else {
  const dir = join(data, 'root-testfiles');
  const zlibHZZ = readFileSync(join(dir, 'uproot-HZZ-zlib.root'));
  const rawHZZ = readFileSync(join(dir, 'uproot-HZZ-uncompressed.root'));
  const lep = readFileSync(join(data, 'atlas-opendata-13tev-2020-4lep', 'Data', 'data_A.4lep.root'));

  /** Asserts that reading everything from `bytes` fails with RootFormatError matching `reason`. */
  async function expectFormatError(t: Tap, write: (n: string, b: Uint8Array) => string, name: string, bytes: Uint8Array, reason?: RegExp) {
    const path = write(name, bytes);
    try {
      await within(readEverything(path), HANG_MS, name);
      t.fail(`${name}: read without an error`);
    } catch (err) {
      t.type(err, RootFormatError, `${name}: ${(err as Error).message}`);
      if (err instanceof RootFormatError) {
        t.equal(err.path, path, 'the error names the file');
        t.type(err.offset, 'number');
        if (reason) t.match(err.reason, reason);
      }
    }
  }
  type Tap = Test;

  t.test('truncated files', async (t) => {
    const write = scratch(t);
    for (const [src, label] of [[zlibHZZ, 'hzz'], [lep, '4lep']] as const) {
      for (const cut of [0, 3, 40, 100, 1000, Math.floor(src.length / 2), src.length - 300, src.length - 1]) {
        await expectFormatError(t, write, `${label}-truncated-${cut}.root`, src.subarray(0, cut));
      }
    }
  });

  t.test('wrong magic', async (t) => {
    const write = scratch(t);
    const b = Uint8Array.from(zlibHZZ);
    b.set([0x72, 0x6f, 0x6f, 0x54], 0); // "rooT"
    await expectFormatError(t, write, 'magic.root', b, /does not start with "root"/);
    await expectFormatError(t, write, 'text.root', new TextEncoder().encode('hello, this is not a ROOT file at all'.repeat(10)), /not a ROOT file/);
  });

  t.test('flipped bytes in the file header', async (t) => {
    const write = scratch(t);
    // fBEGIN (4..8), fEND (8..12), fSeekFree, fSeekInfo/fSeekKeys region of the small header.
    for (const at of [8, 9, 10, 12, 13, 14, 33, 34, 35, 36, 38, 40, 41, 42]) {
      const b = Uint8Array.from(zlibHZZ);
      b[at] ^= 0xff;
      const path = write(`header-${at}.root`, b);
      try {
        const got = await within(readEverything(path), HANG_MS, `header-${at}`);
        // Some header fields (fSeekFree, fNbytesFree…) are not needed for reading.
        t.equal(got, await readEverything(join(dir, 'uproot-HZZ-zlib.root')), `header byte ${at} flipped: still the right data`);
      } catch (err) {
        t.type(err, RootFormatError, `header byte ${at}: ${(err as Error).message}`);
      }
    }
  });

  t.test('flipped bytes inside compressed baskets (zlib checksum)', async (t) => {
    const write = scratch(t);
    const f = await openRootFile(join(dir, 'uproot-HZZ-zlib.root'));
    const meta = (await f.object('events')) as { _typename: string; fBranches: { arr: Array<{ fBasketSeek: number[]; fBasketBytes: number[] }> } };
    await f.close();
    const seek = Number(meta.fBranches.arr[1]!.fBasketSeek[0]); // Jet_Px, basket 0
    const bytes = meta.fBranches.arr[1]!.fBasketBytes[0]!;
    for (const frac of [0.3, 0.6, 0.95]) {
      const b = Uint8Array.from(zlibHZZ);
      const at = seek + Math.floor(bytes * frac);
      b[at] ^= 0x5a;
      await expectFormatError(t, write, `basket-${frac}.root`, b, /decompress|basket|block/);
    }
  });

  t.test('flipped bytes in a compressed block header', async (t) => {
    const write = scratch(t);
    const f = await openRootFile(join(dir, 'uproot-HZZ-zlib.root'));
    const meta = (await f.object('events')) as { _typename: string; fBranches: { arr: Array<{ fBasketSeek: number[] }> } };
    await f.close();
    const seek = Number(meta.fBranches.arr[1]!.fBasketSeek[0]);
    const keylen = new DataView(zlibHZZ.buffer, zlibHZZ.byteOffset + seek).getInt16(14);
    for (const rel of [0, 1, 3, 5, 6, 8]) {
      const b = Uint8Array.from(zlibHZZ);
      b[seek + keylen + rel] ^= 0xff;
      await expectFormatError(t, write, `block-header-${rel}.root`, b);
    }
  });

  t.test('a key pointing past the end of the file', async (t) => {
    const write = scratch(t);
    const f = await openRootFile(join(dir, 'uproot-HZZ-zlib.root'));
    const keys = (f as unknown as { top: { keys: Array<{ name: string; seekKey: number }> } }).top.keys;
    const seekKey = keys.find((k) => k.name === 'events')!.seekKey;
    await f.close();
    // The top directory (at fBEGIN + fNbytesName) names where its key list is (a small file's 4-byte fields).
    const hv = new DataView(zlibHZZ.buffer, zlibHZZ.byteOffset, zlibHZZ.byteLength);
    const seekKeys = hv.getUint32(hv.getUint32(8) + hv.getUint32(28) + 26);
    // The keys list holds each key's header; its fSeekKey is a 4-byte field in small files.
    const b = Uint8Array.from(zlibHZZ);
    const dv = new DataView(b.buffer);
    let patched = 0;
    for (let p = seekKeys; p + 4 <= b.length; p++) {
      if (dv.getUint32(p) === seekKey) {
        dv.setUint32(p, b.length + 1000);
        patched++;
      }
    }
    t.ok(patched > 0, 'found the key entry to damage');
    await expectFormatError(t, write, 'key-past-eof.root', b, /past the end/);
  });

  t.test('a basket pointing past the end of the file', async (t) => {
    const write = scratch(t);
    // In the uncompressed file the TTree's basket seek array is plain bytes we can rewrite.
    const f = await openRootFile(join(dir, 'uproot-HZZ-uncompressed.root'));
    const meta = (await f.object('events')) as { _typename: string; fBranches: { arr: Array<{ fBasketSeek: number[] }> } };
    await f.close();
    const seek = Number(meta.fBranches.arr[0]!.fBasketSeek[0]);
    const b = Uint8Array.from(rawHZZ);
    const dv = new DataView(b.buffer);
    let patched = 0;
    for (let p = 650_000; p + 8 <= b.length; p++) {
      if (dv.getBigInt64(p) === BigInt(seek)) {
        dv.setBigInt64(p, BigInt(b.length + 5000));
        patched++;
      }
    }
    t.equal(patched, 1, 'found the basket seek of NJet');
    await expectFormatError(t, write, 'basket-past-eof.root', b, /past the end/);
  });

  t.test('missing tree, object or branch', async (t) => {
    const f = await openRootFile(join(dir, 'uproot-HZZ-zlib.root'));
    t.teardown(() => f.close());
    await t.rejects(f.tree('nope'), { name: 'RootFormatError', message: /no object named nope.*events \(TTree\)/ });
    await t.rejects(f.tree('StreamerInfo'), { name: 'RootFormatError', message: /not a TTree/ });
    await t.rejects(f.histogram('events'), { name: 'RootFormatError', message: /not a histogram/ });
    const tree = await f.tree('events');
    await t.rejects(tree.arrays(['Muon_Px', 'Muon_Pxx']), { name: 'RootFormatError', message: /no branch named Muon_Pxx \(did you mean Muon_Px\?\) \(it has \d+: / });
    // The message lists at most 40 of a tree's branches: a near miss is named outright.
    await t.rejects(tree.arrays(['muon_px']), { message: /no branch named muon_px \(did you mean Muon_Px\?\)/ });
    await t.rejects(tree.arrays(['MuonPx']), { message: /no branch named MuonPx \(did you mean Muon_Px\?\)/ });
    await t.rejects(tree.arrays(['Zzz']), { message: /no branch named Zzz \(it has \d+: / });
    await t.rejects(openRootFile(join(dir, 'no-such-file.root')), { name: 'RootIOError', message: /no such file/ });
  });
}

t.test('baskets that do not tile the range (a gap hidden by an overlap) are refused, not read as stale memory', async (t) => {
  const { decode } = await import('../../src/decode.js');
  const info = { name: 'x', typeName: 'float', kind: 'scalar' as const, element: 'float' as const, inner: 1, counter: null, entryHeader: 0, packed: null, objectBits: false, leafOf: null, member: null, entries: 25 };
  const basket = (entryStart: number, entries: number) => {
    const data = new Uint8Array(4 * entries);
    return {
      entryStart, entries, dataLength: data.length, noOffsets: false, entryBytes: null,
      release: () => {},
      load: () => ({ entryStart, entries, data, view: new DataView(data.buffer), dataLength: data.length, offsets: null, table: -1, keylen: 0 }),
    };
  };
  // [0,10) + [5,15) + [20,25) covers 25 entries in all, but 15–20 by none.
  t.throws(() => decode('f.root', info, [basket(0, 10), basket(5, 10), basket(20, 5)], 0, 25),
    { name: 'RootFormatError', message: /a basket starts at entry 5 where entry 10 was expected/ });
  t.throws(() => decode('f.root', info, [basket(0, 10)], 0, 15), { name: 'RootFormatError', message: /cover entries 0–10 of the 0–15/ });
  t.equal((decode('f.root', info, [basket(0, 10), basket(10, 5)], 3, 12) as Float32Array).length, 9, 'tiling baskets read');
});

t.test('a pointer-to-array entry whose null-pointer flag disagrees with its bytes is refused, naming the entry', async (t) => {
  const { decode } = await import('../../src/decode.js');
  // Split-object members `Short_t* x; //[n]`: each entry is a set-pointer byte, then n elements.
  const info = { name: 'evt/SliceI16', typeName: 'int16[evt/N]', kind: 'counted-array' as const, element: 'int16' as const, inner: 1,
    counter: 'evt/N', entryHeader: 1, packed: null, objectBits: false, leafOf: null, member: null, entries: 3 };
  const basket = (bytes: number[], starts: number[]) => {
    const data = Uint8Array.from(bytes);
    const offsets = Int32Array.from([...starts, data.length]);
    return {
      entryStart: 0, entries: starts.length, dataLength: data.length, noOffsets: false, entryBytes: null, release: () => {},
      load: () => ({ entryStart: 0, entries: starts.length, data, view: new DataView(data.buffer), dataLength: data.length, offsets, table: -1, keylen: 0 }),
    };
  };
  const good = decode('f.root', info, [basket([0, 1, 0, 7, 1, 0, 8, 0, 9], [0, 1, 4])], 0, 3) as { offsets: Int32Array; values: Int16Array };
  t.same([Array.from(good.offsets), Array.from(good.values)], [[0, 0, 1, 3], [7, 8, 9]], 'empty, one and two elements');
  t.throws(() => decode('f.root', info, [basket([0, 1, 0, 7, 0, 0, 8, 0, 9], [0, 1, 4])], 0, 3),
    { name: 'RootFormatError', message: /f\.root: branch evt\/SliceI16: entry 2 has 4 bytes of elements after a null-pointer flag/ });
  t.throws(() => decode('f.root', info, [basket([0, 1, 0, 7, 1, 0, 8, 0], [0, 1, 4])], 0, 3),
    { name: 'RootFormatError', message: /branch evt\/SliceI16: a basket of 3 entries has 8 data bytes, which pointed-to arrays of 2-byte elements cannot fill/ });
});

// No test file uses ROOT's old-style zlib ("CS": raw deflate, method 8), so blocks are built here
// the way old ROOT wrote them: 'C' 'S' method, then 3-byte little-endian compressed and original sizes.
t.test('old-style ROOT zlib blocks ("CS") decompress; another method or a damaged body is a RootFormatError', async (t) => {
  const { deflateRawSync } = await import('node:zlib');
  const { decompress } = await import('@gluon/rootio');
  const block = (method: number, body: Uint8Array, usize: number) => {
    const h = new Uint8Array(9 + body.length);
    h.set([0x43, 0x53, method, body.length & 0xff, (body.length >> 8) & 0xff, body.length >> 16, usize & 0xff, (usize >> 8) & 0xff, usize >> 16]);
    h.set(body, 9);
    return h;
  };
  const raw = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 31) % 251);
  const body = deflateRawSync(raw);
  // Two blocks, as ROOT splits payloads: the halves must come back in order.
  const half = 35_000;
  const two = [block(8, deflateRawSync(raw.subarray(0, half)), half), block(8, deflateRawSync(raw.subarray(half)), raw.length - half)];
  const joined = new Uint8Array(two[0]!.length + two[1]!.length);
  joined.set(two[0]!);
  joined.set(two[1]!, two[0]!.length);
  t.same(Buffer.from(decompress(block(8, body, raw.length), raw.length, 'old.root', 100)), Buffer.from(raw), 'one block');
  t.same(Buffer.from(decompress(joined, raw.length, 'old.root', 100)), Buffer.from(raw), 'two blocks');
  t.throws(() => decompress(block(9, body, raw.length), raw.length, 'old.root', 100),
    { name: 'RootFormatError', message: "old.root: cannot decompress old ROOT zlib block: its method byte (the header's third) is 9, where ROOT's old ROOT zlib blocks have 8: the block header is damaged (at byte 100)" });
  const damaged = block(8, body, raw.length);
  damaged.fill(0xff, 20, 40);
  t.throws(() => decompress(damaged, raw.length, 'old.root', 100), { name: 'RootFormatError', message: /old\.root.*cannot decompress old ROOT zlib block/ });
});

// A block's 9-byte header against its codec's own framing: the sizes it declares are what is
// checked, so a lie in either direction is said as what is wrong, for every codec, not read as
// other values or taken as memory. Blocks from committed fixtures (LZMA from the shared data).
t.test("each codec's blocks whose headers' sizes lie are RootFormatErrors naming the block", async (t) => {
  const { decompress } = await import('@gluon/rootio');
  const { mapFile } = await import('../fuzz-map.js');
  const skhep = (f: string) => fileURLToPath(new URL(`../fixtures/skhep/${f}`, import.meta.url));
  const sources: Array<[string, string, string | null]> = [
    ['ZL', 'zlib', skhep('uproot-issue413.root')],
    ['ZS', 'ZSTD', skhep('string-example.root')],
    ['L4', 'LZ4', skhep('uproot-issue213.root')],
    ['XZ', 'LZMA', data && join(data, 'root-testfiles', 'uproot-HZZ-lzma.root')],
  ];
  for (const [alg, name, path] of sources) {
    if (!path) continue;
    const bytes = new Uint8Array(readFileSync(path));
    const header = mapFile(bytes).regions.find((r) => r.kind.startsWith(`block header ${alg}`) && bytes[r.start + 7]! > 0)!;
    const s = header.start;
    const csize = bytes[s + 3]! | (bytes[s + 4]! << 8) | (bytes[s + 5]! << 16);
    const usize = bytes[s + 6]! | (bytes[s + 7]! << 8) | (bytes[s + 8]! << 16);
    const block = (claims = usize) => {
      const b = Uint8Array.from(bytes.subarray(s, s + 9 + csize));
      b.set([claims & 0xff, (claims >> 8) & 0xff, claims >> 16], 6);
      return b;
    };
    t.equal(decompress(block(), usize, 'f.root', s).length, usize, `${alg}: the block as written reads`);
    // fzstd (Node < 22.15) returned the buffer it was given: a zero appended, a byte dropped.
    for (const claims of [usize + 1, usize - 1, 2 * usize]) {
      t.throws(() => decompress(block(claims), claims, 'f.root', s), { name: 'RootFormatError', message: new RegExp(`^f\\.root: cannot decompress ${name} block: .*\\(at byte ${s}\\)$`) }, `${alg}: a header claiming ${claims} of ${usize} bytes`);
    }
    // More bytes expected than the blocks declare: said before 5 GB is asked of the allocator,
    // which threw a RangeError the codec was blamed for ("cannot decompress zlib block: it is
    // damaged or decompresses past its declared … (The value of "size" is out of range …)").
    t.throws(() => decompress(block(), 5e9, 'f.root', s), { name: 'RootFormatError', message: `f.root: compressed data ends inside a block header (${usize} of 5000000000 bytes decompressed) (at byte ${s + 9 + csize})` }, `${alg}: 5e9 bytes expected of a ${usize}-byte block`);
  }
});

// The third byte of a block's header is the one ROOT's writers put there for its algorithm (8,
// Z_DEFLATED, for zlib; 0 for LZMA; 1, the major version, for ZSTD and LZ4), and ROOT's R__unzip
// refuses any other. A changed one was read on as if nothing were wrong (any byte for zlib, LZMA,
// ZSTD and LZ4; only old ROOT zlib's was checked): damage in the header went unseen.
t.test("a block whose method byte (its header's third) is not the one ROOT writes is refused, naming codec, byte, file and offset", async (t) => {
  const { decompress } = await import('@gluon/rootio');
  const { mapFile } = await import('../fuzz-map.js');
  const { readAllDigest } = await import('../fuzz-read.js');
  const write = scratch(t);
  const skhep = (f: string) => fileURLToPath(new URL(`../fixtures/skhep/${f}`, import.meta.url));
  const sources: Array<[string, string, number, string | null]> = [
    ['ZL', 'zlib', 8, skhep('uproot-issue413.root')],
    ['ZS', 'ZSTD', 1, skhep('string-example.root')],
    ['L4', 'LZ4', 1, skhep('uproot-issue213.root')],
    ['XZ', 'LZMA', 0, data && join(data, 'root-testfiles', 'uproot-HZZ-lzma.root')],
  ];
  for (const [alg, name, want, path] of sources) {
    if (!path) continue;
    const bytes = new Uint8Array(readFileSync(path));
    // A basket's block, or the TTree's where the baskets are not compressed: both are read.
    const regions = mapFile(bytes).regions;
    const header = regions.find((r) => r.kind === `block header ${alg} (TBasket)`) ?? regions.find((r) => r.kind === `block header ${alg} (TTree)`)!;
    const s = header.start;
    t.equal(bytes[s + 2], want, `${alg}: the fixture's block has ${want}`);
    const csize = bytes[s + 3]! | (bytes[s + 4]! << 8) | (bytes[s + 5]! << 16);
    const usize = bytes[s + 6]! | (bytes[s + 7]! << 8) | (bytes[s + 8]! << 16);
    const wrong: string[] = [];
    for (let m = 0; m < 256; m++) {
      if (m === want) continue;
      const b = Uint8Array.from(bytes.subarray(s, s + 9 + csize));
      b[2] = m;
      const message = `f.root: cannot decompress ${name} block: its method byte (the header's third) is ${m}, where ROOT's ${name} blocks have ${want}: the block header is damaged (at byte ${s})`;
      try {
        decompress(b, usize, 'f.root', s);
        wrong.push(`${m}: decompressed`);
      } catch (err) {
        if (!(err instanceof RootFormatError) || err.message !== message) wrong.push(`${m}: ${(err as Error).message}`);
      }
    }
    t.same(wrong, [], `${alg}: each of the 255 other method bytes is refused as such`);
    // A file read whole: the error names it and the block's offset in it.
    const damaged = Uint8Array.from(bytes);
    damaged[s + 2] = want ^ 0x40;
    const file = write(`method-${alg}.root`, damaged);
    await t.rejects(readAllDigest(file, 60_000), { name: 'RootFormatError', path: file, offset: s, message: new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .*cannot decompress ${name} block: its method byte \\(the header's third\\) is ${want ^ 0x40}, where ROOT's ${name} blocks have ${want}: the block header is damaged \\(at byte ${s}\\)$`) }, `${alg}: the file read whole is refused at the block`);
  }
});

t.test('std::vector entries are read by their byte counts, and through the offset table where those do not add up', async (t) => {
  const { decode } = await import('../../src/decode.js');
  const info = { name: 'v', typeName: 'vector<float>', kind: 'vector' as const, element: 'float' as const, inner: 1,
    counter: null, entryHeader: 0, packed: null, objectBits: false, leafOf: null, member: null, entries: 3 };
  const entries = [[1.5, 2.5], [], [3.5]];
  /** A basket as ROOT writes one (byte count, version, count, big-endian floats; then the offset table), with `edit` applied. */
  const basket = (edit: (v: DataView, starts: number[]) => void = () => {}) => {
    const starts: number[] = [];
    let n = 0;
    for (const e of entries) {
      starts.push(n);
      n += 10 + 4 * e.length;
    }
    const data = new Uint8Array(n + 4 + 4 * entries.length);
    const v = new DataView(data.buffer);
    entries.forEach((e, i) => {
      v.setUint32(starts[i]!, 0x40000000 | (6 + 4 * e.length));
      v.setInt16(starts[i]! + 4, 9);
      v.setInt32(starts[i]! + 6, e.length);
      e.forEach((x, k) => v.setFloat32(starts[i]! + 10 + 4 * k, x));
    });
    v.setInt32(n, entries.length + 1);
    starts.forEach((s, i) => v.setInt32(n + 4 + 4 * i, s));
    edit(v, starts);
    const b = { entryStart: 0, entries: 3, data, view: v, dataLength: n, offsets: Int32Array.from([...starts, n]), table: n + 4, keylen: 0 };
    return { entryStart: 0, entries: 3, dataLength: n, noOffsets: false, entryBytes: null, release: () => {}, load: () => b };
  };
  const read = (edit?: (v: DataView, starts: number[]) => void) => {
    const c = decode('f.root', info, [basket(edit)], 0, 3) as { offsets: Int32Array; values: Float32Array };
    return [Array.from(c.offsets), Array.from(c.values)];
  };
  const expected = [[0, 2, 2, 3], [1.5, 2.5, 3.5]];
  t.same(read(), expected);
  // A writer that leaves the byte-count flag out: the offset table still places every entry.
  t.same(read((v, s) => v.setUint32(s[1]!, 6)), expected, 'an entry without its byte count');
  t.same(read((v, s) => v.setUint32(s[0]!, 0x40000000 | 99)), expected, 'an entry whose byte count is wrong');
  // An element count that neither its byte count nor the table agrees with: an error naming the entry.
  t.throws(() => read((v, s) => v.setInt32(s[2]! + 6, 2)), { name: 'RootFormatError', message: /branch v: entry 2 says 2 elements in 4 bytes/ });
});

t.test('a path that is not a readable file is a RootIOError naming it, not a bare EISDIR', async (t) => {
  const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { pathToFileURL } = await import('node:url');
  const dir = mkdtempSync(join(tmpdir(), 'rootio-not-a-file-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  await t.rejects(openRootFile(dir), { name: 'RootIOError', path: dir, message: `${dir}: is a directory, not a file` });
  await t.rejects(openRootFile(pathToFileURL(dir).href), { name: 'RootIOError', path: dir });
  // A file URL is decoded: a space in the path is a space, not %20.
  const spaced = join(dir, 'with space.root');
  writeFileSync(spaced, 'not root at all');
  await t.rejects(openRootFile(pathToFileURL(spaced).href), { name: 'RootFormatError', path: spaced, message: /not a ROOT file/ });
});

t.test("a directory's seek of its list of keys read negative (4-byte signed, damaged) is said to be a negative position", async (t) => {
  const bytes = readFileSync(fileURLToPath(new URL('../fixtures/skhep/uproot-issue513.root', import.meta.url)));
  const dv = new DataView(bytes.buffer, bytes.byteOffset);
  // The top directory's record follows the file header (fBEGIN 100) and the top key's name part
  // (fNbytesName, the header's 8th int); its fSeekKeys is its 8th field, 26 bytes in.
  const at = 100 + dv.getInt32(28) + 26;
  t.equal(dv.getInt16(100 + dv.getInt32(28)), 5, 'a small (32-bit seeks) directory record');
  const damaged = Uint8Array.from(bytes);
  damaged[at]! ^= 0x80;
  const path = scratch(t)('seek-keys-negative.root', damaged);
  const err = await openRootFile(path).then(() => null, (e: unknown) => e);
  t.type(err, RootFormatError);
  t.equal((err as Error).message, `${path}: the list of keys (186 bytes) is at byte -2146276258 as the file gives it, a negative position: the record pointing to it is damaged`);
});
