import type { TaskError, TaskSpec, WorkerMetrics } from '@gluon/protocol';
import type { ClusterEvent } from './dashboard/source.js';
import type { Command } from './outbox.js';
import { groupStats, recordDuration } from './groups.js';
import { downstream, erredUpstream, missingDependency, newTask } from './graph.js';
import { checkTransfer, type TransferReport } from './validate.js';
import { isWanted } from './lineage.js';
import { acceptsWork, keyedRecord, WorkerRecord, ClientRecord, TaskRecord } from './records.js';
import { wantedTasks } from './wants.js';
import { Transitions } from './transitions.js';
import { StallWatches, stallFigures, type KindedNotice } from './memory-stall.js';
import { UnreachablePeers, type PeerNotice } from './unreachable-peers.js';

export { DEFAULT_CONFIG, type SchedulerConfig } from './config.js';
export type { Command } from './outbox.js';

/**
 * The scheduler's decisions, as a pure state machine: each method takes an event (with the
 * time it happened) and returns the messages to send. No sockets, no timers; the server feeds it
 * and delivers what it returns, so every rule here is testable on its own.
 */
export class SchedulerState extends Transitions {
  subscribe(listener: (e: ClusterEvent) => void): () => void {
    return this.journal.subscribe(listener);
  }

  get queuedCount(): number {
    let n = 0;
    for (const g of this.groups.values()) n += g.counts.queued;
    return n;
  }

  // ---------------------------------------------------------------- clients

  clientConnected(id: string, name: string, now: number): Command[] {
    this.clients.set(id, new ClientRecord(id, name));
    this.countRefs();
    this.addLog(now, 'client-connected', `client ${name} connected`);
    // A client arriving while the cluster is stuck is told too.
    for (const stall of this.stall.current) this.send({ client: id }, { op: 'warning', ...stall });
    for (const cut of this.cutPeers.current) this.send({ client: id }, { op: 'warning', kind: 'unreachable-peer', ...cut });
    return this.flush();
  }

  clientDisconnected(id: string, now: number): Command[] {
    const client = this.clients.get(id);
    if (!client) return this.flush();
    this.clients.delete(id);
    this.countRefs();
    const held = client.held();
    for (const [ts, n] of held) {
      ts.clientRefs -= n;
      this.releaseIfUnneeded(ts);
    }
    this.addLog(now, 'client-disconnected', `client ${client.name} disconnected; released ${held.length} keys`);
    return this.flush();
  }

  /** The only client connected keeps no per-task counts; several do (see ClientRecord). */
  private countRefs(): void {
    if (this.clients.size === 1) for (const c of this.clients.values()) c.alone();
    else for (const c of this.clients.values()) c.share();
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
    // The frame's new records in order, for its wants (see wantedTasks).
    const made: TaskRecord[] = [];
    for (const spec of specs) {
      if (this.tasks.has(spec.key)) continue;
      const ts = newTask(spec, this.tasks, this.groups, gen, this.seq++);
      const missing = missingDependency(spec, ts);
      this.tasks.set(ts.key, ts);
      made.push(ts);
      if (missing !== null) {
        this.fail(ts, {
          message: `task ${spec.key} depends on ${missing}, which the scheduler does not know (released or never submitted)`,
          name: 'UnknownDependencyError', stack: '', key: spec.key, worker: '', retriesUsed: 0, kind: 'bad-input',
        }, now);
      } else {
        fresh.push(ts);
      }
    }
    const wanted = wantedTasks(wants, made, this.tasks);
    if (client) {
      for (const ts of wanted) {
        const key = ts.key;
        client.hold(ts);
        if (ts.state === 'memory') this.notifyMemory(ts, ts.inline ?? undefined, client);
        else {
          ts.valueWithClients = false; // this client has not got it, whatever the others have
          if (ts.state === 'erred') this.send({ client: clientId }, { op: 'task-erred', key, error: ts.error });
        }
      }
    }
    // A reconnecting client names where it saw results: wait for those workers rather than recompute.
    if (held) this.awaitHolders(held, now);
    // Fresh tasks run only when something wants them: a client, or a wanted dependent. Beyond
    // the idle threads they are handed out by fillAll, a worker's share in one message.
    this.idleThreadsOnly = true;
    try {
      for (const ts of fresh) if (ts.state === 'released' && isWanted(ts, this.clients)) this.compute(ts);
      for (const ts of wanted) if (ts.state === 'released') this.compute(ts);
    } finally {
      this.idleThreadsOnly = false;
    }
    this.fillAll();
    return this.flush();
  }

  /** The client drops its references; results nobody needs are freed on the workers. */
  releaseKeys(clientId: string, keys: string[]): Command[] {
    const client = this.clients.get(clientId);
    if (!client) return this.flush();
    for (const key of keys) {
      const ts = this.tasks.get(key);
      if (!ts) continue;
      if (client.drop(ts, 1) === 0) continue;
      this.releaseIfUnneeded(ts);
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
    if (!client) return this.flush();
    for (const key of keys) {
      const ts = this.tasks.get(key);
      if (ts && client.refsOn(ts) > 0) client.received.add(ts);
    }
    return this.flush();
  }

  /** Cancels tasks and everything depending on them; holders of their futures are told. */
  cancel(keys: string[], now: number): Command[] {
    const seen = downstream(this.known(keys));
    for (const ts of seen) {
      if (ts.state === 'memory') continue;
      for (const c of this.clients.values()) {
        if (c.drop(ts) === 0) continue;
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
    for (const ts of erredUpstream(this.known(keys))) {
      this.setState(ts, 'released');
      ts.valueWithClients = false;
      for (const c of this.clients.values()) c.received.delete(ts);
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

  /** The tasks of these keys that the graph has. */
  private known(keys: string[]): TaskRecord[] {
    const out: TaskRecord[] = [];
    for (const k of keys) {
      const ts = this.tasks.get(k);
      if (ts) out.push(ts);
    }
    return out;
  }

  whoHas(keys: string[]): Record<string, string[]> {
    const out = keyedRecord<string[]>();
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
    const ws = new WorkerRecord(w.id, w.name, w.address, Math.max(1, w.nthreads), w.memoryLimit, w.host, w.pid, now, this.workerOrder++);
    this.workers.set(ws.id, ws);
    this.pool.add(ws);
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
    this.pool.remove(ws);
    this.goneWorkers.push(ws);
    if (this.goneWorkers.length > 100) this.goneWorkers.shift();
    this.addLog(now, 'worker-removed', `worker ${ws.name} removed: ${reason}`);
    if (this.cutPeers.size) this.sayPeers(this.cutPeers.gone(id, ws.address), now);
    const running = ws.dropAll();
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

  /**
   * A worker expired for silence may still hold other workers' fetches (a frozen process accepts
   * connections and answers nothing): those running a task that needs one of its results are
   * told (`peer-gone`), so they give up on it now rather than at their peer timeout. Not for a
   * worker whose connection closed: its listener is gone too (a fetch fails at once), or it is
   * alive behind a cut link to the scheduler alone, and its peers may still fetch from it.
   */
  private tellFetchers(gone: WorkerRecord): void {
    const fetchers = new Set<WorkerRecord>();
    for (const ts of gone.has) {
      for (const d of ts.dependents) if (d.state === 'processing' && d.processingOn && d.processingOn !== gone) fetchers.add(d.processingOn);
    }
    for (const f of fetchers) this.send({ worker: f.id }, { op: 'peer-gone', address: gone.address });
  }

  /**
   * Any message from a registered worker shows it alive, not only its heartbeat: a worker busy
   * sending results whose heartbeat timer runs late (its loop full of task-finished frames) is
   * not expired for it, nor is a protocol-level peer that answers tasks without heartbeats.
   */
  seen(id: string, now: number): void {
    const ws = this.workers.get(id);
    if (ws && now > ws.lastSeen) ws.lastSeen = now;
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
  tick(now: number): { commands: Command[]; expired: string[]; stalls: KindedNotice[] } {
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
    for (const id of expired) {
      this.tellFetchers(this.workers.get(id)!);
      commands.push(...this.workerRemoved(id, `no heartbeat for more than ${this.config.heartbeatTtlMs} ms`, now));
    }
    for (const [workerId, keys] of this.recovery.expireOrphans(now)) {
      this.send({ worker: workerId }, { op: 'free-keys', keys });
      this.addLog(now, 'info', `freed ${keys.length} result(s) on ${this.workers.get(workerId)?.name ?? workerId} that no client claimed within ${this.config.orphanGraceMs} ms`);
    }
    const missing = this.recovery.expireHold(now);
    if (missing.length) this.addLog(now, 'info', `assigning tasks again: ${missing.join(', ')} did not come back within ${this.config.holderWaitMs} ms`);
    this.fillAll();
    const stalls = this.stall.step(stallFigures(this.workers.values(), this.queuedCount), now);
    for (const n of stalls) this.sayStall(n, now);
    commands.push(...this.flush());
    return { commands, expired, stalls };
  }

  /** Tasks waiting while every worker is paused for memory, or none is left: said once per episode (memory-stall.ts). */
  private readonly stall = new StallWatches(this.config.memoryStallMs);

  /** Workers that cannot reach each other's data ports (unreachable-peers.ts); the last notice said, for the server's log. */
  private readonly cutPeers = new UnreachablePeers();
  lastPeerNotice: PeerNotice | undefined;
  private sayPeers(notices: PeerNotice[], now: number): void {
    for (const n of notices) {
      this.lastPeerNotice = n;
      this.addLog(now, n.active ? 'stuck' : 'unstuck', n.text);
      for (const id of this.clients.keys()) this.send({ client: id }, { op: 'warning', kind: 'unreachable-peer', ...n });
    }
  }

  private sayStall(notice: KindedNotice, now: number): void {
    this.addLog(now, notice.active ? 'stuck' : 'unstuck', notice.text);
    for (const id of this.clients.keys()) this.send({ client: id }, { op: 'warning', ...notice });
  }

  taskFinished(
    workerId: string,
    m: { key: string; nbytes: number; typeName: string; start: number; stop: number; thread: number; value?: unknown; hasValue?: boolean; events?: number },
    now: number = m.stop,
  ): Command[] {
    const ws = this.workers.get(workerId);
    if (!ws) return this.flush();
    // Nearly always a task it runs: found among those without a lookup in the graph.
    const ts = ws.runningTask(m.key) ?? this.tasks.get(m.key);
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
    if (ws.drop(ts) && ran) recordDuration(groupStats(this.groups, ts.group), m.stop - m.start);
    if (ran && this.journal.listened) this.emit({ kind: 'task-done', key: ts.key, group: ts.group, worker: ws.name, thread: m.thread, start: m.start, stop: m.stop, nbytes: m.nbytes, ...(m.events !== undefined ? { events: m.events } : {}) });
    if (ts.state === 'memory') {
      // Computed twice (a steal race or a recompute): keep the extra copy too.
      this.addHolder(ts, ws, m.nbytes);
    } else if (ts.state === 'processing' && ts.processingOn === ws) {
      ts.processingOn = null;
      this.toMemory(ts, ws, m.nbytes, m.typeName, m.hasValue ? { value: m.value, bytes: m.nbytes } : undefined);
    } else if (ts.state !== 'erred' && (ts.state !== 'released' || isWanted(ts, this.clients))) {
      // A late result: its worker was declared dead (or the task moved) and it finished anyway.
      // Still wanted, so it is taken, once; the copy being recomputed elsewhere is called off.
      this.takeBack(ts, ws, m.nbytes, m.typeName, m.hasValue ? { value: m.value, bytes: m.nbytes } : undefined);
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
    ws.drop(ts);
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
    ws.drop(ts);
    ts.processingOn = null;
    this.fail(ts, { message: `task ${key} cannot be sent to worker ${ws.name}: ${reason}`, name: 'DataTooLargeError', stack: '', key, worker: ws.name, retriesUsed: ts.retriesUsed, kind: 'too-large' }, now);
    this.fill(ws);
    return this.flush();
  }

  /** A worker could not fetch `key` from `errantWorker` (gone, or it no longer has it). */
  missingData(workerId: string, key: string, errantAddress: string, dependent: string | undefined, now = 0): Command[] {
    const fetcher = this.workers.get(workerId);
    const holder = fetcher && [...this.workers.values()].find((w) => w.address === errantAddress && w !== fetcher);
    if (holder) this.sayPeers([this.cutPeers.failed(fetcher, holder, key)].filter((n) => n !== undefined), now);
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
      ws?.drop(ts);
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
    const back = this.cutPeers.size && typeof m.from === 'string' ? this.cutPeers.reached(workerId, m.from) : undefined;
    if (back) this.sayPeers([back], now);
    if (!this.journal.listened) return this.flush();
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
    const from = this.workerAt(r.from);
    this.emit({ kind: 'transfer', keys: r.keys, from: from?.name ?? r.from, to: ws.name, ...(from ? { fromId: from.id } : {}), toId: ws.id, start: r.start, stop: r.stop, bytes: r.bytes });
    return this.flush();
  }

  /**
   * A line a worker logged (`log`), for its page on the dashboard; changes nothing else, so it
   * costs nothing without listeners. Cut at 2,000 characters whatever the worker sent.
   */
  workerLog(workerId: string, time: number, text: string): Command[] {
    const ws = this.workers.get(workerId);
    if (ws && this.journal.listened) this.emit({ kind: 'worker-log', worker: ws.name, workerId: ws.id, time, text: text.length > 2000 ? `${text.slice(0, 2000)}…` : text });
    return this.flush();
  }

  /** The worker (live, else recently gone) at a data address, if any. */
  private workerAt(address: string): WorkerRecord | undefined {
    for (const w of this.workers.values()) if (w.address === address) return w;
    for (let i = this.goneWorkers.length - 1; i >= 0; i--) if (this.goneWorkers[i]!.address === address) return this.goneWorkers[i]!;
    return undefined;
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
      ws.drop(ts);
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
}
