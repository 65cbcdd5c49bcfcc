import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openRootFile, RootFileWriter, type Column, type Jagged } from '../src/index.js';
import { walkStats } from '../src/vector-walk.js';

/**
 * A read on decompression threads puts its ring of decompressed baskets in a shared WebAssembly
 * memory with a std::vector kernel of its own (ring-kernel.ts), which walks the threads' baskets
 * where they lie. Its columns must be the 1-thread read's, whole, in ranges and into earlier
 * columns, with slots of any size; damage and close() must end it as they end other reads.
 */
const dir = mkdtempSync(join(tmpdir(), 'rootio-ring-kernel-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const N = 60_000;
const NAMES = ['n', 'v', 'k', 'c', 'w'];
const count = (i: number) => (i * 5) % 7;

/** A tree of vector<float>, vector<int>, a counted float array and scalars, `step` entries a basket. */
async function write(path: string, step: number): Promise<void> {
  const w = await RootFileWriter.create(path, { compression: { algorithm: 'zlib', level: 1 } });
  const tw = w.createTree('t', 'ring kernel', [
    { name: 'n', type: 'int32' }, { name: 'v', type: 'float', jagged: 'vector' }, { name: 'k', type: 'int32', jagged: 'vector' },
    { name: 'c', type: 'float', jagged: 'counted', counter: 'n' }, { name: 'w', type: 'double' },
  ], { basketEntries: step });
  for (let s = 0; s < N; s += step) {
    const offsets = new Int32Array(step + 1);
    for (let i = 0; i < step; i++) offsets[i + 1] = offsets[i]! + count(s + i);
    const m = offsets[step]!;
    await tw.append({
      n: Int32Array.from({ length: step }, (_, i) => count(s + i)),
      v: { offsets, values: Float32Array.from({ length: m }, (_, j) => s + j / 8) },
      k: { offsets, values: Int32Array.from({ length: m }, (_, j) => s * 3 - j) },
      c: { offsets, values: Float32Array.from({ length: m }, (_, j) => -(s + j)) },
      w: Float64Array.from({ length: step }, (_, i) => (s + i) / 3),
    });
  }
  await w.close();
}

const small = join(dir, 'small.root');
const large = join(dir, 'large.root');
await write(small, 1_000);
await write(large, 6_000);

function bytesOf(cols: Record<string, Column>): string[] {
  const out: string[] = [];
  for (const n of Object.keys(cols).sort()) {
    const c = cols[n]!;
    for (const a of ArrayBuffer.isView(c) ? [c] : [(c as Jagged).offsets, (c as Jagged).values]) {
      out.push(`${n}:${Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64')}`);
    }
  }
  return out;
}

async function oneThread(path: string, range: { entryStart?: number; entryStop?: number } = {}): Promise<string[]> {
  const f = await openRootFile(path);
  try {
    return bytesOf(await (await f.tree('t')).arrays(NAMES, range));
  } finally {
    await f.close();
  }
}

t.test('on 2 and 3 threads the ring\'s baskets are walked in place: the 1-thread columns, whole, in ranges, into earlier columns, small slots then larger', async (t) => {
  const before = walkStats.ring;
  for (const path of [small, large, small]) {
    for (const threads of [2, 3]) {
      const f = await openRootFile(path, { decompressThreads: threads });
      t.teardown(() => f.close());
      const tree = await f.tree('t');
      const whole = await tree.arrays(NAMES);
      t.same(bytesOf(whole), await oneThread(path), `${path === small ? 'small' : 'large'} baskets, ${threads} threads, whole`);
      t.same(bytesOf(await tree.arrays(NAMES, { into: whole })), await oneThread(path), 'into the last read\'s columns');
      for (const [entryStart, entryStop] of [[1_234, 47_891], [0, 5_999], [30_001, 60_000]] as const) {
        t.same(bytesOf(await tree.arrays(NAMES, { entryStart, entryStop })), await oneThread(path, { entryStart, entryStop }), `entries ${entryStart}–${entryStop}`);
      }
    }
  }
  // Which baskets a thread takes depends on the machine (a thread just started may take none of
  // a read's); over 30 reads some are taken (the next test makes sure of it for every basket).
  t.ok(walkStats.ring > before, `std::vector baskets walked in the ring (${walkStats.ring - before})`);
});

t.test('every basket a thread decompressed is walked where it lies in the ring, the values exact', async (t) => {
  const { basketRef, pendingFileBasket } = await import('../src/basket.js');
  const { InflateJob } = await import('../src/inflate-pool.js');
  const { decode } = await import('../src/decode.js');
  const f = await openRootFile(small);
  const tree = await f.tree('t');
  const expected = await tree.arrays(['v', 'k']);
  const meta = (await f.object('t')) as unknown as Meta;
  await f.close();
  const bytes = readFileSync(small);
  const source = { path: small, size: bytes.length, read: async () => [], close: async () => {} };
  for (const name of ['v', 'k']) {
    const br = meta.fBranches.arr.find((x) => x.fName === name)!;
    const baskets = Array.from({ length: N / 1_000 }, (_, k) => {
      const seek = Number(br.fBasketSeek[k]);
      const size = Number(br.fBasketBytes[k]);
      return pendingFileBasket(source, Uint8Array.from(bytes.subarray(seek, seek + size)), basketRef(k, 1_000 * k, 1_000 * (k + 1), { seek, bytes: size }), true, undefined, false);
    });
    const job = InflateJob.start(small, baskets.map((b) => b.payload), 2)!;
    // The thread has finished with the job before the reader takes anything: every basket is its.
    await job.drained;
    baskets.forEach((b, k) => b.attach(job, k));
    const before = walkStats.ring;
    const col = decode(small, tree.branch(name), baskets, 0, N) as Jagged;
    job.close();
    t.equal(walkStats.ring - before, N / 1_000, `${name}: all ${N / 1_000} baskets walked in the ring`);
    t.match(job.stats, { threads: N / 1_000, reader: 0, ahead: 0, readerBytes: 0 }, `${name}: all decompressed by the thread`);
    t.same(bytesOf({ [name]: col }), bytesOf({ [name]: expected[name]! }), `${name}: the 1-thread column`);
  }
});

t.test('a 2-thread read gives its bytes\' memory and its ring back before it returns: the read right after reuses both', async (t) => {
  const { ringStats } = await import('../src/ring-kernel.js');
  const { jobTotals } = await import('../src/inflate-pool.js');
  const f = await openRootFile(large, { decompressThreads: 2 });
  t.teardown(() => f.close());
  // The memory each read reads its compressed bytes into (tree.ts hands it to the source).
  const used: ArrayBufferLike[] = [];
  const read = f.source.read.bind(f.source);
  f.source.read = (ranges, opts) => {
    if (opts?.into) used.push(opts.into.buffer);
    return read(ranges, opts);
  };
  const tree = await f.tree('t');
  const expected = await oneThread(large);
  const jobs = jobTotals.jobs;
  t.same(bytesOf(await tree.arrays(NAMES)), expected, 'the first read');
  const rings = ringStats.made;
  // No turn of the event loop between them (as in a loop of reads, or iterate's batches): the
  // threads' done messages are not taken in before the next read starts.
  const second = bytesOf(await tree.arrays(NAMES));
  const third = bytesOf(await tree.arrays(NAMES));
  t.same(second, expected, 'the second read');
  t.same(third, expected, 'the third read');
  t.equal(jobTotals.jobs, jobs + 3, 'each read was a job on the threads');
  t.equal(used.length, 3, 'each read read its bytes once, into memory of the reader\'s');
  t.equal(used[1], used[0], 'the second read\'s bytes went into the first read\'s memory');
  t.equal(used[2], used[0], 'and so did the third\'s');
  t.equal(ringStats.made, rings, 'the second and third reads made no ring of their own');
});

type Meta = { fBranches: { arr: Array<{ fName: string; fBasketSeek: number[]; fBasketBytes: number[] }> } };

/** The file's bytes, and where basket `k` of `branch` lies. */
async function basketOf(path: string, branch: string, k: number): Promise<{ bytes: Uint8Array; seek: number; size: number; keylen: number }> {
  const f = await openRootFile(path);
  const meta = (await f.object('t')) as unknown as Meta;
  await f.close();
  const b = meta.fBranches.arr.find((x) => x.fName === branch)!;
  const bytes = Uint8Array.from(readFileSync(path));
  const seek = Number(b.fBasketSeek[k]);
  return { bytes, seek, size: Number(b.fBasketBytes[k]), keylen: new DataView(bytes.buffer).getInt16(seek + 14) };
}

async function failure(path: string, threads: number): Promise<Error | null> {
  const f = await openRootFile(path, { decompressThreads: threads });
  try {
    return await (await f.tree('t')).arrays(NAMES).then(() => null, (e: Error) => e);
  } finally {
    await f.close();
  }
}

t.test('a std::vector basket a thread cannot decompress: the read says what the 1-thread read says, naming the file and byte', async (t) => {
  for (const k of [0, 4]) {
    const { bytes, seek, size, keylen } = await basketOf(small, 'v', k);
    const at = seek + keylen + Math.floor((size - keylen) / 2);
    bytes[at] ^= 0xff;
    bytes[at + 1] ^= 0xff;
    const bad = join(dir, `payload-${k}.root`);
    writeFileSync(bad, bytes);
    const one = await failure(bad, 1);
    t.match(one, { name: 'RootFormatError', message: /payload-\d\.root: / }, `basket ${k}: the 1-thread read fails`);
    for (const threads of [2, 3]) t.same((await failure(bad, threads))?.message, one!.message, `basket ${k}, ${threads} threads: the same error`);
  }
});

t.test('close() during a 2-thread read: the read ends with its columns or says the file is closed; the next read is whole', async (t) => {
  const expected = await oneThread(large);
  for (let round = 0; round < 3; round++) {
    const f = await openRootFile(large, { decompressThreads: 2 });
    const tree = await f.tree('t');
    const reading = tree.arrays(NAMES).then((cols) => bytesOf(cols), (e: Error) => e.message);
    // Closed at once, and after the job has started (its bytes in).
    if (round > 0) await new Promise((resolve) => setImmediate(resolve));
    await f.close();
    const got = await reading;
    t.ok(typeof got === 'string' ? /closed/.test(got) : got.join() === expected.join(), `round ${round}: the columns, or said the file is closed (${typeof got === 'string' ? got : 'read'})`);
    const g = await openRootFile(large, { decompressThreads: 2 });
    t.same(bytesOf(await (await g.tree('t')).arrays(NAMES)), expected, `round ${round}: a read after it`);
    await g.close();
  }
});
