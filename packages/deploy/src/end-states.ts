/**
 * Which ended jobs a look asks the batch system about, and how. When many jobs end at once (a
 * farm's walltime, a node failure, a bad worker command in an array), the look asked every one of
 * them, one command after the other, before it could submit a single replacement: N round trips in
 * a row to a batch server that is busiest exactly then. PBS now asks them all with one `qstat -x -f
 * ID…` (pbs.ts); Slurm's `scontrol show job` shows one job a call, so it asks a few at a time
 * ({@link END_STATE_QUERIES}, {@link mapBounded}).
 *
 * A job whose worker never joined needs its answer: it is judged (a cancel, or a failure counted
 * towards maxFailedJobs) and its line says how it ended. One whose worker joined is only shown on
 * the dashboard (job-view.ts), and the view shows the newest MAX_VIEW_ROWS rows, the live jobs
 * first: asking about one that will never be shown only loads the server. Pure but for
 * {@link mapBounded}'s calls; job-cluster.ts does the I/O.
 */
import type { EndState } from './job-failures.js';
import { MAX_VIEW_ROWS } from './job-view.js';

/**
 * What a launcher learnt of some ended jobs' final states: by job id, those it knows (a job absent
 * from `states` has none known), and `problem`, what went wrong reading them when the batch system's
 * answer left some out for a reason other than the job being unknown to it (a command that failed,
 * an output it could not read), said in the cluster's log; the jobs are judged without a state.
 */
export interface EndStates {
  states: Map<string, EndState>;
  problem?: string;
}

/**
 * Slurm's queries a look has under way at once (one job each). A few, not all: each is a request
 * to slurmctld, which every user's commands share, and a burst of hundreds at once is what sites
 * ask their users not to send.
 */
export const END_STATE_QUERIES = 4;

/**
 * Which of a look's ended jobs (in the order the look notes them) to ask about, with `live` jobs
 * still listed: every one whose worker never joined, and of the others those the dashboard's view
 * can show, the newest MAX_VIEW_ROWS − live of them. The rows published are the live jobs, then the
 * ended ones newest first, MAX_VIEW_ROWS in all: this look's submissions only add live rows, and
 * its own cancels replace a live row with an ended one, so no other ended job of this look is shown.
 */
export function endStatesWanted(ended: readonly { joined: boolean }[], live: number): boolean[] {
  const room = Math.max(0, MAX_VIEW_ROWS - live);
  return ended.map((j, i) => !j.joined || i >= ended.length - room);
}

/**
 * `fn` of each item, at most `limit` under way at once, started in order; resolves with the results
 * in the items' order. `fn` should not reject (a rejection rejects the whole, the rest still run).
 */
export async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`mapBounded: limit must be an integer ≥ 1, got ${limit}`);
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}
