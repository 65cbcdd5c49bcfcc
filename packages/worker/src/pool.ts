import { Worker as Thread } from 'node:worker_threads';
import { EncodedValue, hopProbe, hrNow, inMicrotask } from '@gluon/protocol';
import { isAfter, newCursor, nextSeq, takeBack } from './claim.js';
import type { RunBatch, RunRequest, TaskReply, ThreadReply } from './thread.js';
import type { ThrownError } from './thrown.js';
import { restoreThreadNursery } from './v8-flags.js';

/** A task handed to the pool: where its code is and its arguments, already resolved. */
export interface PoolTask {
  key: string;
  url: string;
  exportName: string;
  args: unknown[];
  /** Dependency values for the `{__gluonRef}` placeholders in `args`. */
  data: Record<string, unknown>;
  /** Stop the task (and its thread) when it has run this long (ms); fails it with a timeout error. */
  timeoutMs?: number;
}

export type PoolResult =
  | { ok: true; value: unknown; nbytes: number; start: number; stop: number; thread: number; events?: number }
  | { ok: false; error: ThrownError; start: number; stop: number; thread: number; died: boolean; stopped?: Stopped };

/** Why the pool terminated a task's thread, and how long the task had run by then (ms). */
export interface Stopped {
  why: 'cancelled' | 'timeout' | 'memory';
  ranMs: number;
}

interface Entry {
  task: PoolTask;
  done: (r: PoolResult) => void;
  /** Submission order: tasks taken back from threads are queued again in this order. */
  order: number;
  /** Its number on the thread it was last posted to (claim.ts). */
  seq?: number;
  /** Its result is not wanted: skipped if not posted yet, its thread stopped if it runs too long. */
  cancelled?: boolean;
  /** Set while the task runs (it is first in its thread) and a timeout or cancel grace counts. */
  timer?: NodeJS.Timeout;
}

interface Slot {
  thread: Thread;
  index: number;
  /** Tasks posted to the thread, in the order it runs them. */
  inFlight: Map<number, Entry>;
  /** Shared with the thread: the number of the last task it claimed (claim.ts). */
  cursor: Int32Array;
  /** The number of the last task posted to it. */
  posted: number;
  /** The thread has started and reads its messages: only then may it take tasks from others. */
  ready?: boolean;
  /** Set when the thread said which task is ending it. */
  exiting?: { id: number; code: number };
  /**
   * Set when the pool terminates the thread to stop a task: that task fails with `error`, as a
   * thread death (`died`, counted against allowed failures) or as the task's own failure.
   */
  stopping?: { id: number; error: PoolError; died: boolean; why: Stopped['why']; ranMs: number };
  /** The first task in flight, and since when it is first (it runs since about then), ms. */
  headId?: number;
  headSince?: number;
}

type PoolError = ThrownError;

/**
 * How long a cancelled task may keep running before its thread is terminated. Short: nobody
 * wants its result, and whatever is queued behind it on the thread waits meanwhile; but not
 * zero, so a task about to finish is not killed (with its thread's module cache) for nothing.
 */
export const CANCEL_GRACE_MS = 500;

/** Smallest per-thread heap cap: below this a thread cannot even load its task module reliably. */
export const MIN_THREAD_HEAP_MB = 32;

/**
 * How many tasks a thread holds at once. Two for ordinary tasks (one running, one ready so the
 * thread never waits for the main thread); more for very short ones, so the main↔thread hop is
 * paid once per batch instead of once per task. One for long tasks: a task committed to a thread
 * cannot be stolen, and with tasks of tens of milliseconds the hop (~0.2 ms) costs nothing next
 * to a worker finishing last with a task another worker could have run (on the H→4ℓ benchmark
 * the two workers' busy times differed by 20–60 ms with two per thread).
 */
function depthFor(meanMs: number): number {
  if (meanMs < 0.2) return 32;
  if (meanMs < 2) return 8;
  if (meanMs < LONG_MS) return 2;
  return 1;
}

/** Mean task time (ms) from which a thread holds one task at a time. */
const LONG_MS = 20;

/**
 * A fixed set of worker threads started once and reused. Tasks are posted in batches (one
 * message per thread per tick); results come back in batches too.
 *
 * A thread holds up to {@link depthFor} tasks, so it goes from one short task to the next
 * without waiting for the main thread. When a thread goes idle while tasks wait inside another
 * (behind a long or blocked one), the pool takes those back and hands them out again, so a
 * queued task never waits while a thread is free; the shared claim cursor (claim.ts) makes sure
 * a task taken back is never also run by the thread it left.
 *
 * A task that kills its thread (process.exit, a fatal error) fails with `died: true` and the
 * thread is replaced; the other tasks queued on that thread had not started and go back to the
 * pool. We contain it to the thread rather than the process because a thread's exit is a clean,
 * observable event (Node runs process.exit in a worker thread as "end this thread"): the worker
 * keeps its stored results, its connections and its other threads, and the scheduler still
 * counts the death against the task (kind 'worker-died') and gives up after allowed-failures.
 */
export class ThreadPool {
  private readonly slots: Slot[] = [];
  /** Tasks not yet posted to a thread, from index `head` on (a queue without O(n) shifts). */
  private waiting: Entry[] = [];
  private head = 0;
  private nextId = 1;
  private closing = false;
  private pumpScheduled = false;
  /** {@link pump} for {@link run}'s microtask: one function per pool, not one per task. */
  private readonly pumpQueued = (): void => this.pump();
  private rebalanceScheduled = false;
  private submitted = 0;
  /** Recent mean task duration (ms); starts high so the first tasks get the cautious depth. */
  private meanMs = 10;

  /** Each thread's JS heap limit (MiB), from the worker's memory limit; undefined without one. */
  readonly threadHeapMb: number | undefined;

  /**
   * @param memoryLimit the worker's `--memory-limit` in bytes (0: none). Each thread's V8 heap is
   *   capped at its share (the limit over the threads, at least {@link MIN_THREAD_HEAP_MB}), so a
   *   task that fills its heap ends its own thread, not the process. Typed-array memory is outside
   *   V8's heap: the worker's RSS monitor covers it ({@link shed}).
   */
  constructor(
    readonly size: number, private readonly workerName: string, private readonly onPublish: (topic: string, value: unknown) => void, memoryLimit = 0,
    /**
     * Called once a thread's message of results has been handed to their `done`s, before the pool
     * hands out more work: the worker sends what they produced then (bench/scheduler.ts (b)).
     */
    private readonly onReplies?: () => void,
  ) {
    this.threadHeapMb = memoryLimit > 0 ? Math.max(MIN_THREAD_HEAP_MB, Math.floor(memoryLimit / size / 2 ** 20)) : undefined;
    // The worker's main thread runs with a small nursery (WORKER_V8_FLAGS); its tasks do not.
    restoreThreadNursery();
    for (let i = 0; i < size; i++) this.slots.push(this.spawn(i));
  }

  /** How many tasks the pool takes at once without queueing them itself (adapts to task length). */
  get capacity(): number {
    return this.size * depthFor(this.meanMs);
  }

  /**
   * Threads running a task now. A thread runs its tasks one after another, so the tasks handed
   * to it ahead ({@link executing} counts them too) wait for it: they are not executing.
   */
  get busyThreads(): number {
    let n = 0;
    for (const s of this.slots) if (s.inFlight.size > 0) n++;
    return n;
  }

  /** Tasks inside threads right now. */
  get executing(): number {
    let n = 0;
    for (const s of this.slots) n += s.inFlight.size;
    return n;
  }

  /** {@link start} as a promise. */
  run(task: PoolTask): Promise<PoolResult> {
    return new Promise((done) => this.start(task, done));
  }

  /**
   * Hands a task to the pool; `done` is called with its result, never before this returns.
   * Tasks handed over in one step go to the threads together, one message per thread, in a
   * microtask. But a task that finds a thread idle and nothing waiting is posted at once: nothing
   * is there to batch it with, and its thread starts on it while the worker finishes reading the
   * frame that brought it (bench/scheduler.ts (b): the worker's wait from the compute-task to the
   * post was ~2 µs of that); the tasks behind it in the same step are batched as before.
   */
  start(task: PoolTask, done: (r: PoolResult) => void): void {
    this.waiting.push({ task, done, order: this.submitted++ });
    if (this.pumpScheduled) return;
    if (this.waiting.length - this.head === 1 && !this.closing && this.slots.some((s) => s.inFlight.size === 0)) {
      this.pump();
      if (this.head === this.waiting.length) return;
    }
    this.pumpScheduled = true;
    inMicrotask(this.pumpQueued);
  }

  /** Hands waiting tasks to the least loaded threads (of `among`), one message per thread. */
  private pump(among: Slot[] = this.slots): void {
    this.pumpScheduled = false;
    if (this.head === this.waiting.length) return this.checkBalance();
    const depth = depthFor(this.meanMs);
    const batches = new Map<Slot, RunRequest[]>();
    let i = this.head;
    for (; i < this.waiting.length; i++) {
      let best: Slot | null = null;
      for (const s of among) if (s.inFlight.size < depth && (!best || s.inFlight.size < best.inFlight.size)) best = s;
      if (!best) break;
      const entry = this.waiting[i]!;
      if (entry.cancelled) {
        answerLater(entry, notRun(entry.task.key, 'TaskCancelled', 'the task was cancelled before it started', best.index));
        continue;
      }
      const id = this.nextId++;
      // An idle pool must not keep the process alive, a busy one must: ref while it holds work.
      if (best.inFlight.size === 0) best.thread.ref();
      best.inFlight.set(id, entry);
      const seq = (best.posted = nextSeq(best.posted));
      entry.seq = seq;
      const t = entry.task;
      let b = batches.get(best);
      if (!b) batches.set(best, (b = []));
      b.push(runRequest(t, id, seq));
    }
    this.head = i;
    if (this.head === this.waiting.length) {
      this.waiting = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.waiting.length) {
      this.waiting = this.waiting.slice(this.head);
      this.head = 0;
    }
    for (const [slot, tasks] of batches) {
      this.post(slot, tasks);
      this.watchHead(slot);
    }
    if (this.head === this.waiting.length) this.checkBalance();
  }

  /**
   * Nothing waits in the pool: if a thread is idle while another holds tasks it has not started,
   * those are taken back and handed out again. Checked on the next turn of the event loop, so
   * that the worker's refill (its state machine answers each result with the next ready tasks, in
   * microtasks) reaches the idle thread first: in a steady stream nothing is moved.
   */
  private checkBalance(): void {
    if (this.rebalanceScheduled || this.closing || !this.slots.some((s) => this.isIdle(s))) return;
    if (this.slots.some((s) => this.holdsUnclaimed(s))) {
      this.rebalanceScheduled = true;
      setImmediate(() => this.rebalance());
    } else if (this.slots.some((s) => this.holdsBehindUntaken(s))) this.lookAgainSoon();
  }

  /**
   * A thread holds tasks behind one it has not taken yet (not woken, under load) while another is
   * idle: nothing else may happen to look again once it takes its first and blocks on it, so look
   * again shortly, backing off, for as long as that lasts (before: the rest waited behind it).
   */
  private lookAgainSoon(): void {
    if (this.recheckTimer) return;
    this.recheckMs = Math.min(this.recheckMs * 2 || 1, 64);
    this.recheckTimer = setTimeout(() => {
      this.recheckTimer = undefined;
      this.checkBalance();
      if (!this.recheckTimer) this.recheckMs = 0;
    }, this.recheckMs);
    this.recheckTimer.unref();
  }

  private recheckTimer: NodeJS.Timeout | undefined;
  private recheckMs = 0;

  /** Whether the (started) thread holds tasks posted behind a first one it has not taken yet. */
  private holdsBehindUntaken(slot: Slot): boolean {
    return slot.ready === true && !slot.stopping && slot.inFlight.size > 1 && Atomics.load(slot.cursor, 0) !== slot.posted;
  }

  /**
   * The idle threads take the tasks others hold and have not started, first (up to their depth);
   * what is left is handed out as usual. Never straight back to where it came from: a thread that
   * has not claimed its tasks may be starting up, and would only be robbed again.
   */
  private rebalance(): void {
    this.rebalanceScheduled = false;
    const idle = this.slots.filter((s) => this.isIdle(s));
    if (this.closing || this.head !== this.waiting.length || idle.length === 0) return;
    const back: Entry[] = [];
    for (const s of this.slots) if (this.holdsUnclaimed(s)) back.push(...this.takeBackFrom(s));
    this.requeue(back, idle);
  }

  /** A thread that has started, holds nothing and is not being stopped. */
  private isIdle(slot: Slot): boolean {
    return slot.ready === true && slot.inFlight.size === 0 && !slot.stopping && this.slots[slot.index] === slot;
  }

  /**
   * Whether the thread holds tasks it has not started behind one it runs, or while it is still
   * starting up. Not tasks merely on their way to a thread between tasks: it claims them in a
   * moment, and taking those would only pass them back and forth between idle threads.
   */
  private holdsUnclaimed(slot: Slot): boolean {
    if (slot.stopping || slot.inFlight.size === 0) return false;
    const claimed = Atomics.load(slot.cursor, 0);
    if (claimed === slot.posted) return false;
    if (!slot.ready) return true;
    const head = slot.inFlight.values().next().value!;
    return head.seq !== undefined && !isAfter(head.seq, claimed);
  }

  /**
   * Takes back the tasks the thread holds but has not started (the thread skips them when it
   * gets there). A task being timed (a head not yet started) stops being timed until it is
   * posted again.
   */
  private takeBackFrom(slot: Slot): Entry[] {
    const claimed = takeBack(slot.cursor, slot.posted);
    const back: Entry[] = [];
    for (const [id, e] of slot.inFlight) {
      if (e.seq === undefined || !isAfter(e.seq, claimed)) continue;
      slot.inFlight.delete(id);
      if (e.timer) clearTimeout(e.timer);
      e.timer = undefined;
      back.push(e);
    }
    if (back.length && slot.inFlight.size === 0) slot.thread.unref();
    else if (back.length) this.watchHead(slot);
    return back;
  }

  /**
   * Puts tasks that had not started back at the front of the queue, in submission order, and
   * hands them out: to the threads `first` while they have room, then to any.
   */
  private requeue(entries: Entry[], first?: Slot[]): void {
    if (entries.length === 0) return;
    entries.sort((a, b) => a.order - b.order);
    this.waiting = [...entries, ...this.waiting.slice(this.head)];
    this.head = 0;
    if (first) this.pump(first);
    this.pump();
  }

  private post(slot: Slot, tasks: RunRequest[]): void {
    if (hopProbe) for (const t of tasks) hopProbe.mark('post', t.key);
    try {
      slot.thread.postMessage({ type: 'run', tasks } satisfies RunBatch);
      return;
    } catch {
      // Some task's arguments cannot be cloned: post one at a time to find which.
    }
    for (const req of tasks) {
      try {
        slot.thread.postMessage({ type: 'run', tasks: [req] } satisfies RunBatch);
      } catch (err) {
        const entry = slot.inFlight.get(req.id)!;
        this.settle(slot, req.id);
        const message = `arguments of ${req.key} cannot be passed to a thread: ${(err as Error).message}`;
        const now = Date.now();
        answerLater(entry, { ok: false, error: { name: 'DataCloneError', message, stack: `DataCloneError: ${message}` }, start: now, stop: now, thread: slot.index, died: false });
      }
    }
  }

  private settle(slot: Slot, id: number): void {
    const e = slot.inFlight.get(id);
    if (e?.timer) clearTimeout(e.timer);
    slot.inFlight.delete(id);
    if (slot.inFlight.size === 0) slot.thread.unref();
    else this.watchHead(slot);
  }

  /**
   * The thread runs its tasks in order, so the first in flight is the one running: from the
   * moment it is first, its timeout (or, once cancelled, the cancel grace) counts. A task whose
   * time is up is stopped by terminating its thread; the tasks behind it go back to the pool.
   */
  private watchHead(slot: Slot): void {
    const first = slot.inFlight.entries().next();
    if (first.done) return;
    const [id, e] = first.value;
    if (slot.headId !== id) {
      slot.headId = id;
      slot.headSince = Date.now();
    }
    if (e.timer || slot.stopping) return;
    const key = e.task.key;
    if (e.cancelled) {
      e.timer = setTimeout(() => this.stop(slot, id, 'cancelled', { name: 'TaskCancelled', message: `task ${key} was cancelled and still ran after ${CANCEL_GRACE_MS} ms; its thread was stopped`, stack: '' }), CANCEL_GRACE_MS);
    } else if (e.task.timeoutMs !== undefined) {
      const ms = e.task.timeoutMs;
      e.timer = setTimeout(() => this.stop(slot, id, 'timeout', {
        name: 'TaskTimeoutError', message: `task ${key} ran longer than its timeoutMs of ${ms} ms; its thread was stopped`, stack: '',
      }), ms);
    } else return;
    e.timer.unref();
  }

  /**
   * Terminates the thread running task `id`; the exit handler fails it (saying `why` and how long
   * it had run, its time first in the thread) and requeues the rest.
   */
  private stop(slot: Slot, id: number, why: Stopped['why'], error: PoolError, died = false): void {
    if (this.slots[slot.index] !== slot || !slot.inFlight.has(id) || slot.stopping) return;
    const ranMs = slot.headId === id && slot.headSince !== undefined ? Date.now() - slot.headSince : 0;
    slot.stopping = { id, error: { ...error, stack: error.stack || `${error.name}: ${error.message}` }, died, why, ranMs };
    void slot.thread.terminate();
  }

  /**
   * The worker's RSS is over its memory limit: stops the task that has been running longest
   * (the likeliest to have grown; per-thread memory is not measurable from outside on every
   * supported Node) by terminating its thread, which frees that thread's heap and buffers. The
   * task fails as a thread death, so the scheduler retries it elsewhere within allowed-failures.
   * Returns its key, or undefined when nothing runs.
   */
  shed(why: string): string | undefined {
    let oldest: Slot | undefined;
    for (const s of this.slots) {
      if (s.stopping || s.inFlight.size === 0 || s.headSince === undefined) continue;
      if (!oldest || s.headSince < oldest.headSince!) oldest = s;
    }
    if (!oldest) return undefined;
    const [id, e] = oldest.inFlight.entries().next().value!;
    const message = `memory limit exceeded: ${why}; task ${e.task.key} was running longest, so its thread was stopped`;
    this.stop(oldest, id, 'memory', { name: 'MemoryLimitExceeded', message, stack: '' }, true);
    return e.task.key;
  }

  /**
   * The task's result is not wanted. Not yet in a thread: it is dropped (and answered). Running,
   * or queued in a thread: it may finish for {@link CANCEL_GRACE_MS} once it runs; after that its
   * thread is terminated and replaced, so a runaway task cannot hold a thread forever.
   */
  cancel(key: string): void {
    this.setCancelled(key, true);
    // In a microtask: a resume() in the same step (the task wanted again) still undoes it.
    if (!this.sweepScheduled) {
      this.sweepScheduled = true;
      inMicrotask(this.sweepQueued);
    }
  }

  private sweepScheduled = false;
  private readonly sweepQueued = (): void => {
    this.sweepScheduled = false;
    this.answerCancelled();
    this.takeBackCancelled();
    this.pump();
  };

  /**
   * Takes back from their threads the tasks still cancelled that a thread holds and has not
   * started, so that they are answered now rather than after whatever runs ahead of them there
   * (the tasks taken back with them are handed out again). In the sweep, not in cancel(): a task
   * posted at once (start) is unstarted in its thread for a moment, and a resume() in the same
   * step must find it there.
   */
  private takeBackCancelled(): void {
    const back: Entry[] = [];
    for (const slot of this.slots) {
      if (slot.stopping) continue;
      const claimed = Atomics.load(slot.cursor, 0);
      let unclaimed = false;
      for (const e of slot.inFlight.values()) if (e.cancelled && e.seq !== undefined && isAfter(e.seq, claimed)) unclaimed = true;
      if (unclaimed) back.push(...this.takeBackFrom(slot));
    }
    this.requeue(back);
  }

  /**
   * Answers the cancelled tasks waiting for a thread, and drops them. Left to {@link pump},
   * one waited until a thread had room: with every thread at its depth (one task each after long
   * tasks), behind whatever blocked them (test/units/pool.ts's cancel case, about 1 run in 4 at load 20).
   */
  private answerCancelled(): void {
    let rest: Entry[] | undefined;
    for (let i = this.head; i < this.waiting.length; i++) {
      const e = this.waiting[i]!;
      if (e.cancelled) {
        rest ??= this.waiting.slice(this.head, i);
        answerLater(e, notRun(e.task.key, 'TaskCancelled', 'the task was cancelled before it started', -1));
      } else rest?.push(e);
    }
    if (!rest) return;
    this.waiting = rest;
    this.head = 0;
  }

  /**
   * Takes a task out of the pool if no thread has started it: one still waiting here, or one
   * posted to a thread behind the task it runs (taken back through the claim cursor, so the
   * thread skips it; the tasks taken back with it are handed out again). True when it was taken
   * out: it will not run, and its `done` is never called. False when it runs (or is unknown).
   * For a steal: a task posted behind a long one waited there with threads free on other workers.
   */
  withdraw(key: string): boolean {
    for (let i = this.head; i < this.waiting.length; i++) {
      if (this.waiting[i]!.task.key !== key) continue;
      this.waiting.splice(i, 1);
      return true;
    }
    for (const slot of this.slots) {
      // The first entry of the key: the one its thread reaches first (a running copy holds it).
      let entry: Entry | undefined;
      for (const e of slot.inFlight.values()) {
        if (e.task.key !== key) continue;
        entry = e;
        break;
      }
      if (!entry) continue;
      if (slot.stopping || entry.seq === undefined || !isAfter(entry.seq, Atomics.load(slot.cursor, 0))) return false;
      const back = this.takeBackFrom(slot);
      const i = back.indexOf(entry);
      // Claimed by its thread between the look and the take-back: it runs there.
      if (i >= 0) back.splice(i, 1);
      this.requeue(back);
      return i >= 0;
    }
    return false;
  }

  /** Undoes {@link cancel} for a task that is wanted again before it was stopped. */
  resume(key: string): void {
    this.setCancelled(key, false);
  }

  /**
   * Marks a task's entries; a running one's timer restarts: the cancel grace counts from a
   * cancel, the task's own timeout again from a resume.
   */
  private setCancelled(key: string, cancelled: boolean): void {
    for (let i = this.head; i < this.waiting.length; i++) {
      const e = this.waiting[i]!;
      if (e.task.key === key) e.cancelled = cancelled;
    }
    for (const slot of this.slots) {
      for (const e of slot.inFlight.values()) {
        if (e.task.key !== key || !!e.cancelled === cancelled) continue;
        e.cancelled = cancelled;
        if (e.timer) clearTimeout(e.timer);
        e.timer = undefined;
      }
      this.watchHead(slot);
    }
  }

  private spawn(index: number): Slot {
    const cursor = newCursor();
    const thread = new Thread(new URL('./thread.js', import.meta.url), {
      workerData: { worker: this.workerName, cursor },
      ...(this.threadHeapMb !== undefined ? { resourceLimits: { maxOldGenerationSizeMb: this.threadHeapMb } } : {}),
    });
    const slot: Slot = { thread, index, inFlight: new Map(), cursor, posted: 0 };
    thread.on('message', (m: ThreadReply) => {
      if (m.type === 'publish') return this.onPublish(m.topic, m.value);
      if (m.type === 'ready') {
        slot.ready = true;
        return this.checkBalance();
      }
      if (m.type === 'exiting') {
        slot.exiting = { id: m.id, code: m.code };
        return;
      }
      if (hopProbe) this.stampReplies(slot, m.replies, m.postedAt);
      for (const r of m.replies) this.complete(slot, r);
      this.onReplies?.();
      this.pump();
    });
    thread.on('error', (err) => {
      if ((err as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY') {
        const message = `memory limit exceeded: the task filled its thread's heap of ${this.threadHeapMb} MiB (its share of the worker's --memory-limit); ${err.message}`;
        return this.threadDied(slot, message, `MemoryLimitExceeded: ${message}`);
      }
      this.threadDied(slot, `the task crashed its thread: ${err.message}`, err.stack ?? '');
    });
    thread.on('exit', (code) => this.threadDied(slot, `the task ended its thread (exit code ${code})`, ''));
    thread.unref();
    return slot;
  }

  /** With `GLUON_HOP_PROBE` set: the thread's stamps of each task, and when its results came back. */
  private stampReplies(slot: Slot, replies: TaskReply[], postedAt: number | undefined): void {
    const back = hrNow();
    for (const r of replies) {
      const key = slot.inFlight.get(r.id)?.task.key ?? '';
      if (r.hr) {
        hopProbe!.mark('thread-received', key, r.hr[0]);
        hopProbe!.mark('thread-start', key, r.hr[1]);
        hopProbe!.mark('thread-end', key, r.hr[2]);
      }
      if (postedAt) hopProbe!.mark('thread-posted', key, postedAt);
      hopProbe!.mark('thread-back', key, back);
    }
  }

  private complete(slot: Slot, r: TaskReply): void {
    const entry = slot.inFlight.get(r.id);
    if (!entry) return;
    this.settle(slot, r.id);
    this.meanMs = this.meanMs * 0.9 + Math.max(0, r.stop - r.start) * 0.1;
    if (r.type === 'done') {
      const value = r.encoded ? new EncodedValue(r.value as Uint8Array) : r.value;
      entry.done({ ok: true, value, nbytes: r.nbytes, start: r.start, stop: r.stop, thread: slot.index, ...(r.events !== undefined ? { events: r.events } : {}) });
    }
    else entry.done({ ok: false, error: r.error, start: r.start, stop: r.stop, thread: slot.index, died: false });
  }

  private threadDied(slot: Slot, message: string, stack: string): void {
    if (this.slots[slot.index] !== slot) return;
    const entries = [...slot.inFlight];
    slot.inFlight.clear();
    for (const [, e] of entries) if (e.timer) clearTimeout(e.timer);
    if (!this.closing) this.slots[slot.index] = this.spawn(slot.index);
    const now = Date.now();
    // Unless it named the task that called process.exit (or the pool stopped it for a task), the
    // one running was the last it claimed; failing that, the first in flight (it runs them in order).
    const claimed = Atomics.load(slot.cursor, 0);
    const culpritId = slot.stopping?.id ?? slot.exiting?.id ?? entries.find(([, e]) => e.seq === claimed)?.[0] ?? entries[0]?.[0];
    const rest: Entry[] = [];
    for (const [id, e] of entries) {
      if (id !== culpritId) rest.push(e);
      // Stopped by the pool (timeout, cancel): the task's failure, not a thread death.
      else if (slot.stopping) {
        const { error, died, why, ranMs } = slot.stopping;
        e.done({ ok: false, error, start: now, stop: now, thread: slot.index, died, stopped: { why, ranMs } });
      }
      else e.done({ ok: false, error: { name: 'WorkerThreadDied', message, stack: stack || `WorkerThreadDied: ${message}` }, start: now, stop: now, thread: slot.index, died: true });
    }
    if (this.closing) {
      for (const e of rest) e.done({ ok: false, error: { name: 'WorkerClosing', message: 'the worker closed before the task started', stack: '' }, start: now, stop: now, thread: slot.index, died: false });
      return;
    }
    this.requeue(rest);
    // The fresh thread takes waiting work even when nothing was requeued.
    this.pump();
  }

  /** Stops every thread; tasks still inside them are abandoned. */
  async close(): Promise<void> {
    this.closing = true;
    clearTimeout(this.recheckTimer);
    await Promise.all(this.slots.map((s) => s.thread.terminate()));
  }
}

/**
 * What a thread is posted for a task. Dependencies stored as their encoding go as their bytes
 * (copied, as the store keeps them), for the thread to decode: a structured clone would make an
 * `EncodedValue` a plain object, and decoding here would make every object on this thread.
 */
function runRequest(t: PoolTask, id: number, seq: number): RunRequest {
  let data = t.data;
  let encoded: Record<string, Uint8Array> | undefined;
  for (const key in t.data) {
    const v = t.data[key];
    if (!(v instanceof EncodedValue)) continue;
    if (!encoded) {
      encoded = {};
      data = { ...t.data };
    }
    encoded[key] = v.bytes;
    delete data[key];
  }
  return { type: 'run', id, seq, key: t.key, url: t.url, exportName: t.exportName, args: t.args, data, ...(encoded ? { encoded } : {}) };
}

/**
 * Answers a task the pool settles without a thread's reply (cancelled before it started, its
 * arguments not cloneable) in a microtask: those are settled inside `start`, `cancel` or a pump
 * they call, and a caller's `done` must not run inside its own call to the pool.
 */
function answerLater(entry: Entry, r: PoolResult): void {
  inMicrotask(() => entry.done(r));
}

/** The answer for a task that never reached a thread. */
function notRun(key: string, name: string, message: string, thread: number): PoolResult {
  const now = Date.now();
  return { ok: false, error: { name, message: `${message} (${key})`, stack: `${name}: ${message} (${key})` }, start: now, stop: now, thread, died: false };
}
