/**
 * A task's dependents (TaskRecord.dependents): an array while they are few, a Set once they
 * are many. An array keeps a task with one dependent (every leaf of a tree reduction) at ~56
 * bytes of heap instead of a Set's ~150, and iterates in the same (insertion) order; past
 * {@link SMALL_DEPENDENTS} a Set keeps removing one of a wide fan-out's dependents O(1).
 * A dependent is listed once per time it names the task among its deps, so each entry of its
 * `deps` is matched by one entry here (see removeDependent).
 */
import { NO_DEPENDENTS, type Dependents, type TaskRecord } from './records.js';

/** Dependents beyond this many go in a Set. */
export const SMALL_DEPENDENTS = 16;

/** `dependent` names `ts` among its deps (once more). */
export function addDependent(ts: TaskRecord, dependent: TaskRecord): void {
  const ds = ts.dependents;
  if (ds === NO_DEPENDENTS) ts.dependents = [dependent];
  else if (!isList(ds)) ds.add(dependent);
  else if (ds.length < SMALL_DEPENDENTS) (ds as TaskRecord[]).push(dependent); // a task's own list
  else ts.dependents = new Set(ds).add(dependent);
}

/** `dependent` no longer depends on `ts` (one entry of its deps; a Set holds it once anyway). */
export function removeDependent(ts: TaskRecord, dependent: TaskRecord): void {
  const ds = ts.dependents;
  if (!isList(ds)) {
    ds.delete(dependent);
    return;
  }
  const i = ds.indexOf(dependent);
  if (i < 0) return;
  if (ds.length === 1) ts.dependents = NO_DEPENDENTS;
  else (ds as TaskRecord[]).splice(i, 1); // a task's own list; keeps the order the others were added in
}

/** How many dependents a task has. */
export function dependentCount(ts: TaskRecord): number {
  const ds = ts.dependents;
  return isList(ds) ? ds.length : ds.size;
}

/** Array.isArray for a read-only array (TypeScript's does not narrow the union to it). */
function isList(ds: Dependents): ds is readonly TaskRecord[] {
  return Array.isArray(ds);
}
