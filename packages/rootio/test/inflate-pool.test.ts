import t from 'tap';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decompress } from '../src/decompress.js';
import { InflateJob, type Payload } from '../src/inflate-pool.js';
import { compressPayload } from '../src/write/compress.js';
import { sameValues } from '../../../test/helpers/same-values.js';

/**
 * The shared-memory decompression job behind `decompressThreads`: whoever decompresses a basket
 * (a thread, the reader when it gets there, or the reader ahead of time while a thread is busy),
 * every basket comes back exactly, a damaged one raises the reader's own error, and the ring of
 * slots is reused only for baskets the reader has released.
 */

/** Compressible, distinct bytes: random words with runs, so every basket differs. */
function basketBytes(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  const noise = randomBytes(size >> 4);
  // Byte i is noise[(i >> 4) % noise.length] in every 7th block of 64 bytes, else (seed + (i >> 8)) & 0xff:
  // filled 16 bytes at a time (a byte at a time took ~1 CPU-s for the suite's 120 MB).
  for (let at = 0; at < size; at += 16) {
    const end = Math.min(at + 16, size);
    out.fill((at >> 6) % 7 === 0 ? noise[(at >> 4) % noise.length]! : (seed + (at >> 8)) & 0xff, at, end);
  }
  return out;
}

function payloads(sizes: number[]): { raw: Uint8Array[]; payloads: Payload[] } {
  const raw = sizes.map((n, k) => basketBytes(n, k));
  return {
    raw,
    payloads: raw.map((r, k) => {
      const bytes = compressPayload(r, { algorithm: 'zlib', level: 1 });
      return { bytes, expected: r.length, decompress: () => decompress(bytes, r.length, 'test.root', 1000 * k) };
    }),
  };
}

t.test('every basket decompressed by the threads comes back exactly, from the ring', async (t) => {
  const { raw, payloads: ps } = payloads(Array.from({ length: 24 }, (_, k) => 20_000 + 997 * k));
  const job = InflateJob.start('test.root', ps, 3)!;
  t.ok(job, 'a job is started for 24 baskets on 3 threads');
  // Both threads have finished with the job before the reader takes anything: all are theirs.
  await job.drained;
  for (let k = 0; k < ps.length; k++) {
    const got = job.take(k);
    t.ok(got && job.inRing(got), `basket ${k} is in the ring`);
    sameValues(t, got, raw[k], `basket ${k} is exact`);
    job.release(k);
  }
  job.close();
  const bytes = raw.reduce((a, r) => a + r.length, 0);
  t.match(job.stats, { threads: 24, reader: 0, ahead: 0, threadBytes: bytes, readerBytes: 0, readerWaitMs: 0 });
  // Each thread's report of what it did: together, every basket's bytes, each within the job.
  t.equal(job.reports.length, 2, 'both threads reported');
  t.equal(job.reports.reduce((a, r) => a + r.bytes, 0), bytes, 'the threads\' bytes are every basket\'s');
  for (const r of job.reports) if (r.bytes) t.ok(r.firstAt >= job.startedAt && r.lastAt >= r.firstAt, `a thread's baskets fall within the job (${JSON.stringify(r)})`);
});

/** Makes basket k of `ps` one that cannot be decompressed (its deflate stream garbled); its error names byte 1000 × k. */
function damage(ps: Payload[], raw: Uint8Array[], k: number): void {
  const damaged = Uint8Array.from(ps[k]!.bytes);
  damaged[40] ^= 0xff;
  damaged[41] ^= 0xff;
  ps[k] = { bytes: damaged, expected: raw[k]!.length, decompress: () => decompress(damaged, raw[k]!.length, 'test.root', 1000 * k) };
}

/** Takes every basket in order as a read does (job null: a one-thread read, each decompressed here). */
function readAll(ps: Payload[], job: InflateJob | null): void {
  for (let k = 0; k < ps.length; k++) {
    job?.take(k) ?? ps[k]!.decompress();
    job?.release(k);
  }
}

t.test('a basket a thread cannot decompress stops the job at once: no basket after it is decompressed, and the reader raises its error at its next basket', async (t) => {
  const n = 32;
  const { raw, payloads: ps } = payloads(Array.from({ length: n }, () => 30_000));
  damage(ps, raw, 5);
  // One thread, and a ring as long as the job (32 slots of 30 kB): the reader takes nothing until
  // the thread has finished with the job, so what the thread decompressed is all its own choice.
  // It went on through all 32 baskets after basket 5 had failed, until the reader reached basket
  // 5 in order and the read failed.
  const job = InflateJob.start('test.root', ps, 2)!;
  await job.drained;
  const report = job.reports[0]!;
  t.equal(report.bytes, 5 * 30_000, 'the thread decompressed baskets 0 to 4 and none after the failed one');
  t.equal(report.baskets, 6, 'it started 6 baskets: 0 to 5');
  // Basket 0 is fine (done by the thread), but the job has failed: its first basket raises that failure.
  t.throws(() => job.take(0), { name: 'RootFormatError', message: /test\.root: cannot decompress zlib block.*\(at byte 5000\)/ }, "the reader's next basket raises the failed basket's error");
  // A caller that goes on anyway gets every basket: the threads' from the ring, the rest decompressed by itself.
  for (let k = 0; k < n; k++) {
    const got = job.take(k);
    if (k < 5) t.ok(got && Buffer.compare(got, raw[k]!) === 0, `basket ${k} from the ring, exact`);
    else t.ok(got === null, `basket ${k} is the reader's to decompress`);
    job.release(k);
  }
  job.close();
  t.match(job.stats, { threads: 5, reader: n - 6 }, 'the baskets after the failed one were left to the reader');
});

t.test('two damaged baskets, the later one failed first on a thread: the read names the earlier one, as a one-thread read does', async (t) => {
  const n = 32;
  // Basket 3 is too big for the ring (over 16 MiB): the reader decompresses it, in its turn.
  const { raw, payloads: ps } = payloads(Array.from({ length: n }, (_, k) => (k === 3 ? 17 << 20 : 30_000)));
  damage(ps, raw, 3);
  damage(ps, raw, 20);
  t.throws(() => readAll(ps, null), { name: 'RootFormatError', message: /\(at byte 3000\)/ }, 'one thread: basket 3 is the first that fails');
  // One thread, which passes basket 3 by and fails at basket 20 before the reader takes anything.
  const job = InflateJob.start('test.root', ps, 2)!;
  await job.drained;
  t.equal(job.reports[0]!.baskets, 20, 'the thread did baskets 0 to 2 and 4 to 20, and stopped at the failed one');
  // It named basket 20, the first to fail in time, at the reader's first basket.
  t.throws(() => readAll(ps, job), { name: 'RootFormatError', message: /\(at byte 3000\)/ }, 'two threads: basket 3 too, when the reader reaches it');
  job.close();
  t.match(job.stats, { threads: 3, ahead: 0 }, 'baskets 0 to 2 came from the thread');
});

t.test('a read longer than the ring: slots are refilled only after release, values all exact', async (t) => {
  // 4 MiB baskets: a ring of 8 slots (32 MiB) for 24 baskets, so it wraps three times.
  const { raw, payloads: ps } = payloads(Array.from({ length: 24 }, () => 4 << 20));
  for (const threads of [2, 3]) {
    const job = InflateJob.start('test.root', ps, threads)!;
    let held: Uint8Array | null = null;
    let heldCopy: Uint8Array | null = null;
    for (let k = 0; k < ps.length; k++) {
      const got = job.take(k) ?? ps[k]!.decompress();
      t.ok(Buffer.from(got).equals(Buffer.from(raw[k]!)), `${threads} threads: basket ${k} exact`);
      // The reader keeps basket 3 unreleased while reading on: its slot must not be refilled.
      if (k === 3) {
        held = got;
        heldCopy = got.slice();
        continue;
      }
      job.release(k);
      if (k === 20) {
        t.ok(Buffer.from(held!).equals(Buffer.from(heldCopy!)), 'an unreleased basket is untouched while the read goes on');
        job.release(3);
      }
    }
    job.close();
    const s = job.stats;
    t.equal(s.threads + s.reader + s.ahead, 24, `every basket decompressed once (${JSON.stringify(s)})`);
    t.equal(s.threadBytes + s.readerBytes, raw.reduce((a, r) => a + r.length, 0), 'and its bytes counted once, on one side');
  }
});

t.test('too few baskets, or one thread: no job', async (t) => {
  const { payloads: ps } = payloads([1000, 1000, 1000]);
  t.equal(InflateJob.start('test.root', ps, 2), null);
  t.equal(InflateJob.start('test.root', payloads(Array(16).fill(1000)).payloads, 1), null);
});

t.test('a file basket from the ring is handed to onLoad (cached) only as its own copy', async (t) => {
  const { mkdtempSync, readFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { openRootFile, RootFileWriter } = await import('@gluon/rootio');
  const { basketRef, pendingFileBasket } = await import('../src/basket.js');
  const dir = mkdtempSync(join(tmpdir(), 'rootio-pool-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'baskets.root');
  const w = await RootFileWriter.create(path, { compression: { algorithm: 'zlib', level: 1 } });
  const tw = w.createTree('t', '', [{ name: 'x', type: 'double' }], { basketEntries: 1_000 });
  await tw.append({ x: Float64Array.from({ length: 8_000 }, (_, i) => i) });
  await w.close();
  const f = await openRootFile(path);
  const meta = (await f.object('t')) as unknown as { fBranches: { arr: Array<{ fBasketSeek: number[]; fBasketBytes: number[] }> } };
  await f.close();
  const br = meta.fBranches.arr[0]!;
  const bytes = readFileSync(path);
  const source = { path, size: bytes.length, read: async () => [], close: async () => {} };
  const cached: number[] = [];
  const baskets = Array.from({ length: 8 }, (_, k) => {
    const seek = Number(br.fBasketSeek[k]);
    const size = Number(br.fBasketBytes[k]);
    const ref = basketRef(k, 1_000 * k, 1_000 * (k + 1), { seek, bytes: size });
    // Basket 7 outlives the read (a later read starts inside it); the others do not.
    return pendingFileBasket(source, Uint8Array.from(bytes.subarray(seek, seek + size)), ref, false, (b) => {
      cached.push(k);
      return b;
    }, k === 7);
  });
  const job = InflateJob.start(path, baskets.map((b) => b.payload), 2)!;
  await job.drained;
  baskets.forEach((b, k) => b.attach(job, k));
  for (let k = 0; k < 8; k++) {
    const b = baskets[k]!.load();
    t.equal(b.view.getFloat64(0), 1_000 * k, `basket ${k} decodes`);
    t.equal(b.data.buffer instanceof SharedArrayBuffer, k !== 7, k === 7 ? 'the kept basket is a copy' : `basket ${k} is read in the ring`);
    baskets[k]!.release();
  }
  job.close();
  t.same(cached, [7], 'only the copy is handed on to be cached');
  t.equal(job.stats.threads, 8, 'all eight came from the thread');
});

t.test('a job\'s ring is reused by the next job, only once its threads are done and it is closed', async (t) => {
  const { raw, payloads: ps } = payloads(Array.from({ length: 8 }, (_, k) => 25_000 + 101 * k));
  const ring = (job: InflateJob) => (job as unknown as { message: { slots: SharedArrayBuffer } }).message.slots;
  const first = InflateJob.start('test.root', ps, 2)!;
  const during = InflateJob.start('test.root', ps, 2)!;
  t.not(ring(during), ring(first), 'a job running beside another has a ring of its own');
  await Promise.all([first.drained, during.drained]);
  for (const job of [first, during]) {
    for (let k = 0; k < ps.length; k++) {
      sameValues(t, job.take(k), raw[k], `basket ${k}`);
      job.release(k);
    }
  }
  first.close();
  await first.drained;
  // The ring is given back after the drained promise's own handlers: one more turn.
  await new Promise((resolve) => setImmediate(resolve));
  const next = InflateJob.start('test.root', ps, 2)!;
  t.equal(ring(next), ring(first), 'the next job reuses the closed job\'s ring');
  await next.drained;
  for (let k = 0; k < ps.length; k++) {
    sameValues(t, next.take(k), raw[k], `basket ${k} of the next job is exact`);
    next.release(k);
  }
  next.close();
  during.close();
});

t.test('two jobs on one thread: the one still working keeps the process alive after the other is done', async (t) => {
  // A process whose only pending work is the second read: the first job's end must not let it
  // exit (Worker#ref is a switch, not a count). Before the fix it exited 13 mid-read.
  const dist = new URL('../dist/inflate-pool.js', import.meta.url).href;
  const code = `
    import { deflateSync } from 'node:zlib';
    const { InflateJob } = await import(${JSON.stringify(dist)});
    const make = (n, size) => Array.from({ length: n }, (_, k) => {
      const raw = new Uint8Array(size + k).map((_, i) => (i * 7 + k) & 255);
      return { bytes: deflateSync(raw), expected: raw.length, decompress: () => raw };
    });
    const a = InflateJob.start('a.root', make(4, 25000), 2);
    const b = InflateJob.start('b.root', make(400, 60000), 2);
    await b.drained;
    a.close(); b.close();
    console.log('both drained');
  `;
  // A script file, run as a user runs one: under --eval the old pool's early exit did not show.
  const dir = mkdtempSync(join(tmpdir(), 'gluon-inflate-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const script = join(dir, 'two-jobs.mjs');
  writeFileSync(script, code);
  const r = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 120_000 });
  t.equal(r.status, 0, `exit status (stderr: ${r.stderr.slice(-300)})`);
  t.match(r.stdout, /both drained/);
});

t.test('many jobs at once on the same threads: every basket exact, every job drained, and no listener-leak warning', async (t) => {
  // Each job added a 'message' and an 'exit' listener to each thread until it was done: 11 reads
  // on threads at once made Node warn "Possible EventEmitter memory leak detected. 11 message
  // listeners added to [Worker]" (seen in CI's output, and with 12 reads of one branch at once).
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
  process.on('warning', onWarning);
  t.teardown(() => { process.off('warning', onWarning); });
  const sets = Array.from({ length: 16 }, () => payloads(Array.from({ length: 8 }, (_, k) => 10_000 + 101 * k)));
  const jobs = sets.map(({ payloads: ps }) => InflateJob.start('test.root', ps, 3)!);
  t.ok(jobs.every(Boolean), '16 jobs started on 2 threads');
  await Promise.all(jobs.map((j) => j.drained));
  sets.forEach(({ raw }, i) => {
    const job = jobs[i]!;
    for (let k = 0; k < raw.length; k++) {
      sameValues(t, job.take(k), raw[k], `job ${i}, basket ${k} is exact`);
      job.release(k);
    }
    job.close();
    t.equal(job.reports.length, 2, `job ${i}: both threads reported`);
  });
  // Warnings are emitted on a later tick.
  await new Promise((r) => setImmediate(r));
  t.same(warnings.filter((w) => w.startsWith('MaxListenersExceededWarning')), [], 'no MaxListenersExceededWarning');
});
