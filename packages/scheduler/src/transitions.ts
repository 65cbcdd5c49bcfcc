import { Heap, type Message, type TaskError } from '@gluon/protocol';
import type { ClusterEvent, FailureRow, LogEntry, WorkerRow } from './dashboard/source.js';
import { DEFAULT_CONFIG, type SchedulerConfig } from './config.js';
import { Outbox, type Command } from './outbox.js';
import { capacity, EmptyGroups, GROUP_STATE, groupStats, type GroupStats } from './groups.js';
import { Journal, workerRow } from './journal.js';
import { logLine, type LogLine, type NamedWorker } from './log-line.js';
import { outcomeAfter } from './progress-state.js';
import { dependentCount, removeDependent } from './dependents.js';
import { hasUnassigned } from './graph.js';
import { chooseWorker, isPaused, spareWork, WorkerPool } from './placement.js';
import { chooseSteals, stealCandidates, stealsWanted } from './steals.js';
import { Recovery } from './recovery.js';
import { Topics } from './topics.js';
import { WorkerIndex } from './worker-index.js';
import { clientLacks, inlineCopyNeeded, isWanted } from './lineage.js';
import { acceptsWork, ClientRecord, Interner, NO_HOLDERS, runsBefore, TaskRecord, WorkerRecord, type InlineValue } from './records.js';

/** Results with more dependents than this are fetched by workers, not carried inline. */
const INLINE_MAX_DEPENDENTS = 32;

/**
 * The state machine's transitions: how a task moves between states (compute, queue, assign,
 * memory, release, forget, fail), where it is placed, and the bookkeeping every event shares.
 * {@link SchedulerState} adds the events that drive them; this class is never used alone.
 */

/**
 * The `deps` of a compute-task for a task without dependencies: one shared empty array (the
 * message is only encoded), not a new one per task.
 */
const NO_WIRE_DEPS: WireDependency[] = [];

/** A compute-task's dependency: its key, where it lives, and its value if it goes along. */
type WireDependency = { key: string; holders: string[]; value?: unknown };

/**
 * The addresses of a result's holders for a compute-task's `deps` and a key-in-memory. A result only one worker holds
 * (nearly all) shares that worker's one-address list, as its holder list is shared (records.ts):
 * the message is only encoded, so no array per dependency per task.
 */
function holderAddresses(holders: readonly WorkerRecord[]): string[] {
  const only = holders.length === 1 ? holders[0]! : null;
  return (only !== null && holders === only.alone ? only.aloneAddress : holders.map((h) => h.address)) as string[];
}

export abstract class Transitions {
  readonly config: SchedulerConfig;
  readonly tasks = new Map<string, TaskRecord>();
  readonly workers = new Map<string, WorkerRecord>();
  /** {@link workers} by data address and by name (worker-index.ts). */
  protected readonly registered = new WorkerIndex();
  /** The live workers indexed by load and by unstarted work (placement and stealing). */
  protected readonly pool = new WorkerPool();
  protected workerOrder = 0;
  /** Result type names, one string each (see Interner). */
  protected readonly typeNames = new Interner();
  /** Tasks forgotten since the start (see idle-gc.ts). */
  forgottenCount = 0;
  /** Task state changes since the start: whether any work went on between two ticks (idle-gc.ts). */
  transitionCount = 0;
  readonly clients = new Map<string, ClientRecord>();
  /** Gone workers, kept for the dashboard. */
  readonly goneWorkers: WorkerRecord[] = [];
  readonly groups = new Map<string, GroupStats>();
  /** Groups left without tasks, the oldest forgotten past a bound (groups.ts). */
  private readonly emptyGroups = new EmptyGroups();
  /** The dashboard's log, failures and event listeners. */
  protected readonly journal = new Journal();
  readonly failures: FailureRow[] = this.journal.failures;
  readonly log: LogEntry[] = this.journal.log;
  /** Published values, bounded (topics.ts). */
  readonly published: Topics;
  /** Ready tasks that no worker has room for. */
  protected readonly queue = new Heap<TaskRecord>(runsBefore);
  protected generation = 0;
  protected seq = 0;
  /** When tick last ran (-1: never), to tell the scheduler's own stalls from silent workers. */
  protected lastTick = -1;
  /** Bytes of results kept inline (TaskRecord.inline), bounded by config.inlineBudgetBytes. */
  protected inlineBytes = 0;
  protected readonly outbox = new Outbox();
  /** Workers already logged for a malformed `transfer` report (logged once each). */
  protected readonly badTransferFrom = new WeakSet<WorkerRecord>();
  /** Results to take back from workers instead of recomputing them (reconnects, restarts). */
  readonly recovery: Recovery;
  /**
   * Released tasks whose result a worker holds as an orphan, taken back at the end of the event
   * (in flush): by then every dependent of the event is waiting for them, so the taken result is
   * not freed again as unneeded in between.
   */
  protected readonly toAdopt = new Set<TaskRecord>();
  /**
   * Set while a frame of a reconnecting client's re-sent graph is computed (its update-graph says
   * `resend`, or names `held` or `workers`): claims of keys this scheduler had no task for (from
   * before a restart) are taken for it; any other graph's new task of such a key drops them (see compute).
   */
  protected resending = false;

  constructor(config: Partial<SchedulerConfig> = {}) {
    this.config = { ...DEFAULT_CONFIG, ...config };
    this.recovery = new Recovery(this.config);
    this.published = new Topics(this.config);
  }

  /** Each published topic's latest value. */
  get topics(): ReadonlyMap<string, unknown> {
    return this.published.values;
  }

  /** Dashboard events; cheap appends for listeners that aggregate on their own timer. */
  // ---------------------------------------------------------------- transitions

  /** Makes a released task (and what it needs) run. */
  protected compute(root: TaskRecord): void {
    // The stack is made only for a task with released dependencies (see releaseIfUnneeded):
    // each fresh task of an update-graph is computed on its own.
    let stack: TaskRecord[] | null = null;
    for (let ts: TaskRecord | undefined = root; ts !== undefined; ts = stack?.pop()) {
      if (ts.state !== 'released') continue;
      // A worker holds it or still runs it from before this scheduler restarted: taken for a
      // reconnecting client's re-sent graph, which is what such claims are for. For any other
      // client they are dropped and the task computed: a worker's claims alone, of any keys it
      // likes, would give a new client its values, or hold its tasks back while it lived.
      if (this.recovery.claimedUnknown(ts.key) && !this.resending) this.disownClaims(ts.key);
      // A worker already holds it (it came back after a restart), or one that did is expected back.
      if (this.recovery.hasOrphan(ts.key)) {
        this.toAdopt.add(ts);
        continue;
      }
      // Its result is expected back (a client saw it on a worker that has not re-registered yet,
      // or a registered worker still runs it from before): wait rather than run it twice.
      if (this.recovery.isRunningSomewhere(ts.key)) continue;
      let waitingOn = 0;
      let erredDep: TaskRecord | null = null;
      for (const d of ts.deps) {
        if (d.state === 'memory') continue;
        if (d.state === 'erred') erredDep = d;
        waitingOn++;
        if (d.state === 'released') (stack ??= []).push(d);
      }
      if (erredDep) {
        // The input's error, naming the input: no failure of this task's own (no row, no line).
        this.fail(ts, { ...erredDep.error!, key: erredDep.error!.key }, 0);
        continue;
      }
      ts.waitingOn = waitingOn;
      if (waitingOn === 0) this.makeReady(ts);
      else this.setState(ts, 'waiting');
    }
  }

  /**
   * A result that turned up on `ws` for a task not in memory (a worker came back with it, or
   * reported it late): whatever was under way for it is called off and the result taken, once.
   */
  protected takeBack(ts: TaskRecord, ws: WorkerRecord, nbytes: number, typeName: string, inline: InlineValue | undefined): void {
    if (ts.processingOn === ws) {
      // Placed on the very worker that holds it (a worker back with a result and the inputs it
      // needs is where it goes): called off with a free-keys, the worker would drop its stored
      // copy with the task, while it is counted here. Dropped here alone; the worker, asked to
      // compute a key it stores, answers with that copy (thread -1), a repeat that changes nothing.
      ws.drop(ts);
      ts.processingOn = null;
    }
    this.toReleased(ts);
    this.recovery.adopted++;
    this.toMemory(ts, ws, nbytes, typeName, inline);
  }

  /** Drops the claims of `key` made while it had no task here, on the workers that made them. */
  private disownClaims(key: string): void {
    for (const w of this.recovery.disown(key)) this.send({ worker: w }, { op: 'free-keys', keys: [key] });
    this.recovery.disowned++;
  }

  /** Takes back the orphans that computations of this event reached (see {@link toAdopt}). */
  protected adoptPending(): void {
    const list = [...this.toAdopt];
    this.toAdopt.clear();
    for (const ts of list) {
      if (ts.state !== 'released' || this.tasks.get(ts.key) !== ts || !isWanted(ts, this.clients)) continue;
      // No live holder left (it went meanwhile): compute after all.
      if (!this.adoptOrphan(ts)) this.compute(ts);
    }
    this.fillAll();
  }

  /** Takes a released task's result from the workers holding it as an orphan; false if none do. */
  protected adoptOrphan(ts: TaskRecord): boolean {
    const held = this.recovery.takeOrphan(ts.key);
    if (!held) return false;
    let first = true;
    for (const [id, nbytes] of held) {
      const ws = this.workers.get(id);
      if (!ws) continue;
      if (first) {
        first = false;
        this.takeBack(ts, ws, nbytes, ts.typeName, undefined);
      } else if (ts.state === 'memory') {
        this.addHolder(ts, ws);
      }
    }
    return !first;
  }

  /** Computes a released task if something still wants it. */
  protected computeIfWanted(key: string): void {
    const ts = this.tasks.get(key);
    if (ts && ts.state === 'released' && isWanted(ts, this.clients)) this.compute(ts);
  }

  /**
   * While set (an update-graph placing its fresh tasks), a ready task goes out at once only to an
   * idle thread; the rest wait in the queue for the fillAll that ends the event, which gives each
   * worker with room its share in one message. Placed one by one on the least occupied worker, a
   * client's frame of 4,096 short tasks became a message of four tasks to each of 1,000 workers,
   * answered by as many: those messages, not the tasks, made each task cost the scheduler more
   * with more workers (bench/scale.ts, "workers").
   */
  protected idleThreadsOnly = false;

  /** All dependencies are in memory: run it on the best worker with room, or queue it. */
  protected makeReady(ts: TaskRecord): void {
    const ws = this.recovery.holding ? null : this.chooseWorker(ts);
    if (ws && !(this.idleThreadsOnly && ws.processing.size >= ws.nthreads)) this.assign(ts, ws);
    else {
      this.setState(ts, 'queued');
      ts.queueStamp++;
      this.queue.push(ts);
    }
  }

  /** A free thread while any has one, then most dependency bytes held, then least occupied, among workers with room (placement.ts). */
  protected chooseWorker(ts: TaskRecord): WorkerRecord | null {
    return chooseWorker(ts, this.pool, this.capacityOf);
  }

  /** {@link capacity} as one function made once: a closure per placement was garbage per task. */
  protected readonly capacityOf = (ws: WorkerRecord, group: string): number => this.capacity(ws, group);

  /** How many tasks of `group` a worker may hold in flight (see groups.ts). */
  capacity(ws: WorkerRecord, group: string): number {
    return capacity(ws, this.groups.get(group), this.config);
  }

  protected assign(ts: TaskRecord, ws: WorkerRecord): void {
    this.setState(ts, 'processing');
    ts.processingOn = ws;
    ts.thief = null;
    ts.stealRefused = false;
    ws.take(ts);
    // Each dependency an object of a declared shape (protocol 5). Keys as property names of one
    // object per task were each made a V8 internalized string (a lookup in a table holding every
    // key) and gave the object a key set msgpackr had never seen: a new record definition per task.
    let deps = NO_WIRE_DEPS;
    if (ts.deps.length) {
      deps = [];
      for (const d of ts.deps) {
        // Small results the worker does not hold come along: no peer fetch, one hop less. Asked of
        // the result's few holders (just read for their addresses), not of the worker's set of
        // every result it holds: at a million tasks a lookup there is a cache miss.
        deps.push(d.inline && !d.holders.includes(ws)
          ? { key: d.key, holders: holderAddresses(d.holders), value: d.inline.value }
          : { key: d.key, holders: holderAddresses(d.holders) });
      }
    }
    // Built field by field rather than with spreads of optional parts (a copy each, per task);
    // the keys keep their order, which the wire's declared records match (wire-records.ts).
    // `0 - x`, not `-x`: -0 is a heap number (a small integer is not), allocated for every task of
    // priority 0 or depth 0; msgpackr writes both as the integer 0.
    const msg: Message = { op: 'compute-task', key: ts.key, fn: ts.fn, args: ts.args, deps, priority: [0 - ts.userPriority, ts.generation, 0 - ts.depth, ts.seq] };
    if (ts.timeoutMs) msg.timeoutMs = ts.timeoutMs;
    this.send(ws.to, msg);
    // Kept while no worker holds it (see lastCopyGone): a dependent run again needs it inline.
    for (const d of ts.deps) if (d.inline && d.holders.length > 0 && !hasUnassigned(d.dependents)) this.dropInline(d);
  }

  /** Forgets a kept inline result (its dependents have it, or it left memory). */
  protected dropInline(ts: TaskRecord): void {
    if (!ts.inline) return;
    this.inlineBytes -= ts.inline.bytes;
    ts.inline = null;
  }

  /** Gives a worker queued work until it is full. */
  protected fill(ws: WorkerRecord): void {
    if (!acceptsWork(ws) || this.recovery.holding) return;
    while (this.queue.size > 0) {
      const top = this.queue.peek()!;
      if (top.state !== 'queued') {
        this.queue.pop();
        continue;
      }
      if (ws.processing.size >= this.capacity(ws, top.group)) break;
      this.queue.pop();
      // Locality: a queued task whose data sits on another worker with room goes there.
      const best = top.deps.length ? this.chooseWorker(top) : ws;
      this.assign(top, best ?? ws);
    }
  }

  /**
   * Hands queued work out, worker by worker in registration order (the earlier workers are
   * filled first, as before the index). When the least occupied worker has no room, none has:
   * that case, a backlog on a full cluster, costs O(1) instead of a pass over every worker.
   */
  protected fillAll(): void {
    if (this.queue.size === 0 || this.recovery.holding) return;
    const lightest = this.pool.leastLoaded();
    if (!lightest) return;
    const top = this.queue.peek()!;
    if (top.state === 'queued' && lightest.processing.size >= this.capacity(lightest, top.group)) return;
    for (const ws of this.workers.values()) {
      if (this.queue.size === 0) break;
      this.fill(ws);
    }
  }

  /**
   * A paused worker (over its memory limit) starts nothing, so whatever it holds and has not
   * started would wait there until it recovers, maybe forever: on each heartbeat of a paused
   * worker, or of an idle one while another is paused, idle workers steal from the paused ones.
   * Steals of tasks it is running are refused by the worker, and not asked for again.
   */
  protected offloadPaused(ws: WorkerRecord): void {
    if (isPaused(ws)) {
      if (ws.processing.size === 0) return;
      for (const idle of this.workers.values()) if (idle !== ws && idle.processing.size < idle.nthreads) this.stealFor(idle, ws);
    } else if (ws.processing.size < ws.nthreads) {
      for (const victim of this.pool.paused) if (victim !== ws && victim.processing.size > 0) this.stealFor(ws, victim);
    }
  }

  /**
   * A worker with free threads takes unstarted work from `from`, or else from the workers with the
   * most unstarted work (each victim confirms its steal); how much, whose and which: steals.ts.
   */
  protected stealFor(idle: WorkerRecord, from?: WorkerRecord): void {
    if (this.queue.size > 0 || !acceptsWork(idle)) return;
    const wanted = stealsWanted(idle);
    if (wanted <= 0 || (from && spareWork(from) <= 0)) return;
    for (const ts of from ? stealCandidates(from, wanted, idle) : chooseSteals(idle, this.pool, wanted)) {
      idle.askedToSteal(ts);
      this.send({ worker: ts.processingOn!.id }, { op: 'steal-request', key: ts.key });
    }
  }

  protected toMemory(ts: TaskRecord, ws: WorkerRecord, nbytes: number, typeName: string, inline: InlineValue | undefined): void {
    this.setState(ts, 'memory');
    ts.nbytes = nbytes;
    ts.typeName = this.typeNames.intern(typeName);
    ts.holders = ws.alone;
    ws.has.add(ts);
    ws.storedBytes += nbytes;
    ts.valueWithClients = true; // no client holds it yet, or notifyMemory says whether they got it
    this.notifyMemory(ts, inline);
    // A small result that a few tasks wait for travels with them (see assign), within a budget.
    // Wide fan-outs keep the fetch path: each worker fetches once and shares it among its tasks.
    // Counted at the size measured on arrival (inline.bytes), not the one the worker declared.
    if (inline && dependentCount(ts) > 0 && dependentCount(ts) <= INLINE_MAX_DEPENDENTS && this.inlineBytes + inline.bytes <= this.config.inlineBudgetBytes) {
      ts.inline = inline;
      this.inlineBytes += inline.bytes;
    }
    for (const dep of ts.dependents) {
      if (dep.state !== 'waiting') continue;
      if (--dep.waitingOn === 0) this.makeReady(dep);
    }
    for (const d of ts.deps) {
      this.releaseIfUnneeded(d);
      this.settleHolderless(d);
    }
    this.releaseIfUnneeded(ts);
  }

  /** Tells the clients holding the key (or just `only`) where its result is. */
  protected notifyMemory(ts: TaskRecord, inline: { value: unknown } | undefined, only?: ClientRecord): void {
    if (ts.clientRefs === 0) return;
    // The holders' addresses as a compute-task names them: one shared list for a result one worker holds.
    const msg: Message = { op: 'key-in-memory', key: ts.key, nbytes: ts.nbytes, typeName: ts.typeName, workers: holderAddresses(ts.holders) };
    if (inline) msg.value = inline.value;
    // A value delivered inline is the clients': losing the result later costs them nothing.
    if (only) {
      this.send({ client: only.id }, msg);
      if (!inline) ts.valueWithClients = false;
      return;
    }
    for (const c of this.clients.values()) if (c.refsOn(ts) > 0) this.send({ client: c.id }, msg);
    ts.valueWithClients = inline !== undefined;
  }

  /**
   * One more worker holds a result in memory (holder lists may be the shared empty one or a
   * worker's `alone`: replaced, never changed). It is counted at the result's size (`ts.nbytes`),
   * as every removal uncounts it, not at the size it reported: a copy measured
   * another way (estimated when acquired from a retiring worker, or by another process) left
   * the difference in its count for ever.
   */
  protected addHolder(ts: TaskRecord, ws: WorkerRecord): void {
    if (ts.holders.includes(ws)) return;
    ts.holders = ts.holders.length ? [...ts.holders, ws] : ws.alone;
    ws.has.add(ts);
    ws.storedBytes += ts.nbytes;
    // A worker holds it again: the inline copy kept while none did follows the usual rule.
    if (ts.inline && !hasUnassigned(ts.dependents)) this.dropInline(ts);
  }

  /**
   * The last worker copy of a result is gone (its worker died, or a peer reported it missing).
   * A small result the scheduler still keeps inline is not lost: it stays in memory with no
   * worker holding it, dependents get it with their compute-task, and clients that lack it get it
   * now; it is let go once no dependent needs it (settleHolderless). So a reduction whose
   * partial results wait for their siblings does not recompute whole subtrees when a worker dies.
   */
  protected lastCopyGone(ts: TaskRecord): void {
    if (!ts.inline) {
      this.lost(ts);
      return;
    }
    ts.holders = NO_HOLDERS;
    if (clientLacks(ts, this.clients)) this.notifyMemory(ts, ts.inline);
    this.settleHolderless(ts);
  }

  /** A result only the scheduler holds (inline) that no dependent needs any more is let go. */
  protected settleHolderless(ts: TaskRecord): void {
    if (ts.state !== 'memory' || ts.holders.length > 0 || inlineCopyNeeded(ts)) return;
    this.setState(ts, 'released');
    this.releaseIfUnneeded(ts);
  }

  /**
   * A result's last copy is gone. Dependents not yet sent to a worker wait for it again; those
   * already sent keep running (they may have the value; if not, their worker reports it missing).
   * It is recomputed only when still needed (see lineage.ts), else kept as lineage.
   */
  protected lost(ts: TaskRecord): void {
    this.setState(ts, 'released');
    ts.holders = NO_HOLDERS;
    for (const d of ts.dependents) {
      if (d.state === 'queued') {
        d.queueStamp++;
        this.setState(d, 'released');
      } else if (d.state === 'waiting') {
        this.setState(d, 'released');
      }
    }
    if (clientLacks(ts, this.clients)) this.compute(ts);
    for (const d of ts.dependents) if (d.state === 'released' && isWanted(d, this.clients)) this.compute(d);
  }

  /**
   * Frees a result nobody needs any more, and forgets tasks with no references and no
   * dependents (their lineage is no longer needed either).
   */
  protected releaseIfUnneeded(root: TaskRecord): void {
    // The stack is made only once a walk goes on past `root`: most calls (a task whose result
    // its dependents or a client still need, each input of a finished task) end at the root, and
    // a stack per call was ~160 bytes of garbage per task of a tree (bench/scheduler-heap.ts --alloc).
    let stack: TaskRecord[] | null = null;
    for (let ts: TaskRecord | undefined = root; ts !== undefined; ts = stack?.pop()) {
      if (ts.state === 'forgotten' || ts.clientRefs > 0) continue;
      let needed = false;
      for (const d of ts.dependents) {
        if (d.state === 'waiting' || d.state === 'queued' || d.state === 'processing') {
          needed = true;
          break;
        }
      }
      if (needed) continue;
      if (dependentCount(ts) === 0) {
        this.forget(ts);
        if (ts.deps.length) stack ??= [];
        for (const d of ts.deps) stack!.push(d);
      } else if (ts.state === 'memory') {
        this.freeData(ts);
        this.setState(ts, 'released');
      } else if (ts.state === 'waiting' || ts.state === 'queued') {
        if (ts.state === 'queued') ts.queueStamp++;
        this.setState(ts, 'released');
        if (ts.deps.length) stack ??= [];
        for (const d of ts.deps) stack!.push(d);
      }
    }
  }

  protected forget(ts: TaskRecord): void {
    if (ts.state === 'memory') this.freeData(ts);
    this.callOff(ts);
    this.setState(ts, 'forgotten');
    this.forgottenCount++;
    const g = this.groups.get(ts.group);
    if (g && --g.total === 0) this.emptyGroups.emptied(this.groups, g);
    this.tasks.delete(ts.key);
    for (const d of ts.deps) removeDependent(d, ts);
  }

  protected freeData(ts: TaskRecord): void {
    for (const h of ts.holders) {
      h.has.delete(ts);
      h.storedBytes -= ts.nbytes;
      this.outbox.free(h.id, ts.key);
    }
    ts.holders = NO_HOLDERS;
  }

  /**
   * Before a task leaves processing or the queue for good (released, forgotten, erred): its
   * worker is told to drop it, and its queue entry goes stale. The worker may have finished it
   * before it hears: its result is then a late result it is entitled to send (WorkerRecord.calledOff).
   */
  protected callOff(ts: TaskRecord): void {
    if (ts.state === 'processing' && ts.processingOn) {
      ts.processingOn.drop(ts);
      this.outbox.free(ts.processingOn.id, ts.key);
      ts.processingOn.calledOff(ts.key);
      ts.processingOn = null;
    }
    if (ts.state === 'queued') ts.queueStamp++;
  }

  protected toReleased(ts: TaskRecord): void {
    this.callOff(ts);
    this.setState(ts, 'released');
  }

  /**
   * Marks a task and everything downstream erred, and tells the clients that hold them. `on`:
   * the worker it failed on (`error.worker` names it), for the dashboard's link to its page.
   * Only a failure of the root's own (the error names it) is a Failures row and a log line: a task
   * that errs because an input erred before it arrived (the error names that input) is counted
   * erred by Progress, as the ones the failure spreads to below are, and not listed again.
   */
  protected fail(root: TaskRecord, error: TaskError, now: number, on?: NamedWorker): void {
    const stack = [root];
    let first = error.key === root.key;
    while (stack.length) {
      const ts = stack.pop()!;
      if (ts.state === 'erred' || ts.state === 'forgotten' || ts.state === 'memory') continue;
      this.callOff(ts);
      this.setState(ts, 'erred');
      ts.error = error;
      ts.valueWithClients = false;
      for (const c of this.clients.values()) {
        if (c.refsOn(ts) === 0) continue;
        if (c.received.size) c.received.delete(ts);
        this.send({ client: c.id }, { op: 'task-erred', key: ts.key, error });
      }
      for (const d of ts.dependents) stack.push(d);
      if (first) {
        first = false;
        const row: FailureRow = {
          key: ts.key, group: ts.group, message: error.message, name: error.name, stack: error.stack,
          worker: error.worker, ...(on ? { workerId: on.id } : {}), retriesUsed: error.retriesUsed, kind: error.kind, time: now,
          ...(error.code !== undefined ? { code: error.code } : {}),
        };
        this.journal.addFailure(row);
        // As Node prints a coded error (`Error [ERR_X]: …`), unless the message already says it (a system error's 'ENOENT: …').
        const coded = error.code !== undefined && !error.message.includes(error.code) ? ` [${error.code}]` : '';
        const cause = `${error.name}${coded}: ${error.message}`;
        this.addLog(now, 'erred', on ? logLine`task ${ts.key} failed on ${on}: ${cause}` : `task ${ts.key} failed${error.worker ? ` on ${error.worker}` : ''}: ${cause}`);
      }
    }
  }

  protected setState(ts: TaskRecord, to: TaskRecord['state']): void {
    if (ts.state === to) return;
    this.transitionCount++;
    if (ts.state === 'memory') this.dropInline(ts);
    const g = groupStats(this.groups, ts.group);
    const a = GROUP_STATE[ts.state];
    const b = GROUP_STATE[to];
    if (a) g.counts[a]--;
    if (b) g.counts[b]++;
    if (this.journal.listened) this.emit({ kind: 'task-state', group: ts.group, from: a ?? (ts.state as 'released' | 'forgotten'), to: b ?? (to as 'released' | 'forgotten'), outcome: ts.outcome });
    ts.state = to;
    ts.outcome = outcomeAfter(ts.outcome, to);
  }

  // ---------------------------------------------------------------- dashboard

  workerRow(ws: WorkerRecord): WorkerRow {
    return workerRow(ws);
  }

  protected emitWorker(ws: WorkerRecord): void {
    if (this.journal.listened) this.emit({ kind: 'worker', row: workerRow(ws) });
  }

  /** An event log entry; `say`: in the scheduler process's log too (see takeSaid). */
  protected addLog(time: number, kind: LogEntry['kind'], line: string | LogLine, say = false): void {
    this.journal.addLog(time, kind, line, say);
  }

  /** Event log lines said since the last call that the scheduler's own log must have too. */
  takeSaid(): string[] {
    return this.journal.takeSaid();
  }

  protected emit(e: ClusterEvent): void {
    this.journal.emit(e);
  }

  protected send(to: Command['to'], msg: Message): void {
    this.outbox.send(to, msg);
  }

  protected flush(): Command[] {
    // Bounded: compute() adds to toAdopt only tasks holding an orphan, and taking one removes it.
    for (let i = 0; this.toAdopt.size && i < 8; i++) this.adoptPending();
    return this.outbox.take();
  }
}

