/**
 * The std::vector<4-byte> kernel (src/vector-walk.wat, src/vector-walk.ts): its committed binary
 * is its source's; it gives what a plain decoder gives for every entry length, range cut and
 * placement; and every kind of malformed entry makes it refuse the basket (writing nothing), so
 * the read names the entry at fault as before.
 */
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VectorWalker } from '../../src/vector-walk.js';
import { giveRing, takeRing } from '../../src/ring-kernel.js';

const here = dirname(fileURLToPath(import.meta.url));

t.test('the committed binaries are what the assembler makes of vector-walk.wat and xxhash.wat', async (t) => {
  const out = execFileSync(process.execPath, [join(here, '..', '..', 'scripts', 'assemble-wasm.mjs'), '--check'], { encoding: 'utf8' });
  t.match(out, /vector-walk-wasm\.ts matches/);
  t.match(out, /xxhash-wasm\.ts matches/);
});

/** A small deterministic PRNG. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), a | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

interface Fake {
  data: Uint8Array;
  view: DataView;
  starts: number[];
  dataLength: number;
  table: number;
  keylen: number;
  counts: number[];
}

/**
 * A basket as ROOT writes one: per entry a byte count, a version, a count and big-endian 4-byte
 * elements; then the table (its length, then each entry's key-relative start). Element k of entry
 * i holds i * 1000 + k + 1, so every value says where it came from.
 */
function basket(counts: number[], keylen = 77, pad = 0): Fake {
  const starts: number[] = [];
  let n = 0;
  for (const c of counts) {
    starts.push(n);
    n += 10 + 4 * c;
  }
  const data = new Uint8Array(n + 4 + 4 * counts.length + pad);
  const view = new DataView(data.buffer);
  counts.forEach((c, i) => {
    view.setUint32(starts[i]!, 0x40000000 | (6 + 4 * c));
    view.setInt16(starts[i]! + 4, 9);
    view.setInt32(starts[i]! + 6, c);
    for (let k = 0; k < c; k++) view.setUint32(starts[i]! + 10 + 4 * k, i * 1000 + k + 1);
  });
  view.setInt32(n, counts.length + 1);
  starts.forEach((s, i) => view.setInt32(n + 4 + 4 * i, s + keylen));
  return { data, view, starts, dataLength: n, table: n + 4, keylen, counts };
}

/** Entries [a, z) the plain way: offsets from `k0`, values. */
function reference(b: Fake, a: number, z: number, k0: number): { offsets: number[]; values: number[] } {
  const offsets: number[] = [];
  const values: number[] = [];
  let k = k0;
  for (let i = a; i < z; i++) {
    for (let j = 0; j < b.counts[i]!; j++) values.push(b.view.getUint32(b.starts[i]! + 10 + 4 * j));
    offsets.push((k += b.counts[i]!));
  }
  return { offsets, values };
}

/** Where a basket is walked: in place, copied in, in a ring's slot. */
const PLACES = [true, false, 'ring'] as const;
const placed = (p: boolean | 'ring') => (p === 'ring' ? 'in a ring' : p ? 'in place' : 'copied in');

/**
 * Walks [a, z) of `b` into columns that already hold `e` entries (`k0` elements), in place
 * (decompressed into the kernel's memory), copied in, or (`'ring'`) where it lies in a slot of a
 * decompression job's ring (ring-kernel.ts: a shared memory with a kernel of its own), between
 * other slots holding bytes of their own.
 */
function walk(w: VectorWalker, b: Fake, a: number, z: number, e: number, k0: number, inPlace: boolean | 'ring') {
  const offsets = new Int32Array(e + (z - a) + 3).fill(-7);
  offsets[e] = k0;
  const total = reference(b, a, z, k0).values.length;
  const dst = new Uint32Array(k0 + total + 5).fill(0xdeadbeef);
  let data = b.data;
  if (inPlace === 'ring') {
    const slot = Math.ceil((b.data.length + 1) / 8) * 8;
    const ring = takeRing(3, slot);
    new Uint8Array(ring.buffer, ring.at, 3 * slot).fill(0x40);
    data = new Uint8Array(ring.buffer, ring.at + slot, b.data.length);
    data.set(b.data);
    const ok = w.walk(data, b.table, b.keylen, b.dataLength, b.counts.length, a, z, offsets, e, dst);
    giveRing(ring);
    return { ok, offsets, dst };
  }
  if (inPlace) {
    data = w.room(b.data.length);
    data.set(b.data);
  }
  const ok = w.walk(data, b.table, b.keylen, b.dataLength, b.counts.length, a, z, offsets, e, dst);
  return { ok, offsets, dst };
}

t.test('the kernel gives what a plain decoder gives: every length, range cut and placement', async (t) => {
  const next = rng(7);
  const w = new VectorWalker();
  let cases = 0;
  for (let round = 0; round < 60; round++) {
    // Mostly short entries (the 4-group path), some empty, some long (one at a time), and
    // basket sizes around the group of 4 and the tail.
    const n = round < 12 ? round : 1 + Math.floor(next() * 300);
    const longs = next() < 0.5;
    const counts = Array.from({ length: n }, () => {
      const r = next();
      return r < 0.1 ? 0 : r < 0.85 || !longs ? 1 + Math.floor(next() * 8) : 9 + Math.floor(next() * 40);
    });
    const b = basket(counts, round % 3 === 0 ? 0 : 50 + round, round % 5);
    for (const [a, z] of [[0, n], [Math.floor(n / 3), n], [0, Math.floor((2 * n) / 3)], [Math.floor(n / 4), Math.min(n, Math.floor(n / 2) + 1)]] as Array<[number, number]>) {
      for (const inPlace of PLACES) {
        const e = round % 4, k0 = (round * 13) % 50;
        const { ok, offsets, dst } = walk(w, b, a, z, e, k0, inPlace);
        const ref = reference(b, a, z, k0);
        if (!ok || Array.from(offsets.subarray(e + 1, e + 1 + z - a)).join() !== ref.offsets.join()
          || Array.from(dst.subarray(k0, k0 + ref.values.length)).join() !== ref.values.join()) {
          t.fail(`basket of ${n} entries, [${a}, ${z}), e ${e}, k0 ${k0}, ${placed(inPlace)}: ok ${ok}`);
          return;
        }
        // Nothing outside the entries' own offsets and values.
        t.equal(offsets[e + 1 + z - a], -7);
        t.equal(dst[k0 + ref.values.length], 0xdeadbeef);
        if (k0 > 0) t.equal(dst[k0 - 1], 0xdeadbeef);
        cases++;
      }
    }
  }
  t.ok(cases > 400, `${cases} cases`);
});

t.test('one long entry anywhere: the short groups before it, its group and the rest read as a plain decoder reads them', async (t) => {
  // The kernel checks a run of up to 256 entries' table words first and moves them in a second
  // pass; a long entry (8+ elements) ends the run at its group, which goes one entry at a time,
  // and a new run starts after it. Wherever the long entry falls (runs cut at 256 entries
  // around it, too), with any cut of the basket.
  const w = new VectorWalker();
  const n = 603;
  let cases = 0;
  for (const at of [0, 3, 4, 5, 101, 255, 256, 259, 260, 300, 511, 512, 595, 596, 598, 599, 600, 602]) {
    const counts = Array.from({ length: n }, (_, i) => (i === at ? 8 + (at % 30) : i % 8));
    const b = basket(counts, 60 + (at % 7));
    for (const [a, z] of [[0, n], [1, n], [at, n], [0, Math.min(n, at + 1)], [Math.max(0, at - 6), Math.min(n, at + 9)]] as Array<[number, number]>) {
      for (const inPlace of PLACES) {
        const { ok, offsets, dst } = walk(w, b, a, z, 2, 5, inPlace);
        const ref = reference(b, a, z, 5);
        t.ok(ok && Array.from(offsets.subarray(3, 3 + z - a)).join() === ref.offsets.join()
          && Array.from(dst.subarray(5, 5 + ref.values.length)).join() === ref.values.join()
          && offsets[3 + z - a] === -7 && dst[5 + ref.values.length] === 0xdeadbeef && dst[4] === 0xdeadbeef,
        `long entry ${at}, entries [${a}, ${z}), ${placed(inPlace)}`);
        cases++;
      }
    }
  }
  // A damaged header before the long entry or after it, in its run or another, still refuses
  // the basket.
  for (const [long, bad] of [[120, 37], [37, 120], [40, 41], [41, 40], [300, 280], [280, 520]]) {
    const b = basket(Array.from({ length: n }, (_, i) => (i === long ? 12 : 1 + (i % 6))));
    b.view.setInt32(b.starts[bad]! + 6, b.counts[bad]! + 1);
    for (const inPlace of PLACES) t.notOk(walk(w, b, 0, n, 0, 0, inPlace).ok, `long entry ${long}, bad count at ${bad}, ${placed(inPlace)}`);
  }
  t.ok(cases >= 100, `${cases} cases`);
});

t.test('a basket larger than the memory so far grows it, and a small one after still reads', async (t) => {
  const w = new VectorWalker();
  const big = basket(Array.from({ length: 200_000 }, (_, i) => i % 7), 100);
  const small = basket([1, 2, 3, 4, 5, 6], 100);
  for (const b of [small, big, small]) {
    for (const inPlace of PLACES) {
      const { ok, dst } = walk(w, b, 0, b.counts.length, 0, 0, inPlace);
      const ref = reference(b, 0, b.counts.length, 0);
      t.ok(ok && Array.from(dst.subarray(0, ref.values.length)).join() === ref.values.join(), `${b.counts.length} entries, ${placed(inPlace)}`);
    }
  }
});

t.test('every kind of malformed entry makes the kernel refuse the basket, writing nothing', async (t) => {
  /** Damage at entry `at` of a basket of 40 entries (short ones, or with one long entry in its group). */
  const damages: Record<string, (b: Fake, at: number) => void> = {
    'a count running past the basket': (b, at) => b.view.setInt32(b.starts[at]! + 6, 1_000_000),
    'a count one more than its bytes hold': (b, at) => b.view.setInt32(b.starts[at]! + 6, b.counts[at]! + 1),
    'a negative count': (b, at) => b.view.setInt32(b.starts[at]! + 6, -1),
    'a byte count that disagrees': (b, at) => b.view.setUint32(b.starts[at]!, 0x40000000 | (10 + 4 * b.counts[at]!)),
    'no byte-count flag': (b, at) => b.view.setUint32(b.starts[at]!, 6 + 4 * b.counts[at]!),
    'a table entry out of order': (b, at) => b.view.setInt32(b.table + 4 * at, b.keylen + (at > 1 ? b.starts[at - 2]! : -4)),
    'a table entry past the data': (b, at) => b.view.setInt32(b.table + 4 * at, b.keylen + b.dataLength + 4),
    'a table entry far outside memory': (b, at) => b.view.setInt32(b.table + 4 * at, 0x7ffffff0),
    'an entry two bytes long': (b, at) => b.view.setInt32(b.table + 4 * at, b.keylen + b.starts[at]! + 2),
    'an entry shorter than its header': (b, at) => b.view.setInt32(b.table + 4 * (at + 1 < b.counts.length ? at + 1 : at), b.keylen + b.starts[at]! + 6),
  };
  const w = new VectorWalker();
  for (const [what, damage] of Object.entries(damages)) {
    for (const long of [false, true]) {
      // In the first group, a middle group, the last full group and the tail.
      for (const at of [1, 17, 34, 38, 39]) {
        const counts = Array.from({ length: 40 }, (_, i) => (long && (i & ~3) === (at & ~3) && i !== at ? 20 : 1 + (i % 6)));
        const b = basket(counts);
        damage(b, at);
        for (const inPlace of PLACES) {
          const { ok, offsets, dst } = walk(w, b, 0, 40, 1, 3, inPlace);
          const untouched = offsets.every((x, i) => x === (i === 1 ? 3 : -7)) && dst.every((x) => x === 0xdeadbeef);
          if (ok || !untouched) t.fail(`${what} at entry ${at}${long ? ' (beside a long entry)' : ''}, ${placed(inPlace)}: ok ${ok}, untouched ${untouched}`);
        }
      }
    }
    t.pass(what);
  }
  // A first entry whose table offset is below the key: before the data.
  const b = basket([1, 2, 3, 4, 5, 6, 7]);
  b.view.setInt32(b.table, b.keylen - 1);
  t.notOk(walk(w, b, 0, 7, 0, 0, true).ok, 'a first entry before the data');
  // More entries than the data has bytes for (each holds at least 10).
  const c = basket([1, 2, 3]);
  t.notOk(w.walk(c.data, c.table, c.keylen, 25, 3, 0, 3, new Int32Array(4), 0, new Uint32Array(10)), 'more entries than bytes');
  // A destination too small for the values.
  t.notOk(w.walk(c.data, c.table, c.keylen, c.dataLength, 3, 0, 3, new Int32Array(4), 0, new Uint32Array(5)), 'a destination too small');
});

t.test('through the read: a count running past the basket is a RootFormatError naming the branch and entry', async (t) => {
  const { decode } = await import('../../src/decode.js');
  const counts = Array.from({ length: 40 }, (_, i) => 1 + (i % 6));
  const info = { name: 'lep_pt', typeName: 'vector<float>', kind: 'vector' as const, element: 'float' as const, inner: 1,
    counter: null, entryHeader: 0, packed: null, objectBits: false, leafOf: null, member: null, entries: counts.length };
  const read = (at: number, inPlace: boolean | 'ring') => {
    const b = basket(counts, 0);
    b.view.setInt32(b.starts[at]! + 6, 1_000_000);
    // In a ring: decompressed by a thread into a slot of its job's ring (the ring given back after).
    const ring = inPlace === 'ring' ? takeRing(2, Math.ceil(b.data.length / 8) * 8) : null;
    const loaded = (data: Uint8Array) => ({ entryStart: 100, entries: counts.length, data, view: new DataView(data.buffer, data.byteOffset, data.byteLength),
      dataLength: b.dataLength, offsets: Int32Array.from([...b.starts, b.dataLength]), table: b.table, keylen: 0 });
    const pending = { entryStart: 100, entries: counts.length, dataLength: b.dataLength, noOffsets: false, entryBytes: null, release: () => {},
      // In place: "decompressed" into the room the kernel offers, as a file basket is.
      load: (room?: (size: number) => Uint8Array) => {
        if (ring) {
          const slot = new Uint8Array(ring.buffer, ring.at, b.data.length);
          slot.set(b.data);
          return loaded(slot);
        }
        if (!inPlace || !room) return loaded(b.data);
        const into = room(b.data.length);
        into.set(b.data);
        return loaded(into.subarray(0, b.data.length));
      } };
    return () => {
      try {
        return decode('f.root', info, [pending], 100, 100 + counts.length);
      } finally {
        if (ring) giveRing(ring);
      }
    };
  };
  for (const inPlace of PLACES) {
    for (const at of [5, 39]) {
      t.throws(read(at, inPlace), { name: 'RootFormatError', message: new RegExp(`f\\.root: branch lep_pt: entry ${100 + at} says 1000000 elements in ${4 * counts[at]!} bytes`) });
    }
  }
});
