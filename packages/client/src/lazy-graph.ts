import type { TaskSpec } from '@gluon/protocol';
import { KeyState, type Future } from './future.js';

/** Placeholder keys of futures cancelled before their task was built (see LazyGraph.cancelledState). */
let unsentKeys = 0;

/** How a {@link LazyGraph} treats cancels and reconnects (its maker knows its units). */
export interface LazyGraphOptions {
  /** Keys built that units not yet built refer to (see {@link LazyGraph.openKeys}). */
  open?: () => Iterable<string>;
  /** What a unit is, for the message of a cancelled one (`map(): element`). */
  what?: string;
  /** Every unit feeds the last one (a tree: only its root has a future), so cancelling it cancels all. */
  feedsLast?: boolean;
  /** Unit i's key is known before it is built (a root built earlier as another's node): cancelled by its key. */
  keyed?: (index: number) => boolean;
}

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
 *
 * A unit cancelled before it was built is never built: it is marked here, and its future is
 * settled as cancelled (see {@link cancelUnit}). Keys cancelled while units were still to be
 * built are kept in {@link cancelledKeys}: a unit built later that depends on one is cancelled
 * as it is built, as the queued dependents of a cancelled key are.
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
  /**
   * Keys cancelled while units of this graph were still to be built (and their dropped queued
   * dependents): a unit that depends on one is cancelled when it is built.
   */
  cancelledKeys: Set<string> | undefined;
  /** Queued before a reconnect that re-sent the client's graph: its frames say `resend` too (GraphOutbox.replaceGraph). */
  resend = false;
  private waiters: Array<{ index: number; resolve: () => void }> = [];
  /** Units cancelled before they were built (1 each), made on first use. */
  private cancelled: Uint8Array | undefined;
  /** Units cancelled and not yet passed by {@link next}. */
  private cancelledAhead = 0;
  /** Set when the client closed with units still to build: they never will be (see {@link abandon}). */
  private lost: string | undefined;

  constructor(
    readonly n: number,
    /** The futures handed out, by unit (a tree has one, its root's); dropped once bound. */
    readonly futures: Array<Future | undefined>,
    /**
     * Builds units from `next` up to `end` (exclusive), or fewer once `deadline`
     * (performance.now()) has passed; advances `next` and appends to `tasks`.
     */
    private build: (job: LazyGraph, end: number, deadline: number) => void,
    private opts: LazyGraphOptions = {},
  ) {}

  /** Tasks of this graph not yet handed to the connection (built or not; cancelled units are not). */
  get unsent(): number {
    return this.n - this.next - this.cancelledAhead + this.tasks.length;
  }

  /** Unit `index` was cancelled before it was built. */
  isCancelled(index: number): boolean {
    return this.cancelled !== undefined && this.cancelled[index] === 1;
  }

  /**
   * Unit `index` will never be built: cancelled, or its client closed first. Its future is
   * settled (see {@link settledState}).
   */
  isSettled(index: number): boolean {
    return this.isCancelled(index) || (this.lost !== undefined && index >= this.next);
  }

  /** The state of a future whose unit will never be built ({@link isSettled}). */
  settledState(index: number): KeyState {
    if (this.isCancelled(index) || this.lost === undefined) return this.cancelledState(index);
    const state = LazyGraph.unsentState();
    state.disconnected(this.lost, `${this.opts.what ?? 'unit'} ${index}`);
    return state;
  }

  /**
   * The client closed (`reason`): the units not built yet never will be (a million of them built
   * only to fail held the closing client for seconds); their futures fail with the reason.
   */
  abandon(reason: string): void {
    if (this.next >= this.n) return;
    this.lost = reason;
    this.tasks = [];
    for (const w of this.waiters.splice(0)) w.resolve();
  }

  /**
   * Cancels unit `index`, not yet built: it never will be (with a tree, its root cancels every
   * unit still to be built). Whoever waits for its future is woken.
   */
  cancelUnit(index: number): void {
    if (index < this.next || this.isCancelled(index)) return;
    this.cancelled ??= new Uint8Array(this.n);
    const from = this.opts.feedsLast && index === this.n - 1 ? this.next : index;
    for (let i = from; i <= index; i++) {
      if (this.cancelled[i] === 1) continue;
      this.cancelled[i] = 1;
      this.cancelledAhead++;
    }
    if (this.waiters.length === 0) return;
    const still: typeof this.waiters = [];
    for (const w of this.waiters) (this.isCancelled(w.index) ? w.resolve() : still.push(w));
    this.waiters = still;
  }

  /** Unit `index` is still to be built and has no key yet: {@link cancelUnit} can drop it. */
  cancellable(index: number): boolean {
    return index >= this.next && !(this.opts.keyed?.(index) ?? false);
  }

  /** Called by the build as it reaches unit `index`: true if it was cancelled (and is to be skipped). */
  passCancelled(index: number): boolean {
    if (!this.isCancelled(index)) return false;
    this.cancelledAhead--;
    return true;
  }

  /**
   * The state of a future whose unit was cancelled before it was built: cancelled, with a
   * placeholder key (no task was ever made), its error naming the unit.
   */
  cancelledState(index: number): KeyState {
    const state = LazyGraph.unsentState();
    state.cancelled(`${this.opts.what ?? 'unit'} ${index}`);
    return state;
  }

  /** A state for a future whose task was never built (released or cancelled first): a placeholder key, `unsent-N`. */
  static unsentState(): KeyState {
    return new KeyState(`unsent-${++unsentKeys}`);
  }

  get done(): boolean {
    return (this.next >= this.n || this.lost !== undefined) && this.tasks.length === 0;
  }

  /**
   * Keys this graph built (and may have sent) that units still to be built refer to and nobody
   * holds: after a reconnect their specs are sent again from the lineage, ahead of the rest.
   */
  openKeys(): Iterable<string> {
    return this.next >= this.n ? [] : (this.opts.open?.() ?? []);
  }

  /** Builds every unit up to and including `index` now. */
  bindThrough(index: number): void {
    if (index >= this.next && this.lost === undefined) this.advance(index + 1, Infinity);
  }

  /** Resolves once the unit at `index` is built (or cancelled). */
  whenBound(index: number): Promise<void> {
    if (index < this.next || this.isSettled(index)) return Promise.resolve();
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
    if (this.next >= this.n) {
      // Built to the end. Futures of cancelled units still point here: keep only what they need.
      this.build = () => {};
      this.opts = { what: this.opts.what };
      this.futures.length = 0;
    }
    if (this.waiters.length === 0) return;
    const still: typeof this.waiters = [];
    for (const w of this.waiters) (w.index < this.next ? w.resolve() : still.push(w));
    this.waiters = still;
  }
}
