import type { Future } from './future.js';

/** A slice of releases also ends once it has taken this long (as a graph slice does). */
const SLICE_MS = 50;

/**
 * Paces the releases of futures as the outbox paces a graph. Dropping a future's hold costs
 * ~1.5 µs (the collector's registration undone, the key's state and lineage forgotten), so
 * `client.release()` of a million futures held the event loop for seconds and sent one
 * `release-keys` of a million keys. Here a turn of the event loop drops at most `sliceSize`
 * futures (or {@link SLICE_MS} of work); the rest wait, in order, for the next turns, and each
 * slice's keys leave as one message (`afterSlice`). A small release is done at once, as before.
 *
 * A future waiting here is already released for its caller (`isReleased`, `result()` refuses);
 * only its hold stays a little longer, which changes nothing the scheduler can see but the time:
 * a key submitted again meanwhile is still held, so it is reused rather than recomputed.
 */
export class ReleaseQueue {
  private queue: Future[] = [];
  private head = 0;
  /** Releases done in this turn of the event loop, and when the turn's first began. */
  private used = 0;
  private since = 0;
  private draining = false;
  private waiters: Array<() => void> = [];

  constructor(
    /** Drops one future's hold now. */
    private readonly drop: (future: Future) => void,
    private readonly sliceSize: number,
    /** After each slice done by the queue: send what it released. */
    private readonly afterSlice: () => void,
  ) {}

  /** Futures released and not yet dropped. */
  get pending(): number {
    return this.queue.length - this.head;
  }

  /** Drops `future`'s hold now if this turn has room for it, else queues it behind the others. */
  push(future: Future): void {
    if (this.pending === 0 && this.room()) {
      this.drop(future);
      return;
    }
    this.queue.push(future);
    if (!this.draining) {
      this.draining = true;
      setImmediate(this.drain);
    }
  }

  /** Resolves once every release made so far has been done. */
  whenDone(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((r) => this.waiters.push(r));
  }

  /** The client closed: its scheduler drops every key of a closed client, so the rest need no message. */
  clear(): void {
    this.queue = [];
    this.head = 0;
    for (const w of this.waiters.splice(0)) w();
  }

  /** Room for one more release in this turn; the count starts again at the next turn. */
  private room(): boolean {
    if (this.used === 0) {
      this.since = performance.now();
      setImmediate(() => (this.used = 0));
    } else if (this.used >= this.sliceSize || ((this.used & 255) === 0 && performance.now() - this.since > SLICE_MS)) {
      return false;
    }
    this.used++;
    return true;
  }

  private readonly drain = (): void => {
    const t0 = performance.now();
    const end = Math.min(this.queue.length, this.head + this.sliceSize);
    let i = this.head;
    for (; i < end; i++) {
      // The clock is read every 256 releases; at least one is done per turn.
      if ((i & 255) === 0 && i > this.head && performance.now() - t0 > SLICE_MS) break;
      this.drop(this.queue[i]!);
    }
    this.head = i;
    this.afterSlice();
    if (this.head < this.queue.length) {
      if (this.head > 65_536) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
      setImmediate(this.drain);
      return;
    }
    this.queue = [];
    this.head = 0;
    this.draining = false;
    for (const w of this.waiters.splice(0)) w();
  };
}
