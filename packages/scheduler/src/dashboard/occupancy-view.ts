import type { ClusterEvent, ClusterProbe, ClusterSnapshot, WorkerRow } from './source.js';
import type { ServerView } from './views.js';

/**
 * One worker's load: `[worker id, tasks assigned (sent, not finished), executing now, threads,
 * expected ms of the assigned work]` — the expected work sums each assigned task's group mean
 * run time (tasks of a group that never finished count 0), over the worker's threads.
 */
export type OccupancyRow = [string, number, number, number, number];

/**
 * Occupancy per worker, so imbalance shows: what the scheduler has assigned to each worker
 * (its live records, read once per push: O(assigned tasks), a few per thread) against what the
 * worker last said it executes. Sent whole, only when it changed; read only while a browser
 * watches (or a page asks for the state), never on an unwatched push. Without the scheduler's
 * records (a replay, a test source) the workers' rows give executing + queued.
 */
export class OccupancyView implements ServerView {
  readonly name = 'occupancy';
  private readonly rows = new Map<string, WorkerRow>();
  private last = '';

  constructor(snapshot: ClusterSnapshot, private readonly probe?: ClusterProbe) {
    for (const w of snapshot.workers) if (w.alive) this.rows.set(w.id, w);
  }

  apply(e: ClusterEvent): void {
    if (e.kind !== 'worker') return;
    if (e.row.alive) this.rows.set(e.row.id, e.row);
    else this.rows.delete(e.row.id);
  }

  private current(): OccupancyRow[] {
    const out: OccupancyRow[] = [];
    for (const w of this.rows.values()) {
      const live = this.probe?.workers.get(w.id);
      if (!live) {
        out.push([w.id, w.executing + w.queued, w.executing, w.nthreads, 0]);
        continue;
      }
      let ms = 0;
      const means = new Map<string, number>();
      for (const t of live.processing) {
        let m = means.get(t.group);
        if (m === undefined) means.set(t.group, (m = this.probe!.meanMs(t.group) || 0));
        ms += m;
      }
      out.push([w.id, live.processing.size, Math.min(w.executing, live.processing.size), w.nthreads, Math.round(ms / Math.max(1, w.nthreads))]);
    }
    return out;
  }

  delta(): { workers: OccupancyRow[] } | undefined {
    const rows = this.current();
    const sig = JSON.stringify(rows);
    if (sig === this.last) return undefined;
    this.last = sig;
    return { workers: rows };
  }

  state(): { workers: OccupancyRow[] } {
    return { workers: this.current() };
  }
}
