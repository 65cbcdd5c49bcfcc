import t from 'tap';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { LocalSource, openRootFile, RootFormatError, type Column } from '../src/index.js';
import { columnBytes, writeMixedTree } from './mixed-tree.js';
import { readThreadStats, readThreadUp } from '../src/thread-reads.js';
import { keptReadMemory } from '../src/read-memory.js';

/**
 * A 1-thread read from a local file on the main thread reads its bytes on a thread of their own,
 * in the order the decode needs them, and reads here those the thread has not got to when the
 * decode needs them (thread-reads.ts). Whoever reads a range, its bytes must be the file's; a
 * file cut short while open ends the read with the reader's error; a read that fails stops the
 * thread's; and the descriptor is closed only once the thread is done with it.
 */
const dir = mkdtempSync(join(tmpdir(), 'rootio-thread-reads-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const { minReadBytes } = readThreadStats;
t.teardown(() => {
  readThreadStats.minReadBytes = minReadBytes;
});

const N = 40_000;
const STEP = 4000;
const NAMES = ['n', 'v', 'c', 'k', 'w'];
const path = join(dir, 'tree.root');
await writeMixedTree(path, { entries: N, basketEntries: STEP, modulo: 7, title: 'thread reads' });

t.test('a read through the reading thread gives the columns libuv reads give, whole, in ranges cut inside baskets, and into earlier columns', async (t) => {
  const f = await openRootFile(path);
  t.teardown(() => f.close());
  const tree = await f.tree('t');
  await readThreadUp();
  for (const range of [{}, { entryStart: 1500, entryStop: 33_333 }]) {
    readThreadStats.minReadBytes = Infinity;
    const jobs = readThreadStats.jobs;
    const plain = columnBytes(await tree.arrays(NAMES, range), NAMES);
    t.equal(readThreadStats.jobs, jobs, 'a read under the threshold is not the thread\'s');
    readThreadStats.minReadBytes = 0;
    let last: Record<string, Column> | undefined;
    for (let r = 0; r < 4; r++) {
      last = await tree.arrays(NAMES, { ...range, into: last });
      t.same(columnBytes(last, NAMES), plain, `read ${r} of ${JSON.stringify(range)}`);
      // Before it returned: a read started right after it finds the memory (no fresh pages).
      t.ok(keptReadMemory().thread > 0, `read ${r}: its memory was given back`);
    }
    t.equal(readThreadStats.jobs, jobs + 4, 'each read was the thread\'s');
  }
});

/** Ranges of `file` in an order that is not the file's, some next to each other (one run). */
function someRanges(size: number): Array<[number, number]> {
  const cut = [0, 1000, 5000, 5001, 90_000, 200_000, 200_100, size];
  const ranges: Array<[number, number]> = [];
  for (let i = 0; i + 1 < cut.length; i++) ranges.push([cut[i]!, cut[i + 1]! - cut[i]!]);
  // Last, first, then the rest in order: 1000-5000 and 5000-5001 stay neighbours.
  return [ranges.at(-1)!, ...ranges.slice(0, -1)];
}

const raw = join(dir, 'raw.bin');
const content = randomBytes(3 << 20);
writeFileSync(raw, content);

t.test('every range comes back exactly, read by the thread or here', async (t) => {
  await readThreadUp();
  const src = await LocalSource.open(raw);
  t.teardown(() => src.close());
  t.ok(src.canReadInOrder(), 'the thread is up');
  const ranges = someRanges(content.length);
  const room = new Uint8Array(new SharedArrayBuffer(content.length + 64), 32, content.length);
  for (const help of [false, true]) {
    room.fill(0);
    const read = src.readInOrder(ranges, room);
    // Here first: every range the thread has not claimed yet is read on this thread.
    if (help) read.help(ranges.length - 1);
    for (let i = ranges.length - 1; i >= 0; i--) await read.until(i, i);
    ranges.forEach(([off, len], i) => t.ok(Buffer.from(read.views[i]!).equals(content.subarray(off, off + len)), `${help ? 'helped' : 'thread'}: range ${i} (${off}+${len})`));
    await read.finished;
  }
});

t.test('a file cut short while open ends the read with "the file ended early" at the byte, from the thread or from here', async (t) => {
  await readThreadUp();
  for (const help of [false, true]) {
    const cut = join(dir, `cut-${help}.bin`);
    writeFileSync(cut, content);
    const src = await LocalSource.open(cut);
    t.teardown(() => src.close());
    truncateSync(cut, 100_000);
    const ranges = someRanges(content.length);
    const read = src.readInOrder(ranges, new Uint8Array(new SharedArrayBuffer(content.length)));
    if (help) read.help(ranges.length - 1);
    // The last range lies past the cut, and is read first.
    const err = await read.until(0, ranges.length - 1).then(() => null, (e: unknown) => e);
    t.ok(err instanceof RootFormatError, `${help ? 'here' : 'thread'}: a RootFormatError`);
    // The thread alone reads the last range first, so it meets the cut at its start. Helped, this
    // thread and the reading thread race for the ranges, and the first to meet the cut says where
    // its range met it: 100000 (the range across the cut), 200000 or 200100 (the ranges past it).
    const at = help ? '(100000|200000|200100)' : '200100';
    t.match((err as Error).message, new RegExp(`^${cut.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: the file ended early \\(truncated while open\\?\\) \\(at byte ${at}\\)$`));
    await read.finished;
  }
});

t.test('close() closes the descriptor only once the thread is done with it; a stopped read ends', async (t) => {
  await readThreadUp();
  const src = await LocalSource.open(raw);
  const ranges: Array<[number, number]> = [];
  for (let off = 0; off < content.length; off += 4096 * 3) ranges.push([off, Math.min(4096, content.length - off)]);
  const room = new Uint8Array(new SharedArrayBuffer(content.length));
  const read = src.readInOrder(ranges, room);
  let finished = false;
  void read.finished.then(() => {
    finished = true;
  });
  await src.close();
  t.ok(finished, 'the thread had finished when the descriptor was closed');
  await read.until(0, ranges.length - 1);
  t.ok(ranges.every(([off, len], i) => Buffer.from(read.views[i]!).equals(content.subarray(off, off + len))), 'with every range read');

  const again = await LocalSource.open(raw);
  t.teardown(() => again.close());
  const stopped = again.readInOrder(ranges, room);
  stopped.stop();
  await stopped.finished;
  const got = await stopped.until(0, ranges.length - 1).then(() => 'read', (e: Error) => e.message);
  t.ok(got === 'read' || /the read was stopped before these bytes were read/.test(got), `the ranges were read before the stop, or the wait says it was stopped (${got})`);
});

t.test('a read that fails on a damaged basket says what the libuv read says', async (t) => {
  const f0 = await openRootFile(path);
  const meta = (await f0.object('t')) as unknown as { fBranches: { arr: Array<{ fName: string; fBasketSeek: number[]; fBasketBytes: number[] }> } };
  await f0.close();
  const v = meta.fBranches.arr.find((b) => b.fName === 'v')!;
  const seek = Number(v.fBasketSeek[2]);
  const size = Number(v.fBasketBytes[2]);
  const bytes = Uint8Array.from(readFileSync(path));
  bytes.fill(0xa5, seek + size - 200, seek + size - 100);
  const bad = join(dir, 'bad.root');
  writeFileSync(bad, bytes);
  await readThreadUp();
  const messages: string[] = [];
  for (const min of [Infinity, 0]) {
    readThreadStats.minReadBytes = min;
    const jobs = readThreadStats.jobs;
    const f = await openRootFile(bad);
    const err = await (await f.tree('t')).arrays(NAMES).then(() => null, (e: unknown) => e);
    t.ok(err instanceof RootFormatError, `${min ? 'libuv' : 'thread'}: a RootFormatError`);
    messages.push((err as Error).message);
    t.equal(readThreadStats.jobs, jobs + (min ? 0 : 1), min ? 'not the thread' : 'the thread\'s read');
    await f.close();
  }
  t.equal(messages[1], messages[0], 'the same message');
  t.match(messages[0], /: cannot decompress zlib block: .* \(at byte \d+\)$/);
});

t.test('a process that read through the reading thread ends by itself once its file is closed', async (t) => {
  // The thread's port was kept referenced by its message listener (added after unref()), so a
  // script whose one large read started the thread never ended.
  const child = fileURLToPath(new URL('./fixtures/read-once.mjs', import.meta.url));
  for (const reads of [1, 3]) {
    const p = spawn(process.execPath, [child, path, 't', ...NAMES], { env: { ...process.env, READS: String(reads) }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d));
    // Bounded generously (it ends within a second or two); one that hangs is killed after a
    // minute and fails the check.
    const killer = setTimeout(() => p.kill('SIGKILL'), 60_000);
    const [code, signal] = await once(p, 'close');
    clearTimeout(killer);
    t.equal(out, `read ${reads}\n`, `${reads} read(s) done`);
    t.same({ code, signal }, { code: 0, signal: null }, `the process ended by itself after ${reads} read(s)`);
  }
});
