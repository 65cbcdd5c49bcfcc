/**
 * Decompression across threads for one read: the reading thread and `threads − 1` worker threads
 * share the read's baskets through shared memory (layout in inflate-job.ts), with no message per
 * basket. The reader decodes baskets in order; when the basket it needs is still being
 * decompressed by a thread, it decompresses the next unclaimed basket itself rather than wait
 * (into that basket's slot of the ring, as a thread would), so N threads stay busy until the last
 * basket.
 */
import { Worker } from 'node:worker_threads';
import { RootIOError } from './errors.js';
import { giveRing, takeRing, type Ring } from './ring-kernel.js';
import {
  CANCELLED, CLAIMED, CONTROL_WORDS, DONE, FAILED_AT, FREE, LAYOUT_WORDS, MINE, RELEASED, sharedNow, type DoneMessage, type JobMessage, type ThreadReport,
} from './inflate-job.js';
import { inflateBasket, jobFailed, jobViews, type JobViews } from './inflate-work.js';

/** A compressed basket payload, the size it decompresses to, and how to decompress it here. */
export interface Payload {
  bytes: Uint8Array;
  expected: number;
  /** Decompresses `bytes` on the calling thread; raises the error that names the file and offset. */
  decompress(): Uint8Array;
}

/** Decompressed bytes held in the ring, at most. */
const WINDOW_BYTES = 32 << 20;
/** Baskets above this size are decompressed by the reader: a slot that size would waste the ring. */
const MAX_SLOT_BYTES = 16 << 20;
/** A job needs this many baskets per thread to be worth starting threads for. */
const MIN_BASKETS_PER_THREAD = 2;
/** A claimed basket not finished after this long means its thread is gone. */
const STALL_MS = 60_000;

/** Jobs started so far in this process (a job's id). */
let jobs = 0;

/**
 * @internal Who decompressed the baskets of every job closed so far in this process (see
 * {@link InflateJob.stats}), and where the threads waited, for benchmarks. Counts of baskets:
 * `threads`, `reader` (when it reached them), `ahead` (the reader, while the threads were busy);
 * decompressed bytes of the baskets the job shared (not those only the reader could take:
 * stored, or too big for the ring): `threadBytes`, `readerBytes`; ms: `readerWaitMs` (the reader waiting for a
 * basket a thread was decompressing), and, summed over the threads of the jobs all of whose
 * threads have reported (`reported`), `threadStartMs` (from the job's start to a thread's first
 * basket), `ringWaitMs` (a thread waiting for the reader to free a slot of the ring) and
 * `threadEndMs` (from a thread's last basket to the job's close: the reader's share after it).
 */
export const jobTotals = {
  jobs: 0, threads: 0, reader: 0, ahead: 0, threadBytes: 0, readerBytes: 0, readerWaitMs: 0,
  reported: 0, threadStartMs: 0, ringWaitMs: 0, threadEndMs: 0,
};

/** Worker threads shared by every file of the process; they never keep the process alive. */
const threads: Worker[] = [];

/**
 * Each thread's jobs waiting for it to be done with them, by job id: its report, or null when the
 * thread is gone. One listener of each kind per thread hands them out: a listener per job made
 * Node warn of a leak ("11 message listeners added to [Worker]") at 11 reads on threads at once.
 */
const waiting = new Map<Worker, Map<number, (report: ThreadReport | null) => void>>();

function ensureThreads(n: number): Worker[] {
  while (threads.length < n) {
    const w = new Worker(new URL('./inflate-thread.js', import.meta.url));
    const jobsHere = new Map<number, (report: ThreadReport | null) => void>();
    waiting.set(w, jobsHere);
    w.on('message', (m: DoneMessage) => jobsHere.get(m.done)?.(m.report));
    // A thread that dies is replaced on the next job (a basket it had claimed stalls `take`).
    w.on('error', () => forget(w));
    w.on('exit', () => {
      forget(w);
      waiting.delete(w);
      for (const settle of [...jobsHere.values()]) settle(null);
    });
    // After the listeners: a 'message' listener refs the thread's port (hold/letGo switch it).
    w.unref();
    threads.push(w);
  }
  return threads.slice(0, n);
}

/**
 * Jobs each thread is working for. `Worker#ref`/`unref` are a switch, not a count: with two
 * jobs on one thread, the first to finish unref'd it while the second still had baskets there,
 * and a process waiting only on the second read exited mid-read (exit 13, a top-level await never
 * settled; inflate-pool.test's ring test ended "unfinished" under load).
 */
const working = new Map<Worker, number>();

function hold(w: Worker): void {
  const n = working.get(w) ?? 0;
  if (n === 0) w.ref();
  working.set(w, n + 1);
}

function letGo(w: Worker): void {
  const n = (working.get(w) ?? 1) - 1;
  if (n > 0) return void working.set(w, n);
  working.delete(w);
  w.unref();
}

function forget(w: Worker): void {
  const i = threads.indexOf(w);
  if (i >= 0) threads.splice(i, 1);
}

/**
 * One read's baskets, decompressed by `threads − 1` worker threads ahead of the reader and by the
 * reader itself. Use {@link InflateJob.start}; call {@link take} for basket k when decoding it,
 * {@link release} when done with what it returned, and {@link close} when the read ends.
 */
export class InflateJob {
  private readonly states: Int32Array;
  private readonly control: Int32Array;
  private readonly released: Uint8Array;
  private nextUnreleased = 0;
  /** The job's shared memory, as this thread sees it. */
  private readonly views: JobViews;
  /** Baskets the reader decompressed ahead (into their slots) while the threads were busy. */
  private readonly aheadDone: Uint8Array;
  /** No basket below this is FREE (the reader's scan for work to take ahead starts here). */
  private scan = 0;
  /** Whether a basket's failure ({@link FAILED_AT}) has been raised already (once is enough). */
  private failureRaised = false;
  /** Baskets `done[0]` up to (not with) `done[1]` are DONE: where {@link raiseFailure}'s scan resumes. */
  private readonly done = [0, 0];
  /**
   * Who decompressed the baskets taken so far: threads, or the reader (when reached, or ahead);
   * the bytes each side decompressed, and how long the reader waited for a thread's basket.
   */
  readonly stats = { threads: 0, reader: 0, ahead: 0, threadBytes: 0, readerBytes: 0, readerWaitMs: 0 };
  /** When the job started (ms, {@link sharedNow}). */
  readonly startedAt = sharedNow();
  /** What each thread reported when it was done with the job (all of them once {@link drained} has settled). */
  readonly reports: ThreadReport[] = [];
  /**
   * Settles when every thread has finished with this job (it has taken all it will): after
   * that, no thread touches the job's memory again.
   */
  readonly drained: Promise<void>;

  private constructor(
    private readonly path: string,
    private readonly payloads: Payload[],
    private readonly message: JobMessage,
    private readonly ring: Ring,
    helpers: Worker[],
  ) {
    // A thread holds the process open while it works on a job (close() ends that), not between.
    this.drained = Promise.all(helpers.map((w) => new Promise<void>((resolve) => {
      const jobsHere = waiting.get(w);
      // Gone already: it will take nothing of this job.
      if (!jobsHere) return resolve();
      hold(w);
      jobsHere.set(message.id, (report) => {
        jobsHere.delete(message.id);
        if (report) this.reports.push(report);
        letGo(w);
        resolve();
      });
    }))).then(() => {});
    this.states = new Int32Array(message.states);
    this.control = new Int32Array(message.control);
    this.released = new Uint8Array(payloads.length);
    this.aheadDone = new Uint8Array(payloads.length);
    this.views = jobViews(message);
  }

  /**
   * Starts decompressing `payloads` of the file at `path` (in the order they will be taken) on
   * `threads − 1` worker threads; null when the read is too small for that to pay off (the reader
   * then decompresses every basket itself, as with one thread). Payloads in a SharedArrayBuffer
   * are used where they are; others are copied into one.
   */
  static start(path: string, payloads: Payload[], threads: number): InflateJob | null {
    const helpers = threads - 1;
    const n = payloads.length;
    if (helpers < 1 || n < MIN_BASKETS_PER_THREAD * threads) return null;
    const eligible = (p: Payload) => p.bytes.length !== p.expected && p.expected <= MAX_SLOT_BYTES;
    let copyBytes = 0;
    let slotBytes = 0;
    for (const p of payloads) {
      if (!eligible(p)) continue;
      if (!(p.bytes.buffer instanceof SharedArrayBuffer)) copyBytes += p.bytes.length;
      slotBytes = Math.max(slotBytes, p.expected);
    }
    if (slotBytes === 0) return null;
    // Slots start at multiples of 8, so any typed array can view one.
    slotBytes = Math.ceil(slotBytes / 8) * 8;
    const window = Math.min(n, Math.max(2 * threads, Math.floor(WINDOW_BYTES / slotBytes)));
    const inputs: SharedArrayBuffer[] = [];
    const copies = copyBytes ? new Uint8Array(new SharedArrayBuffer(copyBytes)) : null;
    if (copies) inputs.push(copies.buffer as SharedArrayBuffer);
    const layout = new Int32Array(new SharedArrayBuffer(n * LAYOUT_WORDS * 4));
    const states = new Int32Array(new SharedArrayBuffer(n * 4));
    let copied = 0;
    for (let k = 0; k < n; k++) {
      const p = payloads[k]!;
      const w = k * LAYOUT_WORDS;
      if (!eligible(p)) {
        states[k] = MINE;
        continue;
      }
      if (p.bytes.buffer instanceof SharedArrayBuffer) {
        let b = inputs.indexOf(p.bytes.buffer);
        if (b < 0) b = inputs.push(p.bytes.buffer) - 1;
        layout[w] = b;
        layout[w + 1] = p.bytes.byteOffset;
      } else {
        copies!.set(p.bytes, copied);
        layout[w] = 0;
        layout[w + 1] = copied;
        copied += p.bytes.length;
      }
      layout[w + 2] = p.bytes.length;
      layout[w + 3] = p.expected;
    }
    const ring = takeRing(window, slotBytes);
    const message: JobMessage = {
      id: ++jobs, inputs, layout: layout.buffer as SharedArrayBuffer, states: states.buffer as SharedArrayBuffer,
      control: new SharedArrayBuffer(CONTROL_WORDS * 4), slots: ring.buffer, slotsAt: ring.at, window, slotBytes,
    };
    const workers = ensureThreads(helpers);
    const job = new InflateJob(path, payloads, message, ring, workers);
    for (const w of workers) w.postMessage(message);
    return job;
  }

  /**
   * Basket k's decompressed bytes if another thread (or this one, ahead of time) has them, or
   * null when the caller must decompress it itself: nobody had claimed it (it is now the
   * caller's), it is too big for the ring, or decompressing it failed (doing it again raises the
   * real error). Bytes in the ring ({@link inRing}) are valid until {@link release}.
   *
   * Once a basket of the job has failed (on a thread, or here ahead) and every basket from k to it
   * has been decompressed fine, this raises that basket's error instead: the read fails with it
   * at once, rather than decode on up to it. While one before it is still to be decompressed (it
   * may be damaged too, and would be the one a one-thread read names), the read goes on, the
   * threads with it, up to the failed basket.
   */
  take(k: number): Uint8Array | null {
    this.raiseFailure(k);
    if (this.settle(k) !== DONE) return null;
    if (!this.aheadDone[k]) {
      this.stats.threads++;
      this.stats.threadBytes += this.payloads[k]!.expected;
    }
    const m = this.message;
    return new Uint8Array(m.slots, m.slotsAt + (k % m.window) * m.slotBytes, this.payloads[k]!.expected);
  }

  /**
   * Basket k's state once nobody is working on it any more: claimed by the caller (MINE) when it
   * was free, else what the thread (or the reader ahead) made of it. While a thread works on it,
   * the caller does the next free basket itself rather than wait.
   */
  private settle(k: number): number {
    const states = this.states;
    if (Atomics.compareExchange(states, k, FREE, MINE) === FREE) {
      this.stats.reader++;
      this.stats.readerBytes += this.payloads[k]!.expected;
      return MINE;
    }
    let stalled = 0;
    while (Atomics.load(states, k) === CLAIMED) {
      if (this.takeAhead(k)) continue;
      if (stalled >= STALL_MS) throw new RootIOError(this.path, `a decompression thread stopped while decompressing basket ${k} of a read (waited ${STALL_MS / 1000} s)`);
      const from = sharedNow();
      Atomics.wait(states, k, CLAIMED, 1000);
      this.stats.readerWaitMs += sharedNow() - from;
      stalled += 1000;
    }
    const state = Atomics.load(states, k);
    // A thread stopped by a failure dropped its claim: the basket is the caller's.
    return state === FREE ? this.settle(k) : state;
  }

  /**
   * Raises the error of the job's first failed basket, if one has failed and every basket from k
   * to it is DONE: decompressed again here, it names the file and offset. A basket that a thread
   * could not decompress but this thread can (no known cause) raises nothing: the reader then
   * decompresses the rest itself.
   */
  private raiseFailure(k: number): void {
    const failed = Atomics.load(this.control, FAILED_AT);
    if (!failed || this.failureRaised) return;
    // A basket's state, once DONE, stays so: the scan resumes where the last one stopped.
    let j = k >= this.done[0]! ? Math.max(k, this.done[1]!) : k;
    while (j < failed - 1 && Atomics.load(this.states, j) === DONE) j++;
    if (j < failed - 1) {
      this.done[0] = k;
      this.done[1] = j;
      return;
    }
    this.failureRaised = true;
    this.payloads[failed - 1]!.decompress();
  }

  /** Whether `data` (from {@link take}) lives in the ring, i.e. is refilled after release. */
  inRing(data: Uint8Array): boolean {
    return data.buffer === this.message.slots;
  }

  /**
   * Claims and decompresses the first unclaimed basket after k into its slot, as a thread would;
   * false when there is none whose slot is free.
   */
  private takeAhead(k: number): boolean {
    if (Atomics.load(this.control, CANCELLED)) return false;
    const states = this.states;
    // Nothing at or after a failed basket is decompressed ahead (the read fails there).
    const failed = Atomics.load(this.control, FAILED_AT);
    const limit = Math.min(failed ? failed - 1 : states.length, this.nextUnreleased + this.views.window);
    let j = Math.max(this.scan, k + 1);
    while (j < limit && Atomics.load(states, j) !== FREE) j++;
    this.scan = j;
    if (j >= limit) return false;
    if (Atomics.compareExchange(states, j, FREE, CLAIMED) !== FREE) return true;
    this.stats.ahead++;
    this.stats.readerBytes += this.payloads[j]!.expected;
    this.aheadDone[j] = 1;
    const state = inflateBasket(this.views, j);
    Atomics.store(states, j, state);
    // A failure stops the threads after it, and is raised by take once nothing before it can fail.
    if (state !== DONE) jobFailed(this.control, j);
    return true;
  }

  /** The caller is done with basket k: its slot may be refilled. */
  release(k: number): void {
    this.released[k] = 1;
    let next = this.nextUnreleased;
    while (next < this.released.length && this.released[next]) next++;
    if (next === this.nextUnreleased) return;
    this.nextUnreleased = next;
    Atomics.store(this.control, RELEASED, next);
    Atomics.notify(this.control, RELEASED);
  }

  /**
   * Whether no thread touches the job's memory (its payloads, its ring) any more: no basket is
   * left to claim and none is being decompressed. A thread reads a payload and writes its slot only
   * between claiming a FREE basket and marking it done; so once every basket has been taken (a read
   * that ended as it should), the memory may be reused at once, before the threads' done messages
   * (taken in only on a later turn of the event loop) settle {@link drained}.
   */
  idle(): boolean {
    const states = this.states;
    for (let k = 0; k < states.length; k++) {
      const state = Atomics.load(states, k);
      if (state === FREE || state === CLAIMED) return false;
    }
    return true;
  }

  /**
   * Ends the job: threads stop taking its baskets (call when the read ends, however it ends, and
   * done with every basket {@link take} gave). Its ring is reused by a later job at once when
   * {@link idle}, else once the threads have finished with it: a read started right after this one
   * (the next batch of `iterate`, a loop of reads) would otherwise make a ring of its own, new pages.
   */
  close(): void {
    const closedAt = sharedNow();
    jobTotals.jobs++;
    jobTotals.threads += this.stats.threads;
    jobTotals.reader += this.stats.reader;
    jobTotals.ahead += this.stats.ahead;
    jobTotals.threadBytes += this.stats.threadBytes;
    jobTotals.readerBytes += this.stats.readerBytes;
    jobTotals.readerWaitMs += this.stats.readerWaitMs;
    Atomics.store(this.control, CANCELLED, 1);
    Atomics.notify(this.control, RELEASED);
    const ring = this.ring;
    const idle = this.idle();
    if (idle) giveRing(ring);
    void this.drained.then(() => {
      if (!idle) giveRing(ring);
      for (const r of this.reports) {
        jobTotals.ringWaitMs += r.ringWaitMs;
        if (!r.firstAt) continue;
        jobTotals.threadStartMs += r.firstAt - this.startedAt;
        jobTotals.threadEndMs += Math.max(0, closedAt - r.lastAt);
      }
      jobTotals.reported++;
    });
  }
}
