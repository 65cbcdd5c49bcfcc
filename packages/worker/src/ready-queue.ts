/**
 * The worker's ready queue: a binary min-heap by priority, then arrival order. Removal (steal,
 * free-keys) is lazy — the caller marks an item dead and `pop` skips it — so every operation
 * is O(log n) even when the scheduler sends tens of thousands of tasks at once.
 */
export class ReadyQueue<T extends { priority: number[]; seq: number }> {
  private heap: T[] = [];
  private live = 0;

  constructor(private readonly isLive: (item: T) => boolean) {}

  /** Live items queued. */
  get size(): number {
    return this.live;
  }

  push(item: T): void {
    const h = this.heap;
    h.push(item);
    this.live++;
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!runsFirst(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  /** Tells the queue an item it holds is no longer live (it will be skipped). */
  removed(): void {
    this.live--;
  }

  /** The live item that runs first, removed from the queue. */
  pop(): T | undefined {
    while (this.heap.length) {
      const top = this.takeTop();
      if (this.isLive(top)) {
        this.live--;
        return top;
      }
    }
    return undefined;
  }

  private takeTop(): T {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length) {
      h[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1;
        let m = i;
        if (l < h.length && runsFirst(h[l]!, h[m]!)) m = l;
        if (l + 1 < h.length && runsFirst(h[l + 1]!, h[m]!)) m = l + 1;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

/** Lexicographic on priority (smaller first; missing entries count as 0), then arrival. */
export function runsFirst(a: { priority: number[]; seq: number }, b: { priority: number[]; seq: number }): boolean {
  const n = Math.max(a.priority.length, b.priority.length);
  for (let i = 0; i < n; i++) {
    const x = a.priority[i] ?? 0;
    const y = b.priority[i] ?? 0;
    if (x !== y) return x < y;
  }
  return a.seq < b.seq;
}
