/**
 * The per-chunk task: read one event range of one file (only the branches the run needs),
 * count final states and combination masses, return a mergeable FsResult.
 */
import { taskContext } from '@gluon/client';
import { openTree, BadInputError } from '@gluon/analysis-h4l';
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
 * Processes entries [entryStart, entryStop) of `file`. Bad input (unreadable file, missing
 * branch, damaged basket, columns that do not line up) throws a BadInputError naming the file.
 * Reports the events read to the task context (the dashboard's events/s).
 */
export async function processChunk(file: string, range: EntryRange, opts: PhysicsOptions): Promise<FsResult> {
  const t0 = performance.now();
  const counter = new FinalStateCounter(opts);
  const n = range.entryStop - range.entryStart;
  if (n > 0) {
    const tree = await openTree(file, schemaOf(opts).tree);
    try {
      if (range.entryStop > tree.numEntries) throw new BadInputError(file, `entry range ${range.entryStart}–${range.entryStop} exceeds its ${tree.numEntries} entries`);
      const cols = await tree.arrays(branchesFor(opts), range.entryStart, range.entryStop);
      try { counter.add(cols, n); } catch (e) {
        if (e instanceof ColumnError) throw new BadInputError(file, `entries ${range.entryStart}–${range.entryStop}: ${e.message}`);
        throw e;
      }
    } finally {
      await tree.close().catch(() => {});
    }
  }
  const r = counter.result();
  r.chunks = 1;
  r.chunkStats.push({ file, entryStart: range.entryStart, entryStop: range.entryStop, events: n, combinations: r.combinations, ms: performance.now() - t0 });
  taskContext()?.report({ events: n });
  return r;
}
