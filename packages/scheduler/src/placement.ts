/**
 * Where work goes: the choice of a worker for a ready task (steals.ts chooses the victims of a
 * steal and which of their tasks, from this index).
 * {@link WorkerPool} indexes the live workers by load and by unstarted work, so that each
 * decision costs O(log workers) (plus the holders of the task's dependencies), never a pass over
 * every worker: with a thousand workers, a pass per task was most of the scheduler's time.
 * Pure bookkeeping and pure functions of the records; the state machine acts on the answers.
 */
import { IndexedHeap } from './indexed-heap.js';
import { acceptsWork, type TaskRecord, type WorkerRecord } from './records.js';

/** Whether a worker said it is over its memory limit (it starts no new tasks). */
export function isPaused(ws: WorkerRecord): boolean {
  return ws.status === 'running' && ws.metrics?.paused === true;
}

/** How many of a worker's tasks may not have started: all of them while it is paused. */
export function spareWork(ws: WorkerRecord): number {
  return ws.processing.size - (isPaused(ws) ? 0 : ws.nthreads);
}

/** Tasks in flight per thread. */
function load(ws: WorkerRecord): number {
  return ws.processing.size / ws.nthreads;
}

/** Less occupied first; the earlier registered among equals. */
export function lighter(a: WorkerRecord, b: WorkerRecord): boolean {
  const la = load(a);
  const lb = load(b);
  return la !== lb ? la < lb : a.order < b.order;
}

/** More unstarted work first; the earlier registered among equals. */
function moreSpare(a: WorkerRecord, b: WorkerRecord): boolean {
  const sa = spareWork(a);
  const sb = spareWork(b);
  return sa !== sb ? sa > sb : a.order < b.order;
}

/**
 * The live workers, indexed: those that accept work by load, every live one by unstarted work,
 * and the paused ones. A worker added here keeps the index right by itself: its `watcher` is
 * called on every change of its tasks, status or metrics (records.ts).
 */
export class WorkerPool {
  private readonly byLoad = new IndexedHeap<WorkerRecord>(lighter);
  private readonly bySpare = new IndexedHeap<WorkerRecord>(moreSpare);
  /** Workers over their memory limit (usually none). */
  readonly paused = new Set<WorkerRecord>();
  private readonly watch = (ws: WorkerRecord): void => this.changed(ws);

  add(ws: WorkerRecord): void {
    ws.watcher = this.watch;
    this.changed(ws);
  }

  remove(ws: WorkerRecord): void {
    if (ws.watcher === this.watch) ws.watcher = null;
    this.byLoad.delete(ws);
    this.bySpare.delete(ws);
    this.paused.delete(ws);
  }

  private changed(ws: WorkerRecord): void {
    if (acceptsWork(ws)) this.byLoad.update(ws);
    else this.byLoad.delete(ws);
    if (ws.status !== 'gone') this.bySpare.update(ws);
    else this.bySpare.delete(ws);
    if (isPaused(ws)) this.paused.add(ws);
    else this.paused.delete(ws);
  }

  /**
   * The least occupied worker that accepts work. Room is relative to threads (capacity is
   * nthreads + 1, or nthreads × a per-group factor ≥ 2), so when this one has no room for a
   * group's task, none has.
   */
  leastLoaded(): WorkerRecord | undefined {
    return this.byLoad.peek();
  }

  /**
   * The least occupied worker that accepts work and has a thread free that no steal under way to
   * it will take ({@link hasFreeThread}). Usually the least occupied one (O(1)); past it, only
   * workers running fewer tasks than they have threads are looked at, which is where steals under
   * way are (a worker asks for no more than its free threads).
   */
  withFreeThread(): WorkerRecord | undefined {
    return this.byLoad.firstWhere(hasFreeThread, runsBelowThreads);
  }

  /** The worker with the most unstarted work. */
  mostSpare(): WorkerRecord | undefined {
    return this.bySpare.peek();
  }

  /** Up to `k` workers, the most unstarted work first (ties: the earlier registered). */
  mostSpareFirst(k: number): WorkerRecord[] {
    return this.bySpare.first(k);
  }
}

/**
 * {@link chooseWorker}'s tally of input bytes per holder, reused from task to task: a Map per
 * task with inputs was ~100 bytes of garbage for every reducer of a tree. A task's inputs sit on
 * a few workers, so a holder is found by a linear search; past {@link TALLY_SCAN_MAX} holders, by
 * a Map made for that task.
 */
const tallied: Array<WorkerRecord | null> = [];
const talliedBytes: number[] = [];
const TALLY_SCAN_MAX = 32;

/** Whether the worker runs fewer tasks than it has threads (whatever is on its way to it). */
function runsBelowThreads(ws: WorkerRecord): boolean {
  return ws.processing.size < ws.nthreads;
}

/**
 * Whether a task sent now starts now: the worker runs fewer tasks than it has threads, counting
 * the tasks being stolen for it (asked of their worker, not yet answered). A granted steal takes
 * the thread it was asked for: counted free, that thread was given a task too, and one of the
 * two waited there while a thread was free elsewhere.
 */
export function hasFreeThread(ws: WorkerRecord): boolean {
  return ws.processing.size < ws.nthreads && ws.processing.size + ws.pendingSteals() < ws.nthreads;
}

/** How many tasks of a group a worker may hold (one function for every task: no closure per call). */
export type Capacity = (ws: WorkerRecord, group: string) => number;

/**
 * A worker with a free thread first, if any has one; then most dependency bytes held, then least
 * occupied, among workers with room. The holders of the task's dependencies are the only
 * candidates with bytes; without one that has room (and a free thread, while any worker has
 * one), the least occupied worker with a free thread is the answer, or else the least occupied.
 * A task sent to a holder whose threads are all busy waits there for a running task to end, which
 * may take any time, while a free thread elsewhere starts it once its inputs arrive: the
 * scheduler does not know how long running tasks take (Dask weighs an estimated wait against the
 * transfer; here a free thread is taken as the shorter wait). A thread a steal under way will
 * take is not free ({@link hasFreeThread}). `capacity(ws, group)`: how many tasks of the task's
 * group the worker may hold.
 */
export function chooseWorker(ts: TaskRecord, pool: WorkerPool, capacity: Capacity): WorkerRecord | null {
  const free = pool.withFreeThread();
  if (ts.deps.length) {
    const best = bestHolder(ts, capacity, free !== undefined, null);
    if (best) return best;
  }
  if (free) return free;
  const lightest = pool.leastLoaded();
  return lightest && capacity(lightest, ts.group) - lightest.processing.size > 0 ? lightest : null;
}

/**
 * {@link chooseWorker}'s rule among the workers `accepts` lets through, by a pass over `workers`
 * (the index orders every worker): for a task some workers refuse (its module, see
 * module-refusals.ts), so that the free thread looked for, the holders weighed and the least
 * occupied are all among the workers that would run it. A free thread only a refuser has does
 * not send the task past a busy holder of its inputs to a busy worker holding none.
 */
export function chooseWorkerAmong(ts: TaskRecord, workers: Iterable<WorkerRecord>, capacity: Capacity,
                                  accepts: (ws: WorkerRecord) => boolean): WorkerRecord | null {
  let free: WorkerRecord | null = null;
  let lightest: WorkerRecord | null = null;
  for (const ws of workers) {
    if (!acceptsWork(ws) || !accepts(ws) || capacity(ws, ts.group) - ws.processing.size <= 0) continue;
    if (lightest === null || lighter(ws, lightest)) lightest = ws;
    if ((free === null || lighter(ws, free)) && hasFreeThread(ws)) free = ws;
  }
  if (ts.deps.length) {
    const best = bestHolder(ts, capacity, free !== null, accepts);
    if (best) return best;
  }
  return free ?? lightest;
}

/**
 * The holder of most of the task's input bytes with room (and a free thread when `needFree`),
 * the less occupied among equals; only those `accepts` lets through, when given.
 */
function bestHolder(ts: TaskRecord, capacity: Capacity, needFree: boolean, accepts: ((ws: WorkerRecord) => boolean) | null): WorkerRecord | null {
  let n = 0;
  let index: Map<WorkerRecord, number> | null = null;
  for (const d of ts.deps) {
    for (const h of d.holders) {
      let i = -1;
      if (index !== null) i = index.get(h) ?? -1;
      else for (let j = 0; j < n; j++) if (tallied[j] === h) { i = j; break; }
      if (i < 0) {
        i = n++;
        tallied[i] = h;
        talliedBytes[i] = 0;
        if (index !== null) index.set(h, i);
        else if (n > TALLY_SCAN_MAX) index = new Map(tallied.slice(0, n).map((w, j) => [w!, j]));
      }
      talliedBytes[i]! += d.nbytes || 1;
    }
  }
  let best: WorkerRecord | null = null;
  let bestBytes = 0;
  // In the order the holders were met, as the Map this replaced iterated (ties go to the first).
  for (let i = 0; i < n; i++) {
    const ws = tallied[i]!;
    const bytes = talliedBytes[i]!;
    tallied[i] = null; // no worker kept alive by the scratch list
    if (!acceptsWork(ws) || ws.watcher === null || capacity(ws, ts.group) - ws.processing.size <= 0) continue;
    if (accepts !== null && !accepts(ws)) continue;
    if (needFree && !hasFreeThread(ws)) continue;
    if (!best || bytes > bestBytes || (bytes === bestBytes && lighter(ws, best))) {
      best = ws;
      bestBytes = bytes;
    }
  }
  return best;
}
