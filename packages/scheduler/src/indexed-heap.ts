/**
 * A binary heap whose items can be updated or removed in place (each knows its slot): for
 * keys that change, such as a worker's load. Every operation is O(log n); `peek` is O(1).
 */
export class IndexedHeap<T> {
  private readonly items: T[] = [];
  private readonly slot = new Map<T, number>();

  /** @param before true when `a` must come out before `b` (a strict order: ties broken by the caller) */
  constructor(private readonly before: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  has(item: T): boolean {
    return this.slot.has(item);
  }

  /** The item that comes out first. */
  peek(): T | undefined {
    return this.items[0];
  }

  /**
   * Up to `k` items in the order they would come out, without taking them out: a walk down the
   * heap from the root, always to the best item seen and not yet listed. O(k²) comparisons,
   * for a small `k`.
   */
  first(k: number): T[] {
    const a = this.items;
    const out: T[] = [];
    const seen: number[] = a.length > 0 ? [0] : [];
    while (out.length < k && seen.length > 0) {
      let best = 0;
      for (let i = 1; i < seen.length; i++) if (this.before(a[seen[i]!]!, a[seen[best]!]!)) best = i;
      const at = seen[best]!;
      seen[best] = seen[seen.length - 1]!;
      seen.pop();
      out.push(a[at]!);
      const l = 2 * at + 1;
      if (l < a.length) seen.push(l);
      if (l + 1 < a.length) seen.push(l + 1);
    }
    return out;
  }

  /**
   * The first item, in the order they would come out, for which `wanted` holds, looking only at
   * items for which `promising` holds. `promising` must hold for a prefix of the order only (once
   * false for an item, false for every item after it): the walk skips the whole subtree below an
   * item that is not promising, or that comes after a wanted item already found. O(v) for the v
   * promising items looked at; the top alone (the usual answer) allocates nothing.
   */
  firstWhere(wanted: (item: T) => boolean, promising: (item: T) => boolean): T | undefined {
    const a = this.items;
    if (a.length === 0 || !promising(a[0]!)) return undefined;
    if (wanted(a[0]!)) return a[0];
    let found: T | undefined;
    const stack: number[] = [];
    for (let c = 1; c <= 2 && c < a.length; c++) stack.push(c);
    while (stack.length > 0) {
      const at = stack.pop()!;
      const item = a[at]!;
      // Below an item, everything comes after it (the heap's order).
      if (!promising(item) || (found !== undefined && !this.before(item, found))) continue;
      if (wanted(item)) {
        found = item;
        continue;
      }
      const l = 2 * at + 1;
      if (l < a.length) stack.push(l);
      if (l + 1 < a.length) stack.push(l + 1);
    }
    return found;
  }

  /** Adds the item, or restores its place if its key changed. */
  update(item: T): void {
    const i = this.slot.get(item);
    if (i === undefined) {
      this.items.push(item);
      this.slot.set(item, this.items.length - 1);
      this.up(this.items.length - 1);
    } else if (!this.up(i)) {
      this.down(i);
    }
  }

  delete(item: T): void {
    const i = this.slot.get(item);
    if (i === undefined) return;
    this.slot.delete(item);
    const last = this.items.pop()!;
    if (i === this.items.length) return;
    this.items[i] = last;
    this.slot.set(last, i);
    if (!this.up(i)) this.down(i);
  }

  /** Moves the item at `i` towards the root while it comes out before its parent; true if it moved. */
  private up(i: number): boolean {
    const a = this.items;
    const item = a[i]!;
    const from = i;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(item, a[p]!)) break;
      a[i] = a[p]!;
      this.slot.set(a[i]!, i);
      i = p;
    }
    a[i] = item;
    this.slot.set(item, i);
    return i !== from;
  }

  private down(i: number): void {
    const a = this.items;
    const n = a.length;
    const item = a[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && this.before(a[r]!, a[l]!) ? r : l;
      if (!this.before(a[c]!, item)) break;
      a[i] = a[c]!;
      this.slot.set(a[i]!, i);
      i = c;
    }
    a[i] = item;
    this.slot.set(item, i);
  }
}
