/**
 * The functions workers run, by name: `@gluon/analysis-h4l/tasks#processChunk`, `#mergeResults`,
 * `#countEntries`, `#whereAmI`. Kept in a module of their own so importing it on a worker runs no start-up code.
 */
import { threadId } from 'node:worker_threads';
import { taskContext } from '@gluon/client';
import { openTree } from './reader.js';
import { mergeResults as merge, type AnalysisResult } from './result.js';
export { processChunk } from './chunk.js';

/** The treeReduce combine. */
export function mergeResults(parts: AnalysisResult[]): AnalysisResult {
  return merge(parts);
}

/** Number of entries of a file's `mini` tree (the preprocessing task). */
export async function countEntries(file: string): Promise<number> {
  const t = await openTree(file);
  try { return t.numEntries; } finally { await t.close().catch(() => {}); }
}

/** Which worker and thread run a task: the probe that a cluster run starts with (wait-workers.ts). */
export function whereAmI(): { worker: string; thread: number } {
  return { worker: taskContext()?.worker ?? 'in-process', thread: threadId };
}
