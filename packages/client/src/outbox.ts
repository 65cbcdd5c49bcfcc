import { ConnectionClosedError, type Connection, type Message, type TaskSpec } from '@gluon/protocol';
import type { LazyGraph } from './lazy-graph.js';

/** Most tasks per update-graph frame: small frames let the scheduler start the first tasks early. */
export const GRAPH_FRAME = 4096;
/** Default of ConnectOptions.graphSliceTasks: tasks sent per turn of the event loop. */
export const DEFAULT_GRAPH_SLICE = 49_152;
/** A slice also ends once it has taken this long, so a slow encoder cannot hold the loop. */
const SLICE_MS = 50;

/**
 * What a reconnecting client asks a restarted scheduler to wait for before it gives out tasks
 * (update-graph's `held` and `workers`): where it saw finished results, and every worker it knew.
 */
export interface Holders {
  held?: Record<string, string[]>;
  workers?: string[];
}

/** One update-graph frame waiting to leave, or a message that must keep its place behind the frames. */
/** `resend`: a frame of what a reconnect re-sends (see {@link replaceGraph}). */
type Item = { tasks: TaskSpec[]; wants: string[]; holders?: Holders; resend?: true } | { msg: Message } | { job: LazyGraph };

/**
 * What a client has to tell the scheduler, in order, sent in bounded slices. A graph of a
 * million tasks would take seconds to encode and send at once, and meanwhile the client could
 * neither answer the scheduler's keep-alive nor take in results. So frames leave a slice at a
 * time (at most `sliceTasks` tasks or {@link SLICE_MS} of work), and before the next slice the
 * outbox waits for the scheduler to have handled the slice before the last one (an empty
 * `who-has` after each slice is the marker, answered in order): the event loop runs in between,
 * at most two slices are in flight, and the scheduler starts the first tasks while the rest is
 * still coming. Messages that must not overtake a frame (a release, say) wait their turn.
 */
export class GraphOutbox {
  private items: Item[] = [];
  private head = 0;
  private queuedTasks = 0;
  private pumping = false;
  /** Bumped when the queue is replaced (a reconnect): a pump of the old queue stops. */
  private epoch = 0;
  private emptyWaiters: Array<() => void> = [];
  /** Slices sent so far (for tests and benchmarks: each one is a turn of the event loop). */
  slices = 0;

  constructor(
    private readonly conn: () => Connection | undefined,
    private readonly sliceTasks: number,
    private readonly onError: (err: Error) => void,
  ) {}

  /** Tasks queued and not yet handed to the connection. */
  get pendingTasks(): number {
    let n = this.queuedTasks;
    for (let i = this.head; i < this.items.length; i++) {
      const it = this.items[i]!;
      if ('job' in it) n += it.job.unsent;
    }
    return n;
  }

  /** Items waiting: update-graph frames, messages and graphs still to be built. */
  get length(): number {
    return this.items.length - this.head;
  }

  /** Nothing is waiting. */
  get empty(): boolean {
    return this.head === this.items.length;
  }

  /**
   * Queues a graph update as frames of at most {@link GRAPH_FRAME} tasks, in order (dependencies
   * before dependents). Each want travels with the frame that defines its key, so a frame's
   * tasks are wanted when they arrive; wants for keys defined earlier go with the first frame.
   */
  pushGraph(tasks: TaskSpec[], wants: string[], holders?: Holders, resend = false): void {
    const size = Math.min(GRAPH_FRAME, this.sliceTasks);
    const again = resend ? { resend: true as const } : {};
    if (tasks.length <= size) {
      this.push({ tasks, wants, ...(holders ? { holders } : {}), ...again });
      return;
    }
    const frames = Math.ceil(tasks.length / size);
    const wantsBy: string[][] = Array.from({ length: frames }, () => []);
    // Wants usually name the tasks in their order (map, submit): matched in one pass, and a
    // key → frame map is built only for the first want out of that order.
    let frameOf: Map<string, number> | null = null;
    let next = 0;
    for (const k of wants) {
      if (frameOf === null && next < tasks.length && tasks[next]!.key === k) {
        wantsBy[Math.floor(next++ / size)]!.push(k);
        continue;
      }
      if (frameOf === null) {
        frameOf = new Map();
        for (let i = 0; i < tasks.length; i++) frameOf.set(tasks[i]!.key, Math.floor(i / size));
      }
      wantsBy[frameOf.get(k) ?? 0]!.push(k);
    }
    for (let f = 0; f < frames; f++) {
      this.push({ tasks: tasks.slice(f * size, (f + 1) * size), wants: wantsBy[f]!, ...(holders && f === 0 ? { holders } : {}), ...again });
    }
  }

  /** Resolves once everything queued so far has been handed to the connection (or the client gave up). */
  whenEmpty(): Promise<void> {
    if (this.empty) return Promise.resolve();
    return new Promise((r) => this.emptyWaiters.push(r));
  }

  /** The client closed (`reason`): nothing more will be sent; lazy graphs' unbuilt futures fail with it; waiters are let go. */
  abandon(reason: string): void {
    for (let i = this.head; i < this.items.length; i++) {
      const it = this.items[i]!;
      if ('job' in it) it.job.abandon(reason);
    }
    this.clear();
    this.settleWaiters();
  }

  /**
   * Keys cancelled (and `gone`, their queued dependents dropped): lazy graphs with units still to
   * be built cancel those that depend on them as they build them (see LazyGraph.cancelledKeys).
   */
  cancelledKeys(keys: Iterable<string>, gone: Iterable<string>): void {
    for (let i = this.head; i < this.items.length; i++) {
      const it = this.items[i]!;
      if (!('job' in it) || it.job.next >= it.job.n) continue;
      const set = (it.job.cancelledKeys ??= new Set());
      for (const k of keys) set.add(k);
      for (const k of gone) set.add(k);
    }
  }

  /** Keys lazy graphs built that their units not yet built refer to (see LazyGraph.openKeys). */
  openKeys(): string[] {
    const keys: string[] = [];
    for (let i = this.head; i < this.items.length; i++) {
      const it = this.items[i]!;
      if ('job' in it) for (const k of it.job.openKeys()) keys.push(k);
    }
    return keys;
  }

  /** Queues a message behind the frames queued so far. */
  pushMessage(msg: Message): void {
    this.push({ msg });
  }

  /** Queues a graph to be built as it is sent (see LazyGraph). */
  pushJob(job: LazyGraph): void {
    this.push({ job });
  }

  /**
   * After a reconnect: the queued frames give way to `tasks` (the lineage of every held key and
   * of lazy graphs' open keys, which covers them and whatever lazy graphs built already); lazy graphs' unbuilt parts and the
   * queued messages follow, in their order. Queued releases are dropped: the new registration
   * never held those keys.
   */
  replaceGraph(tasks: TaskSpec[], wants: string[], holders?: Holders): void {
    const kept: Item[] = [];
    for (let i = this.head; i < this.items.length; i++) {
      const it = this.items[i]!;
      if ('job' in it) {
        it.job.dropBuilt();
        // The rest of a graph queued before the reconnect is part of what it re-sends.
        if (holders) it.job.resend = true;
        kept.push(it);
      } else if ('msg' in it && it.msg.op !== 'release-keys') kept.push(it);
    }
    this.clear();
    // Every frame says it is re-sent, not only the first (which names the holders): a restarted
    // scheduler lets these frames, and no later graph, take the results its workers held from
    // before (the scheduler's ClientSessions.updateGraph).
    this.pushGraph(tasks, wants, holders, holders !== undefined);
    for (const it of kept) this.push(it);
  }

  /**
   * Removes queued tasks that are in `keys` or depend (through queued tasks) on one of them,
   * with their wants (a lazy graph's units not yet built are its own business: see
   * {@link cancelledKeys}). Returns the removed keys, so their futures can be settled as
   * cancelled without the scheduler ever hearing of them.
   */
  drop(keys: ReadonlySet<string>): Set<string> {
    const gone = new Set<string>();
    const keep = (t: TaskSpec): boolean => {
      if (!keys.has(t.key) && !t.deps.some((d) => keys.has(d) || gone.has(d))) return true;
      gone.add(t.key);
      return false;
    };
    for (let i = this.head; i < this.items.length; i++) {
      const it = this.items[i]!;
      if ('job' in it) {
        it.job.tasks = it.job.tasks.filter(keep);
        continue;
      }
      if (!('tasks' in it)) continue;
      const before = it.tasks.length;
      it.tasks = it.tasks.filter(keep);
      this.queuedTasks -= before - it.tasks.length;
      if (before !== it.tasks.length) it.wants = it.wants.filter((k) => !gone.has(k));
    }
    return gone;
  }

  /**
   * Starts sending (once per queue; a pump already running picks up what was added): the first
   * slice now, in this call, and the rest by the async pump, if anything is left. A queue that
   * fits in one slice (a submit, a release: a sequential round trip's every send) never starts
   * the pump: its async function, its promise and the `catch` on it were a few hundred bytes of
   * garbage and a dozen microseconds of a sequential round trip's cold path, for a slice that
   * never awaits.
   */
  kick(): void {
    if (this.pumping || this.empty) return;
    const conn = this.conn();
    if (!conn) return;
    this.pumping = true;
    const epoch = this.epoch;
    try {
      if (this.sendSlice(conn, epoch)) return;
    } catch (err) {
      this.failed(err as Error, epoch);
      return;
    }
    void this.pump(conn, epoch).catch((err: Error) => this.failed(err, epoch));
  }

  /**
   * Sends everything queued now, without pacing (the client is closing and will not get another
   * turn of the event loop to send it), but lazy graphs: their futures fail with `reason` (see
   * LazyGraph.abandon), and the scheduler would drop their tasks with the client's keys at once.
   */
  drainNow(reason: string): void {
    const conn = this.conn();
    if (!conn) return;
    while (!this.empty) {
      const it = this.items[this.head++]!;
      if ('job' in it) it.job.abandon(reason);
      else this.sendItem(conn, it);
    }
    this.compact();
    conn.flush();
  }

  /**
   * Sends one slice: frames until the queue is empty, `sliceTasks` tasks or {@link SLICE_MS} of
   * work, one flush each (the scheduler can start decoding the first while the next is encoded).
   * True when the pumping is over: all sent, or the queue replaced meanwhile (a connection lost
   * mid-send: the new queue is the reconnect's).
   */
  private sendSlice(conn: Connection, epoch: number): boolean {
    // The clock is read from the second frame on, or for a lazy graph's deadline: a slice of one
    // plain frame (a sequential round trip's submit) never reads it, as sendSmall never did (a read
    // is ~0.3 µs on this machine, against ~25 µs of client CPU a round trip: bench/client-round-trip.ts).
    let t0 = -1;
    let frames = 0;
    let sent = 0;
    while (this.epoch === epoch && !this.empty && sent < this.sliceTasks) {
      const it = this.items[this.head]!;
      if (frames++ > 0 || 'job' in it) {
        if (t0 < 0) t0 = performance.now();
        else if (performance.now() - t0 >= SLICE_MS) break;
      }
      if ('job' in it) {
        sent += this.sendJobFrame(conn, it.job, t0 + SLICE_MS);
        if (it.job.done) this.head++;
      } else {
        this.head++;
        if ('tasks' in it) sent += it.tasks.length;
        this.sendItem(conn, it);
      }
      conn.flush();
    }
    if (this.epoch !== epoch) return true;
    this.compact();
    this.slices++;
    if (!this.empty) return false;
    this.pumping = false;
    return true;
  }

  /** The slices after the first (see {@link kick}), each once the scheduler has handled the one before the last. */
  private async pump(conn: Connection, epoch: number): Promise<void> {
    let previous: Promise<unknown> | undefined;
    let first = true;
    do {
      // At most two slices in flight: wait until the scheduler has handled the one before this.
      const marker = conn.request({ op: 'who-has', keys: [] });
      marker.catch(() => {}); // awaited below, or moot once the connection is gone
      if (previous) await previous;
      previous = marker;
      // A turn of the event loop even when the scheduler answered at once, through its timers.
      // The first slice left from the caller's turn, often a timer or an I/O callback: a
      // setImmediate then came in that same turn's check phase, before any timer, so the first
      // two slices held timers (heartbeats, a progress bar, the caller's own) back to back; so
      // the first wait is a timer. The later slices leave from a check phase (or after I/O),
      // where a setImmediate is the next turn's, behind its timers, and costs no timer's 1 ms.
      await new Promise<void>((r) => (first ? setTimeout(r, 0) : setImmediate(r)));
      first = false;
      if (this.epoch !== epoch) return;
      const next = this.conn();
      if (!next || this.empty) {
        this.pumping = false;
        return;
      }
      conn = next;
    } while (!this.sendSlice(conn, epoch));
  }

  /** A slice threw: a lost connection is the reconnect's business (it re-sends everything held). */
  private failed(err: Error, epoch: number): void {
    if (this.epoch !== epoch) return; // replaced meanwhile (a reconnect): the new queue carries on
    this.pumping = false;
    if (!(err instanceof ConnectionClosedError)) this.onError(err);
  }

  /** Builds and sends one frame of a lazy graph; returns its number of tasks. */
  private sendJobFrame(conn: Connection, job: LazyGraph, deadline: number): number {
    const { tasks, wants } = job.take(Math.min(GRAPH_FRAME, this.sliceTasks), deadline);
    if (tasks.length) conn.send({ op: 'update-graph', tasks, wants, ...(job.resend ? { resend: true } : {}) });
    return tasks.length;
  }

  private sendItem(conn: Connection, it: Item): void {
    if ('job' in it) return; // sent frame by frame (sendJobFrame)
    if ('msg' in it) {
      conn.send(it.msg);
      return;
    }
    this.queuedTasks -= it.tasks.length;
    const h = it.holders;
    if (it.tasks.length === 0 && it.wants.length === 0 && !h) return;
    conn.send({ op: 'update-graph', tasks: it.tasks, wants: it.wants, ...(h?.held ? { held: h.held } : {}), ...(h?.workers ? { workers: h.workers } : {}), ...(it.resend ? { resend: true } : {}) });
  }

  /** Empties the queue; a pump of the old one stops at its next step. */
  private clear(): void {
    this.items = [];
    this.head = 0;
    this.queuedTasks = 0;
    this.epoch++;
    this.pumping = false;
  }

  private settleWaiters(): void {
    if (this.emptyWaiters.length === 0) return;
    for (const w of this.emptyWaiters.splice(0)) w();
  }

  private push(it: Item): void {
    if ('tasks' in it) this.queuedTasks += it.tasks.length;
    this.items.push(it);
  }

  /** Forgets the items already sent once there are many (the queue is an array read from `head`). */
  private compact(): void {
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
      this.settleWaiters();
    } else if (this.head > 1024) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
