import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openRootFile } from '@gluon/rootio';
import { NO_DATA, sharedData } from './helpers.js';
import { HANG_MS, isContentError, readEverything, rng, scratch, within } from './damage.js';

/**
 * Mutates real files (seeded, 300 mutations in all) and reads everything from each: the result
 * must be exactly the undamaged file's data, or RootFormatError / UnsupportedBranchTypeError.
 *
 * Only files whose payloads are compressed take part: a flipped byte inside stored-uncompressed
 * numbers is a different valid number, which neither ROOT nor any reader can detect. Compressed
 * payloads carry checksums (zlib adler32, LZ4 xxhash64, LZMA CRC; ZSTD frames' sizes), and all
 * headers are checked against each other.
 */
const data = sharedData();
if (!data) {
  t.skip;
} else {
  const SEED = Number(process.env.ROOTIO_FUZZ_SEED ?? 20261123);
  // [file, mutations, whether every payload byte is covered by a checksum]
  const files = [
    [join(data, 'root-testfiles', 'uproot-HZZ-zlib.root'), 70, true],
    [join(data, 'root-testfiles', 'uproot-HZZ-lz4.root'), 40, true],
    [join(data, 'root-testfiles', 'uproot-HZZ-lzma.root'), 30, true],
    [join(data, 'atlas-opendata-13tev-2020-4lep', 'Data', 'data_A.4lep.root'), 70, true],
    // ROOT writes ZSTD frames without their optional checksum, and stores small histograms
    // uncompressed: there a changed byte can be a different valid value. These runs check only
    // that nothing but a content error escapes, and that nothing hangs.
    [join(data, 'root-testfiles', 'uproot-HZZ-zstd.root'), 40, false],
    [join(data, 'root-testfiles', 'uproot-histograms.root'), 50, false],
  ] as const;

  /** One seeded mutation: which bytes change and how is printed with any failure. */
  function mutate(src: Uint8Array, next: () => number): { bytes: Uint8Array; what: string; touched: Array<[number, number]> } {
    const pick = (lo: number, hi: number) => lo + Math.floor(next() * Math.max(1, hi - lo));
    const kind = next();
    const b = Uint8Array.from(src);
    if (kind < 0.35) {
      const n = pick(1, 5);
      const at: number[] = [];
      for (let i = 0; i < n; i++) {
        const p = pick(0, b.length);
        b[p] ^= 1 << pick(0, 8);
        at.push(p);
      }
      return { bytes: b, what: `bit flips at ${at.join(',')}`, touched: at.map((p) => [p, p + 1] as [number, number]) };
    }
    if (kind < 0.6) {
      // Metadata lives in the header and at the tail (TTree, streamers, keys list).
      const p = next() < 0.3 ? pick(0, 512) : pick(Math.floor(b.length * 0.8), b.length);
      b[p] ^= pick(1, 256);
      return { bytes: b, what: `byte ${p} xor`, touched: [[p, p + 1]] };
    }
    if (kind < 0.75) {
      const cut = pick(0, b.length);
      return { bytes: src.subarray(0, cut), what: `truncated to ${cut}`, touched: [] }; // always detectable (fEND)
    }
    if (kind < 0.9) {
      const p = pick(0, b.length - 4);
      const v = [0x7fffffff, 0xffffffff, 0x40000000, pick(0, 2 ** 32)][pick(0, 4)]!;
      new DataView(b.buffer).setUint32(p, v >>> 0);
      return { bytes: b, what: `uint32 ${v} at ${p}`, touched: [[p, p + 4]] };
    }
    const p = pick(0, b.length);
    const n = pick(1, 65);
    b.fill(0, p, p + n);
    return { bytes: b, what: `${n} zero bytes at ${p}`, touched: [[p, p + n]] };
  }

  /**
   * Payloads ROOT stored uncompressed because compression did not shrink them (e.g. MET_px in
   * the LZ4 file): no checksum covers them, so a change there is a different valid value.
   */
  async function unchecked(path: string): Promise<Array<[number, number]>> {
    const f = await openRootFile(path);
    try {
      const out: Array<[number, number]> = [];
      for (const k of f.keys().filter((k) => k.className === 'TTree')) {
        const tree = (await f.object(k.name)) as { _typename: string; fBranches: { arr: Array<{ fWriteBasket: number; fBasketSeek: number[] }> } };
        for (const b of tree.fBranches.arr) {
          for (let i = 0; i < b.fWriteBasket; i++) {
            const [head] = await f.source.read([[Number(b.fBasketSeek[i]), 18]]);
            const dv = new DataView(head!.buffer, head!.byteOffset);
            const seek = Number(b.fBasketSeek[i]);
            if (dv.getInt32(0) - dv.getInt16(14) === dv.getInt32(6)) out.push([seek + dv.getInt16(14), seek + dv.getInt32(0)]);
          }
        }
      }
      return out;
    } finally {
      await f.close();
    }
  }

  const next = rng(SEED);
  for (const [path, runs, checked] of files) {
    const name = path.split('/').at(-1)!;
    t.test(`${name}: ${runs} mutations (seed ${SEED})`, async (t) => {
      const write = scratch(t);
      const src = readFileSync(path);
      const expected = await readEverything(path);
      const raw = await unchecked(path);
      const inRaw = (touched: Array<[number, number]>) => touched.some(([a, z]) => raw.some(([s, e]) => a < e && z > s));
      let correct = 0;
      let rejected = 0;
      let undetectable = 0;
      let peakRss = 0;
      // jsroot narrates every damaged structure it meets on the console; keep the test log readable.
      const quiet = { log: console.log, warn: console.warn, error: console.error };
      console.log = console.warn = console.error = () => {};
      t.teardown(() => Object.assign(console, quiet));
      for (let i = 0; i < runs; i++) {
        const { bytes, what, touched } = mutate(src, next);
        const p = write(`${i}.root`, bytes);
        try {
          const got = await within(readEverything(p), HANG_MS, `${name} #${i} (${what})`);
          if (got === expected) correct++;
          else if (!checked || inRaw(touched)) undetectable++;
          else t.fail(`${name} #${i} (${what}): read without error but the data differ`);
        } catch (err) {
          if (isContentError(err)) rejected++;
          else t.fail(`${name} #${i} (${what}): ${(err as Error)?.stack?.split('\n').slice(0, 4).join(' | ')}`);
        }
        peakRss = Math.max(peakRss, process.memoryUsage().rss);
      }
      t.equal(correct + rejected + undetectable, runs, `${correct} read correctly, ${rejected} rejected with a content error, ${undetectable} changed unchecked bytes`);
      // Sizes are validated against the file before allocating: no mutation may balloon memory.
      t.ok(peakRss < 1.5 * 2 ** 30, `peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB stays bounded`);
    });
  }
}
