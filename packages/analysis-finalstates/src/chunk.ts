/**
 * The per-chunk task: read one event range of one file (only the branches the run needs),
 * count final states and combination masses, return a mergeable FsResult.
 */
import { taskContext } from '@gluon/client';
import { sharedTree, BadInputError } from '@gluon/analysis-h4l';
import { type PhysicsOptions, schemaOf } from './options.js';
import { FinalStateCounter, ColumnError } from './physics.js';
import { type FsResult } from './result.js';
import { OBJECT_TYPES, branchesToRead } from './schema.js';

/** An event range [entryStart, entryStop) of one file. */
export interface EntryRange { entryStart: number; entryStop: number }

/** The branches a run with these options reads. */
export function branchesFor(o: PhysicsOptions): string[] {
  return branchesToRead(schemaOf(o), OBJECT_TYPES, (t) => o.cuts[t].tightId);
}

/**
 * One counter per physics options in this thread, reused chunk after chunk (reset after each):
 * a chunk's counter grows ~2,000 histograms and ~150 final-state tables, which cost more to
 * allocate and collect than to clear. Used only between awaits, so chunks running concurrently
 * in one thread never share it mid-chunk.
 */
const counters = new Map<string, FinalStateCounter>();
const MAX_COUNTERS = 4;

function counterFor(opts: PhysicsOptions): FinalStateCounter {
  const key = JSON.stringify(opts);
  let c = counters.get(key);
  if (!c) {
    c = new FinalStateCounter(opts);
    counters.set(key, c);
    if (counters.size > MAX_COUNTERS) counters.delete(counters.keys().next().value!);
  }
  return c;
}

/**
 * Processes entries [entryStart, entryStop) of `file`. Bad input (unreadable file, missing
 * branch, damaged basket, columns that do not line up) throws a BadInputError naming the file.
 * Reports the events read to the task context (the dashboard's events/s). The file's opened tree
 * is kept for the thread's later chunks of it (analysis-h4l's sharedTree).
 */
export async function processChunk(file: string, range: EntryRange, opts: PhysicsOptions): Promise<FsResult> {
  const t0 = performance.now();
  const n = range.entryStop - range.entryStart;
  let cols: Record<string, unknown> | undefined;
  if (n > 0) {
    const tree = await sharedTree(file, schemaOf(opts).tree);
    if (range.entryStop > tree.numEntries) throw new BadInputError(file, `entry range ${range.entryStart}–${range.entryStop} exceeds its ${tree.numEntries} entries`);
    cols = await tree.arrays(branchesFor(opts), range.entryStart, range.entryStop);
  }
  const counter = counterFor(opts);
  let r: FsResult;
  try {
    if (cols) counter.add(cols, n);
    r = counter.result();
  } catch (e) {
    if (e instanceof ColumnError) throw new BadInputError(file, `entries ${range.entryStart}–${range.entryStop}: ${e.message}`);
    throw e;
  } finally {
    counter.reset();
  }
  r.chunks = 1;
  r.chunkStats.push({ file, entryStart: range.entryStart, entryStop: range.entryStop, events: n, combinations: r.combinations, ms: performance.now() - t0 });
  taskContext()?.report({ events: n });
  return r;
}
