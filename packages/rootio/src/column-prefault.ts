/**
 * Fresh memory for a read's columns, its pages faulted in on another thread while the reading
 * thread inflates the branch before. A column handed out is new memory, and the kernel faults
 * each new page in on first write: for the 245 MB of bench/rootio.ts's 7 branches, ~140 ms of the
 * reading thread's time (page faults cannot be avoided, only reused memory has none; see
 * column-memory.ts). Another thread taking those faults first leaves the reading thread writing
 * into pages that are there; it is the reading thread's time that is saved, the wall time of a
 * read with a core to spare.
 *
 * Where the read's bytes come from the reading thread (thread-reads.ts), the memory is sent there,
 * transferred (never copied), one byte of each page written, and sent back: one thread at the
 * lowest priority, writing each page once. Otherwise zeros are read into it from /dev/zero on
 * libuv's pool (each page zeroed twice, by the fault and by the read; on up to four threads at the
 * process's priority, which on a 2-core machine preempted the decoding thread 15–40 ms a read).
 *
 * Nothing may write a column before its memory is back, faulted in (a read of zeros would
 * overwrite it; memory on the other thread cannot even be reached): a branch's memory is handed
 * out only then ({@link Prefault.memory}).
 */
import { closeSync, openSync, read } from 'node:fs';
import { ColumnMemory } from './column-memory.js';
import { faultInOnReadingThread } from './thread-reads.js';
import { allocate, ELEMENT_SIZE, typedView, type ElementType, type TypedArray } from './types.js';

/** Columns under this are left to the decode: a pool job and its promise cost some 10–20 µs, faulting in ~0.5 ms a MB. */
export const PREFAULT_MIN_BYTES = 1 << 20;

/** One branch's columns, allocated and being faulted in. */
export interface Prefault {
  /**
   * Their memory, once every read of zeros into it has settled (it never rejects): there is no
   * way to it before, when a write could still be overwritten.
   */
  memory: Promise<ColumnMemory>;
  bytes: number;
}

/**
 * Reads of fewer compressed bytes than this fault nothing in ahead. glibc gives freed memory back
 * to the kernel only past its trim threshold (at most 2 × its 32 MiB largest mmap threshold), so
 * the columns of smaller reads, one after another, are mostly memory malloc kept, with no faults
 * to take: there the reads of zeros were only extra work (`iterate` in steps of 100,000 entries
 * over bench/rootio.ts's 7 branches, each batch ~9 MB compressed: wall ×1.048, CPU ×1.076).
 */
export const PREFAULT_MIN_READ_BYTES = 64 << 20;

/** @internal For tests: reads of zeros (or memory on the reading thread) started and not yet settled, bytes faulted in so far (`onThread`: of them, by the reading thread), the two thresholds, how many sizes guessed before a branch's headers were in (tree.ts) proved right and wrong, `guessAlways`: guess every later branch's sizes, in or not (whether bytes are in when a branch starts depends on the machine), and how many branches' bytes a read waited for to fault their columns in ahead (tree.ts). */
export const prefaultStats = { inFlight: 0, bytes: 0, onThread: 0, minBytes: PREFAULT_MIN_BYTES, minReadBytes: PREFAULT_MIN_READ_BYTES, guesses: { right: 0, wrong: 0 }, guessAlways: false, waited: 0 };

/**
 * The prefaults of one read, sharing one descriptor of /dev/zero, opened on first use and closed by
 * {@link Prefaulter.close} once every read has settled. Where there is no /dev/zero, nothing is
 * prefaulted (`start` returns null).
 */
export class Prefaulter {
  private fd: number | null | undefined;
  private readonly pending: Array<Promise<unknown>> = [];

  /** Allocates arrays of these sizes and starts faulting them in; null when too small or impossible. */
  start(sizes: Array<[ElementType, number]>): Prefault | null {
    const large = sizes.filter(([type, n]) => n * ELEMENT_SIZE[type] >= prefaultStats.minBytes);
    if (large.length === 0) return null;
    const arrays = large.map(([type, n]) => allocate(type, n));
    const bytes = arrays.reduce((sum, a) => sum + a.byteLength, 0);
    const memory = this.onThread(large, arrays, bytes) ?? this.fromZeros(arrays);
    if (!memory) return null;
    this.pending.push(memory);
    return { memory, bytes };
  }

  /** On the reading thread, when it is up (null when it is not: `arrays` are then untouched). */
  private onThread(large: Array<[ElementType, number]>, arrays: TypedArray[], bytes: number): Promise<ColumnMemory> | null {
    const back = faultInOnReadingThread(arrays.map((a) => a.buffer as ArrayBuffer));
    if (!back) return null;
    prefaultStats.inFlight++;
    return back.then((buffers) => {
      prefaultStats.inFlight--;
      if (buffers) {
        prefaultStats.bytes += bytes;
        prefaultStats.onThread += bytes;
      }
      // Lost with the thread (it stopped): memory of its own, not faulted in.
      return new ColumnMemory(large.map(([type, n], i) => (buffers ? typedView(type, buffers[i]!, 0, n) : allocate(type, n))));
    });
  }

  /** By reads of /dev/zero on libuv's pool: null where there is no /dev/zero. */
  private fromZeros(arrays: TypedArray[]): Promise<ColumnMemory> | null {
    if (this.fd === undefined) {
      try {
        this.fd = openSync('/dev/zero', 'r');
      } catch {
        this.fd = null;
      }
    }
    if (this.fd === null) return null;
    const fd = this.fd;
    return Promise.all(arrays.map((a) => zeros(fd, new Uint8Array(a.buffer, a.byteOffset, a.byteLength)))).then(() => new ColumnMemory(arrays));
  }

  /** Closes the descriptor once every read of zeros started here has settled. */
  async close(): Promise<void> {
    await Promise.all(this.pending);
    if (typeof this.fd === 'number') closeSync(this.fd);
    this.fd = null;
  }
}

/** Reads zeros into all of `b` on libuv's pool; resolves when done, or at the first error (the memory is then only not faulted in). */
function zeros(fd: number, b: Uint8Array): Promise<void> {
  prefaultStats.inFlight++;
  return new Promise((resolve) => {
    let done = 0;
    const next = (): void => {
      read(fd, b, done, b.length - done, null, (err, n) => {
        done += err ? 0 : n;
        if (err || n === 0 || done >= b.length) {
          prefaultStats.inFlight--;
          prefaultStats.bytes += done;
          resolve();
        } else next();
      });
    };
    next();
  });
}
