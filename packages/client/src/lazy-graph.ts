import type { TaskSpec } from '@gluon/protocol';
import type { Future } from './future.js';

/**
 * A graph whose futures were handed out before its tasks were built: a large `map()`,
 * `persist()` or `treeReduce()`. Building a task (its arguments' walk, its key's hash, the
 * spec, the hold and the lineage kept for reconnects) costs microseconds, so a million of them
 * at once would hold the event loop for seconds: the outbox builds them a slice at a time, in
 * order, as it sends. The graph is a sequence of units (a map's elements, persist's roots, a
 * tree's nodes level by level), each built after the ones it may depend on. Anything that
 * needs a future's key before then (its `key`, passing it to a task built at once) builds the
 * graph up to that future at once, which keeps the order: what was built goes out with this
 * graph, ahead of whatever was submitted after it.
 */
export class LazyGraph {
  /** Units built so far (their futures have a state). */
  next = 0;
  /**
   * Built and not yet taken by the outbox, in order. Each travels with its want (a key this
   * graph started to hold) unless it is in {@link unwanted}.
   */
  tasks: TaskSpec[] = [];
  /** Keys among `tasks` nobody holds (a tree's inner nodes, nested graph nodes): sent without a want. */
  readonly unwanted = new Set<string>();
  private waiters: Array<{ index: number; resolve: () => void }> = [];

  constructor(
    readonly n: number,
    /** The futures handed out, by unit (a tree has one, its root's); dropped once bound. */
    readonly futures: Array<Future | undefined>,
    /**
     * Builds units from `next` up to `end` (exclusive), or fewer once `deadline`
     * (performance.now()) has passed; advances `next` and appends to `tasks`.
     */
    private readonly build: (job: LazyGraph, end: number, deadline: number) => void,
    /** Keys built that units not yet built refer to (see {@link openKeys}). */
    private readonly open: () => Iterable<string> = () => [],
  ) {}

  /** Tasks of this graph not yet handed to the connection (built or not). */
  get unsent(): number {
    return this.n - this.next + this.tasks.length;
  }

  get done(): boolean {
    return this.next >= this.n && this.tasks.length === 0;
  }

  /**
   * Keys this graph built (and may have sent) that units still to be built refer to and nobody
   * holds: after a reconnect their specs are sent again from the lineage, ahead of the rest.
   */
  openKeys(): Iterable<string> {
    return this.next >= this.n ? [] : this.open();
  }

  /** Builds every unit up to and including `index` now. */
  bindThrough(index: number): void {
    if (index >= this.next) this.advance(index + 1, Infinity);
  }

  /** Resolves once the unit at `index` is built. */
  whenBound(index: number): Promise<void> {
    if (index < this.next) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ index, resolve }));
  }

  /** Up to `max` built tasks for one frame (building more as needed, until `deadline`), with their wants. */
  take(max: number, deadline: number): { tasks: TaskSpec[]; wants: string[] } {
    if (this.tasks.length < max && this.next < this.n) this.advance(Math.min(this.n, this.next + max - this.tasks.length), deadline);
    let tasks: TaskSpec[];
    if (this.tasks.length <= max) {
      tasks = this.tasks;
      this.tasks = [];
    } else {
      tasks = this.tasks.slice(0, max);
      this.tasks = this.tasks.slice(max);
    }
    if (this.unwanted.size === 0) return { tasks, wants: tasks.map((t) => t.key) };
    const wants: string[] = [];
    for (const t of tasks) if (!this.unwanted.delete(t.key)) wants.push(t.key);
    return { tasks, wants };
  }

  /** Forgets what was built and not sent (a reconnect re-sends it from the lineage). */
  dropBuilt(): void {
    this.tasks = [];
    this.unwanted.clear();
  }

  private advance(end: number, deadline: number): void {
    this.build(this, end, deadline);
    if (this.waiters.length === 0) return;
    const still: typeof this.waiters = [];
    for (const w of this.waiters) (w.index < this.next ? w.resolve() : still.push(w));
    this.waiters = still;
  }
}
