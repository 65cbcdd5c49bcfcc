/**
 * A running job whose worker joined and then left the scheduler without saying it was leaving: a
 * node frozen (SIGSTOP, `scontrol suspend`, a hung kernel), its network cut, the worker killed
 * while its job's other processes run on. The job is not replaced while it is listed running (its
 * worker may come back, and a replacement would be a job too many: job-plan.ts), so the cluster
 * held one worker fewer than asked, for as long as the job ran (up to its walltime), and said
 * nothing. The pure rule that decides when to say so, and the lines; job-cluster.ts does the I/O.
 *
 * Said once the worker has been absent for ABSENT_NOTICE_MS while its job is listed running, so
 * that a worker that left because its job is ending (scancel, the walltime: the worker's exit
 * comes a moment before the batch system stops listing the job) is not said: the scheduler itself
 * takes its heartbeat TTL (30 s) to drop a worker that stopped answering. Said again when it is
 * back; a job that ends meanwhile ends as any other (the dashboard's view says how).
 */

/** How long a running job's worker may be absent before the cluster says so (ms). */
export const ABSENT_NOTICE_MS = 15_000;

/** What a look says of an absence: nothing, the notice, or that the worker is back. */
export type AbsenceNews = 'none' | 'absent' | 'back';

/**
 * One look of one running job whose worker joined: `since` is when its worker was first seen
 * absent (undefined: seen live), `said` whether the absence was said, `live` whether the worker is
 * connected now. Returns the new `since`/`said` and what to say.
 */
export function absenceLook(since: number | undefined, said: boolean, live: boolean, now: number, afterMs = ABSENT_NOTICE_MS):
{ since: number | undefined; said: boolean; news: AbsenceNews } {
  if (live) return { since: undefined, said: false, news: said ? 'back' : 'none' };
  const from = since ?? now;
  if (!said && now - from >= afterMs) return { since: from, said: true, news: 'absent' };
  return { since: from, said, news: 'none' };
}

/** The line for an absence said, or for a worker back. */
export function absenceLine(kind: string, id: string, worker: string, news: 'absent' | 'back', ms: number, cancelHint: string): string {
  const secs = Math.round(ms / 1000);
  if (news === 'back') return `${kind} cluster: job ${id}'s worker ${worker} is connected again after ${secs} s away`;
  return `${kind} cluster: job ${id} is running but its worker ${worker} left the scheduler ${secs} s ago without saying it was leaving ` +
    `(a frozen or suspended node, a cut network, the worker killed); the job is not replaced while it runs, as its worker may come back: ` +
    `the cluster has one worker fewer until then (${cancelHint} ${id} to replace it now)`;
}
