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

/** Whether the worker runs fewer tasks than it has threads: a task sent now starts now. */
export function hasFreeThread(ws: WorkerRecord): boolean {
  return ws.processing.size < ws.nthreads;
}

/**
 * A worker with a free thread first, if any has one; then most dependency bytes held, then least
 * occupied, among workers with room. The holders of the task's dependencies are the only
 * candidates with bytes; without one that has room (and a free thread, while any worker has
 * one), the least occupied worker is the answer, and it has a free thread if any worker has
 * (occupancy is tasks per thread: below 1 exactly when a thread is free). A task sent to a holder
 * whose threads are all busy waits there for a running task to end, which may take any time,
 * while a free thread elsewhere starts it once its inputs arrive: the scheduler does not know how
 * long running tasks take (Dask weighs an estimated wait against the transfer; here a free
 * thread is taken as the shorter wait). `capacity(ws, group)`: how many tasks of the task's group
 * the worker may hold (one function for every task: no closure per call).
 */
export function chooseWorker(ts: TaskRecord, pool: WorkerPool, capacity: (ws: WorkerRecord, group: string) => number): WorkerRecord | null {
  const lightest = pool.leastLoaded();
  if (ts.deps.length) {
    const freeSomewhere = lightest !== undefined && hasFreeThread(lightest);
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
      if (freeSomewhere && !hasFreeThread(ws)) continue;
      if (!best || bytes > bestBytes || (bytes === bestBytes && lighter(ws, best))) {
        best = ws;
        bestBytes = bytes;
      }
    }
    if (best) return best;
  }
  return lightest && capacity(lightest, ts.group) - lightest.processing.size > 0 ? lightest : null;
}
