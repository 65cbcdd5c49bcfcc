/**
 * The functions workers run, by name: `@gluon/analysis-h4l/tasks#processChunk`, `#mergeResults`,
 * `#countEntries`. Kept in a module of their own so importing it on a worker runs no start-up code.
 */
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
