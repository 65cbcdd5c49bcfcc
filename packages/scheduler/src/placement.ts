/**
 * Where work goes: the choice of a worker for a ready task and of a victim to steal from. Pure
 * functions of the worker and task records; the state machine acts on the answers.
 */
import { acceptsWork, runsBefore, type TaskRecord, type WorkerRecord } from './records.js';

/** Whether a worker said it is over its memory limit (it starts no new tasks). */
export function isPaused(ws: WorkerRecord): boolean {
  return ws.status === 'running' && ws.metrics?.paused === true;
}

/** How many of a worker's tasks may not have started: all of them while it is paused. */
export function spareWork(ws: WorkerRecord): number {
  return ws.processing.size - (isPaused(ws) ? 0 : ws.nthreads);
}

/** Most dependency bytes held, then least occupied, among workers with room. */
export function chooseWorker(ts: TaskRecord, workers: Iterable<WorkerRecord>, capacity: (ws: WorkerRecord) => number): WorkerRecord | null {
  let best: WorkerRecord | null = null;
  let bestBytes = -1;
  let bestLoad = Infinity;
  for (const ws of workers) {
    if (!acceptsWork(ws)) continue;
    const room = capacity(ws) - ws.processing.size;
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

/** The worker with the most unstarted work other than `idle`, or null if none has any. */
export function stealVictim(idle: WorkerRecord, workers: Iterable<WorkerRecord>): WorkerRecord | null {
  let victim: WorkerRecord | null = null;
  for (const ws of workers) {
    if (ws === idle || spareWork(ws) <= 0) continue;
    if (!victim || spareWork(ws) > spareWork(victim)) victim = ws;
  }
  return victim;
}

/**
 * Up to `n` of the victim's tasks to ask back, not already being stolen: the victim runs its best
 * tasks first, so the thief takes from the other end.
 */
export function stealCandidates(victim: WorkerRecord, n: number): TaskRecord[] {
  const candidates = [...victim.processing].filter((t) => t.thief === null).sort((a, b) => (runsBefore(a, b) ? 1 : -1));
  return candidates.slice(0, Math.max(0, n));
}
