import t, { type Test } from 'tap';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openRootFile, RootFileWriter, RootFormatError, type Jagged, type TreeReader } from '../src/index.js';
import { columnBytes, writeMixedTree } from './mixed-tree.js';
import { Prefaulter, prefaultStats } from '../src/column-prefault.js';
import { endReadThread, faultInOnReadingThread, readThreadStats, readThreadUp } from '../src/thread-reads.js';

/**
 * On 1 thread from a local file, a read allocates the fresh columns of the branches after the one
 * it decodes once their bytes are in, and faults their pages in on another thread: the reading
 * thread (thread-reads.ts) when it is up, else libuv's pool with a read of /dev/zero
 * (column-prefault.ts). The memory is handed out only once it is faulted in (and back from the
 * reading thread); the values must be what they are without it, and a read that fails must leave
 * nothing faulting in and no descriptor open.
 */
const dir = mkdtempSync(join(tmpdir(), 'rootio-prefault-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const { minBytes, minReadBytes } = prefaultStats;
t.teardown(() => {
  prefaultStats.minBytes = minBytes;
  prefaultStats.minReadBytes = minReadBytes;
});
// This file's reads are small: every test but the last lets them fault columns in ahead.
prefaultStats.minReadBytes = 0;

const N = 6000;
const STEP = 1500;
const NAMES = ['first', 'v', 'c', 'k', 'w'];
/** Entry i of the file: `i % 5` elements in each jagged branch. */
const MODULO = 5;
const count = (i: number) => i % MODULO;

const path = join(dir, 'prefault.root');
await writeMixedTree(path, { entries: N, basketEntries: STEP, modulo: MODULO, title: 'prefault', first: true });

/**
 * Reads NAMES over `range` with nothing faulted in ahead, then with every column allowed to be,
 * until `faulted()` grows (bounded), each read compared with the first: whether a later branch's
 * bytes are in when a branch starts depends on the machine's timing. Leaves `minBytes` at 1.
 */
async function readUntilFaulted(t: Test, tree: TreeReader, range: { entryStart?: number; entryStop?: number }, faulted: () => number, where: string): Promise<void> {
  prefaultStats.minBytes = Infinity;
  const plain = columnBytes(await tree.arrays(NAMES, range), NAMES);
  prefaultStats.minBytes = 1;
  const before = faulted();
  let reads = 0;
  for (; reads < 50 && faulted() === before; reads++) t.same(columnBytes(await tree.arrays(NAMES, range), NAMES), plain, `read ${reads} of ${JSON.stringify(range)}`);
  t.ok(faulted() > before, `columns were faulted in ${where} (within ${reads} reads)`);
}

t.test('columns faulted in ahead hold the same values as fresh ones, whole and in ranges cut inside baskets', async (t) => {
  const f = await openRootFile(path);
  t.teardown(() => f.close());
  const tree = await f.tree('t');
  for (const range of [{}, { entryStart: 700, entryStop: 5100 }]) await readUntilFaulted(t, tree, range, () => prefaultStats.bytes, 'ahead');
  const v = (await tree.arrays(['v'])).v as Jagged;
  t.equal(v.offsets[N], Array.from({ length: N }, (_, i) => count(i)).reduce((a, b) => a + b), 'v holds every element');
});

t.test('a read that fails on a damaged basket names it, and leaves no read of zeros running and no descriptor open', async (t) => {
  const f0 = await openRootFile(path);
  const meta = (await f0.object('t')) as unknown as { fBranches: { arr: Array<{ fName: string; fBasketSeek: number[]; fBasketBytes: number[] }> } };
  await f0.close();
  // The first branch's second basket: its compressed payload overwritten in the middle.
  const first = meta.fBranches.arr.find((b) => b.fName === 'first')!;
  const seek = Number(first.fBasketSeek[1]);
  const size = Number(first.fBasketBytes[1]);
  const bytes = Uint8Array.from(readFileSync(path));
  bytes.fill(0xa5, seek + size - 200, seek + size - 100);
  const bad = join(dir, 'bad.root');
  writeFileSync(bad, bytes);

  const fds = () => readdirSync('/proc/self/fd').length;
  const unhandled: unknown[] = [];
  const onUnhandled = (err: unknown) => unhandled.push(err);
  process.on('unhandledRejection', onUnhandled);
  t.teardown(() => process.off('unhandledRejection', onUnhandled));
  prefaultStats.minBytes = 1;
  const f = await openRootFile(bad);
  t.teardown(() => f.close());
  const tree = await f.tree('t');
  const open = fds();
  // The failing branch is decoded first, so later branches may be faulting in when it fails.
  let planned = false;
  for (let r = 0; r < 50 && !planned; r++) {
    const before = prefaultStats.bytes + prefaultStats.inFlight;
    const err = await tree.arrays(NAMES).then(() => null, (e: unknown) => e);
    t.type(err, RootFormatError, `read ${r} fails`);
    t.match((err as Error).message, /bad\.root/, 'naming the file');
    t.match((err as Error).message, /at byte \d+/, 'and where');
    t.equal(prefaultStats.inFlight, 0, 'no read of zeros still running after the read failed');
    t.equal(fds(), open, 'no descriptor left open');
    planned = prefaultStats.bytes > before;
  }
  t.ok(planned, 'a failing read had faulted columns in ahead');
  await new Promise((resolve) => setImmediate(resolve));
  t.same(unhandled, [], 'no unhandled rejection');
  // Its other branches read right.
  prefaultStats.minBytes = minBytes;
  const good = await tree.arrays(['v', 'w']);
  t.equal((good.v as Jagged).values.length, (good.v as Jagged).offsets[N]);
  t.equal((good.w as Float64Array)[N - 1], (N - 1) / 3);
});

t.test('Prefaulter: memory is handed out only in its own arrays, and the descriptor is closed after every read settled', async (t) => {
  const fds = () => readdirSync('/proc/self/fd').length;
  const open = fds();
  prefaultStats.minBytes = 1 << 16;
  const p = new Prefaulter();
  t.equal(p.start([['float', 100]]), null, 'columns under the minimum are left to the decode');
  const a = p.start([['int32', 1 << 16], ['float', 1 << 18]])!;
  t.equal(a.bytes, (1 << 18) + (1 << 20));
  t.equal(fds(), open + 1, '/dev/zero is open while reads run');
  const memory = await a.memory;
  const offs = memory.take('int32', 1 << 16);
  const vals = memory.take('float', 1 << 18);
  t.equal(offs.byteLength, 1 << 18);
  t.not(offs.buffer, vals.buffer, 'each column in memory of its own');
  t.ok(new Uint8Array(vals.buffer).every((x) => x === 0), 'the read of zeros filled it');
  t.equal(memory.take('float', 10).buffer.byteLength, 40, 'nothing more to hand out: fresh memory');
  await p.close();
  t.equal(fds(), open, 'closed');
  prefaultStats.minBytes = minBytes;
});

t.test('a read of fewer compressed bytes than the threshold faults nothing in ahead (its columns are mostly memory malloc kept)', async (t) => {
  prefaultStats.minBytes = 1;
  prefaultStats.minReadBytes = minReadBytes;
  t.teardown(() => {
    prefaultStats.minBytes = minBytes;
    prefaultStats.minReadBytes = 0;
  });
  const f = await openRootFile(path);
  t.teardown(() => f.close());
  const tree = await f.tree('t');
  const before = prefaultStats.bytes;
  for (let r = 0; r < 5; r++) await tree.arrays(NAMES);
  t.equal(prefaultStats.bytes, before, `nothing faulted in ahead for reads under ${minReadBytes} bytes`);
});

// Last: it starts the reading thread, whose start opens descriptors the tests above count.
t.test('a jagged branch whose bytes are not in yet is faulted in ahead at the size of the jagged branch before it (its memory used only when its headers agree); one of the first branches is waited for', async (t) => {
  // a and b: i % 5 elements (equal offsets, so equal totals); d: i % 3 (another total).
  const guessPath = join(dir, 'guess.root');
  const w = await RootFileWriter.create(guessPath, { compression: { algorithm: 'zlib', level: 1 } });
  const tw = w.createTree('t', 'guesses', [
    { name: 'x', type: 'float' }, { name: 'a', type: 'float', jagged: 'vector' },
    { name: 'b', type: 'int32', jagged: 'vector' }, { name: 'd', type: 'float', jagged: 'vector' },
  ], { basketEntries: STEP });
  for (let s = 0; s < N; s += STEP) {
    const offsets = (m: number) => {
      const o = new Int32Array(STEP + 1);
      for (let i = 0; i < STEP; i++) o[i + 1] = o[i]! + ((s + i) % m);
      return o;
    };
    const five = offsets(5);
    const three = offsets(3);
    await tw.append({
      x: Float32Array.from({ length: STEP }, (_, i) => s + i),
      a: { offsets: five, values: Float32Array.from({ length: five[STEP]! }, (_, j) => s + j / 4) },
      b: { offsets: five, values: Int32Array.from({ length: five[STEP]! }, (_, j) => s - j) },
      d: { offsets: three, values: Float32Array.from({ length: three[STEP]! }, (_, j) => -s - j) },
    });
  }
  await w.close();
  const names = ['x', 'a', 'b', 'd'];
  const f = await openRootFile(guessPath);
  t.teardown(() => f.close());
  const tree = await f.tree('t');
  t.teardown(() => {
    prefaultStats.minBytes = minBytes;
    prefaultStats.guessAlways = false;
  });
  for (const range of [{}, { entryStart: 700, entryStop: 5100 }]) {
    prefaultStats.minBytes = Infinity;
    const plain = columnBytes(await tree.arrays(names, range), names);
    prefaultStats.minBytes = 1;
    prefaultStats.guessAlways = true;
    const right = prefaultStats.guesses.right;
    const wrong = prefaultStats.guesses.wrong;
    const cols = await tree.arrays(names, range);
    t.same(columnBytes(cols, names), plain, `the same bytes (${JSON.stringify(range)})`);
    if (Object.keys(range).length === 0) {
      // Whole baskets only: a's sizes are known from its headers, so b's and d's can be guessed.
      t.equal(prefaultStats.guesses.right - right, 1, "b's guess (a's total) was right: its memory was used");
      t.equal(prefaultStats.guesses.wrong - wrong, 1, "d's guess (b's total) was wrong: it went into fresh memory");
    } else {
      // Cut inside baskets, no jagged branch's total is known ahead: nothing is guessed.
      t.equal(prefaultStats.guesses.right + prefaultStats.guesses.wrong, right + wrong, 'nothing guessed');
    }
    const [a, b, d] = [cols.a, cols.b, cols.d] as Jagged[];
    t.equal(b!.offsets, a!.offsets, 'b shares a\'s offsets');
    for (const [k, arr] of [['a', a!.values], ['b', b!.values], ['d', d!.values], ['d offsets', d!.offsets]] as const) {
      t.equal(arr.buffer.byteLength, arr.byteLength, `${k}: memory of its own, exactly its size`);
    }
    prefaultStats.guessAlways = false;
  }

  // Read by the reading thread, the first branches' bytes are each a read of their own (x's, then
  // a's: x holds under an eighth of the read's bytes): a's are waited for before x is decoded, so
  // a's columns are faulted in ahead in every read, whatever the machine's timing.
  const minThread = readThreadStats.minReadBytes;
  readThreadStats.minReadBytes = 0;
  t.teardown(() => {
    readThreadStats.minReadBytes = minThread;
  });
  await readThreadUp();
  for (const range of [{}, { entryStart: 700, entryStop: 5100 }]) {
    prefaultStats.minBytes = Infinity;
    const plain = columnBytes(await tree.arrays(names, range), names);
    prefaultStats.minBytes = 1;
    const jobs = readThreadStats.jobs;
    const waited = prefaultStats.waited;
    for (let r = 0; r < 3; r++) t.same(columnBytes(await tree.arrays(names, range), names), plain, `read ${r} on the reading thread (${JSON.stringify(range)})`);
    t.equal(readThreadStats.jobs - jobs, 3, "each read was the reading thread's");
    t.equal(prefaultStats.waited - waited, 3, "each read waited for a's bytes and faulted its columns in ahead");
  }
});

/** The nice value of each of this process's threads (Linux: field 19 of /proc/self/task/T/stat). */
function niceOfThreads(): number[] {
  return readdirSync('/proc/self/task').map((tid) => {
    try {
      return Number(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ')[16]);
    } catch {
      return NaN; // a thread that ended meanwhile
    }
  });
}

t.test('with the reading thread up, columns are faulted in there (transferred there and back), at the lowest priority, with the same values', async (t) => {
  await readThreadUp();
  // This thread's own priority (on Linux, 0 is the calling thread); threads start at it.
  const own = getPriority(0);
  const nices = niceOfThreads();
  if (own < 19) t.ok(nices.includes(19), `a thread of this process (the reading thread) runs at nice 19, this one at ${own} (nice values: ${nices.join(' ')})`);
  else t.skip(`this process already runs at nice ${own}: the reading thread's own priority cannot be told apart`, () => {});
  const f = await openRootFile(path);
  t.teardown(() => f.close());
  const tree = await f.tree('t');
  const minThread = readThreadStats.minReadBytes;
  readThreadStats.minReadBytes = 0;
  t.teardown(() => {
    readThreadStats.minReadBytes = minThread;
    prefaultStats.minBytes = minBytes;
  });
  for (const range of [{}, { entryStart: 700, entryStop: 5100 }]) {
    await readUntilFaulted(t, tree, range, () => prefaultStats.onThread, 'on the reading thread');
    t.equal(prefaultStats.inFlight, 0, 'nothing left faulting in');
  }
});

t.test('Prefaulter on the reading thread: its own arrays back, no /dev/zero; memory lost with a thread that ends is replaced; what cannot be transferred is left alone', async (t) => {
  await readThreadUp();
  const fds = () => readdirSync('/proc/self/fd').length;
  const open = fds();
  prefaultStats.minBytes = 1 << 16;
  t.teardown(() => {
    prefaultStats.minBytes = minBytes;
  });
  const p = new Prefaulter();
  const onThread = prefaultStats.onThread;
  const a = p.start([['int32', 1 << 16], ['float', 1 << 18]])!;
  t.equal(fds(), open, 'no descriptor opened (no /dev/zero)');
  const memory = await a.memory;
  t.equal(prefaultStats.onThread - onThread, a.bytes, 'faulted in by the reading thread');
  const offs = memory.take('int32', 1 << 16);
  const vals = memory.take('float', 1 << 18);
  t.equal(offs.byteLength, 1 << 18);
  t.equal(vals.byteLength, 1 << 20);
  t.not(offs.buffer, vals.buffer, 'each column in memory of its own');
  vals[(1 << 18) - 1] = 1.5;
  t.equal(vals[(1 << 18) - 1], 1.5, 'writable: back from the thread, not detached');
  t.equal(memory.take('float', 10).buffer.byteLength, 40, 'nothing more to hand out: fresh memory');

  // The thread ends (as a crash would) while it holds 64 MiB to fault in: the read gets memory
  // of its own instead, and the next read starts the thread again.
  const lost = p.start([['double', 1 << 23]])!;
  await endReadThread();
  const after = await lost.memory;
  const big = after.take('double', 1 << 23);
  t.equal(big.length, 1 << 23, 'memory of the right size all the same');
  big[big.length - 1] = 2;
  t.equal(big[big.length - 1], 2, 'and usable');
  await p.close();
  t.equal(prefaultStats.inFlight, 0, 'nothing left faulting in');

  await readThreadUp();
  const shared = new SharedArrayBuffer(1 << 20) as unknown as ArrayBuffer;
  t.equal(faultInOnReadingThread([shared]), null, 'memory that cannot be transferred is not sent');
  t.equal(shared.byteLength, 1 << 20, 'and is left as it was');
  const plain = new ArrayBuffer(1 << 20);
  const back = await faultInOnReadingThread([plain]);
  t.equal(plain.byteLength, 0, 'memory sent is detached here meanwhile');
  t.equal(back?.[0]?.byteLength, 1 << 20, 'and comes back whole');
});
