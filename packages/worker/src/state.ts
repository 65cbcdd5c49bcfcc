/**
 * The worker's decisions as a pure state machine: an event in, the commands to carry out back.
 * No sockets, no timers, no threads: the I/O shell (`worker.ts`) turns scheduler messages, peer
 * replies and thread results into events and performs the commands. That keeps every decision
 * (which peer to fetch from, what runs next, what to give back) testable on its own.
 */
import { EncodedValue, MAX_LEAVE_REASON, type Message } from '@gluon/protocol';
import { ReadyQueue } from './ready-queue.js';
import { estimateSize, typeNameOf } from './size.js';

import { INLINE_RESULT_BYTES, type ComputeTask, type Fetch, type LocalTask, type TaskState, type WorkerCommand, type WorkerEvent, type WorkerStateOptions } from './state-types.js';

export { INLINE_RESULT_BYTES } from './state-types.js';
export type { ComputeTask, FailureKind, Priority, TaskTiming, WorkerCommand, WorkerEvent, WorkerStateOptions } from './state-types.js';

/**
 * After stopping a task to free memory, how long before another may be stopped: the freed
 * thread's memory takes a moment to leave the RSS, and one stopped task often suffices.
 */
export const SHED_COOLDOWN_MS = 1000;

const MiB = (n: number) => `${(n / 2 ** 20).toFixed(0)} MiB`;

/**
 * The `waiting` and `holds` of a task with no dependencies: one empty set for all of them rather
 * than two new ones per task (with the fetch batch, a third of a worker's own garbage per task
 * of bench/scheduler.ts (b)). Only a task's dependencies are ever added to them, so this one
 * stays empty; adding to it is a bug, and throws.
 */
class NoKeys extends Set<string> {
  override add(key: string): this {
    throw new Error(`internal: ${key} added to a task that has no dependencies`);
  }
}
const NO_KEYS: Set<string> = new NoKeys();

/**
 * Everything a worker knows: its tasks (fetching → ready → running), the results it stores with
 * their sizes, dependencies fetched for local tasks, and whether it is paused or closing.
 */
export class WorkerState {
  readonly name: string;
  address: string;
  /** How many tasks may be in the pool at once; the shell updates it as the pool adapts. */
  capacity: number;
  readonly memoryLimit: number;
  private readonly tasks = new Map<string, LocalTask>();
  private readonly ready = new ReadyQueue<LocalTask>((t) => t.state === 'ready' && this.tasks.get(t.key) === t);
  private seq = 0;
  private running = 0;
  private readonly store = new Map<string, { value: unknown; nbytes: number }>();
  /** Dependencies fetched from peers, with how many local tasks still need each. */
  private readonly fetched = new Map<string, { value: unknown; users: number }>();
  private readonly fetches = new Map<string, Fetch>();
  /** Keys in flight per peer, to spread fetches over holders. */
  private readonly peerLoad = new Map<string, number>();
  private storedBytesTotal = 0;
  paused = false;
  closing = false;
  /** When a running task was last stopped to free memory. */
  private lastShed = -Infinity;
  private out: WorkerCommand[] = [];

  constructor(opts: WorkerStateOptions) {
    this.name = opts.name;
    this.address = opts.address;
    this.capacity = Math.max(1, opts.capacity);
    this.memoryLimit = opts.memoryLimit ?? 0;
  }

  // ------------------------------------------------------------- queries

  /** Tasks handed to the pool and not yet finished. */
  get executing(): number {
    return this.running;
  }
  get readyCount(): number {
    return this.ready.size;
  }
  get storedCount(): number {
    return this.store.size;
  }
  get storedBytes(): number {
    return this.storedBytesTotal;
  }
  /** Tasks this worker has and has not finished (any state). */
  get taskCount(): number {
    return this.tasks.size;
  }
  has(key: string): boolean {
    return this.store.has(key);
  }
  /** A stored result (undefined when not stored; use {@link has} to tell). */
  get(key: string): unknown {
    return this.store.get(key)?.value;
  }
  /** The estimated size of a stored result (0 when not stored). */
  nbytesOf(key: string): number {
    return this.store.get(key)?.nbytes ?? 0;
  }
  /** Stored keys with their sizes, for the `hello` after a reconnect. */
  storedKeys(): Record<string, number> {
    const keys: Record<string, number> = {};
    for (const [k, v] of this.store) keys[k] = v.nbytes;
    return keys;
  }
  /** Tasks running in the pool whose result is still wanted, for the `hello` after a reconnect. */
  runningKeys(): string[] {
    const keys: string[] = [];
    for (const t of this.tasks.values()) if (t.state === 'running' && !t.cancelled) keys.push(t.key);
    return keys;
  }
  /** The state of one task, for tests and logs. */
  taskState(key: string): TaskState | undefined {
    return this.tasks.get(key)?.state;
  }

  // ------------------------------------------------------------- events

  handle(ev: WorkerEvent): WorkerCommand[] {
    switch (ev.type) {
      case 'compute': this.compute(ev.task); break;
      case 'free-keys': for (const k of ev.keys) this.free(k); break;
      case 'steal': this.steal(ev.key, ev.withdrawn === true); break;
      case 'fetched':
        this.reportTransfer(ev);
        this.fetched_(ev.peer, ev.data, ev.missing);
        if (ev.later?.length) this.fetchOneByOne(ev.peer, ev.later);
        if (ev.tooLarge) this.tooLarge(ev.peer, ev.tooLarge);
        break;
      case 'acquire': this.acquire(ev.peer, ev.keys); break;
      case 'fetch-failed': this.fetchFailed(ev.peer, ev.keys, ev.reason); break;
      case 'done': this.done(ev); break;
      case 'erred': this.erred(ev); break;
      case 'memory': this.memory(ev.rss, ev.now); break;
      case 'scheduler-lost': this.schedulerLost(); break;
      case 'shutdown': this.shutdown(ev.reason, ev.lifetime === true); break;
    }
    this.pump();
    const out = this.out;
    this.out = [];
    return out;
  }

  private send(msg: Message): void {
    this.out.push({ type: 'send', msg });
  }

  private compute(t: ComputeTask): void {
    if (this.closing) {
      // Raced with our shutdown: the scheduler must place it elsewhere.
      this.send({ op: 'handback', keys: [t.key] });
      return;
    }
    const existing = this.tasks.get(t.key);
    if (existing) {
      // Freed while running and wanted again (deterministic keys make this common): report it.
      if (existing.state === 'running' && existing.cancelled) {
        existing.cancelled = false;
        this.out.push({ type: 'resume', key: t.key });
      }
      return;
    }
    if (this.store.has(t.key)) {
      // Already computed here (e.g. the scheduler lost track while we reconnected).
      const s = this.store.get(t.key)!;
      this.send({ op: 'task-finished', key: t.key, nbytes: s.nbytes, typeName: typeNameOf(s.value), start: 0, stop: 0, thread: -1, ...this.inline(s.value, s.nbytes) });
      return;
    }
    const deps = t.deps ?? {};
    const depKeys = Object.keys(deps);
    const none = depKeys.length === 0;
    const task: LocalTask = {
      key: t.key, fn: t.fn, args: t.args, deps, priority: t.priority ?? [0],
      ...(t.timeoutMs !== undefined ? { timeoutMs: t.timeoutMs } : {}), seq: this.seq++, state: 'fetching',
      waiting: none ? NO_KEYS : new Set(), holds: none ? NO_KEYS : new Set(), cancelled: false,
    };
    this.tasks.set(t.key, task);
    if (none) {
      this.makeReady(task);
      return;
    }
    const batch = new Map<string, string[]>();
    for (const dep of depKeys) {
      if (this.store.has(dep)) continue;
      const f = this.fetched.get(dep);
      if (f) {
        f.users++;
        task.holds.add(dep);
        continue;
      }
      if (t.values && Object.hasOwn(t.values, dep) && !this.fetches.has(dep)) {
        this.fetched.set(dep, { value: t.values[dep], users: 1 });
        task.holds.add(dep);
        continue;
      }
      task.waiting.add(dep);
      const inflight = this.fetches.get(dep);
      if (inflight) {
        inflight.dependents.add(task);
        continue;
      }
      const holders = (task.deps[dep] ?? []).filter((h) => h !== this.address);
      const peer = this.choosePeer(holders, new Set(), batch);
      if (peer === null) {
        // Fetches already started for other dependencies still go out; their data is dropped.
        this.flushBatch(batch);
        this.giveUp(task, dep, holders[0] ?? this.address);
        return;
      }
      this.fetches.set(dep, { peer, tried: new Set(), holders, dependents: new Set([task]) });
      this.addToBatch(batch, peer, dep);
    }
    this.flushBatch(batch);
    if (task.waiting.size === 0) this.makeReady(task);
  }

  /**
   * Picks the holder to fetch from: one this batch already talks to (fewer requests), else the
   * least loaded peer; holders that failed are skipped. Null when none is left.
   */
  private choosePeer(holders: string[], tried: Set<string>, batch: Map<string, string[]>): string | null {
    let best: string | null = null;
    let bestLoad = Infinity;
    for (const h of holders) {
      if (tried.has(h) || h === this.address) continue;
      if (batch.has(h)) return h;
      const load = this.peerLoad.get(h) ?? 0;
      if (load < bestLoad) {
        best = h;
        bestLoad = load;
      }
    }
    return best;
  }

  private addToBatch(batch: Map<string, string[]>, peer: string, key: string): void {
    let keys = batch.get(peer);
    if (!keys) batch.set(peer, (keys = []));
    keys.push(key);
    this.peerLoad.set(peer, (this.peerLoad.get(peer) ?? 0) + 1);
  }

  private flushBatch(batch: Map<string, string[]>): void {
    for (const [peer, keys] of batch) this.out.push({ type: 'fetch', peer, keys });
  }

  private unload(peer: string): void {
    const n = (this.peerLoad.get(peer) ?? 1) - 1;
    if (n <= 0) this.peerLoad.delete(peer);
    else this.peerLoad.set(peer, n);
  }

  /**
   * Tells the scheduler (for the dashboard's task stream) what a `get-data` brought: every key
   * that arrived, wanted or not, with its estimated size. Nothing when no data arrived or the
   * shell did not time the request.
   */
  private reportTransfer(ev: Extract<WorkerEvent, { type: 'fetched' }>): void {
    if (ev.start === undefined || ev.stop === undefined) return;
    const keys = Object.keys(ev.data);
    if (keys.length === 0) return;
    let bytes = 0;
    for (const k of keys) bytes += estimateSize(ev.data[k]);
    this.send({ op: 'transfer', from: ev.peer, keys, start: ev.start, stop: ev.stop, bytes });
  }

  /**
   * A retiring peer's results to keep (see the `acquire` event): fetched over the peer path like
   * dependencies, joined to a fetch already under way for a local task. Those already stored here
   * are answered at once.
   */
  private acquire(peer: string, keys: string[]): void {
    const batch = new Map<string, string[]>();
    const have: Record<string, number> = {};
    const missing: string[] = [];
    for (const key of keys) {
      const s = this.store.get(key);
      if (s) {
        have[key] = s.nbytes;
        continue;
      }
      const got = this.fetched.get(key);
      if (got) {
        // Fetched already for a task here: keep that copy.
        const nbytes = estimateSize(got.value);
        this.store.set(key, { value: got.value, nbytes });
        this.storedBytesTotal += nbytes;
        have[key] = nbytes;
        continue;
      }
      const f = this.fetches.get(key);
      if (f) {
        f.acquire = true;
        if (!f.holders.includes(peer)) f.holders.push(peer);
        continue;
      }
      if (peer === this.address) {
        missing.push(key);
        continue;
      }
      this.fetches.set(key, { peer, tried: new Set(), holders: [peer], dependents: new Set(), acquire: true });
      this.addToBatch(batch, peer, key);
    }
    this.flushBatch(batch);
    if (missing.length || Object.keys(have).length) this.send({ op: 'acquired', keys: have, missing });
  }

  private fetched_(peer: string, data: Record<string, unknown>, missing: string[]): void {
    let acquired: Record<string, number> | undefined;
    for (const key of Object.keys(data)) {
      const f = this.fetches.get(key);
      if (!f || f.peer !== peer) continue;
      this.fetches.delete(key);
      this.unload(peer);
      if (f.acquire && !this.store.has(key)) {
        const nbytes = estimateSize(data[key]);
        this.store.set(key, { value: data[key], nbytes });
        this.storedBytesTotal += nbytes;
        (acquired ??= {})[key] = nbytes;
      }
      const users = [...f.dependents].filter((t) => this.tasks.get(t.key) === t && t.waiting.delete(key));
      if (users.length === 0) continue;
      if (f.acquire) {
        // Stored: the tasks read it from the store, like a result computed here.
        for (const t of users) if (t.waiting.size === 0) this.makeReady(t);
        continue;
      }
      const held = this.fetched.get(key);
      if (held) held.users += users.length;
      else this.fetched.set(key, { value: data[key], users: users.length });
      for (const t of users) {
        t.holds.add(key);
        if (t.waiting.size === 0) this.makeReady(t);
      }
    }
    if (acquired) this.send({ op: 'acquired', keys: acquired, missing: [] });
    if (missing.length) this.fetchFailed(peer, missing, `${peer} does not hold it`);
  }

  private fetchFailed(peer: string, keys: string[], reason: string): void {
    const batch = new Map<string, string[]>();
    const notAcquired: string[] = [];
    for (const key of keys) {
      const f = this.fetches.get(key);
      if (!f || f.peer !== peer) continue;
      this.unload(peer);
      f.tried.add(peer);
      const live = [...f.dependents].filter((t) => this.tasks.get(t.key) === t);
      if (live.length === 0 && !f.acquire) {
        this.fetches.delete(key);
        continue;
      }
      const next = this.choosePeer(f.holders, f.tried, batch);
      this.out.push({ type: 'log', text: `could not fetch ${key} from ${peer}: ${reason}${next ? `; trying ${next}` : '; no other holder'}` });
      if (next) {
        f.peer = next;
        this.addToBatch(batch, next, key);
        continue;
      }
      this.fetches.delete(key);
      if (f.acquire) notAcquired.push(key);
      for (const t of live) this.giveUp(t, key, peer);
    }
    this.flushBatch(batch);
    if (notAcquired.length) this.send({ op: 'acquired', keys: {}, missing: notAcquired });
  }

  /** Keys the peer holds but could not fit in one answer: asked for again, one per request. */
  private fetchOneByOne(peer: string, keys: string[]): void {
    for (const key of keys) {
      const f = this.fetches.get(key);
      if (f && f.peer === peer) this.out.push({ type: 'fetch', peer, keys: [key] });
    }
  }

  /**
   * A dependency's value is over a message limit: no holder can send it, and recomputing it
   * would make the same value, so the tasks that need it fail at once with the reason (kind
   * `too-large`, which the scheduler does not retry).
   */
  private tooLarge(peer: string, reasons: Record<string, string>): void {
    for (const [key, reason] of Object.entries(reasons)) {
      const f = this.fetches.get(key);
      if (!f || f.peer !== peer) continue;
      this.fetches.delete(key);
      this.unload(peer);
      if (f.acquire) this.send({ op: 'acquired', keys: {}, missing: [key] });
      for (const t of f.dependents) {
        if (this.tasks.get(t.key) !== t) continue;
        this.drop(t);
        const message = `task ${t.key} cannot get its dependency ${key} from ${peer}: ${reason}`;
        this.send({
          op: 'task-erred', key: t.key, error: { name: 'DataTooLargeError', message, stack: `DataTooLargeError: ${message}` },
          kind: 'too-large', start: 0, stop: 0, thread: -1,
        });
      }
    }
  }

  /** No holder could give us `dep`: tell the scheduler, which recomputes it and takes `t` back. */
  private giveUp(t: LocalTask, dep: string, errant: string): void {
    this.drop(t);
    this.send({ op: 'missing-data', key: dep, errantWorker: errant, dependent: t.key });
  }

  private makeReady(t: LocalTask): void {
    t.state = 'ready';
    this.ready.push(t);
  }

  /** Moves ready tasks into the pool while it has room and memory allows. */
  private pump(): void {
    while (this.ready.size && this.running < this.capacity && !this.paused && !this.closing) {
      const t = this.ready.pop()!;
      const data: Record<string, unknown> = {};
      let lost: string | undefined;
      for (const dep of Object.keys(t.deps)) {
        const s = this.store.get(dep);
        if (s) data[dep] = s.value;
        else if (t.holds.has(dep)) data[dep] = this.fetched.get(dep)!.value;
        else lost = dep;
      }
      if (lost !== undefined) {
        // Freed here after the task became ready: never run it with a hole in its arguments.
        t.state = 'fetching'; // already out of the ready queue
        this.giveUp(t, lost, this.address);
        continue;
      }
      t.state = 'running';
      this.running++;
      this.out.push({ type: 'execute', key: t.key, fn: t.fn, args: t.args, data, ...(t.timeoutMs !== undefined ? { timeoutMs: t.timeoutMs } : {}) });
    }
  }

  private finishRun(key: string): LocalTask | undefined {
    const t = this.tasks.get(key);
    if (!t || t.state !== 'running') return undefined;
    this.tasks.delete(key);
    this.running--;
    this.releaseDeps(t);
    return t;
  }

  /**
   * A small result rides along in `task-finished`. Never one kept as its encoding: only a data
   * reply may carry those (the thread keeps results that encode this small as values anyway).
   */
  private inline(value: unknown, nbytes: number): Record<string, unknown> {
    return nbytes <= INLINE_RESULT_BYTES && !(value instanceof EncodedValue) ? { value, hasValue: true } : {};
  }

  private done(ev: Extract<WorkerEvent, { type: 'done' }>): void {
    const t = this.finishRun(ev.key);
    if (!t || t.cancelled) return;
    const nbytes = ev.nbytes ?? estimateSize(ev.value);
    this.store.set(t.key, { value: ev.value, nbytes });
    this.storedBytesTotal += nbytes;
    this.send({
      op: 'task-finished', key: t.key, nbytes, typeName: typeNameOf(ev.value), start: ev.start, stop: ev.stop, thread: ev.thread,
      ...this.inline(ev.value, nbytes), ...(ev.events !== undefined ? { events: ev.events } : {}),
    });
  }

  private erred(ev: Extract<WorkerEvent, { type: 'erred' }>): void {
    const t = this.finishRun(ev.key);
    if (!t || t.cancelled) return;
    this.send({ op: 'task-erred', key: t.key, error: ev.error, kind: ev.kind, start: ev.start, stop: ev.stop, thread: ev.thread });
  }

  private releaseDeps(t: LocalTask): void {
    for (const dep of t.holds) {
      const f = this.fetched.get(dep);
      if (f && --f.users <= 0) this.fetched.delete(dep);
    }
    // Only when it holds something: clear() makes even an empty set a new table (and NO_KEYS is shared).
    if (t.holds.size) t.holds.clear();
  }

  /** Forgets a task that has not started (freed, stolen, handed back). */
  private drop(t: LocalTask): void {
    this.tasks.delete(t.key);
    if (t.state === 'ready') this.ready.removed();
    this.releaseDeps(t);
    for (const dep of t.waiting) {
      const f = this.fetches.get(dep);
      f?.dependents.delete(t);
    }
  }

  private free(key: string): void {
    const s = this.store.get(key);
    if (s) {
      this.store.delete(key);
      this.storedBytesTotal -= s.nbytes;
    }
    const t = this.tasks.get(key);
    if (!t) return;
    if (t.state === 'running') {
      if (!t.cancelled) this.out.push({ type: 'cancel', key });
      t.cancelled = true;
    } else this.drop(t);
  }

  /**
   * Gives a task back unless it started: one not yet handed to the pool, or one the pool gave
   * back unstarted (`withdrawn`). A refusal tells the scheduler it runs here or is gone: it
   * never asks for that task again.
   */
  private steal(key: string, withdrawn: boolean): void {
    const t = this.tasks.get(key);
    const ok = !!t && (t.state !== 'running' || withdrawn);
    if (t && ok && t.state === 'running') this.finishRun(key);
    else if (t && ok) this.drop(t);
    this.send({ op: 'steal-response', key, ok });
  }

  private memory(rss: number, now: number | undefined): void {
    if (!this.memoryLimit) return;
    // Pausing stops new starts; a running task that keeps growing must be stopped too, or the
    // limit is only advisory (a task allocated 2 GiB under a 1 GiB limit).
    if (rss > this.memoryLimit && this.running > 0 && now !== undefined && now - this.lastShed >= SHED_COOLDOWN_MS) {
      this.lastShed = now;
      this.out.push({ type: 'shed', why: `the worker's RSS of ${MiB(rss)} is over its memory limit of ${MiB(this.memoryLimit)}` });
    }
    if (!this.paused && rss > this.memoryLimit) {
      this.paused = true;
      this.out.push({ type: 'log', text: `paused: RSS ${MiB(rss)} is over the memory limit of ${MiB(this.memoryLimit)}; starting no new tasks until it falls below 90% (${this.ready.size} ready task(s) wait)` });
    } else if (this.paused && rss < this.memoryLimit * 0.9) {
      this.paused = false;
      this.out.push({ type: 'log', text: `resumed: RSS ${MiB(rss)} is below 90% of the memory limit of ${MiB(this.memoryLimit)}` });
    }
  }

  /** Tasks that have not started, in the order they were received. */
  private unstarted(): LocalTask[] {
    return [...this.tasks.values()].filter((t) => t.state !== 'running');
  }

  private schedulerLost(): void {
    // The scheduler reassigns what we had not started; drop it so it is not run twice. Running
    // tasks finish and their results are announced in the next hello.
    for (const t of this.unstarted()) this.drop(t);
  }

  private shutdown(reason: string | undefined, lifetime: boolean): void {
    if (this.closing) return;
    this.closing = true;
    const back = this.unstarted();
    for (const t of back) this.drop(t);
    this.send({ op: 'closing', ...(reason === undefined ? {} : { reason: leaveReason(reason) }), ...(lifetime ? { lifetime: true } : {}) });
    if (back.length) this.send({ op: 'handback', keys: back.map((t) => t.key) });
  }

  /** At the end of a bounded shutdown wait: give back the tasks still running. */
  abandonRunning(): WorkerCommand[] {
    const keys: string[] = [];
    for (const t of [...this.tasks.values()]) {
      if (t.state !== 'running') continue;
      t.cancelled = true;
      keys.push(t.key);
    }
    return keys.length ? [{ type: 'send', msg: { op: 'handback', keys } }] : [];
  }
}

/** A leaving reason as `closing` carries it: at most MAX_LEAVE_REASON characters (a longer one is cut, marked with …). */
export function leaveReason(reason: string): string {
  return reason.length <= MAX_LEAVE_REASON ? reason : `${reason.slice(0, MAX_LEAVE_REASON - 1)}…`;
}
