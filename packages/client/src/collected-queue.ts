/**
 * Keys whose futures the garbage collector found unreachable, their holds dropped a few per turn
 * of the event loop.
 *
 * V8 runs a FinalizationRegistry's callbacks for everything one major collection found, one after
 * another in a single task. A client that does not release its futures itself (`await
 * client.submit(f, x).result()`) has thousands of them by then, and dropping a hold costs ~1.5 µs
 * (the key's state and lineage forgotten): done in the callback, every collection held the event
 * loop for 3–50 ms, and a result that arrived meanwhile waited for all of it (bench/scheduler.ts
 * (b)'s slowest round trips: docs/internals.md, "(b) on a quiet machine"). The callback now only
 * queues the state (an array push); the holds are dropped {@link COLLECTED_SLICE} per turn, each
 * slice's keys leaving as one `release-keys`, so a message that arrives waits for one slice.
 */

/** Holds dropped per turn of the event loop: ~0.1 ms of work at ~1.5 µs each. */
export const COLLECTED_SLICE = 64;

export class CollectedQueue<T> {
  private queue: T[] = [];
  private head = 0;
  private scheduled = false;

  constructor(
    /** Drops one collected future's hold. */
    private readonly drop: (item: T) => void,
    /** After each slice: send what it released. */
    private readonly afterSlice: () => void,
    private readonly slice = COLLECTED_SLICE,
    /** How the next slice is scheduled: the next turn of the event loop. */
    private readonly later: (f: () => void) => void = setImmediate,
  ) {}

  /** Collected holds not yet dropped. */
  get pending(): number {
    return this.queue.length - this.head;
  }

  /** Queues `item` (from a FinalizationRegistry callback: nothing else is done there). */
  push(item: T): void {
    this.queue.push(item);
    if (!this.scheduled) {
      this.scheduled = true;
      this.later(this.drain);
    }
  }

  /** The client closed: its scheduler drops every key of a closed client, so the rest need nothing. */
  clear(): void {
    this.queue = [];
    this.head = 0;
  }

  private readonly drain = (): void => {
    const end = Math.min(this.queue.length, this.head + this.slice);
    for (; this.head < end; this.head++) this.drop(this.queue[this.head]!);
    if (end > 0) this.afterSlice();
    if (this.head < this.queue.length) {
      if (this.head >= 4096) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
      this.later(this.drain);
      return;
    }
    this.queue = [];
    this.head = 0;
    this.scheduled = false;
  };
}
