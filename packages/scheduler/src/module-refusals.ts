import { Heap } from '@gluon/protocol';
import type { Command } from './outbox.js';
import { Transitions } from './transitions.js';
import { chooseWorkerAmong } from './placement.js';
import { logLine } from './log-line.js';
import { acceptsWork, refuses, runsBefore, type TaskRecord, type WorkerRecord } from './records.js';
import { MAX_REASON_CHARS, refusalVerdict } from './module-refusal-rule.js';

/** A module some live worker refuses: its ready tasks set aside for the workers that accept it. */
interface HeldModule {
  /** Queued tasks of the module that a refusing worker met, best first (stale entries skipped). */
  readonly tasks: Heap<TaskRecord>;
  /** Since when no running worker accepts it (null while one does): its ready tasks wait here. */
  blockedSince: number | null;
  /** What the clients were told of its tasks waiting (warning `refused-module`), until that ends; else null. */
  notice: string | null;
}

/**
 * Workers started with different allow-lists: a worker that refuses a task's module (`refused`)
 * has not failed the task, and is not sent that module's tasks again; they go to the workers that
 * accept it. When no running worker does, the rule of module-refusal-rule.ts decides: wait while a
 * refusal may lift (bounded by `refusalWaitMs`, said to the clients), else fail them with every
 * worker's reason. A worker's refusals go with it; `accepts` drops one, whether or not it was
 * waited for (its missing allowed path appeared; a package not installed there was installed). Nothing here costs anything while no worker refuses anything (`held` is empty).
 * Never used alone; worker-events.ts and worker-reports.ts drive it.
 */
export abstract class ModuleRefusals extends Transitions {
  /** The modules some live worker refuses (or whose set-aside tasks still wait), by module. */
  protected readonly held = new Map<string, HeldModule>();

  /** The worker `workerId` will not import task `key`'s module: place the task elsewhere, or decide. */
  taskRefused(workerId: string, m: { key: string; module: string; reason: string; mayLift: boolean }, now: number): Command[] {
    const ws = this.workers.get(workerId);
    const ts = this.tasks.get(m.key);
    // Believed only of a module a task of this graph names: a worker cannot fill the map with others.
    if (!ws || !ts || ts.fn.module !== m.module) return this.flush();
    const reason = m.reason.length > MAX_REASON_CHARS ? `${m.reason.slice(0, MAX_REASON_CHARS)}…` : m.reason;
    if (!refuses(ws, m.module)) {
      // Said in the process's log too (once per worker and module, as here): an operator tailing
      // only that log saw tasks move off a worker with no word of why.
      this.addLog(now, 'info', logLine`worker ${ws} refuses module ${m.module}: ${reason}; its tasks go to workers that accept it`, true);
    }
    (ws.refusals ??= new Map()).set(m.module, { reason, mayLift: m.mayLift });
    if (!this.held.has(m.module)) this.held.set(m.module, { tasks: new Heap(runsBefore), blockedSince: null, notice: null });
    if (ts.state === 'processing' && ts.processingOn === ws) {
      ws.drop(ts);
      ts.processingOn = null;
      // Not a failure: no retry used, no death counted. Placed again, never on a refusing worker.
      this.setState(ts, 'released');
      this.compute(ts);
    }
    this.judge(m.module, now);
    this.fill(ws);
    return this.flush();
  }

  /** A module the worker refused passes its check now: it may be sent that module's tasks again. */
  moduleAccepted(workerId: string, module: string, now: number): Command[] {
    const ws = this.workers.get(workerId);
    if (!ws || !refuses(ws, module)) return this.flush();
    ws.refusals!.delete(module);
    if (ws.refusals!.size === 0) ws.refusals = null;
    this.addLog(now, 'info', logLine`worker ${ws} accepts module ${module} now`);
    this.judge(module, now);
    this.fill(ws);
    return this.flush();
  }

  /**
   * Decides again for every held module (a worker joined or left, the clock moved), and forgets
   * those no live worker refuses any more once their set-aside tasks are gone.
   */
  protected judgeAll(now: number): void {
    for (const module of [...this.held.keys()]) this.judge(module, now);
  }

  /** Applies {@link refusalVerdict} to `module`'s ready tasks. */
  protected judge(module: string, now: number): void {
    const h = this.held.get(module);
    if (!h || this.recovery.holding) return;
    const views = [];
    let refused = false;
    for (const ws of this.workers.values()) {
      const refusal = ws.refusals?.get(module);
      if (refusal) refused = true;
      views.push({ name: ws.name, status: ws.status, refusal });
    }
    const v = refusalVerdict(module, views, h.blockedSince === null ? 0 : now - h.blockedSince, this.config.refusalWaitMs);
    if (v.kind === 'run') {
      if (h.blockedSince !== null) {
        h.blockedSince = null;
        if (h.notice !== null) this.sayRefused(module, false, `tasks of module ${module} no longer wait for a worker that accepts it: ${v.why}`, now);
      }
      if (!refused && !hasLive(h.tasks)) this.held.delete(module);
      return;
    }
    if (h.blockedSince === null) {
      h.blockedSince = now;
      // Ready tasks met by no refusing worker yet are still in the main queue: they wait here too.
      // A pass over the queue, once per module each time no worker accepts it any more.
      const kept: TaskRecord[] = [];
      for (let ts = this.queue.pop(); ts !== undefined; ts = this.queue.pop()) {
        if (ts.state !== 'queued') continue;
        if (ts.fn.module === module) h.tasks.push(ts);
        else kept.push(ts);
      }
      for (const ts of kept) this.queue.push(ts);
    }
    if (!hasLive(h.tasks)) {
      // Nothing waits: the bound starts again with the next task that does.
      h.blockedSince = now;
      if (h.notice !== null) this.sayRefused(module, false, `tasks of module ${module} no longer wait: none is left waiting`, now);
      return;
    }
    if (v.kind === 'wait') {
      if (h.notice === null) this.sayRefused(module, true, v.text, now);
      return;
    }
    if (h.notice !== null) this.sayRefused(module, false, `tasks of module ${module} no longer wait: ${v.reason}`, now);
    for (let ts = h.tasks.pop(); ts !== undefined; ts = h.tasks.pop()) {
      if (ts.state !== 'queued') continue;
      this.fail(ts, { message: v.reason, name: 'ModuleNotAllowedError', stack: '', key: ts.key, worker: '', retriesUsed: ts.retriesUsed, kind: 'not-allowed' }, now);
    }
  }

  /** Said to the log, the event log and every client, once when it begins and once when it ends. */
  private sayRefused(module: string, active: boolean, text: string, now: number): void {
    this.held.get(module)!.notice = active ? text : null;
    this.addLog(now, active ? 'stuck' : 'unstuck', text, true);
    for (const id of this.clients.keys()) this.send({ client: id }, { op: 'warning', kind: 'refused-module', active, text, about: module });
  }

  /** While no running worker accepts its module, a ready task waits with the module's other tasks. */
  protected override makeReady(ts: TaskRecord): void {
    const h = this.held.size === 0 ? undefined : this.held.get(ts.fn.module);
    if (h === undefined || h.blockedSince === null || this.recovery.holding) return super.makeReady(ts);
    this.setState(ts, 'queued');
    ts.queueStamp++;
    h.tasks.push(ts);
  }

  /** As placement.ts chooses, but never a worker that refuses the task's module. */
  protected override chooseWorker(ts: TaskRecord): WorkerRecord | null {
    const ws = super.chooseWorker(ts);
    if (ws === null || !refuses(ws, ts.fn.module)) return ws;
    // The chosen one refuses: the same rule among the workers that do not (a pass over the
    // workers, made only when refusals are in play). Only the least occupied of them was taken
    // before: with the one free thread on a refuser, a busy worker holding none of the inputs
    // over a busy holder of them.
    const module = ts.fn.module;
    return chooseWorkerAmong(ts, this.workers.values(), this.capacityOf, (w) => !refuses(w, module));
  }

  /**
   * Gives a worker queued work until it is full: the best of the main queue and of the set-aside
   * tasks of the modules it accepts. A task of the main queue whose module it refuses goes to a
   * worker that accepts it if one has room, else is set aside for them.
   */
  protected override fill(ws: WorkerRecord): void {
    if (this.held.size === 0) return super.fill(ws);
    if (!acceptsWork(ws) || this.recovery.holding) return;
    for (;;) {
      let top = liveTop(this.queue);
      let from = this.queue;
      for (const [module, h] of this.held) {
        if (refuses(ws, module)) continue;
        const t = liveTop(h.tasks);
        if (t !== undefined && (top === undefined || runsBefore(t, top))) {
          top = t;
          from = h.tasks;
        }
      }
      if (top === undefined) return;
      if (from === this.queue && refuses(ws, top.fn.module)) {
        this.queue.pop();
        const other = this.chooseWorker(top);
        if (other) this.assign(top, other);
        else this.held.get(top.fn.module)!.tasks.push(top);
        continue;
      }
      if (ws.processing.size >= this.capacity(ws, top.group)) return;
      from.pop();
      // Locality: a queued task whose data sits on another worker with room goes there.
      const best = top.deps.length ? this.chooseWorker(top) : ws;
      this.assign(top, best ?? ws);
    }
  }

  /** With tasks set aside, every worker is offered work (placement's shortcut reads the main queue only). */
  protected override fillAll(): void {
    if (this.held.size === 0) return super.fillAll();
    if (this.recovery.holding) return;
    for (const ws of this.workers.values()) this.fill(ws);
  }
}

/** The best entry of a queue that is still queued, dropping the stale ones above it. */
function liveTop(q: Heap<TaskRecord>): TaskRecord | undefined {
  for (let t = q.peek(); t !== undefined; t = q.peek()) {
    if (t.state === 'queued') return t;
    q.pop();
  }
  return undefined;
}

function hasLive(q: Heap<TaskRecord>): boolean {
  return liveTop(q) !== undefined;
}
