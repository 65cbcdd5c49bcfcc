import { Heap, type FnRef, type Message, type TaskError, type TaskSpec, type WorkerMetrics } from '@gluon/protocol';
import type { ClusterEvent, FailureRow, GroupState, LogEntry, WorkerRow } from './dashboard/source.js';
import { checkTransfer, type TransferReport } from './validate.js';
import { Recovery } from './recovery.js';
import { clientLacks, inlineCopyNeeded, isWanted } from './lineage.js';
import { acceptsWork, ClientRecord, NO_DEPENDENTS, NO_DEPS, NO_HOLDERS, runsBefore, TaskRecord, WorkerRecord } from './records.js';

/** Where a command goes: a worker or a client, by id. */
export interface Command {
  to: { worker: string } | { client: string };
  msg: Message;
}

export interface SchedulerConfig {
  /** Workers a task may kill before it fails instead of being rescheduled. */
  allowedFailures: number;
  /** A worker silent for this long is removed. */
  heartbeatTtlMs: number;
  /**
   * Scheduler↔worker round-trip budget used to size in-flight work for short tasks: a worker
   * gets enough of them to stay busy for this long without waiting for the next batch.
   */
  latencyBudgetMs: number;
  /** Upper bound on in-flight tasks per worker thread. */
  maxInFlightPerThread: number;
  /**
   * Bytes of small results (sent inline by workers) the scheduler keeps to hand to their
   * dependents with `compute-task`, so a worker needs no fetch from a peer for them.
   */
  inlineBudgetBytes: number;
  /** How long results of keys the scheduler does not know are kept on workers (see recovery.ts). */
  orphanGraceMs: number;
  /** How long a task a client saw in memory waits for its holder to re-register (see recovery.ts). */
  holderWaitMs: number;
}

/** Results with more dependents than this are fetched by workers, not carried inline. */
const INLINE_MAX_DEPENDENTS = 32;

/** Whether some of these tasks still wait to be sent to a worker. */
function hasUnassigned(tasks: Set<TaskRecord>): boolean {
  for (const t of tasks) if (t.state === 'waiting' || t.state === 'queued' || t.state === 'released') return true;
  return false;
}

export const DEFAULT_CONFIG: SchedulerConfig = {
  allowedFailures: 3,
  heartbeatTtlMs: 30_000,
  latencyBudgetMs: 2,
  maxInFlightPerThread: 64,
  inlineBudgetBytes: 32 * 1024 * 1024,
  orphanGraceMs: 60_000,
  holderWaitMs: 15_000,
};

interface GroupStats {
  name: string;
  /** The distinct functions of the group's tasks (usually one), by `module#export`. */
  fns: Map<string, FnRef>;
  counts: Record<GroupState, number>;
  total: number;
  /** Running mean of execution time, ms; NaN until the first result. */
  meanMs: number;
  samples: number;
}

const GROUP_STATE: Partial<Record<TaskRecord['state'], GroupState>> = {
  waiting: 'waiting',
  queued: 'queued',
  processing: 'processing',
  memory: 'memory',
  erred: 'erred',
};

const MAX_FAILURES_KEPT = 500;
const MAX_LOG_KEPT = 500;

/**
 * The scheduler's decisions, as a pure state machine: each method takes an event (with the
 * time it happened) and returns the messages to send. No sockets, no timers; the server feeds it
 * and delivers what it returns, so every rule here is testable on its own.
 */
export class SchedulerState {
  readonly config: SchedulerConfig;
  readonly tasks = new Map<string, TaskRecord>();
  readonly workers = new Map<string, WorkerRecord>();
  readonly clients = new Map<string, ClientRecord>();
  /** Gone workers, kept for the dashboard. */
  readonly goneWorkers: WorkerRecord[] = [];
  readonly groups = new Map<string, GroupStats>();
  readonly failures: FailureRow[] = [];
  readonly log: LogEntry[] = [];
  readonly topics = new Map<string, unknown>();
  /** Ready tasks that no worker has room for. */
  private readonly queue = new Heap<TaskRecord>(runsBefore);
  private generation = 0;
  private seq = 0;
  /** When tick last ran (-1: never), to tell the scheduler's own stalls from silent workers. */
  private lastTick = -1;
  /** Bytes of results kept inline (TaskRecord.inline), bounded by config.inlineBudgetBytes. */
  private inlineBytes = 0;
  private out: Command[] = [];
  /** The keys array of the free-keys message still open for appending, per worker id. */
  private readonly openFree = new Map<string, string[]>();
  private listeners: Array<(e: ClusterEvent) => void> = [];
  /** Workers already logged for a malformed `transfer` report (logged once each). */
  private readonly badTransferFrom = new WeakSet<WorkerRecord>();
  /** Results to take back from workers instead of recomputing them (reconnects, restarts). */
  readonly recovery: Recovery;
  /**
   * Released tasks whose result a worker holds as an orphan, taken back at the end of the event
   * (in flush): by then every dependent of the event is waiting for them, so the taken result is
   * not freed again as unneeded in between.
   */
  private readonly toAdopt = new Set<TaskRecord>();

  constructor(config: Partial<SchedulerConfig> = {}) {
    this.config = { ...DEFAULT_CONFIG, ...config };
    this.recovery = new Recovery(this.config);
  }

  /** Dashboard events; cheap appends for listeners that aggregate on their own timer. */
  subscribe(listener: (e: ClusterEvent) => void): () => void {
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  get queuedCount(): number {
    let n = 0;
    for (const g of this.groups.values()) n += g.counts.queued;
    return n;
  }

  // ---------------------------------------------------------------- clients

  clientConnected(id: string, name: string, now: number): Command[] {
    this.clients.set(id, new ClientRecord(id, name));
    this.addLog(now, 'client-connected', `client ${name} connected`);
    return this.flush();
  }

  clientDisconnected(id: string, now: number): Command[] {
    const client = this.clients.get(id);
    if (!client) return this.flush();
    this.clients.delete(id);
    for (const [key, n] of client.refs) {
      const ts = this.tasks.get(key);
      if (ts) {
        ts.clientRefs -= n;
        this.releaseIfUnneeded(ts);
      }
    }
    this.addLog(now, 'client-disconnected', `client ${client.name} disconnected; released ${client.refs.size} keys`);
    return this.flush();
  }

  /**
   * Adds tasks (keys already in the graph are reused) and gives the client a reference on each
   * key in `wants`. Unknown dependencies fail the task that names them. `held` (a reconnecting
   * client re-sending its graph): where it saw results in memory, key → worker addresses.
   */
  updateGraph(clientId: string, specs: TaskSpec[], wants: string[], now: number, held?: Record<string, string[]>): Command[] {
    const client = this.clients.get(clientId);
    const gen = ++this.generation;
    const fresh: TaskRecord[] = [];
    for (const spec of specs) {
      if (this.tasks.has(spec.key)) continue;
      const deps: TaskRecord[] = spec.deps.length ? [] : NO_DEPS;
      let missing: string | null = null;
      for (const k of spec.deps) {
        const d = this.tasks.get(k);
        if (!d) {
          missing = k;
          break;
        }
        deps.push(d);
      }
      let depth = 0;
      for (const d of deps) if (d.depth + 1 > depth) depth = d.depth + 1;
      // One group name and one FnRef object per group/function, shared by all their tasks.
      // The group comes with the task, never from its key (generated ids contain '-' too).
      const g = this.groupStats(spec.group ?? spec.fn.export);
      let fn = g.fns.get(spec.fn.module + '#' + spec.fn.export);
      if (!fn) g.fns.set(spec.fn.module + '#' + spec.fn.export, (fn = { module: spec.fn.module, export: spec.fn.export }));
      const ts = new TaskRecord(spec.key, g.name, fn, spec.args, deps, spec.priority ?? 0, gen, depth, this.seq++, spec.retries ?? 0);
      if (spec.timeoutMs) ts.timeoutMs = spec.timeoutMs;
      this.tasks.set(ts.key, ts);
      g.total++;
      for (const d of deps) {
        if (d.dependents === NO_DEPENDENTS) d.dependents = new Set();
        d.dependents.add(ts);
      }
      if (missing !== null) {
        this.fail(ts, {
          message: `task ${spec.key} depends on ${missing}, which the scheduler does not know (released or never submitted)`,
          name: 'UnknownDependencyError', stack: '', key: spec.key, worker: '', retriesUsed: 0, kind: 'bad-input',
        }, now);
      } else {
        fresh.push(ts);
      }
    }
    if (client) {
      for (const key of wants) {
        const ts = this.tasks.get(key);
        if (!ts) continue;
        client.refs.set(key, (client.refs.get(key) ?? 0) + 1);
        ts.clientRefs++;
        if (ts.state === 'memory') this.notifyMemory(ts, ts.inline ?? undefined, client);
        else {
          ts.valueWithClients = false; // this client has not got it, whatever the others have
          if (ts.state === 'erred') this.send({ client: clientId }, { op: 'task-erred', key, error: ts.error });
        }
      }
    }
    // A reconnecting client names where it saw results: wait for those workers rather than recompute.
    if (held) this.awaitHolders(held, now);
    // Fresh tasks run only when something wants them: a client, or a wanted dependent.
    for (const ts of fresh) if (ts.state === 'released' && isWanted(ts, this.clients)) this.compute(ts);
    for (const key of wants) {
      const ts = this.tasks.get(key);
      if (ts && ts.state === 'released') this.compute(ts);
    }
    this.fillAll();
    return this.flush();
  }

  /** The client drops its references; results nobody needs are freed on the workers. */
  releaseKeys(clientId: string, keys: string[]): Command[] {
    const client = this.clients.get(clientId);
    if (!client) return this.flush();
    for (const key of keys) {
      const n = client.refs.get(key);
      if (!n) continue;
      if (n === 1) {
        client.refs.delete(key);
        if (client.received.size) client.received.delete(key);
      } else client.refs.set(key, n - 1);
      const ts = this.tasks.get(key);
      if (ts) {
        ts.clientRefs--;
        this.releaseIfUnneeded(ts);
      }
    }
    // Forgetting running tasks frees worker slots: hand them queued work now.
    this.fillAll();
    return this.flush();
  }

  /**
   * The client fetched these keys' values from the workers and keeps them: should their last
   * copy be lost, they are not recomputed for this client. Keys it does not hold are ignored.
   */
  clientReceived(clientId: string, keys: string[]): Command[] {
    const client = this.clients.get(clientId);
    if (client) for (const key of keys) if (client.refs.has(key)) client.received.add(key);
    return this.flush();
  }

  /** Cancels tasks and everything depending on them; holders of their futures are told. */
  cancel(keys: string[], now: number): Command[] {
    const seen = new Set<TaskRecord>();
    const stack: TaskRecord[] = [];
    for (const k of keys) {
      const ts = this.tasks.get(k);
      if (ts) stack.push(ts);
    }
    while (stack.length) {
      const ts = stack.pop()!;
      if (seen.has(ts)) continue;
      seen.add(ts);
      for (const d of ts.dependents) stack.push(d);
    }
    for (const ts of seen) {
      if (ts.state === 'memory') continue;
      for (const c of this.clients.values()) {
        const n = c.refs.get(ts.key);
        if (!n) continue;
        c.refs.delete(ts.key);
        if (c.received.size) c.received.delete(ts.key);
        ts.clientRefs -= n;
        this.send({ client: c.id }, { op: 'cancelled', key: ts.key });
      }
    }
    for (const ts of seen) if (ts.state !== 'memory') this.toReleased(ts);
    for (const ts of seen) this.releaseIfUnneeded(ts);
    if (seen.size) this.addLog(now, 'info', `cancelled ${seen.size} task(s) starting at ${keys[0]}`);
    this.fillAll();
    return this.flush();
  }

  /** Erred tasks (and the erred tasks they depend on) run again. */
  retry(keys: string[], now: number): Command[] {
    const roots: TaskRecord[] = [];
    const stack = keys.map((k) => this.tasks.get(k)).filter((t): t is TaskRecord => !!t && t.state === 'erred');
    const seen = new Set<TaskRecord>();
    while (stack.length) {
      const ts = stack.pop()!;
      if (seen.has(ts)) continue;
      seen.add(ts);
      for (const d of ts.deps) if (d.state === 'erred') stack.push(d);
    }
    for (const ts of seen) {
      this.setState(ts, 'released');
      ts.valueWithClients = false;
      for (const c of this.clients.values()) c.received.delete(ts.key);
      ts.error = null;
      ts.retriesUsed = 0;
      ts.deaths = 0;
      roots.push(ts);
    }
    for (const ts of roots) this.compute(ts);
    if (roots.length) this.addLog(now, 'retry', `retrying ${roots.length} erred task(s) from ${keys[0]}`);
    this.fillAll();
    return this.flush();
  }

  whoHas(keys: string[]): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const k of keys) {
      const ts = this.tasks.get(k);
      out[k] = ts && ts.state === 'memory' ? ts.holders.map((w) => w.address) : [];
    }
    return out;
  }

  publish(topic: string, value: unknown, now: number): Command[] {
    this.topics.set(topic, value);
    this.emit({ kind: 'publish', topic, value, time: now });
    return this.flush();
  }

  // ---------------------------------------------------------------- workers

  /** A worker registered (or re-registered after a reconnect, with the keys it still holds). */
  workerAdded(
    w: {
      id: string; name: string; address: string; nthreads: number; memoryLimit: number; host: string; pid: number;
      /** Results it holds (after a reconnect), with their sizes. */
      keys?: Record<string, number>;
      /** Tasks it still runs from before it reconnected; their results may follow. */
      running?: string[];
    },
    now: number,
  ): Command[] {
    const ws = new WorkerRecord(w.id, w.name, w.address, Math.max(1, w.nthreads), w.memoryLimit, w.host, w.pid, now);
    this.workers.set(ws.id, ws);
    const unknown: string[] = [];
    const reported = w.keys ?? {};
    this.recovery.expectLate(ws.id, w.running ?? []);
    for (const [key, nbytes] of Object.entries(reported)) {
      const ts = this.tasks.get(key);
      if (!ts) {
        // No task (yet): after a scheduler restart its client re-sends it soon; keep it a while.
        this.recovery.addOrphan(key, ws.id, nbytes, now);
      } else if (ts.state === 'erred') {
        unknown.push(key);
      } else if (ts.state !== 'memory') {
        // A result we had lost (or were recomputing) came back with its worker: take it.
        this.takeBack(ts, ws, nbytes, ts.typeName, undefined);
      } else {
        this.addHolder(ts, ws, nbytes);
      }
    }
    if (unknown.length) this.send({ worker: ws.id }, { op: 'free-keys', keys: unknown });
    const holdEnded = this.recovery.workerBack(ws.address);
    if (holdEnded) this.addLog(now, 'info', `every worker a reconnecting client named is back; assigning tasks again`);
    this.addLog(now, 'worker-added', `worker ${ws.name} joined at ${ws.address} with ${ws.nthreads} thread(s)`);
    this.emitWorker(ws);
    if (holdEnded) this.fillAll();
    this.fill(ws);
    this.stealFor(ws);
    return this.flush();
  }

  /**
   * A worker left or was declared dead. Its running tasks are rescheduled (counting the death
   * against them unless it left cleanly), and results that lived only there are recomputed when
   * still wanted.
   */
  workerRemoved(id: string, reason: string, now: number, clean = false): Command[] {
    const ws = this.workers.get(id);
    if (!ws) return this.flush();
    this.workers.delete(id);
    const wasRunning = this.recovery.workerGone(id);
    ws.status = 'gone';
    this.goneWorkers.push(ws);
    if (this.goneWorkers.length > 100) this.goneWorkers.shift();
    this.addLog(now, 'worker-removed', `worker ${ws.name} removed: ${reason}`);
    const running = [...ws.processing];
    ws.processing.clear();
    for (const ts of running) {
      ts.processingOn = null;
      this.setState(ts, 'released');
      if (!clean) ts.deaths++;
      if (!clean && ts.deaths >= this.config.allowedFailures) {
        this.fail(ts, {
          message: `task ${ts.key} killed ${ts.deaths} workers (the last: ${ws.name}: ${reason}); ` +
            `giving up after allowed-failures=${this.config.allowedFailures}. The task itself probably kills its worker ` +
            `(process.exit, out of memory, a native crash).`,
          name: 'KilledWorker', stack: '', key: ts.key, worker: ws.name, retriesUsed: ts.retriesUsed, kind: 'worker-died',
        }, now);
      } else {
        this.addLog(now, 'reschedule', `rescheduling ${ts.key} (was on ${ws.name})`);
      }
    }
    for (const ts of ws.has) {
      ts.holders = ts.holders.filter((h) => h !== ws);
      if (ts.holders.length === 0 && ts.state === 'memory') this.lastCopyGone(ts);
    }
    ws.has.clear();
    for (const ts of running) if (ts.state === 'released' && isWanted(ts, this.clients)) this.compute(ts);
    // Tasks it was still running from before it re-registered, left waiting for it: run them now.
    for (const key of wasRunning) this.computeIfWanted(key);
    this.emitWorker(ws);
    this.fillAll();
    return this.flush();
  }

  heartbeat(id: string, metrics: WorkerMetrics, now: number): Command[] {
    const ws = this.workers.get(id);
    if (ws) {
      ws.lastSeen = now;
      const wasPaused = ws.metrics?.paused === true;
      ws.metrics = metrics;
      this.emitWorker(ws);
      // A worker back under its memory limit takes queued work again.
      if (wasPaused && !metrics.paused) this.fill(ws);
      this.offloadPaused(ws);
    }
    return this.flush();
  }

  /** How often the server calls {@link tick}: a quarter of the TTL, at most every second. */
  get tickIntervalMs(): number {
    return Math.max(20, Math.min(1000, this.config.heartbeatTtlMs / 4));
  }

  /**
   * Periodic check (every {@link tickIntervalMs}): workers silent longer than the TTL are
   * removed. A tick later than two intervals means the scheduler itself was blocked or frozen,
   * while the workers' heartbeats waited unread in its sockets: that excess is not counted as
   * their silence (a merely slow loop loses little; a frozen scheduler expires nobody for it).
   */
  tick(now: number): { commands: Command[]; expired: string[] } {
    const excess = this.lastTick < 0 ? 0 : now - this.lastTick - 2 * this.tickIntervalMs;
    this.lastTick = now;
    if (excess > 0) {
      for (const ws of this.workers.values()) ws.lastSeen += excess;
      if (excess > this.config.heartbeatTtlMs / 2) this.addLog(now, 'info', `the scheduler was stalled for ${excess} ms; not counted against its workers' heartbeats`);
    }
    const expired: string[] = [];
    for (const ws of this.workers.values()) {
      if (now - ws.lastSeen > this.config.heartbeatTtlMs) expired.push(ws.id);
    }
    const commands: Command[] = [];
    for (const id of expired) commands.push(...this.workerRemoved(id, `no heartbeat for more than ${this.config.heartbeatTtlMs} ms`, now));
    for (const [workerId, keys] of this.recovery.expireOrphans(now)) {
      this.send({ worker: workerId }, { op: 'free-keys', keys });
      this.addLog(now, 'info', `freed ${keys.length} result(s) on ${this.workers.get(workerId)?.name ?? workerId} that no client claimed within ${this.config.orphanGraceMs} ms`);
    }
    const missing = this.recovery.expireHold(now);
    if (missing.length) this.addLog(now, 'info', `assigning tasks again: ${missing.join(', ')} did not come back within ${this.config.holderWaitMs} ms`);
    this.fillAll();
    commands.push(...this.flush());
    return { commands, expired };
  }

  taskFinished(
    workerId: string,
    m: { key: string; nbytes: number; typeName: string; start: number; stop: number; thread: number; value?: unknown; hasValue?: boolean; events?: number },
    now: number = m.stop,
  ): Command[] {
    const ws = this.workers.get(workerId);
    const ts = this.tasks.get(m.key);
    if (!ws) return this.flush();
    if (!ts) {
      // A task from before this scheduler restarted (the worker said it was running it): an
      // orphan its client will claim. Otherwise a task forgotten here: nobody wants it.
      if (this.recovery.takeLate(workerId, m.key)) this.recovery.addOrphan(m.key, workerId, m.nbytes, now);
      else this.send({ worker: workerId }, { op: 'free-keys', keys: [m.key] });
      return this.flush();
    }
    this.recovery.takeLate(workerId, m.key);
    // thread -1: the worker already held the result and ran nothing, so there is no run to time or draw.
    const ran = m.thread >= 0;
    if (ws.processing.delete(ts) && ran) this.recordDuration(ts.group, m.stop - m.start);
    if (ran && this.listeners.length) this.emit({ kind: 'task-done', key: ts.key, group: ts.group, worker: ws.name, thread: m.thread, start: m.start, stop: m.stop, ...(m.events !== undefined ? { events: m.events } : {}) });
    if (ts.state === 'memory') {
      // Computed twice (a steal race or a recompute): keep the extra copy too.
      this.addHolder(ts, ws, m.nbytes);
    } else if (ts.state === 'processing' && ts.processingOn === ws) {
      ts.processingOn = null;
      this.toMemory(ts, ws, m.nbytes, m.typeName, m.hasValue ? { value: m.value } : undefined);
    } else if (ts.state !== 'erred' && (ts.state !== 'released' || isWanted(ts, this.clients))) {
      // A late result: its worker was declared dead (or the task moved) and it finished anyway.
      // Still wanted, so it is taken, once; the copy being recomputed elsewhere is called off.
      this.takeBack(ts, ws, m.nbytes, m.typeName, m.hasValue ? { value: m.value } : undefined);
    } else {
      // Finished after being cancelled or moved: nobody wants this copy.
      this.send({ worker: workerId }, { op: 'free-keys', keys: [m.key] });
    }
    this.fill(ws);
    if (ws.processing.size === 0) this.stealFor(ws);
    return this.flush();
  }

  taskErred(workerId: string, m: { key: string; error: { message: string; name: string; stack: string }; kind?: TaskError['kind'] }, now: number): Command[] {
    const ws = this.workers.get(workerId);
    const ts = this.tasks.get(m.key);
    if (!ws || !ts) return this.flush();
    ws.processing.delete(ts);
    if (ts.state !== 'processing' || ts.processingOn !== ws) {
      // A task it ran from before it re-registered failed: it was left waiting for it; run it here.
      if (this.recovery.takeLate(workerId, m.key)) this.computeIfWanted(m.key);
      this.fill(ws);
      return this.flush();
    }
    ts.processingOn = null;
    this.setState(ts, 'released');
    const kind = m.kind ?? 'exception';
    if (kind === 'worker-died') {
      // The task killed its thread: the same rule as a dead worker process.
      ts.deaths++;
      if (ts.deaths < this.config.allowedFailures) {
        this.addLog(now, 'reschedule', `task ${ts.key} killed a thread on ${ws.name} (${m.error.message}); rescheduling (${ts.deaths}/${this.config.allowedFailures})`);
        this.compute(ts);
        this.fill(ws);
        return this.flush();
      }
      this.fail(ts, {
        message: `task ${ts.key} killed ${ts.deaths} workers (the last: a thread of ${ws.name}: ${m.error.message}); giving up after allowed-failures=${this.config.allowedFailures}`,
        name: 'KilledWorker', stack: m.error.stack, key: ts.key, worker: ws.name, retriesUsed: ts.retriesUsed, kind,
      }, now);
    } else if (kind === 'exception' && ts.retriesUsed < ts.retries) {
      ts.retriesUsed++;
      this.addLog(now, 'retry', `task ${ts.key} raised ${m.error.name}: ${m.error.message} on ${ws.name}; retry ${ts.retriesUsed}/${ts.retries}`);
      this.compute(ts);
    } else {
      this.fail(ts, { ...m.error, key: ts.key, worker: ws.name, retriesUsed: ts.retriesUsed, kind }, now);
    }
    this.fill(ws);
    return this.flush();
  }

  /**
   * The server could not send a task to the worker it was given to: its message is over a size
   * limit. Another worker would refuse it as well (or accept it only by luck of a larger budget),
   * so the task fails at once with the reason, kind `too-large`.
   */
  unsendable(workerId: string, key: string, reason: string, now: number): Command[] {
    const ws = this.workers.get(workerId);
    const ts = this.tasks.get(key);
    if (!ws || !ts || ts.state !== 'processing' || ts.processingOn !== ws) return this.flush();
    ws.processing.delete(ts);
    ts.processingOn = null;
    this.fail(ts, { message: `task ${key} cannot be sent to worker ${ws.name}: ${reason}`, name: 'DataTooLargeError', stack: '', key, worker: ws.name, retriesUsed: ts.retriesUsed, kind: 'too-large' }, now);
    this.fill(ws);
    return this.flush();
  }

  /** A worker could not fetch `key` from `errantWorker` (gone, or it no longer has it). */
  missingData(workerId: string, key: string, errantAddress: string, dependent: string | undefined): Command[] {
    const ts = this.tasks.get(key);
    if (ts && ts.state === 'memory') {
      const before = ts.holders.length;
      ts.holders = ts.holders.filter((h) => {
        if (h.address !== errantAddress) return true;
        h.has.delete(ts);
        return false;
      });
      if (ts.holders.length === 0 && before > 0) this.lastCopyGone(ts);
    }
    // handback flushes: keep what was decided before it.
    const before = dependent ? this.handback(workerId, [dependent]) : [];
    this.fillAll();
    return before.concat(this.flush());
  }

  /** The worker gives tasks back unstarted (shutdown, or a dependency it could not get). */
  handback(workerId: string, keys: string[]): Command[] {
    const ws = this.workers.get(workerId);
    for (const key of keys) {
      const ts = this.tasks.get(key);
      if (!ts || ts.state !== 'processing' || ts.processingOn !== ws) continue;
      ws?.processing.delete(ts);
      ts.processingOn = null;
      this.setState(ts, 'released');
      this.compute(ts);
    }
    // A closing worker gets nothing more (fill skips it); tasks it still runs stay on its books
    // so they are rescheduled if it leaves without finishing them.
    if (ws) this.fill(ws);
    this.fillAll();
    return this.flush();
  }

  /**
   * A worker fetched dependencies from a peer (its `transfer` report): a transfer bar for the
   * dashboard's task stream, with both ends named like the `worker` of task-done events. It
   * changes nothing else, so it costs nothing without listeners. A malformed report is ignored,
   * and logged once per worker with the reason; a peer address no worker has (it left) is kept
   * as the name.
   */
  transfer(workerId: string, m: Record<string, unknown>, now: number): Command[] {
    if (!this.listeners.length) return this.flush();
    const ws = this.workers.get(workerId);
    if (!ws) return this.flush();
    const bad = checkTransfer(m);
    if (bad) {
      if (!this.badTransferFrom.has(ws)) {
        this.badTransferFrom.add(ws);
        this.addLog(now, 'info', `ignoring transfer reports from worker ${ws.name} that are malformed: ${bad}`);
      }
      return this.flush();
    }
    const r = m as unknown as TransferReport;
    this.emit({ kind: 'transfer', keys: r.keys, from: this.workerName(r.from), to: ws.name, start: r.start, stop: r.stop, bytes: r.bytes });
    return this.flush();
  }

  /** The name of the worker (live, else recently gone) at a data address; the address if none. */
  private workerName(address: string): string {
    for (const w of this.workers.values()) if (w.address === address) return w.name;
    for (let i = this.goneWorkers.length - 1; i >= 0; i--) if (this.goneWorkers[i]!.address === address) return this.goneWorkers[i]!.name;
    return address;
  }

  /** A worker is shutting down: send it nothing more. */
  workerClosing(workerId: string): Command[] {
    const ws = this.workers.get(workerId);
    if (ws) ws.status = 'closing';
    return this.flush();
  }

  stealResponse(workerId: string, key: string, ok: boolean): Command[] {
    const ts = this.tasks.get(key);
    const ws = this.workers.get(workerId);
    if (!ts || !ws) return this.flush();
    const thief = ts.thief;
    ts.thief = null;
    if (ok && ts.state === 'processing' && ts.processingOn === ws) {
      ws.processing.delete(ts);
      ts.processingOn = null;
      this.setState(ts, 'released');
      // The task goes to the worker it was stolen for, if that one still has room; otherwise
      // it is placed afresh.
      if (thief && acceptsWork(thief) && this.workers.get(thief.id) === thief && thief.processing.size < this.capacity(thief, ts.group)) {
        this.assign(ts, thief);
      } else {
        this.compute(ts);
      }
      this.fill(ws);
      this.fillAll();
    }
    return this.flush();
  }

  // ---------------------------------------------------------------- transitions

  /** Makes a released task (and what it needs) run. */
  private compute(root: TaskRecord): void {
    const stack = [root];
    while (stack.length) {
      const ts = stack.pop()!;
      if (ts.state !== 'released') continue;
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
        if (d.state === 'released') stack.push(d);
      }
      if (erredDep) {
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
  private takeBack(ts: TaskRecord, ws: WorkerRecord, nbytes: number, typeName: string, inline: { value: unknown } | undefined): void {
    this.toReleased(ts);
    this.recovery.adopted++;
    this.toMemory(ts, ws, nbytes, typeName, inline);
  }

  /** Takes back the orphans that computations of this event reached (see {@link toAdopt}). */
  private adoptPending(): void {
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
  private adoptOrphan(ts: TaskRecord): boolean {
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
        this.addHolder(ts, ws, nbytes);
      }
    }
    return !first;
  }

  /**
   * Hints from a reconnecting client: keys it saw in memory, with the workers that held them.
   * Workers this scheduler has never seen (it restarted) are waited for, bounded.
   */
  private awaitHolders(held: Record<string, string[]>, now: number): void {
    // Registered workers said what they hold; workers this scheduler saw leave are not coming
    // back with anything it would wait for (a client that only lost its link names them too).
    const live = new Set<string>();
    for (const ws of this.workers.values()) live.add(ws.address);
    for (const ws of this.goneWorkers) live.add(ws.address);
    const missing = new Set<string>();
    for (const addresses of Object.values(held)) for (const a of addresses) if (!live.has(a)) missing.add(a);
    if (missing.size) this.addLog(now, 'info', `a reconnecting client saw results on ${[...missing].join(', ')}: holding task assignment until they are back (at most ${this.config.holderWaitMs} ms)`);
    this.recovery.expectWorkers([...missing], now);
  }

  /** Computes a released task if something still wants it. */
  private computeIfWanted(key: string): void {
    const ts = this.tasks.get(key);
    if (ts && ts.state === 'released' && isWanted(ts, this.clients)) this.compute(ts);
  }

  /** All dependencies are in memory: run it on the best worker with room, or queue it. */
  private makeReady(ts: TaskRecord): void {
    const ws = this.recovery.holding ? null : this.chooseWorker(ts);
    if (ws) this.assign(ts, ws);
    else {
      this.setState(ts, 'queued');
      ts.queueStamp++;
      this.queue.push(ts);
    }
  }

  /** Most dependency bytes held, then least occupied, among workers with room. */
  private chooseWorker(ts: TaskRecord): WorkerRecord | null {
    let best: WorkerRecord | null = null;
    let bestBytes = -1;
    let bestLoad = Infinity;
    for (const ws of this.workers.values()) {
      if (!acceptsWork(ws)) continue;
      const room = this.capacity(ws, ts.group) - ws.processing.size;
      if (room <= 0) continue;
      let bytes = 0;
      for (const d of ts.deps) if (ws.has.has(d)) bytes += d.nbytes || 1;
      const load = ws.processing.size / ws.nthreads;
      if (bytes > bestBytes || (bytes === bestBytes && load < bestLoad)) {
        best = ws;
        bestBytes = bytes;
        bestLoad = load;
      }
    }
    return best;
  }

  /**
   * How many tasks a worker may hold in flight: nthreads+1 normally; for groups whose tasks are
   * much shorter than the scheduler round trip, enough to cover it (bounded), so short tasks do
   * not leave threads idle while the rest stays queued here for late joiners.
   */
  capacity(ws: WorkerRecord, group: string): number {
    const base = ws.nthreads + 1;
    const stats = this.groups.get(group);
    if (!stats || stats.samples === 0) return base;
    const perThread = Math.ceil(this.config.latencyBudgetMs / Math.max(stats.meanMs, 1e-3));
    return Math.max(base, Math.min(ws.nthreads * perThread, ws.nthreads * this.config.maxInFlightPerThread));
  }

  private assign(ts: TaskRecord, ws: WorkerRecord): void {
    this.setState(ts, 'processing');
    ts.processingOn = ws;
    ts.thief = null;
    ws.processing.add(ts);
    const deps: Record<string, string[]> = {};
    let values: Record<string, unknown> | undefined;
    for (const d of ts.deps) {
      deps[d.key] = d.holders.map((h) => h.address);
      // Small results the worker does not hold come along: no peer fetch, one hop less.
      if (d.inline && !ws.has.has(d)) (values ??= {})[d.key] = d.inline.value;
    }
    this.send({ worker: ws.id }, {
      op: 'compute-task', key: ts.key, fn: ts.fn, args: ts.args, deps,
      priority: [-ts.userPriority, ts.generation, -ts.depth, ts.seq], ...(values ? { values } : {}),
      ...(ts.timeoutMs ? { timeoutMs: ts.timeoutMs } : {}),
    });
    // Kept while no worker holds it (see lastCopyGone): a dependent run again needs it inline.
    for (const d of ts.deps) if (d.inline && d.holders.length > 0 && !hasUnassigned(d.dependents)) this.dropInline(d);
  }

  /** Forgets a kept inline result (its dependents have it, or it left memory). */
  private dropInline(ts: TaskRecord): void {
    if (!ts.inline) return;
    this.inlineBytes -= ts.inline.bytes;
    ts.inline = null;
  }

  /** Gives a worker queued work until it is full. */
  private fill(ws: WorkerRecord): void {
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

  private fillAll(): void {
    if (this.queue.size === 0) return;
    for (const ws of this.workers.values()) this.fill(ws);
  }

  /**
   * A paused worker (over its memory limit) starts nothing, so whatever it holds and has not
   * started would wait there until it recovers, maybe forever: on each heartbeat of a paused
   * worker, or of an idle one while another is paused, idle workers steal from the paused ones.
   * Steals of tasks it is running are refused by the worker and asked again next time.
   */
  private offloadPaused(ws: WorkerRecord): void {
    if (isPaused(ws)) {
      if (ws.processing.size === 0) return;
      for (const idle of this.workers.values()) if (idle !== ws && idle.processing.size < idle.nthreads) this.stealFor(idle, ws);
    } else if (ws.processing.size < ws.nthreads) {
      for (const victim of this.workers.values()) if (victim !== ws && isPaused(victim) && victim.processing.size > 0) this.stealFor(ws, victim);
    }
  }

  /**
   * An idle worker takes unstarted work from `from`, or else from the worker with the most
   * unstarted work (the worker confirms the steal). A running worker's first `nthreads` tasks
   * are taken to be running; a paused one may have started none.
   */
  private stealFor(idle: WorkerRecord, from?: WorkerRecord): void {
    if (this.queue.size > 0 || !acceptsWork(idle)) return;
    let victim: WorkerRecord | null = from ?? null;
    if (!victim) {
      for (const ws of this.workers.values()) {
        if (ws === idle || spareWork(ws) <= 0) continue;
        if (!victim || spareWork(ws) > spareWork(victim)) victim = ws;
      }
    }
    if (!victim || spareWork(victim) <= 0) return;
    let n = Math.min(spareWork(victim), idle.nthreads + 1);
    // The victim runs its best tasks first, so the thief takes from the other end.
    const candidates = [...victim.processing].filter((t) => t.thief === null).sort((a, b) => (runsBefore(a, b) ? 1 : -1));
    for (const ts of candidates) {
      if (n-- <= 0) break;
      ts.thief = idle;
      this.send({ worker: victim.id }, { op: 'steal-request', key: ts.key });
    }
  }

  private toMemory(ts: TaskRecord, ws: WorkerRecord, nbytes: number, typeName: string, inline: { value: unknown } | undefined): void {
    this.setState(ts, 'memory');
    ts.nbytes = nbytes;
    ts.typeName = typeName;
    ts.holders = [ws];
    ws.has.add(ts);
    ws.storedBytes += nbytes;
    ts.valueWithClients = true; // no client holds it yet, or notifyMemory says whether they got it
    this.notifyMemory(ts, inline);
    // A small result that a few tasks wait for travels with them (see assign), within a budget.
    // Wide fan-outs keep the fetch path: each worker fetches once and shares it among its tasks.
    if (inline && ts.dependents.size > 0 && ts.dependents.size <= INLINE_MAX_DEPENDENTS && this.inlineBytes + nbytes <= this.config.inlineBudgetBytes) {
      ts.inline = { value: inline.value, bytes: nbytes };
      this.inlineBytes += nbytes;
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
  private notifyMemory(ts: TaskRecord, inline: { value: unknown } | undefined, only?: ClientRecord): void {
    if (ts.clientRefs === 0) return;
    const msg: Message = { op: 'key-in-memory', key: ts.key, nbytes: ts.nbytes, typeName: ts.typeName, workers: ts.holders.map((h) => h.address) };
    if (inline) msg.value = inline.value;
    // A value delivered inline is the clients': losing the result later costs them nothing.
    if (only) {
      this.send({ client: only.id }, msg);
      if (!inline) ts.valueWithClients = false;
      return;
    }
    for (const c of this.clients.values()) if (c.refs.has(ts.key)) this.send({ client: c.id }, msg);
    ts.valueWithClients = inline !== undefined;
  }

  /** One more worker holds a result in memory (holder lists may be the shared frozen empty one). */
  private addHolder(ts: TaskRecord, ws: WorkerRecord, nbytes: number): void {
    if (ts.holders.includes(ws)) return;
    ts.holders = ts.holders.length ? [...ts.holders, ws] : [ws];
    ws.has.add(ts);
    ws.storedBytes += nbytes;
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
  private lastCopyGone(ts: TaskRecord): void {
    if (!ts.inline) {
      this.lost(ts);
      return;
    }
    ts.holders = NO_HOLDERS;
    if (clientLacks(ts, this.clients)) this.notifyMemory(ts, ts.inline);
    this.settleHolderless(ts);
  }

  /** A result only the scheduler holds (inline) that no dependent needs any more is let go. */
  private settleHolderless(ts: TaskRecord): void {
    if (ts.state !== 'memory' || ts.holders.length > 0 || inlineCopyNeeded(ts)) return;
    this.setState(ts, 'released');
    this.releaseIfUnneeded(ts);
  }

  /**
   * A result's last copy is gone. Dependents not yet sent to a worker wait for it again; those
   * already sent keep running (they may have the value; if not, their worker reports it missing).
   * It is recomputed only when still needed (see lineage.ts), else kept as lineage.
   */
  private lost(ts: TaskRecord): void {
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
  private releaseIfUnneeded(root: TaskRecord): void {
    const stack = [root];
    while (stack.length) {
      const ts = stack.pop()!;
      if (ts.state === 'forgotten' || ts.clientRefs > 0) continue;
      let needed = false;
      for (const d of ts.dependents) {
        if (d.state === 'waiting' || d.state === 'queued' || d.state === 'processing') {
          needed = true;
          break;
        }
      }
      if (needed) continue;
      if (ts.dependents.size === 0) {
        this.forget(ts);
        for (const d of ts.deps) stack.push(d);
      } else if (ts.state === 'memory') {
        this.freeData(ts);
        this.setState(ts, 'released');
      } else if (ts.state === 'waiting' || ts.state === 'queued') {
        if (ts.state === 'queued') ts.queueStamp++;
        this.setState(ts, 'released');
        for (const d of ts.deps) stack.push(d);
      }
    }
  }

  private forget(ts: TaskRecord): void {
    if (ts.state === 'memory') this.freeData(ts);
    if (ts.state === 'processing' && ts.processingOn) {
      ts.processingOn.processing.delete(ts);
      this.send({ worker: ts.processingOn.id }, { op: 'free-keys', keys: [ts.key] });
      ts.processingOn = null;
    }
    if (ts.state === 'queued') ts.queueStamp++;
    this.setState(ts, 'forgotten');
    const g = this.groups.get(ts.group);
    if (g) g.total--;
    this.tasks.delete(ts.key);
    for (const d of ts.deps) d.dependents.delete(ts);
  }

  private freeData(ts: TaskRecord): void {
    for (const h of ts.holders) {
      h.has.delete(ts);
      h.storedBytes -= ts.nbytes;
      this.send({ worker: h.id }, { op: 'free-keys', keys: [ts.key] });
    }
    ts.holders = NO_HOLDERS;
  }

  private toReleased(ts: TaskRecord): void {
    if (ts.state === 'processing' && ts.processingOn) {
      ts.processingOn.processing.delete(ts);
      this.send({ worker: ts.processingOn.id }, { op: 'free-keys', keys: [ts.key] });
      ts.processingOn = null;
    }
    if (ts.state === 'queued') ts.queueStamp++;
    this.setState(ts, 'released');
  }

  /** Marks a task and everything downstream erred, and tells the clients that hold them. */
  private fail(root: TaskRecord, error: TaskError, now: number): void {
    const stack = [root];
    let first = true;
    while (stack.length) {
      const ts = stack.pop()!;
      if (ts.state === 'erred' || ts.state === 'forgotten' || ts.state === 'memory') continue;
      if (ts.state === 'processing' && ts.processingOn) {
        ts.processingOn.processing.delete(ts);
        this.send({ worker: ts.processingOn.id }, { op: 'free-keys', keys: [ts.key] });
        ts.processingOn = null;
      }
      if (ts.state === 'queued') ts.queueStamp++;
      this.setState(ts, 'erred');
      ts.error = error;
      ts.valueWithClients = false;
      for (const c of this.clients.values()) {
        if (!c.refs.has(ts.key)) continue;
        if (c.received.size) c.received.delete(ts.key);
        this.send({ client: c.id }, { op: 'task-erred', key: ts.key, error });
      }
      for (const d of ts.dependents) stack.push(d);
      if (first) {
        first = false;
        const row: FailureRow = {
          key: ts.key, group: ts.group, message: error.message, name: error.name, stack: error.stack,
          worker: error.worker, retriesUsed: error.retriesUsed, kind: error.kind, time: now,
        };
        this.failures.push(row);
        if (this.failures.length > MAX_FAILURES_KEPT) this.failures.shift();
        this.emit({ kind: 'failure', row });
        this.addLog(now, 'erred', `task ${ts.key} failed${error.worker ? ` on ${error.worker}` : ''}: ${error.name}: ${error.message}`);
      }
    }
  }

  private setState(ts: TaskRecord, to: TaskRecord['state']): void {
    if (ts.state === to) return;
    if (ts.state === 'memory') this.dropInline(ts);
    const g = this.groupStats(ts.group);
    const a = GROUP_STATE[ts.state];
    const b = GROUP_STATE[to];
    if (a) g.counts[a]--;
    if (b) g.counts[b]++;
    if (this.listeners.length) this.emit({ kind: 'task-state', group: ts.group, from: a ?? (ts.state as 'released' | 'forgotten'), to: b ?? (to as 'released' | 'forgotten') });
    ts.state = to;
  }

  private groupStats(group: string): GroupStats {
    let g = this.groups.get(group);
    if (!g) {
      g = { name: group, fns: new Map(), counts: { waiting: 0, queued: 0, processing: 0, memory: 0, erred: 0 }, total: 0, meanMs: NaN, samples: 0 };
      this.groups.set(group, g);
    }
    return g;
  }

  private recordDuration(group: string, ms: number): void {
    const g = this.groupStats(group);
    // Exponential mean over recent tasks: a group's duration can change as its inputs do.
    g.meanMs = g.samples === 0 ? ms : g.meanMs * 0.9 + ms * 0.1;
    g.samples++;
  }

  // ---------------------------------------------------------------- dashboard

  workerRow(ws: WorkerRecord): WorkerRow {
    const m = ws.metrics;
    return {
      id: ws.id, name: ws.name, address: ws.address, host: ws.host, nthreads: ws.nthreads,
      cpu: m?.cpu ?? 0, rss: m?.rss ?? 0, memoryLimit: ws.memoryLimit,
      executing: m?.executing ?? 0, queued: Math.max(0, ws.processing.size - (m?.executing ?? 0)),
      stored: ws.has.size, storedBytes: ws.storedBytes, lastSeen: ws.lastSeen, alive: ws.status !== 'gone',
    };
  }

  private emitWorker(ws: WorkerRecord): void {
    if (this.listeners.length) this.emit({ kind: 'worker', row: this.workerRow(ws) });
  }

  private addLog(time: number, kind: LogEntry['kind'], text: string): void {
    const entry = { time, kind, text };
    this.log.push(entry);
    if (this.log.length > MAX_LOG_KEPT) this.log.shift();
    this.emit({ kind: 'log', entry });
  }

  private emit(e: ClusterEvent): void {
    for (const l of this.listeners) l(e);
  }

  private send(to: Command['to'], msg: Message): void {
    if ('worker' in to) {
      // Consecutive free-keys to one worker become one message (releasing 50,000 keys is one
      // message per worker, not 50,000); anything else sent to that worker closes the run so
      // the worker sees every message in decision order.
      if (msg.op === 'free-keys') {
        const open = this.openFree.get(to.worker);
        if (open) {
          for (const k of msg.keys as string[]) open.push(k);
          return;
        }
        this.openFree.set(to.worker, msg.keys as string[]);
      } else if (this.openFree.size) {
        this.openFree.delete(to.worker);
      }
    }
    this.out.push({ to, msg });
  }

  private flush(): Command[] {
    // Bounded: compute() adds to toAdopt only tasks holding an orphan, and taking one removes it.
    for (let i = 0; this.toAdopt.size && i < 8; i++) this.adoptPending();
    const out = this.out;
    this.out = [];
    this.openFree.clear();
    return out;
  }
}

/** Whether a worker said it is over its memory limit (it starts no new tasks). */
function isPaused(ws: WorkerRecord): boolean {
  return ws.status === 'running' && ws.metrics?.paused === true;
}

/** How many of a worker's tasks may not have started: all of them while it is paused. */
function spareWork(ws: WorkerRecord): number {
  return ws.processing.size - (isPaused(ws) ? 0 : ws.nthreads);
}
