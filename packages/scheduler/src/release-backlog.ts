/**
 * Releases too big to forget in one turn of the event loop, kept per client and handed out a
 * slice at a time. A client's releases come in bursts: a JS client learns that futures are gone
 * only when its garbage collector says so (a FinalizationRegistry, after a major collection),
 * so a loop of `submit(...).result()` releases its last 30,000 tasks in one message. Forgetting
 * a task costs the scheduler ~1-2 µs (its records, the worker's copy, the counters), so that one
 * message held the scheduler for 34-40 ms on a quiet machine (bench/scheduler.ts (b): the
 * event-loop delay's maximum, and the round trip that met it), and every worker's message and
 * every other client's waited behind it.
 *
 * Order is kept where it can matter: the server releases all of a client's backlog before any
 * other message of that client is handled, except an `update-graph`. That one may go ahead,
 * because a release only lowers reference counts that an update-graph only raises (counts
 * commute), and forgetting re-checks each task when its slice runs: a task wanted again
 * meanwhile is kept, as if the client had re-submitted it a moment before releasing it.
 * Pure bookkeeping: the server decides when a slice runs.
 */
export class ReleaseBacklog {
  /** Client id → its pending keys, oldest first, from index `from` on. */
  private readonly pending = new Map<string, { keys: string[]; from: number }>();

  /** @param slice most keys released in one turn (and the size of a release handled at once) */
  constructor(readonly slice = 256) {}

  /** Whether `clientId` has keys waiting to be released. */
  has(clientId: string): boolean {
    return this.pending.has(clientId);
  }

  /** Keys waiting, over all clients. */
  get size(): number {
    let n = 0;
    for (const p of this.pending.values()) n += p.keys.length - p.from;
    return n;
  }

  /**
   * Whether a release of `keys` by `clientId` can be handled at once: it is small and nothing of
   * that client waits before it. Otherwise it is queued ({@link add}).
   */
  handlesNow(clientId: string, keys: readonly string[]): boolean {
    return keys.length <= this.slice && !this.pending.has(clientId);
  }

  /** Queues a release behind the client's earlier ones. */
  add(clientId: string, keys: readonly string[]): void {
    if (keys.length === 0) return;
    const p = this.pending.get(clientId);
    if (!p) {
      this.pending.set(clientId, { keys: [...keys], from: 0 });
      return;
    }
    for (const k of keys) p.keys.push(k);
  }

  /** The next slice: up to {@link slice} keys of the client queued longest, or undefined when none wait. */
  take(): { clientId: string; keys: string[] } | undefined {
    const first = this.pending.entries().next();
    if (first.done) return undefined;
    const [clientId, p] = first.value;
    const keys = p.keys.slice(p.from, p.from + this.slice);
    p.from += keys.length;
    // A client with more left goes to the back, so that two releasing clients take turns.
    this.pending.delete(clientId);
    if (p.from < p.keys.length) this.pending.set(clientId, p);
    return { clientId, keys };
  }

  /** Everything `clientId` has waiting (now taken out), in order: to release before its next message. */
  takeAll(clientId: string): string[] {
    const p = this.pending.get(clientId);
    if (!p) return [];
    this.pending.delete(clientId);
    return p.from === 0 ? p.keys : p.keys.slice(p.from);
  }

  /** Forgets every pending release (the scheduler is closing). */
  clear(): void {
    this.pending.clear();
  }
}
