/**
 * How much a process allocates on V8's heap, and how often it collects, over a stretch of work:
 * for another process from its `--trace-gc-nvp` log, for this one from `v8.GCProfiler`. For
 * bench/tail-flags.ts (ALLOC=1): bytes allocated per round trip decide how often each process
 * scavenges, and a scavenge that meets a round trip pauses it.
 */
import { readFileSync } from 'node:fs';
import { GCProfiler, getHeapStatistics } from 'node:v8';

/** One isolate's collections in a window: counts, the bytes allocated before them, pause ms. */
export interface GcTally { scavenges: number; majors: number; allocated: number; pauseMs: number }

const empty = (): GcTally => ({ scavenges: 0, majors: 0, allocated: 0, pauseMs: 0 });

/**
 * The collections a `--trace-gc-nvp` log records between `fromMs` and `toMs` of each isolate's own
 * clock (ms since the isolate started; take them from when the process was started, and an
 * isolate that started later — a worker thread — is read a little late, by its start-up), per
 * isolate, in the order the isolates first appear (a process's main thread first). `allocated`
 * sums each collection's `allocated=` field: what the isolate allocated since its previous
 * collection, so what it allocated after the window's last collection is not counted.
 */
export function tallyNvpLog(file: string, fromMs: number, toMs: number): GcTally[] {
  const byIsolate = new Map<string, GcTally>();
  // A line may carry another thread's output in front of it: match anywhere.
  const re = /\[\d+:(0x[0-9a-f]+)\]\s+(\d+) ms: pause=([\d.]+) .*?gc=(\w+) .*?allocated=(\d+)/g;
  for (const m of readFileSync(file, 'utf8').matchAll(re)) {
    const [, isolate, at, pause, kind, allocated] = m;
    let t = byIsolate.get(isolate!);
    if (!t) byIsolate.set(isolate!, (t = empty()));
    const ms = Number(at);
    if (ms < fromMs || ms > toMs) continue;
    if (kind === 's') t.scavenges++;
    else t.majors++;
    t.allocated += Number(allocated);
    t.pauseMs += Number(pause);
  }
  return [...byIsolate.values()];
}

/**
 * Starts counting this process's collections and what it allocates; the function returned stops
 * and tallies. Allocation is the growth of the heap's used size between collections (before a
 * collection minus after the previous one), so it counts everything allocated in between.
 */
export function tallyOwnGc(): () => GcTally {
  const profiler = new GCProfiler();
  const used0 = getHeapStatistics().used_heap_size;
  profiler.start();
  return () => {
    const usedEnd = getHeapStatistics().used_heap_size;
    const stats = profiler.stop()?.statistics ?? [];
    const t = empty();
    let after = used0;
    for (const s of stats) {
      t.allocated += Math.max(0, s.beforeGC.heapStatistics.usedHeapSize - after);
      after = s.afterGC.heapStatistics.usedHeapSize;
      if (s.gcType === 'Scavenge' || s.gcType === 'MinorMarkSweep') t.scavenges++;
      else t.majors++;
      t.pauseMs += s.cost / 1000;
    }
    t.allocated += Math.max(0, usedEnd - after);
    return t;
  };
}
