/**
 * The functions workers run, by name: `@gluon/analysis-finalstates/tasks#processChunk`,
 * `#mergeResults`, `#finalStateCounts`, `#whereAmI`. A module of its own, so importing it on a worker runs no
 * start-up code; package.json declares it (`gluon.tasks`), the only module workers may run from
 * this package.
 */
import { taskContext } from '@gluon/client';
import { mergeResults as merge, type FsResult } from './result.js';
export { processChunk } from './chunk.js';

/** The treeReduce combine. */
export function mergeResults(parts: FsResult[]): FsResult {
  return merge(parts);
}

/** A chunk's small summary for the dashboard: events read and events per final state. */
export function finalStateCounts(r: FsResult): { events: number; finalStates: Record<string, number> } {
  return { events: r.events, finalStates: r.finalStates };
}

/** The run's probe (watchForWorkers): taken by any worker, it says the cluster has one. */
export function whereAmI(): string {
  return taskContext()?.worker ?? 'in-process';
}
