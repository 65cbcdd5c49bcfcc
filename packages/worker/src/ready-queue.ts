import { Heap } from '@gluon/protocol';

/**
 * The worker's ready queue: the shared binary heap ordered by priority, then arrival, plus a
 * count of live items. Removal (steal, free-keys) is lazy — the caller marks an item dead,
 * calls `removed()`, and `pop` skips it — so every operation is O(log n) even when the
 * scheduler sends tens of thousands of tasks at once.
 */
export class ReadyQueue<T extends { priority: number[]; seq: number }> {
  private readonly heap = new Heap<T>(runsFirst);
  private live = 0;

  constructor(private readonly isLive: (item: T) => boolean) {}

  /** Live items queued. */
  get size(): number {
    return this.live;
  }

  push(item: T): void {
    this.heap.push(item);
    this.live++;
  }

  /** Tells the queue an item it holds is no longer live (it will be skipped). */
  removed(): void {
    this.live--;
  }

  /** The live item that runs first, removed from the queue. */
  pop(): T | undefined {
    const top = this.heap.popWhere(this.isLive);
    if (top) this.live--;
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
