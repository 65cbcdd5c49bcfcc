/**
 * Fresh memory for a read's columns, its pages faulted in on libuv's thread pool while the
 * reading thread inflates the branch before. A column handed out is new memory, and the kernel
 * faults each new page in on first write: for the 245 MB of bench/rootio.ts's 7 branches, ~140 ms
 * of the reading thread's time (page faults cannot be avoided, only reused memory has none; see
 * column-memory.ts). A read of /dev/zero into the memory takes those faults on a pool thread
 * instead, as the file reads do (tree.ts): the reading thread then writes into pages that are
 * there. The pages are zeroed twice (by the fault, then by the read), which costs no more CPU
 * time in all than the faults did (measured: the same within 3%); it is the reading thread's time
 * that is saved, the wall time of a read with a core to spare.
 *
 * Nothing may write a column before its read of zeros has settled (it would be overwritten): a
 * branch's memory is handed out only then ({@link Prefault.memory}).
 */
import { closeSync, openSync, read } from 'node:fs';
import { ColumnMemory } from './column-memory.js';
import { allocate, ELEMENT_SIZE, type ElementType, type TypedArray } from './types.js';

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

/** @internal For tests: reads of zeros started and not yet settled, bytes faulted in so far, the two thresholds, how many sizes guessed before a branch's headers were in (tree.ts) proved right and wrong, `guessAlways`: guess every later branch's sizes, in or not (whether bytes are in when a branch starts depends on the machine), and how many branches' bytes a read waited for to fault their columns in ahead (tree.ts). */
export const prefaultStats = { inFlight: 0, bytes: 0, minBytes: PREFAULT_MIN_BYTES, minReadBytes: PREFAULT_MIN_READ_BYTES, guesses: { right: 0, wrong: 0 }, guessAlways: false, waited: 0 };

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
    if (this.fd === undefined) {
      try {
        this.fd = openSync('/dev/zero', 'r');
      } catch {
        this.fd = null;
      }
    }
    if (this.fd === null) return null;
    const fd = this.fd;
    const arrays: TypedArray[] = [];
    let bytes = 0;
    for (const [type, n] of large) {
      const a = allocate(type, n);
      arrays.push(a);
      bytes += a.byteLength;
    }
    const memory = Promise.all(arrays.map((a) => zeros(fd, new Uint8Array(a.buffer, a.byteOffset, a.byteLength)))).then(() => new ColumnMemory(arrays));
    this.pending.push(memory);
    return { memory, bytes };
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
