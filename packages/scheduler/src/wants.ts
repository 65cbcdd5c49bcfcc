/**
 * The records an update-graph's `wants` name. A client names, in the order it sent them, the
 * tasks it holds futures on, and nearly all of them are the frame's own new tasks: those are
 * matched against the records just made, in order, by comparing the key strings (both in cache),
 * and only the others are looked up in the graph. Each lookup in the graph's map of a million
 * keys costs several cache misses (it reads every key it compares on the way).
 */
import type { TaskRecord } from './records.js';

/** The records of `wants` that the graph has, in order; `made` are the frame's new records in spec order. */
export function wantedTasks(wants: readonly string[], made: readonly TaskRecord[], tasks: ReadonlyMap<string, TaskRecord>): TaskRecord[] {
  const out: TaskRecord[] = [];
  let next = 0;
  for (const key of wants) {
    const mine = next < made.length ? made[next]! : null;
    if (mine !== null && mine.key === key) {
      out.push(mine);
      next++;
      continue;
    }
    const ts = tasks.get(key);
    if (ts) out.push(ts);
  }
  return out;
}
