import type { WorkerMetrics } from '@gluon/protocol';
import type { Command } from './outbox.js';
import { isWanted, keptAsOrphan } from './lineage.js';
import { WorkerRecord } from './records.js';
import { lostWaitFigures } from './lost-client-wait.js';
import { stallFigures, type KindedNotice } from './memory-stall.js';
import { Notices } from './notices.js';
import type { SilentFigure } from './silent-workers.js';
import { stallNote } from './loop-stall.js';
import { logLine, shortKey } from './log-line.js';
import { RefusalLog } from './refusals.js';
import { OrphanLog } from './orphan-log.js';
import { believable, keyList, type ClaimContext } from './worker-claims.js';
import { judgeWorkerHello, type ClashVerdict } from './worker-clash.js';
import { addressList, MAX_UNKNOWN_KEY, MAX_UNKNOWN_KEY_CHARS } from './recovery.js';
import { deathsText } from './task-deaths.js';

/**
 * Worker registration and removal, and liveness: a worker joins (with the results it still holds
 * after a reconnect), leaves or is expired for silence (its running tasks rescheduled, results
 * only it held recomputed when still wanted), shows it is alive, closes. The periodic tick lives
 * here as it expires workers. What workers report about their tasks is in worker-reports.ts.
 */
export abstract class WorkerEvents extends Notices {
  /**
   * When the scheduler last came back from a stall of its own longer than the TTL (-Infinity:
   * never). Its workers drop a scheduler silent for the TTL, so connections that close soon after
   * are workers that are alive and registering again, not deaths.
   */
  private longStallEndedAt = -Infinity;

  /** The scheduler's own log's summary of results freed unclaimed (the event log has each). */
  private readonly orphanLog = new OrphanLog();

  get queuedCount(): number {
    let n = 0;
    for (const g of this.groups.values()) n += g.counts.queued;
    return n;
  }

  /** A worker registered (or re-registered after a reconnect, with the keys it still holds). */
  workerAdded(
    w: {
      id: string; name: string; address: string; nthreads: number; memoryLimit: number; host: string; pid: number;
      /** Its hello's session, if it gave one (see {@link judgeHello}). */
      session?: string | undefined;
      /** Results it holds (after a reconnect), with their sizes. */
      keys?: Record<string, number>;
      /** Tasks it still runs from before it reconnected; their results may follow. */
      running?: string[];
    },
    now: number,
  ): Command[] {
    const ws = new WorkerRecord(w.id, w.name, w.address, Math.max(1, w.nthreads), w.memoryLimit, w.host, w.pid, now, this.workerOrder++);
    ws.session = w.session;
    this.workers.set(ws.id, ws);
    this.registered.add(ws);
    this.pool.add(ws);
    this.stall.workerJoined();
    // Results it holds that it is simply told to drop: erred tasks', and released ones nothing needs.
    const stale: string[] = [];
    const reported = w.keys ?? {};
    // Claims about tasks not in memory here are judged (worker-claims.ts); made only when there are any.
    let claims: ClaimContext | undefined;
    const claimsOf = () => (claims ??= this.claimContext(ws));
    const refusedRunning: string[] = [];
    const refusedHeld: string[] = [];
    // Claims of keys with no task here past what is kept of them (Recovery.admits): freed.
    const unkept: string[] = [];
    if (w.running?.length) {
      const believed: string[] = [];
      for (const key of w.running) {
        if (this.tasks.has(key)) (believable(key, claimsOf()) ? believed : refusedRunning).push(key);
        else if (this.recovery.admits(key)) this.recovery.expectLate(ws.id, [key], true);
        else unkept.push(key);
      }
      this.recovery.expectLate(ws.id, believed);
    }
    for (const [key, nbytes] of Object.entries(reported)) {
      const ts = this.tasks.get(key);
      if (!ts) {
        // No task (yet): after a scheduler restart its client re-sends it soon; keep it a while.
        if (this.recovery.admits(key) || this.recovery.claimedUnknown(key)) this.recovery.addOrphan(key, ws.id, nbytes, now, false);
        else unkept.push(key);
      } else if (ts.state === 'erred') {
        stale.push(key);
      } else if (ts.state !== 'memory') {
        // A result we had lost (or were recomputing) came back with its worker: take it, or keep
        // it as an orphan while nothing needs it yet (see keptAsOrphan). Only from the worker
        // that had it: another's claim would complete the task with its value.
        if (!believable(key, claimsOf())) {
          // Nothing needs it (released, no client or dependent waits for it): most likely a copy
          // this worker was told to free while it was cut off. Dropping it is what the lost
          // free-keys asked; it is no claim to refuse (that line is for results it never had).
          if (keptAsOrphan(ts, this.clients)) stale.push(key);
          else refusedHeld.push(key);
        } else if (keptAsOrphan(ts, this.clients)) this.recovery.addOrphan(key, ws.id, nbytes, now, true);
        else this.takeBack(ts, ws, nbytes, ts.typeName, undefined);
      } else {
        this.addHolder(ts, ws);
      }
    }
    if (refusedRunning.length || refusedHeld.length) this.refuseClaims(ws, refusedRunning, refusedHeld, reported, now);
    if (unkept.length) this.unkeptClaims(ws, unkept, now);
    if (stale.length) this.send({ worker: ws.id }, { op: 'free-keys', keys: stale });
    const holdEnded = this.recovery.workerBack(ws.address);
    if (holdEnded) this.addLog(now, 'info', `every worker awaited (named by a reconnecting client, or that dropped this scheduler during its stall) is back; assigning tasks again`, true);
    this.addLog(now, 'worker-added', logLine`worker ${ws} joined at ${ws.address} with ${ws.nthreads} thread(s)`);
    this.tellClients('worker-joined', ws.address);
    this.emitWorker(ws);
    // It has refused nothing yet: tasks of a module every other worker refuses may go to it.
    if (this.held.size) this.judgeAll(now);
    if (holdEnded) this.fillAll();
    this.fill(ws);
    this.stealFor(ws);
    return this.flush();
  }

  /**
   * What a worker's hello `{name, address, session}` comes to against the registered workers
   * (worker-clash.ts): new, the same worker reconnecting, or refused. Looks only at the workers
   * at its address.
   */
  judgeHello(hello: { name?: string | undefined; address?: string | undefined; session?: string | undefined }, now: number): ClashVerdict {
    return judgeWorkerHello(hello, hello.address ? this.registered.at(hello.address) : [], now, this.config.heartbeatTtlMs);
  }

  /** The registered workers named `name` (two processes started with one `--name`). */
  namesakes(name: string): readonly WorkerRecord[] {
    return this.registered.named(name);
  }

  /** When refused claims were last said (one line for every worker: see refusals.ts). */
  private readonly refusedClaims = new RefusalLog<object>();

  /**
   * What a registering worker's claims are judged against (worker-claims.ts): its previous
   * registration is the last gone one at its data address, unless another registered worker has
   * that address.
   */
  private claimContext(ws: WorkerRecord): ClaimContext {
    const at = this.workerAt(ws.address, ws);
    return { known: (key) => this.tasks.has(key), awaited: this.recovery.awaits(ws.address), previous: at?.status === 'gone' ? at : undefined };
  }

  /** The worker (live, else the last gone) at a data address, if any; `except` (a worker registering) is passed over. */
  protected workerAt(address: string, except?: WorkerRecord): WorkerRecord | undefined {
    for (const w of this.registered.at(address)) if (w !== except) return w;
    for (let i = this.goneWorkers.length - 1; i >= 0; i--) if (this.goneWorkers[i]!.address === address) return this.goneWorkers[i]!;
    return undefined;
  }

  /**
   * A registering worker claimed to run, or to hold the results of, tasks it never had: those
   * are neither waited for nor taken, the worker is told to drop them (a result would be refused
   * anyway: not given to it), and a line names it and the keys (the first at once, then at most
   * one a minute for every worker, counting those in between).
   */
  private refuseClaims(ws: WorkerRecord, running: string[], held: string[], reported: Record<string, number>, now: number): void {
    // A running task it also says it holds is not stopped here: the held copy is dropped with it.
    const drop = [...running.filter((key) => !Object.hasOwn(reported, key)), ...held];
    this.send(ws.to, { op: 'free-keys', keys: drop });
    const what = [
      ...(running.length ? [`to be running ${running.length} task(s) (${keyList(running, shortKey)})`] : []),
      ...(held.length ? [`to hold the results of ${held.length} task(s) not in memory (${keyList(held, shortKey)})`] : []),
    ].join(' and ');
    const n = this.refusedClaims.refused(this.refusedClaims, now);
    if (n === 1) {
      this.addLog(now, 'info', logLine`refused worker ${ws}'s claim ${what}: never given to it, or another worker has them; not waited for or taken, and it was told to drop them`, true);
    } else if (n > 1) {
      this.addLog(now, 'info', logLine`refused claims of tasks never given in ${n} more registrations since the last such line (the latest: worker ${ws}, ${what})`, true);
    }
  }

  /** When unkept claims were last said (one line for every worker: see refusals.ts). */
  private readonly unkept = new RefusalLog<object>();

  /**
   * A registering worker claimed more keys with no task here than are kept (Recovery.admits):
   * it is told to drop those, and a line says so (the first at once, then at most one a minute).
   */
  protected unkeptClaims(ws: WorkerRecord, keys: string[], now: number): void {
    this.send(ws.to, { op: 'free-keys', keys });
    const n = this.unkept.refused(this.unkept, now);
    const what = `${keys.length} key(s) with no task here (${keyList(keys, shortKey, 3)})`;
    const limit = `over what is kept of such claims (${this.config.maxOrphans} keys, ${MAX_UNKNOWN_KEY} characters each, ${MAX_UNKNOWN_KEY_CHARS} together)`;
    if (n === 1) this.addLog(now, 'info', logLine`worker ${ws} claimed ${what} ${limit}: not kept, and it was told to drop them; a client re-sending them has them computed again`, true);
    else if (n > 1) this.addLog(now, 'info', logLine`claims of keys with no task here over what is kept, in ${n} more registrations or results since the last such line (the latest: worker ${ws}, ${what})`, true);
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
    this.registered.remove(ws);
    const wasRunning = this.recovery.workerGone(id);
    // Closed within a TTL of the scheduler's own long stall: the worker dropped this silent
    // scheduler and registers again at once. Hold assignments for it (up to holderWaitMs), so what
    // it holds is taken back rather than computed again on a worker that was quicker to return
    // (found by the freeze trial: 2 of 24 tasks started again after a 20 s SIGSTOP), and do not
    // count its running tasks as killed by it. The close is often read before the tick that
    // sees the stall (a waking event loop runs its I/O first), so a stall not yet ticked, as long
    // as the TTL, counts too: read first, the closes were deaths and the returning worker's
    // results refused (found freezing a scheduler 14 s on hosts in namespaces).
    const unticked = this.lastTick >= 0 && now - this.lastTick - this.tickIntervalMs >= this.config.heartbeatTtlMs;
    const droppedUs = !clean && (unticked || now - this.longStallEndedAt <= this.config.heartbeatTtlMs);
    if (droppedUs) this.recovery.expectWorkers([ws.address], now);
    ws.status = 'gone';
    this.pool.remove(ws);
    this.goneWorkers.push(ws);
    if (this.goneWorkers.length > 100) this.goneWorkers.shift();
    this.addLog(now, 'worker-removed', logLine`worker ${ws} removed: ${reason}`);
    this.tellClients('worker-left', ws.address);
    if (this.cutPeers.size) this.sayPeers(this.cutPeers.gone(id, ws.address), now);
    const running = ws.dropAll();
    // Said silent or not: a worker dropped for its silence with tasks of the run is told (silent-workers.ts).
    const ended = this.silent.gone(id, reason, running.length, now, clean ? undefined : { name: ws.name, address: ws.address, silentMs: now - ws.lastSeen });
    if (ended) this.saySilent([ended], now);
    for (const ts of running) {
      ts.processingOn = null;
      this.setState(ts, 'released');
      if (!clean && !droppedUs) ts.deaths++;
      if (!clean && !droppedUs && ts.deaths >= this.config.allowedFailures) {
        this.fail(ts, {
          message: `task ${ts.key} ${deathsText(ts.deaths - ts.threadDeaths, ts.threadDeaths)} (the last: ${ws.name}: ${reason}); ` +
            `giving up after allowed-failures=${this.config.allowedFailures}. The task itself probably kills its worker ` +
            `(process.exit, out of memory, a native crash).`,
          name: 'KilledWorker', stack: '', key: ts.key, worker: ws.name, retriesUsed: ts.retriesUsed, kind: 'worker-died',
        }, now, ws);
      } else {
        this.addLog(now, 'reschedule', logLine`rescheduling ${ts.key} (was on ${ws})`);
      }
    }
    for (const ts of ws.has) {
      ts.holders = ts.holders.filter((h) => h !== ws);
      if (ts.holders.length === 0 && ts.state === 'memory') {
        // If it comes back holding it, it is believed (worker-claims.ts).
        ws.leftWith(ts.key);
        this.lastCopyGone(ts);
      }
    }
    ws.has.clear();
    for (const ts of running) if (ts.state === 'released' && isWanted(ts, this.clients)) this.compute(ts);
    // Tasks it was still running from before it re-registered, left waiting for it: run them now
    // (if it comes back still running one, it is believed again: worker-claims.ts).
    for (const key of wasRunning) {
      ws.leftWith(key);
      this.computeIfWanted(key);
    }
    this.emitWorker(ws);
    // Its refusals went with it; it may also have been the last worker to accept a module.
    if (this.held.size) this.judgeAll(now);
    this.fillAll();
    return this.flush();
  }

  /**
   * The data addresses of the registered workers, for a client's welcome: with `worker-joined`
   * and `worker-left` after it, the client knows every worker, and names them all if it has to
   * re-send its graph to a restarted scheduler (see ClientSessions.awaitHolders).
   */
  workerAddresses(): string[] {
    const out: string[] = [];
    for (const ws of this.workers.values()) if (ws.address) out.push(ws.address);
    return out;
  }

  /** Every client hears of a worker registering or leaving (by data address; see {@link workerAddresses}). */
  protected tellClients(op: 'worker-joined' | 'worker-left', address: string): void {
    if (!address) return;
    for (const id of this.clients.keys()) this.send({ client: id }, { op, address });
  }

  /**
   * A worker expired for silence may still hold other workers' fetches (a frozen process accepts
   * connections and answers nothing): those running a task that needs one of its results are
   * told (`peer-gone`), so they give up on it now rather than at their peer timeout. Not for a
   * worker whose connection closed: its listener is gone too (a fetch fails at once), or it is
   * alive behind a cut link to the scheduler alone, and its peers may still fetch from it.
   */
  protected tellFetchers(gone: WorkerRecord): void {
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
      // A thread free here while a task waits unstarted behind a long one elsewhere: a finish
      // asks at once (worker-reports.ts), but a thread can free with no finish (its task
      // cancelled) after the task went there while no thread was free: the heartbeat asks again.
      this.stealFor(ws);
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
   * What is said of the stall, and whether it outlasted the TTL, is the least it lasted: the gap
   * less one interval, when the missed tick was due. The credit's second interval of slack made
   * the line say 12.6 s of a 14.1 s SIGSTOP (found freezing a scheduler on hosts in namespaces).
   */
  tick(now: number): { commands: Command[]; expired: string[]; stalls: KindedNotice[]; silent: string[]; stalledMs: number } {
    const gap = this.lastTick < 0 ? 0 : now - this.lastTick;
    const excess = gap - 2 * this.tickIntervalMs;
    const stalled = Math.max(0, gap - this.tickIntervalMs);
    this.lastTick = now;
    if (excess > 0) for (const ws of this.workers.values()) ws.lastSeen += excess;
    const note = stallNote(stalled, this.config.heartbeatTtlMs);
    if (note) this.addLog(now, 'info', note);
    if (stalled >= this.config.heartbeatTtlMs) this.longStallEndedAt = now;
    const expired: string[] = [];
    for (const ws of this.workers.values()) {
      if (now - ws.lastSeen > this.config.heartbeatTtlMs) expired.push(ws.id);
    }
    const commands: Command[] = [];
    for (const id of expired) {
      this.tellFetchers(this.workers.get(id)!);
      append(commands, this.workerRemoved(id, `no heartbeat for more than ${this.config.heartbeatTtlMs} ms`, now));
    }
    for (const [workerId, keys] of this.recovery.expireOrphans(now)) {
      this.send({ worker: workerId }, { op: 'free-keys', keys });
      const ws = this.workers.get(workerId);
      this.addLog(now, 'info', logLine`freed ${keys.length} result(s) on ${ws ?? workerId} that no client claimed within ${this.config.orphanGraceMs} ms`);
      this.orphanLog.freed(keys.length, ws?.name ?? workerId);
    }
    const freed = this.orphanLog.take(now, this.config.orphanGraceMs);
    if (freed) this.journal.sayOnly(freed);
    const missing = this.recovery.expireHold(now);
    if (missing.length) {
      this.addLog(now, 'info', `assigning tasks again: ${addressList(missing.map((m) => m.address))} did not come back within ${this.config.holderWaitMs} ms`
        + ` (awaited as workers a reconnecting client knew of, or that dropped this scheduler during its stall); what they held is computed again where still wanted`, true);
      // Clients that named them stop naming them on their next reconnect. Only those: a client
      // may name any number of workers, and every other client would hear of each.
      for (const { address, namedBy } of missing) {
        if (namedBy === null) this.tellClients('worker-left', address);
        else for (const c of namedBy) if (this.clients.has(c)) this.send({ client: c }, { op: 'worker-left', address });
      }
    }
    // A wait for a refusal to lift ends here, at its bound.
    if (this.held.size) this.judgeAll(now);
    this.fillAll();
    this.saySilent(this.silent.step(silentFigures(this.workers.values(), now), now), now);
    const load = stallFigures(this.workers.values(), this.queuedCount);
    const stalls = this.stall.step(load, now);
    const behindLost = this.lostWait.step(lostWaitFigures(load, this.workers.values(), this.clients, this.lostClients, now, this.lostWait.current !== null), now);
    if (behindLost) stalls.push({ kind: 'lost-client-work', ...behindLost });
    for (const n of stalls) this.sayStall(n, now);
    append(commands, this.flush());
    // Silences said since the last tick: this one's, and the ends of workers removed meanwhile.
    const silent = this.silentSaid;
    this.silentSaid = [];
    return { commands, expired, stalls, silent, stalledMs: stalled };
  }

  /**
   * A worker is shutting down: send it nothing more. `lifetime`: it leaves because its lifetime
   * ended (protocol 16), which the dashboard's row says beside `closing`.
   */
  workerClosing(workerId: string, lifetime = false): Command[] {
    const ws = this.workers.get(workerId);
    if (ws && ws.status === 'running') {
      ws.status = 'closing';
      ws.retiresByLifetime = lifetime;
      // The dashboard's row says so now, not at the next heartbeat: a batch cluster reading it
      // submits the leaving worker's replacement on it.
      this.emitWorker(ws);
    }
    return this.flush();
  }
}

/**
 * Appends `more` to `to`. Not `to.push(...more)`: that passes one argument per command, and past
 * ~120,000 (a client naming 200,000 workers that never came, each told to it as worker-left at
 * the wait's end) it threw RangeError from the scheduler's tick timer, which ended the process.
 */
function append<T>(to: T[], more: readonly T[]): void {
  for (const c of more) to.push(c);
}

/** The running workers' silences, as silent-workers.ts reads them (one pass, on the tick). */
function* silentFigures(workers: Iterable<WorkerRecord>, now: number): Iterable<SilentFigure> {
  for (const ws of workers) {
    if (ws.status !== 'running') continue;
    yield { id: ws.id, name: ws.name, address: ws.address, silentMs: now - ws.lastSeen, tasks: ws.processing.size };
  }
}
