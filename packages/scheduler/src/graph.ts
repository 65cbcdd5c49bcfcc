/**
 * The task graph's shape: building a task's record from its spec and walking the graph.
 * Pure functions of the records; the state machine decides what the walks mean.
 */
import type { TaskSpec } from '@gluon/protocol';
import { groupStats, sharedFn, type GroupStats } from './groups.js';
import { addDependent } from './dependents.js';
import { NO_DEPS, TaskRecord, type Dependents } from './records.js';

/**
 * A new task's record, linked to its dependencies, each once however often `spec.deps` names it
 * (a dependent waits for each of its deps to arrive, and a dependency's arrival is counted once
 * per dependent when its dependents are a Set: a task naming one twice waited for ever). Its
 * dependencies stop at the first one the graph does not know: see {@link missingDependency}. (It
 * returns the record alone, not an object with it: one object less per task, and a run of a
 * million tasks makes a million records.)
 */
export function newTask(spec: TaskSpec, tasks: ReadonlyMap<string, TaskRecord>, groups: Map<string, GroupStats>, generation: number, seq: number): TaskRecord {
  // Exactly as long as needed (a push onto [] reserves 17 slots, which the record would keep).
  let deps: readonly TaskRecord[] = NO_DEPS;
  const n = spec.deps.length;
  if (n > 0) {
    const own = new Array<TaskRecord>(n);
    let found = 0;
    // Repeats are looked for in what was found so far; past a few deps, in a Set of it.
    let seen: Set<TaskRecord> | null = null;
    for (let i = 0; i < n; i++) {
      const d = tasks.get(spec.deps[i]!);
      if (!d) break;
      if (n > 8) {
        if ((seen ??= new Set()).has(d)) continue;
        seen.add(d);
      } else if (found > 0 && own.lastIndexOf(d, found - 1) >= 0) continue;
      own[found++] = d;
    }
    if (found < n) own.length = found;
    deps = found ? own : NO_DEPS;
  }
  let depth = 0;
  for (const d of deps) if (d.depth + 1 > depth) depth = d.depth + 1;
  // One group name and one FnRef object per group/function, shared by all their tasks.
  // The group comes with the task, never from its key (generated ids contain '-' too).
  const g = groupStats(groups, spec.group ?? spec.fn.export);
  if (deps.length) shareRefKeys(spec.args, deps);
  const ts = new TaskRecord(ownCopy(spec.key), g.name, sharedFn(g, spec.fn), spec.args, deps, spec.priority ?? 0, generation, depth, seq);
  if (spec.retries) ts.retries = spec.retries;
  if (spec.timeoutMs) ts.timeoutMs = spec.timeoutMs;
  g.total++;
  for (const d of deps) addDependent(d, ts);
  return ts;
}

/** The first dependency of `spec` the graph does not know (where {@link newTask} stopped), or null. */
export function missingDependency(spec: TaskSpec, tasks: ReadonlyMap<string, TaskRecord>): string | null {
  for (const k of spec.deps) if (!tasks.has(k)) return k;
  return null;
}

/**
 * A copy of a decoded string that holds only its own characters. msgpackr's native decoder
 * reads a frame's strings into one string and hands out slices of it, and a slice keeps the
 * whole string alive: a task record that kept its decoded key kept every string of the frame
 * around it (bench/scheduler-heap.ts: ~95 bytes per key of a map, against 40 for a copy of its
 * own). Keys outside Latin-1 are kept as they came.
 */
export function ownCopy(s: string): string {
  // Through one scratch buffer: Buffer.from made a Buffer object per key (~100 bytes of garbage).
  const n = s.length <= COPY_SCRATCH.length ? COPY_SCRATCH.write(s, 'latin1') : -1;
  const copy = n >= 0 ? COPY_SCRATCH.toString('latin1', 0, n) : Buffer.from(s, 'latin1').toString('latin1');
  return copy === s ? copy : s;
}

/** {@link ownCopy}'s buffer: keys up to this long are copied without allocating a Buffer. */
const COPY_SCRATCH = Buffer.allocUnsafeSlow(1024);

/**
 * Points each `{__gluonRef}` in a task's arguments at its dependency's own key string instead of
 * the decoded one (a slice of the frame's strings, see {@link ownCopy}): a tree reduction's
 * arguments name every task but its root once more. Walks arrays and plain objects only, and
 * stops once as many references as dependencies were found.
 */
function shareRefKeys(args: unknown[], deps: readonly TaskRecord[]): void {
  let left = deps.length;
  let next = 0;
  const stack: unknown[] = [args];
  while (stack.length && left > 0) {
    const v = stack.pop();
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) if (typeof v[i] === 'object' && v[i] !== null) stack.push(v[i]);
      continue;
    }
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) continue;
    const o = v as Record<string, unknown>;
    const ref = o.__gluonRef;
    if (typeof ref === 'string') {
      // Usually in the order of deps; else looked up (a task that names a dependency twice).
      const at = deps[next]?.key === ref ? next : deps.findIndex((t) => t.key === ref);
      if (at >= 0) {
        o.__gluonRef = deps[at]!.key;
        next = at + 1;
        left--;
      }
      continue;
    }
    for (const k in o) if (typeof o[k] === 'object' && o[k] !== null) stack.push(o[k]);
  }
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
