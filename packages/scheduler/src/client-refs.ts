import type { TaskRecord } from './records.js';

/**
 * Which of a scheduler's clients keeps its references as a list (at most one: see
 * {@link ClientRecord}). One per scheduler state, shared by its client records.
 */
export class RefLedger {
  /** The client whose references are listed, not counted; null when none is. */
  listed: ClientRecord | null = null;
}

/**
 * A client's references, by task record rather than by key: a task a client holds is never
 * forgotten, so the record stands for its key. With a million keys held, a Map keyed by strings
 * costs each lookup a cache miss per key it compares (it reads every string on the way, and a
 * decoded key is never the stored string object); keyed by records it compares pointers. Those
 * lookups were a quarter of the scheduler's CPU in a 1M-task run (perf, bench/scale.ts).
 *
 * One client at a time is *listed* (the first to connect, nearly always the only one): it keeps
 * no per-task counts, but lists the tasks it holds (an array, each task knowing its place,
 * `listedAt`, so that a release takes it out in O(1) by moving the last one into its place), and
 * its count on a task is the task's `clientRefs`, less what the others hold. A Map of a million
 * records costs each insert and delete a cache miss or two as well (bench/scale.ts), ~28 bytes per
 * held task, and a copy of the whole table each time it doubles. The list holds exactly the held
 * tasks: a released task left in it would keep its forgotten graph alive through its links (a
 * first version compacted the list now and then, and kept a 60,000-task tree, 23 MiB, alive
 * after its release).
 *
 * Every other client *counts* per task in a map. Where a counted client holds a task the listed
 * one holds too, the listed one keeps its own count of it in `shared`, so that its count is known
 * without asking the others. A client connecting costs O(1) whatever the others hold: the listed
 * client was turned into a counted one when a second connected (a Map of all it held, built in
 * one turn: 4.2 s for 200,000 held tasks at load ~25, bench/client-storm.ts), and back when one
 * was left, so a storm of connecting clients stalled the scheduler behind one holding much.
 * When the listed client goes and one counted client is left, that one is listed (its map made a
 * list, once): a lone client's run pays for no map.
 */
export class ClientRecord {
  /** Per-task counts, while counted; null while listed. */
  private counts: Map<TaskRecord, number> | null = null;
  /** While listed: the tasks it holds references on, each once (see `listedAt`). */
  private listed: TaskRecord[] = [];
  /** The list's length when it was last made (see unlist). */
  private peak = 0;
  /** While listed: its own count on the tasks it holds that counted clients hold too. */
  private shared: Map<TaskRecord, number> | null = null;
  /**
   * Held tasks whose values this client fetched and reported (`received`); values sent inline are
   * counted by TaskRecord.valueWithClients instead. Losing their last copy on the workers does not
   * make them recomputed for this client.
   */
  received = new Set<TaskRecord>();
  /** Held tasks dropped since it left (ClientSessions.forgetClient), for the line that says it is forgotten. */
  forgotten = 0;

  /** Listed when no other client of `ledger` is; counted otherwise. */
  constructor(readonly id: string, readonly name: string, private readonly ledger = new RefLedger()) {
    if (ledger.listed === null) ledger.listed = this;
    else this.counts = new Map();
  }

  /** Whether its references are listed (no per-task counts kept), not counted. */
  get isListed(): boolean {
    return this.counts === null;
  }

  /** How many references it holds on `ts`. */
  refsOn(ts: TaskRecord): number {
    if (ts.clientRefs === 0) return 0;
    if (this.counts !== null) return this.counts.get(ts) ?? 0;
    if (ts.listedAt < 0) return 0;
    return this.shared?.get(ts) ?? ts.clientRefs;
  }

  /** One more reference on `ts` (its `clientRefs` included). */
  hold(ts: TaskRecord): void {
    if (this.counts !== null) {
      const had = this.counts.get(ts) ?? 0;
      this.counts.set(ts, had + 1);
      // The listed client's count is the task's until this one holds it too.
      if (had === 0 && ts.listedAt >= 0) this.ledger.listed?.sharing(ts);
    } else if (ts.listedAt < 0) {
      ts.listedAt = this.listed.length;
      this.listed.push(ts);
      if (this.listed.length > this.peak) this.peak = this.listed.length;
      if (ts.clientRefs > 0) (this.shared ??= new Map()).set(ts, 1);
    } else {
      const own = this.shared?.get(ts);
      if (own !== undefined) this.shared!.set(ts, own + 1);
    }
    ts.clientRefs++;
  }

  /**
   * Drops `n` of its references on `ts` (at most as many as it holds; all of them by default), its
   * `clientRefs` included, and forgets that it received the value once it holds none. Returns how
   * many it dropped.
   */
  drop(ts: TaskRecord, n = Infinity): number {
    const had = this.refsOn(ts);
    const k = Math.min(had, n);
    if (k === 0) return 0;
    ts.clientRefs -= k;
    if (this.counts !== null) {
      if (k === had) this.counts.delete(ts);
      else this.counts.set(ts, had - k);
      if (ts.listedAt >= 0) this.ledger.listed?.unshared(ts);
    } else if (k === had) {
      this.shared?.delete(ts);
      this.unlist(ts);
    } else if (this.shared?.has(ts)) this.shared.set(ts, had - k);
    if (k === had && this.received.size) this.received.delete(ts);
    return k;
  }

  /** How many tasks it holds references on. */
  get heldCount(): number {
    return this.counts === null ? this.listed.length : this.counts.size;
  }

  /** The tasks it holds references on, each once: at most `max`, the last it listed first. */
  heldTasks(max = Infinity): TaskRecord[] {
    if (this.counts === null) return max >= this.listed.length ? this.listed.slice() : this.listed.slice(this.listed.length - max);
    if (max >= this.counts.size) return [...this.counts.keys()];
    const out: TaskRecord[] = [];
    for (const ts of this.counts.keys()) {
      if (out.length >= max) break;
      out.push(ts);
    }
    return out;
  }

  /**
   * The client is gone (its references dropped): the list is free for another. When one client
   * is left, `alone`, counted, it is listed from now on (its map made a list, once).
   */
  leave(alone: ClientRecord | undefined): void {
    if (this.ledger.listed !== this) return;
    this.ledger.listed = null;
    if (alone && alone.counts !== null) alone.becomeListed();
  }

  /** A counted client holds `ts`, which this (listed) one holds: its own count is kept apart. */
  private sharing(ts: TaskRecord): void {
    const shared = (this.shared ??= new Map());
    if (!shared.has(ts)) shared.set(ts, ts.clientRefs);
  }

  /** A counted client dropped references on `ts`: when all that are left are this one's, its count is the task's again. */
  private unshared(ts: TaskRecord): void {
    if (this.shared?.get(ts) === ts.clientRefs) this.shared.delete(ts);
  }

  private becomeListed(): void {
    this.listed = [...this.counts!.keys()];
    this.listed.forEach((ts, i) => (ts.listedAt = i));
    this.peak = this.listed.length;
    this.counts = null;
    this.shared = null;
    this.ledger.listed = this;
  }

  /**
   * Takes `ts` out of the list: the last task moves into its place. Optimised code's pop() never
   * shrinks an array's backing store (see protocol's Heap): once down to a quarter of its peak,
   * the list moves to an array of its size (after a 1M release, 8 MiB of empty slots otherwise:
   * the V8 heap after the idle collection was 17.1 MiB used against 8.4).
   */
  private unlist(ts: TaskRecord): void {
    const last = this.listed.pop()!;
    if (last !== ts) {
      this.listed[ts.listedAt] = last;
      last.listedAt = ts.listedAt;
    }
    ts.listedAt = -1;
    if (this.listed.length < this.peak >> 2 && this.peak > 1024) {
      this.listed = this.listed.slice();
      this.peak = this.listed.length;
    }
  }
}
