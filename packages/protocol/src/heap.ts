/**
 * A binary min-heap ordered by a `less` comparator (the item that should come out first is the
 * "least"). Shared by the scheduler's queue of runnable tasks and the worker's ready queue.
 *
 * Removal is lazy: there is no `remove(item)`. Callers mark an item dead and skip it when it
 * surfaces (`popWhere`), which keeps cancel, steal and free-keys O(1) even with tens of
 * thousands of queued items.
 */
export class Heap<T> {
  private items: T[] = [];
  /** The most items held since the array was last made anew (see {@link Heap.pop}). */
  private peak = 0;

  /** @param less true when `a` must come out before `b` */
  constructor(private readonly less: (a: T, b: T) => boolean) {}

  /** Items held, dead ones included. */
  get size(): number {
    return this.items.length;
  }

  /** Adds an item: O(log n). */
  push(item: T): void {
    const a = this.items;
    let i = a.length;
    a.push(item);
    if (i >= this.peak) this.peak = i + 1;
    // Sift up by moving parents down into the hole; the item is written once at the end.
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = a[p]!;
      if (!this.less(item, parent)) break;
      a[i] = parent;
      i = p;
    }
    a[i] = item;
  }

  /** The item that comes out first, without removing it. */
  peek(): T | undefined {
    return this.items[0];
  }

  /** Removes and returns the item that comes out first: O(log n). */
  pop(): T | undefined {
    const a = this.items;
    if (a.length === 0) return undefined;
    const top = a[0]!;
    const last = a.pop()!;
    const n = a.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        let m = l;
        if (l + 1 < n && this.less(a[l + 1]!, a[l]!)) m = l + 1;
        if (!this.less(a[m]!, last)) break;
        a[i] = a[m]!;
        i = m;
      }
      a[i] = last;
    }
    // Optimised code's pop() never shrinks an array's backing store (V8's own pop() does, but
    // TurboFan inlines it as a plain store and length change), so a queue that once held a
    // million tasks kept 8 MiB of empty slots for good: after the release of a 1M-task map, the
    // scheduler's one live leftover (bench/scheduler-heap.ts --shape=released). Once it is down
    // to a quarter of its peak, the items move to an array of their size: amortised O(1).
    if (n < this.peak >> 2 && this.peak > 1024) {
      this.items = a.slice();
      this.peak = n;
    }
    return top;
  }

  /** Pops until an item passes `live` and returns it; dead items on the way are dropped. */
  popWhere(live: (item: T) => boolean): T | undefined {
    while (this.items.length > 0) {
      const top = this.pop()!;
      if (live(top)) return top;
    }
    return undefined;
  }

  /** Drops every item. */
  clear(): void {
    this.items = [];
    this.peak = 0;
  }
}
