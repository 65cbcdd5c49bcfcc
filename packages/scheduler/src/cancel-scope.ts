import type { ClientRecord, TaskRecord } from './records.js';

/**
 * Which of the tasks a client's `cancel` reaches (`reached`: the keys it named and everything
 * downstream of them) go on regardless: those another client holds a reference on, and the
 * tasks of `reached` they depend on. A cancel ends the canceller's interest, as Dask's does
 * (without `force`): before, it released every client's references and told each its futures
 * were cancelled, so a script cancelling its own pure task (whose key is a hash of the function
 * and its arguments) cancelled another script's future of the same computation, or of anything
 * built on it. Pure: the caller cancels what is not returned. `canceller` is undefined for a
 * client not registered here (it holds nothing, so everything held by a client is kept).
 */
export function keptForOthers(reached: ReadonlySet<TaskRecord>, canceller: ClientRecord | undefined): Set<TaskRecord> {
  const kept = new Set<TaskRecord>();
  const stack: TaskRecord[] = [];
  for (const ts of reached) if (ts.clientRefs > (canceller?.refsOn(ts) ?? 0)) stack.push(ts);
  while (stack.length) {
    const ts = stack.pop()!;
    if (kept.has(ts)) continue;
    kept.add(ts);
    for (const d of ts.deps) if (reached.has(d)) stack.push(d);
  }
  return kept;
}
