/**
 * The task graph's shape: building a task's record from its spec and walking the graph.
 * Pure functions of the records; the state machine decides what the walks mean.
 */
import type { TaskSpec } from '@gluon/protocol';
import { groupStats, sharedFn, type GroupStats } from './groups.js';
import { addDependent } from './dependents.js';
import { NO_DEPS, TaskRecord, type Dependents } from './records.js';

/** A new task's record, linked to its dependencies; `missing` names the first unknown one. */
export function newTask(
  spec: TaskSpec, tasks: ReadonlyMap<string, TaskRecord>, groups: Map<string, GroupStats>, generation: number, seq: number,
): { ts: TaskRecord; missing: string | null } {
  const deps: TaskRecord[] = spec.deps.length ? [] : NO_DEPS;
  let missing: string | null = null;
  for (const k of spec.deps) {
    const d = tasks.get(k);
    if (!d) {
      missing = k;
      break;
    }
    deps.push(d);
  }
  let depth = 0;
  for (const d of deps) if (d.depth + 1 > depth) depth = d.depth + 1;
  // One group name and one FnRef object per group/function, shared by all their tasks.
  // The group comes with the task, never from its key (generated ids contain '-' too).
  const g = groupStats(groups, spec.group ?? spec.fn.export);
  const ts = new TaskRecord(spec.key, g.name, sharedFn(g, spec.fn), spec.args, deps, spec.priority ?? 0, generation, depth, seq, spec.retries ?? 0);
  if (spec.timeoutMs) ts.timeoutMs = spec.timeoutMs;
  g.total++;
  for (const d of deps) addDependent(d, ts);
  return { ts, missing };
}

/** The tasks and everything that depends on them, transitively. */
export function downstream(roots: Iterable<TaskRecord>): Set<TaskRecord> {
  const seen = new Set<TaskRecord>();
  const stack = [...roots];
  while (stack.length) {
    const ts = stack.pop()!;
    if (seen.has(ts)) continue;
    seen.add(ts);
    for (const d of ts.dependents) stack.push(d);
  }
  return seen;
}

/** The erred tasks among the roots and the erred tasks they depend on, transitively. */
export function erredUpstream(roots: Iterable<TaskRecord>): Set<TaskRecord> {
  const seen = new Set<TaskRecord>();
  const stack = [...roots].filter((t) => t.state === 'erred');
  while (stack.length) {
    const ts = stack.pop()!;
    if (seen.has(ts)) continue;
    seen.add(ts);
    for (const d of ts.deps) if (d.state === 'erred') stack.push(d);
  }
  return seen;
}

/** Whether some of these tasks still wait to be sent to a worker. */
export function hasUnassigned(tasks: Dependents): boolean {
  for (const t of tasks) if (t.state === 'waiting' || t.state === 'queued' || t.state === 'released') return true;
  return false;
}
