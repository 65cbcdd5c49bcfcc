import type { Command } from './outbox.js';
import { IndexedHeap } from './indexed-heap.js';
import { inlineCopyNeeded, isWanted } from './lineage.js';
import { logLine } from './log-line.js';
import { isPaused } from './placement.js';
import type { ClientRecord, TaskRecord, WorkerRecord } from './records.js';
import { WorkerReports } from './worker-reports.js';

/**
 * A recipient is not filled past this share of its memory limit: a worker over its limit pauses
 * (it starts nothing until it falls below 90%), so a move that fills it would stall its work.
 */
export const MOVE_FILL = 0.8;

/**
 * Whether a result on a retiring worker must be copied before it leaves: no running worker
 * besides it holds a copy (a holder that is itself closing leaves too), the scheduler does not
 * keep it inline (then it is not lost with its workers), and losing it would cost a recompute or
 * a failed fetch: a client lacks its value, or a dependent still has to run (one already sent to
 * a worker included: that worker may not have fetched it yet).
 */
export function mustMove(ts: TaskRecord, from: WorkerRecord, clients: ReadonlyMap<string, ClientRecord>): boolean {
  if (ts.state !== 'memory' || ts.inline) return false;
  for (const h of ts.holders) if (h !== from && h.status === 'running') return false;
  return isWanted(ts, clients) || inlineCopyNeeded(ts);
}

/**
 * What a retiring worker's `retire` leads to, from what it holds and who could take it:
 * - `nothing`: none of its results is needed from it alone; it is told to close;
 * - `move`: copy them to the `candidates` (running, not paused, not itself);
 * - `wait`: no one to copy to, but it retires because its lifetime ended (`lifetime`), so its
 *   replacement is on its way (a batch cluster submits one as its job ends): it is held, still
 *   serving its results, until a worker joins, then they are copied. Bounded by the worker itself:
 *   it leaves at the end of its grace whatever the scheduler says;
 * - `close`: no one to copy to and no one coming (a user's SIGTERM or Ctrl-C stays prompt): told to
 *   close at once; its results are computed again when needed.
 */
export type RetireStep = 'nothing' | 'move' | 'wait' | 'close';

/** {@link RetireStep}'s decision. Pure. */
export function retireStep(results: number, candidates: number, lifetime: boolean): RetireStep {
  if (results === 0) return 'nothing';
  if (candidates > 0) return 'move';
  return lifetime ? 'wait' : 'close';
}

/** Where each result goes: recipient → its results; and the results no recipient has room for. */
export interface MovePlan {
  to: Map<WorkerRecord, TaskRecord[]>;
  unplaced: TaskRecord[];
}

/**
 * Picks a recipient for each result, largest first: among `candidates` (running, not paused,
 * not the retiring worker), the one holding the fewest bytes counting what this plan already
 * gives it, then the least occupied (tasks per thread), then the earlier registered; never one
 * that the result would fill past {@link MOVE_FILL} of its memory limit. Pure: the same records
 * give the same plan.
 */
export function planMoves(results: readonly TaskRecord[], candidates: readonly WorkerRecord[]): MovePlan {
  const projected = new Map<WorkerRecord, number>();
  for (const w of candidates) projected.set(w, w.storedBytes);
  const lighter = (a: WorkerRecord, b: WorkerRecord): boolean => {
    const pa = projected.get(a)!;
    const pb = projected.get(b)!;
    if (pa !== pb) return pa < pb;
    const la = a.processing.size / a.nthreads;
    const lb = b.processing.size / b.nthreads;
    return la !== lb ? la < lb : a.order < b.order;
  };
  const heap = new IndexedHeap<WorkerRecord>(lighter);
  for (const w of candidates) heap.update(w);
  const fits = (w: WorkerRecord, nbytes: number): boolean => w.memoryLimit === 0 || projected.get(w)! + nbytes <= w.memoryLimit * MOVE_FILL;
  const plan: MovePlan = { to: new Map(), unplaced: [] };
  const bySize = [...results].sort((a, b) => b.nbytes - a.nbytes || (a.key < b.key ? -1 : 1));
  for (const ts of bySize) {
    let target = heap.peek();
    // The lightest may have the smaller limit: look further only then (rare).
    if (target && !fits(target, ts.nbytes)) target = [...candidates].sort((a, b) => (lighter(a, b) ? -1 : 1)).find((w) => fits(w, ts.nbytes));
    if (!target) {
      plan.unplaced.push(ts);
      continue;
    }
    projected.set(target, projected.get(target)! + ts.nbytes);
    heap.update(target);
    let list = plan.to.get(target);
    if (!list) plan.to.set(target, (list = []));
    list.push(ts);
  }
  return plan;
}

/** One retiring worker's move: the copies not yet answered, and how it went. */
interface Move {
  from: WorkerRecord;
  /** Results asked for and not answered yet. */
  pending: number;
  copied: number;
  failed: number;
  recipients: Set<WorkerRecord>;
  /** Results no recipient had room for (recomputed when needed). */
  unplaced: number;
}

/**
 * Graceful retirement (protocol 8): a closing worker whose running tasks are done (`retire`) has
 * the results that only it holds, and that are still needed, copied to other running workers
 * before it leaves. The recipients fetch them over the peer path (`acquire`, answered with
 * `acquired`) and become their holders; once every copy is answered the retiring worker is told to
 * `close`. A recipient that leaves, or a copy that fails, leaves that result to the usual rule
 * (recomputed when needed, once the retiring worker has gone); a worker that leaves before its
 * copies are done (its own grace ran out) likewise. On top of worker-reports.ts; never used alone.
 */
export abstract class Retirement extends WorkerReports {
  /** Retiring workers whose results are being copied, by worker. */
  private readonly moves = new Map<WorkerRecord, Move>();
  /** Each result being copied: its move and its recipient. */
  private readonly moving = new Map<TaskRecord, { move: Move; to: WorkerRecord }>();
  /** Workers retiring at the end of their lifetime with results and no one to take them yet: since when. */
  private readonly waiting = new Map<WorkerRecord, number>();

  /** Said in the event log and the scheduler's own log (a farm's log is read after the fact). */
  private say(now: number, line: ReturnType<typeof logLine>): void {
    this.addLog(now, 'info', line, true);
  }

  /**
   * What a retiring worker holds that is not counted among its results here: orphans (recovery.ts),
   * results it came back with (a reconnect, a restart of this scheduler) that no task here needs
   * yet. Its own count (the worker's "asking the scheduler to copy the N result(s) held here")
   * includes them; said, the two lines agree. They are not moved: kept only in case a client
   * claims them, they go with it.
   */
  private orphansNote(ws: WorkerRecord): string {
    const n = this.recovery.orphansOf(ws.id);
    return n ? `; it also holds ${n} result(s) it came back with that nothing here needs yet (kept in case a client claims them): not moved, they go with it` : '';
  }

  /** Results being copied off retiring workers now, for tests and the dashboard. */
  get movingCount(): number {
    return this.moving.size;
  }

  /** Workers held until another joins to take their results, for tests and the dashboard. */
  get waitingRetirees(): number {
    return this.waiting.size;
  }

  /**
   * The worker's running tasks are done and it asks to leave with its results copied elsewhere;
   * `lifetime`: it retires because its lifetime ended (a replacement is expected), not because a
   * user stopped it.
   */
  workerRetiring(workerId: string, now: number, lifetime = false): Command[] {
    const ws = this.workers.get(workerId);
    if (!ws || this.moves.has(ws) || this.waiting.has(ws)) return this.flush();
    if (ws.status === 'running') {
      ws.status = 'closing';
      ws.retiresByLifetime = lifetime;
      this.emitWorker(ws); // as workerClosing does
    }
    this.planRetirement(ws, now, lifetime);
    return this.flush();
  }

  /** A worker joined: a retiree waiting for one has its results copied now. */
  override workerAdded(w: Parameters<WorkerReports['workerAdded']>[0], now: number): Command[] {
    const commands = super.workerAdded(w, now);
    if (this.waiting.size === 0) return commands;
    const joined = this.workers.get(w.id);
    for (const [ws, since] of [...this.waiting]) {
      this.waiting.delete(ws);
      this.say(now, logLine`worker ${ws} waited ${Math.round((now - since) / 100) / 10} s for a worker to take its results; ${joined ?? w.id} joined`);
      this.planRetirement(ws, now, true);
    }
    return [...commands, ...this.flush()];
  }

  /** `to`: the recipients to use instead of the running workers (a held retiree handing over). */
  private planRetirement(ws: WorkerRecord, now: number, lifetime: boolean, to?: WorkerRecord[]): void {
    const results: TaskRecord[] = [];
    for (const ts of ws.has) if (!this.moving.has(ts) && mustMove(ts, ws, this.clients)) results.push(ts);
    const candidates: WorkerRecord[] = to ?? [];
    if (results.length && !to) for (const w of this.workers.values()) if (w !== ws && w.status === 'running' && !isPaused(w)) candidates.push(w);
    const step = retireStep(results.length, candidates.length, lifetime);
    const also = this.orphansNote(ws);
    if (step === 'nothing') {
      this.say(now, logLine`worker ${ws} retires: nothing to move (none of the ${ws.has.size} result(s) of tasks here it holds is needed from it alone${also})`);
      this.send(ws.to, { op: 'close', reason: `retired: nothing to move${also}` });
      return;
    }
    if (step === 'wait') {
      this.waiting.set(ws, now);
      this.say(now, logLine`worker ${ws} retires at the end of its lifetime holding ${results.length} needed result(s) and no other worker is running to take them: waiting for a worker to join (its replacement) to copy them to, until the worker's grace runs out`);
      // Workers held before it hand their results to it and leave: it has more of its grace left,
      // and on a full batch cluster their replacements can start only once their jobs end (two
      // held workers would hold the slots their replacements wait for, until both graces ran out).
      for (const [held] of [...this.waiting]) {
        if (held === ws) continue;
        this.waiting.delete(held);
        this.say(now, logLine`worker ${held}, held for a worker to join, hands its results to ${ws}, which retired after it, and leaves (its job's slot frees for a replacement)`);
        this.planRetirement(held, now, true, [ws]);
      }
      return;
    }
    if (step === 'close') {
      this.say(now, logLine`worker ${ws} retires holding ${results.length} needed result(s) and no other worker is running to take them (the last worker, or every other one closing or paused): nothing to move to; they are computed again when needed${also}`);
      this.send(ws.to, { op: 'close', reason: `retired: no other worker to move its results to${also}` });
      return;
    }
    const plan = planMoves(results, candidates);
    const move: Move = { from: ws, pending: 0, copied: 0, failed: 0, recipients: new Set(plan.to.keys()), unplaced: plan.unplaced.length };
    for (const [to, list] of plan.to) {
      for (const ts of list) this.moving.set(ts, { move, to });
      move.pending += list.length;
      this.send(to.to, { op: 'acquire', from: ws.address, keys: list.map((ts) => ts.key) });
    }
    let bytes = 0;
    for (const ts of results) bytes += ts.nbytes;
    this.say(now, logLine`worker ${ws} retires: copying ${move.pending} result(s) (${bytes} bytes) to ${move.recipients.size} worker(s)${move.unplaced ? `; ${move.unplaced} did not fit anywhere` : ''}`);
    if (move.pending === 0) this.finishMove(move, now);
    else this.moves.set(ws, move);
  }

  /** A recipient fetched results from a retiring worker (`acquired`): it holds them now. */
  acquired(workerId: string, keys: Record<string, number>, missing: string[], now: number): Command[] {
    const ws = this.workers.get(workerId);
    if (!ws) return this.flush();
    const unwanted: string[] = [];
    for (const [key, nbytes] of Object.entries(keys)) {
      const ts = this.tasks.get(key);
      // Only copies this worker was asked for: a worker cannot make itself a holder of anything else.
      if (!ts || this.moving.get(ts)?.to !== ws) {
        unwanted.push(key);
        continue;
      }
      this.answered(ts, true, now);
      if (ts.state === 'memory') {
        this.addHolder(ts, ws);
      } else if (ts.state !== 'erred' && (isWanted(ts, this.clients) || inlineCopyNeeded(ts) || ts.processingOn === ws)) {
        // Its retiring worker left before the copy arrived and it is needed (being computed
        // again, or a dependent already sent will ask for it): take the copy, and a recompute
        // under way elsewhere is called off. Under way on this very worker, it is left to run
        // (a call-off would drop the copy too: see takeBack), and what it reports is a repeat.
        // Left processing instead, the copy was counted nowhere: kept on the worker for good if
        // the run then failed.
        this.takeBack(ts, ws, nbytes, ts.typeName, undefined);
      } else {
        unwanted.push(key);
      }
    }
    for (const key of missing) {
      const ts = this.tasks.get(key);
      if (ts && this.moving.get(ts)?.to === ws) this.answered(ts, false, now);
    }
    if (unwanted.length) this.send(ws.to, { op: 'free-keys', keys: unwanted });
    return this.flush();
  }

  /**
   * A worker left: its own move (if it was retiring) is over, whatever was not copied is the
   * usual rule's; copies it was to receive count as failed.
   */
  override workerRemoved(id: string, reason: string, now: number, clean = false): Command[] {
    const ws = this.workers.get(id);
    const own = ws && this.moves.get(ws);
    if (ws && this.waiting.delete(ws)) this.say(now, logLine`worker ${ws} left (its grace ran out) before a worker joined to take its results; those are computed again when needed`);
    if (own) {
      // Its copies under way stay awaited: one that arrives after all is taken (see acquired).
      this.moves.delete(own.from);
      if (own.pending > 0) this.say(now, logLine`worker ${own.from} left with ${own.pending} of its results not yet copied (${own.copied} copied); those are computed again when needed`);
    }
    if (ws) {
      for (const [ts, e] of this.moving) if (e.to === ws) this.answered(ts, false, now);
    }
    return super.workerRemoved(id, reason, now, clean);
  }

  /**
   * One copy of a retiring worker's result was answered (`ok`: it arrived); the move ends with its
   * last, and its worker is told to close (unless it has left already).
   */
  private answered(ts: TaskRecord | undefined, ok: boolean, now: number): void {
    const e = ts && this.moving.get(ts);
    if (!e) return;
    this.moving.delete(ts!);
    e.move.pending--;
    if (ok) e.move.copied++;
    else e.move.failed++;
    if (e.move.pending === 0 && this.moves.get(e.move.from) === e.move) {
      this.moves.delete(e.move.from);
      this.finishMove(e.move, now);
    }
  }

  private finishMove(move: Move, now: number): void {
    const lost = move.failed + move.unplaced;
    const text = `retired: ${move.copied} result(s) copied to ${move.recipients.size} other worker(s)${lost ? `, ${lost} not (computed again when needed)` : ''}${this.orphansNote(move.from)}`;
    this.say(now, logLine`worker ${move.from} ${text}`);
    this.send(move.from.to, { op: 'close', reason: text });
  }
}
