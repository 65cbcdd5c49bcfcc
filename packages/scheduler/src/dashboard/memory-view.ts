import type { ClusterEvent, ClusterProbe, ClusterSnapshot, WorkerRow } from './source.js';
import { SampledView } from './views.js';

/** One worker's figures in a sample: `[worker id, results held bytes, process RSS, memory limit (0: none), paused 0/1]`. */
export type MemoryPoint = [string, number, number, number, 0 | 1];
/** Every live worker at one time: `[time, points]`. */
export type MemorySample = [number, MemoryPoint[]];

/**
 * Memory per worker over time: the bytes of results it holds (the scheduler's sum of their
 * size estimates, read from its records at the sample, so a result stored since the last
 * heartbeat counts), its process RSS and its limit (from the rows its heartbeats update);
 * sampled once a second for the last ten minutes. The cluster's totals are sums over a sample, so they
 * are not sent. State `{samples}`, delta `{samples}` (the new ones). Bounded: 601 samples of at
 * most one point per live worker.
 */
export class MemoryView extends SampledView<MemorySample> {
  readonly name = 'memory';
  private readonly rows = new Map<string, WorkerRow>();

  constructor(snapshot: ClusterSnapshot, private readonly probe?: ClusterProbe, periodMs = 1000, windowMs = 10 * 60_000) {
    super(periodMs, windowMs);
    for (const w of snapshot.workers) if (w.alive) this.rows.set(w.id, w);
  }

  apply(e: ClusterEvent): void {
    if (e.kind !== 'worker') return;
    if (e.row.alive) this.rows.set(e.row.id, e.row);
    else this.rows.delete(e.row.id);
  }

  protected sample(now: number): MemorySample {
    const points: MemoryPoint[] = [];
    for (const w of this.rows.values()) points.push([w.id, this.probe?.workers.get(w.id)?.storedBytes ?? w.storedBytes, w.rss, w.memoryLimit, w.paused ? 1 : 0]);
    return [now, points];
  }
}
