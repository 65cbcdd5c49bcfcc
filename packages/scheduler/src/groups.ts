import type { FnRef } from '@gluon/protocol';
import type { GroupState } from './dashboard/source.js';
import type { SchedulerConfig } from './config.js';
import type { TaskState, WorkerRecord } from './records.js';

/** Per task group: counts by state for the dashboard, and the duration estimate for placement. */
export interface GroupStats {
  name: string;
  /** The distinct functions of the group's tasks (usually one), by `module#export`. */
  fns: Map<string, FnRef>;
  /** The one of {@link fns} used last. */
  lastFn: FnRef | undefined;
  counts: Record<GroupState, number>;
  total: number;
  /** Running mean of execution time, ms; NaN until the first result. */
  meanMs: number;
  samples: number;
}

/** The dashboard's name for a task state; released and forgotten tasks are not counted. */
export const GROUP_STATE: Partial<Record<TaskState, GroupState>> = {
  waiting: 'waiting',
  queued: 'queued',
  processing: 'processing',
  memory: 'memory',
  erred: 'erred',
};

/** The group's stats, created empty on first use. */
export function groupStats(groups: Map<string, GroupStats>, group: string): GroupStats {
  let g = groups.get(group);
  if (!g) {
    g = { name: group, fns: new Map(), lastFn: undefined, counts: { waiting: 0, queued: 0, processing: 0, memory: 0, erred: 0 }, total: 0, meanMs: NaN, samples: 0 };
    groups.set(group, g);
  }
  return g;
}

/** Distinct functions a group shares FnRef objects for, at most (see sharedFn). */
export const MAX_GROUP_FNS = 256;

/**
 * Groups without tasks kept, at most: their duration estimates serve the next run of the same
 * functions, but group names are the client's to choose (`group`, or the function's export), so
 * one naming a new group per task would otherwise grow the table, and every dashboard snapshot,
 * for the scheduler's life. Past this many, the longest-empty ones are forgotten.
 */
export const MAX_EMPTY_GROUPS = 1000;

/**
 * The groups left without tasks, longest-empty first, and the forgetting of the oldest past
 * {@link MAX_EMPTY_GROUPS}. A group that got tasks again stays listed until its turn comes,
 * and is kept then (listed again when it empties again).
 */
export class EmptyGroups {
  private readonly names = new Set<string>();

  constructor(private readonly max = MAX_EMPTY_GROUPS) {}

  /** `g` has no task left. */
  emptied(groups: Map<string, GroupStats>, g: GroupStats): void {
    this.names.delete(g.name);
    this.names.add(g.name);
    if (this.names.size <= this.max) return;
    for (const name of this.names) {
      if (this.names.size <= this.max) break;
      this.names.delete(name);
      if (groups.get(name)?.total === 0) groups.delete(name);
    }
  }
}

/** One shared FnRef object per distinct function of a group, so tasks do not each carry a copy. */
export function sharedFn(g: GroupStats, fn: FnRef): FnRef {
  // A group's tasks almost always share one function: compare with the last one before building
  // the `module#export` id (a string concatenated and hashed per task).
  const last = g.lastFn;
  if (last !== undefined && last.module === fn.module && last.export === fn.export) return last;
  const id = fn.module + '#' + fn.export;
  let shared = g.fns.get(id);
  if (!shared) {
    shared = { module: fn.module, export: fn.export };
    // A client names any functions it likes under one group: past a few, their tasks keep their own.
    if (g.fns.size < MAX_GROUP_FNS) g.fns.set(id, shared);
  }
  g.lastFn = shared;
  return shared;
}

/** Adds one run's duration to the group's estimate. */
export function recordDuration(g: GroupStats, ms: number): void {
  // Exponential mean over recent tasks: a group's duration can change as its inputs do.
  g.meanMs = g.samples === 0 ? ms : g.meanMs * 0.9 + ms * 0.1;
  g.samples++;
}

/**
 * How many tasks of a group a worker may hold in flight: nthreads+1 normally; for groups whose
 * tasks are much shorter than the scheduler round trip, enough to cover it (bounded), so short
 * tasks do not leave threads idle while the rest stays queued here for late joiners.
 */
export function capacity(ws: WorkerRecord, stats: GroupStats | undefined, config: SchedulerConfig): number {
  const base = ws.nthreads + 1;
  if (!stats || stats.samples === 0) return base;
  const perThread = Math.ceil(config.latencyBudgetMs / Math.max(stats.meanMs, 1e-3));
  return Math.max(base, Math.min(ws.nthreads * perThread, ws.nthreads * config.maxInFlightPerThread));
}
