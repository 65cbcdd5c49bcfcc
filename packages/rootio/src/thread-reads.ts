/**
 * A 1-thread read's compressed bytes from a local file, read by one thread of their own
 * (read-thread.ts), one pread at a time, in the order the decode needs them.
 *
 * Why: non-blocking reads are libuv pool jobs, and a read that issues all its preads at once
 * (bench/rootio.ts's 7 branches: 60) has the pool's four threads copying from the page cache
 * at once; on a 2-core machine the reading thread, decoding beside them, then runs at about 2/5
 * of a core until they are done (the first ~25 ms). Issued one at a time from the event loop,
 * the next pread would wait for the decode of a whole branch (~100 ms) to end. One thread that
 * reads the runs one after another keeps one copy going on the other core and none on this one.
 */
import { Worker } from 'node:worker_threads';
import { RootFormatError, RootIOError } from './errors.js';
import { CURSOR, DONE, FAILED, RUNS, STOP, type FaultJob, type ReadJob, type ReadJobEnd } from './read-thread-job.js';
import { readRun, runFailed, type RunFailure } from './read-run.js';

/**
 * Reads of fewer bytes than this are made the usual way (libuv's pool): a small read's copy is over
 * before it competes with anything. @internal `minReadBytes` and `jobs` are for tests and benchmarks.
 */
export const readThreadStats = { minReadBytes: 4 << 20, jobs: 0 };

/** Atomics.waitAsync (Node ≥ 16; not in this TypeScript's lib). */
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync.bind(Atomics);
type WaitAsync = (a: Int32Array, index: number, value: number) => { async: boolean; value: Promise<string> | string };

let thread: Worker | null = null;
let online = false;
/** The thread could not be made, or ended before it was up: it is not tried again. */
let unavailable = false;
/** Settles when the thread now starting is up (or gone). */
let up: Promise<void> = Promise.resolve();
let ids = 0;
/** The jobs posted to the thread and not yet ended, by id: how each settles. */
const pending = new Map<number, (end: ReadJobEnd) => void>();
/** Memory posted to the thread to fault in and not yet back, by job id: how each settles (null: lost with the thread). */
const faulting = new Map<number, (back: ArrayBuffer[] | null) => void>();

/**
 * Whether the reading thread is up to take a job now. The first call starts it (some 20 ms, on its
 * own thread) and says no: that read is made the usual way, and later ones go to the thread.
 */
export function readThreadReady(): boolean {
  if (thread) return online;
  if (unavailable) return false;
  let w: Worker;
  try {
    w = new Worker(new URL('./read-thread.js', import.meta.url));
  } catch {
    // Where no thread can be made, reads stay on the pool, as before.
    unavailable = true;
    return false;
  }
  thread = w;
  up = new Promise((resolve) => {
    w.once('online', () => {
      if (thread === w) online = true;
      resolve();
    });
    w.once('exit', () => resolve());
  });
  w.on('message', (end: ReadJobEnd | FaultJob) => ('fault' in end ? faulted(end.id, end.fault) : settle(end)));
  const gone = (err?: Error) => {
    if (thread !== w) return;
    // One that never came up is not started again: reads stay on the pool.
    if (!online) unavailable = true;
    thread = null;
    online = false;
    // A thread that is gone ends every job it held (the next read starts another).
    for (const id of [...pending.keys()]) settle({ id, error: { message: `the reading thread stopped${err ? ` (${err.message})` : ''}` } });
    for (const id of [...faulting.keys()]) faulted(id, null);
  };
  w.on('error', gone);
  w.on('exit', () => gone());
  // It keeps the process alive only while it has a job (see ThreadRead). After the listeners: a
  // 'message' listener added later refs the thread's port again, and a process whose read had
  // started the thread never ended.
  w.unref();
  return false;
}

/** @internal For tests: starts the reading thread when it is not running, and settles once it is up (or gone). */
export function readThreadUp(): Promise<void> {
  readThreadReady();
  const w = thread;
  if (!w || online) return up;
  // Held open while someone waits for it to come up (an unref'd thread starting would not).
  w.ref();
  return up.then(() => {
    if (thread === w && idle()) w.unref();
  });
}

/** @internal For tests: ends the reading thread at once, as a crash would (its jobs end; memory it holds is lost). */
export async function endReadThread(): Promise<void> {
  await thread?.terminate();
}

/** No job posted to the thread is under way: it need not hold the process open. */
function idle(): boolean {
  return pending.size === 0 && faulting.size === 0;
}

function settle(end: ReadJobEnd): void {
  const done = pending.get(end.id);
  if (!done) return;
  pending.delete(end.id);
  if (idle()) thread?.unref();
  done(end);
}

function faulted(id: number, back: ArrayBuffer[] | null): void {
  const done = faulting.get(id);
  if (!done) return;
  faulting.delete(id);
  if (idle()) thread?.unref();
  done(back);
}

/**
 * Has the reading thread fault `buffers` in (column-prefault.ts): they are transferred to it, each
 * page written once there, and transferred back. Resolves with them (new ArrayBuffers over the
 * same memory; the ones given are detached from the call on), or null when the thread went away
 * with them. Returns null, leaving them untouched, when the thread is not up or they cannot be
 * transferred.
 */
export function faultInOnReadingThread(buffers: ArrayBuffer[]): Promise<ArrayBuffer[] | null> | null {
  if (!thread || !online) return null;
  const id = ++ids;
  const back = new Promise<ArrayBuffer[] | null>((resolve) => faulting.set(id, resolve));
  try {
    thread.postMessage({ id, fault: buffers } satisfies FaultJob, buffers);
  } catch {
    // Not transferable (nothing was sent): made the other way.
    faulting.delete(id);
    return null;
  }
  thread.ref();
  return back;
}

/**
 * One read's ranges, read in the order given into `into` (shared memory with room for all of
 * them, one after another), by the reading thread and, for the next ones it needs when the thread
 * has not got to them yet, by the asking thread ({@link help}); ranges next to each other in the
 * file are one pread (a run). Use {@link views} once {@link until} has said they are in.
 */
export class ThreadRead {
  /** Each range's bytes in `into` (valid once {@link until} for it has resolved). */
  readonly views: Uint8Array[] = [];
  /**
   * Settles (it never rejects) when the reading thread no longer touches the memory: no run left
   * to claim, the read stopped, or failed.
   */
  readonly finished: Promise<void>;
  private end: ReadJobEnd | null = null;
  /** Why a run this thread read failed. */
  private own: Error | null = null;
  private readonly words: Int32Array;
  private readonly runs: Float64Array;
  private readonly memory: Uint8Array;
  /** The run (pread) holding each range. */
  private readonly runOf: Int32Array;

  /** @internal Made by LocalSource.readInOrder, which checks the ranges against the file. */
  constructor(private readonly path: string, private readonly fd: number, ranges: ReadonlyArray<readonly [number, number]>, into: Uint8Array) {
    if (!(into.buffer instanceof SharedArrayBuffer)) throw new TypeError('ThreadRead: the memory must be shared');
    this.memory = new Uint8Array(into.buffer);
    this.runOf = new Int32Array(ranges.length);
    const runs: number[] = [];
    let at = into.byteOffset;
    for (let i = 0; i < ranges.length; i++) {
      const [offset, length] = ranges[i]!;
      if (at + length > into.byteOffset + into.length) throw new RangeError(`ThreadRead: ${into.length} bytes of room are too few`);
      this.views.push(new Uint8Array(into.buffer, at, length));
      const n = runs.length;
      // Next to the run before, in the file and in the memory: one pread.
      if (n && runs[n - 3]! + runs[n - 2]! === offset) runs[n - 2]! += length;
      else runs.push(offset, length, at);
      this.runOf[i] = runs.length / 3 - 1;
      at += length;
    }
    this.runs = Float64Array.from(runs);
    this.words = new Int32Array(new SharedArrayBuffer((RUNS + this.runs.length / 3) * 4));
    const id = ++ids;
    readThreadStats.jobs++;
    this.finished = new Promise<void>((resolve) => {
      pending.set(id, (end) => {
        this.end = end;
        resolve();
      });
    });
    if (!thread) {
      // Gone since it said it was ready: the runs are read by help() (see until()).
      settle({ id });
      return;
    }
    thread.ref();
    thread.postMessage({ id, fd, runs: this.runs, memory: into.buffer as SharedArrayBuffer, words: this.words.buffer as SharedArrayBuffer } satisfies ReadJob);
  }

  /** Resolves once ranges `from`..`to` are in (this only waits: see {@link help}); rejects with why they will not be. */
  async until(from: number, to: number): Promise<void> {
    const w = this.words;
    for (let k = this.runOf[from]!; k <= this.runOf[to]!; k++) {
      while (Atomics.load(w, RUNS + k) !== DONE) {
        if (this.own) throw this.own;
        if (Atomics.load(w, FAILED)) {
          await this.finished;
          throw this.own ?? this.failure();
        }
        // The thread ended without reading it (it was gone: an ended job leaves no run unread
        // unless stopped), so nobody else will: read here.
        if (this.end && !Atomics.load(w, STOP)) {
          this.readHere(k);
          continue;
        }
        if (this.end) throw new RootIOError(this.path, 'the read was stopped before these bytes were read');
        const wait = waitAsync(w, RUNS + k, 0);
        if (wait.async) await Promise.race([wait.value, this.finished]);
      }
    }
  }

  /**
   * Reads here, with blocking preads, the runs up to range `to` that the reading thread has not
   * claimed yet: the caller is about to wait for them and would do nothing else meanwhile (the
   * thread may not even have woken up yet). Never raises: a failure is raised by {@link until}.
   */
  help(to: number): void {
    const w = this.words;
    const k = this.runOf[to]!;
    while (!this.own && !Atomics.load(w, STOP) && !Atomics.load(w, FAILED)) {
      const c = Atomics.load(w, CURSOR);
      if (c > k) return;
      if (Atomics.compareExchange(w, CURSOR, c, c + 1) === c) this.readHere(c);
    }
  }

  /** Reads run `k` on this thread; a failure stops the read and is kept for {@link until}. */
  private readHere(k: number): void {
    const failure = readRun(this.fd, this.runs, k, this.memory, this.words);
    if (!failure) return;
    this.own = this.errorOf(failure);
    Atomics.store(this.words, STOP, 1);
    runFailed(this.words);
  }

  /**
   * Whether every range has been read: then nobody touches the memory again (the thread may still
   * be about to find no run left), without waiting for {@link finished}'s message, which is taken
   * in only on a turn of the event loop.
   */
  allRead(): boolean {
    for (let k = RUNS; k < this.words.length; k++) if (Atomics.load(this.words, k) !== DONE) return false;
    return true;
  }

  /** Reads no further range (the read that asked for them failed): {@link finished} then settles soon. */
  stop(): void {
    Atomics.store(this.words, STOP, 1);
  }

  private failure(): Error {
    return this.end && (this.end.endedAt !== undefined || this.end.error) ? this.errorOf(this.end as RunFailure) : new RootIOError(this.path, 'reading bytes failed');
  }

  private errorOf(f: RunFailure): Error {
    if ('endedAt' in f) return new RootFormatError(this.path, f.endedAt, 'the file ended early (truncated while open?)');
    return Object.assign(new RootIOError(this.path, `reading bytes failed: ${f.error.message}`), f.error.code ? { code: f.error.code } : {});
  }
}
