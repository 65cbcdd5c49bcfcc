import type { TaskSpec } from '@gluon/protocol';
import type { Future } from './future.js';

/**
 * A `map()` whose futures were handed out before their tasks were built. Building a task (its
 * key's hash, the spec, the hold and the lineage kept for reconnects) costs microseconds, so a
 * million of them at once would hold the event loop for seconds: the outbox builds them a slice
 * at a time, in order, as it sends. Anything that needs a future's key before then (its `key`,
 * passing it to another task) builds the map up to that future at once, which keeps the order:
 * what was built goes out with this map, ahead of whatever was submitted after it.
 */
export class LazyMap {
  /** Elements bound so far (their futures have a state). */
  next = 0;
  /**
   * Built and not yet taken by the outbox, in order. Each is a key this map started to hold
   * (a key held already needs neither spec nor want), so each travels with its want.
   */
  tasks: TaskSpec[] = [];
  private waiters: Array<{ index: number; resolve: () => void }> = [];

  constructor(
    readonly n: number,
    /** The futures handed out; dropped once bound (the caller holds them). */
    readonly futures: Array<Future | undefined>,
    /**
     * Binds elements from `next` up to `end` (exclusive), or fewer once `deadline`
     * (performance.now()) has passed; advances `next` and appends to `tasks`.
     */
    private readonly build: (job: LazyMap, end: number, deadline: number) => void,
  ) {}

  /** Tasks of this map not yet handed to the connection (built or not). */
  get unsent(): number {
    return this.n - this.next + this.tasks.length;
  }

  get done(): boolean {
    return this.next >= this.n && this.tasks.length === 0;
  }

  /** Binds every element up to and including `index` now. */
  bindThrough(index: number): void {
    if (index >= this.next) this.advance(index + 1, Infinity);
  }

  /** Resolves once the element at `index` is bound. */
  whenBound(index: number): Promise<void> {
    if (index < this.next) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ index, resolve }));
  }

  /** Up to `max` built tasks for one frame (building more as needed, until `deadline`). */
  take(max: number, deadline: number): TaskSpec[] {
    if (this.tasks.length < max && this.next < this.n) this.advance(Math.min(this.n, this.next + max - this.tasks.length), deadline);
    if (this.tasks.length <= max) {
      const all = this.tasks;
      this.tasks = [];
      return all;
    }
    const part = this.tasks.slice(0, max);
    this.tasks = this.tasks.slice(max);
    return part;
  }

  /** Forgets what was built and not sent (a reconnect re-sends it from the lineage). */
  dropBuilt(): void {
    this.tasks = [];
  }

  private advance(end: number, deadline: number): void {
    this.build(this, end, deadline);
    if (this.waiters.length === 0) return;
    const still: typeof this.waiters = [];
    for (const w of this.waiters) (w.index < this.next ? w.resolve() : still.push(w));
    this.waiters = still;
  }
}
