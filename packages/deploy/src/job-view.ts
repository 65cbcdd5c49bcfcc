/**
 * The cluster's batch jobs as the scheduler's dashboard shows them. The cluster already tracks
 * each job (its id, pending or running, requeued, its worker joined or retiring) and learns how
 * an ended one ended, but said it only in log lines: the dashboard knew workers, not jobs, so a
 * farm user could not see which job waits, which failed and why, or which worker a job runs.
 * The cluster publishes this view on two topics of the scheduler (the channel any client has:
 * `publish`, the dashboard's Results panel, which draws an array of rows as a table and a flat
 * object as a list): `batch jobs`, one row per job, and `batch job counts`. Pure: job-cluster.ts
 * keeps the records and publishes after a look that changed them.
 */
import { staleText, utc, type StaleListing } from './listing-health.js';

/** A job's state on the dashboard. */
export type ViewState = 'pending' | 'running' | 'requeued' | 'failed' | 'done';

/** The topic of the per-job table, and of the counts. */
export const BATCH_JOBS_TOPIC = 'batch jobs';
export const BATCH_JOB_COUNTS_TOPIC = 'batch job counts';

/** Rows published at most (the Results panel draws 100): the live jobs first, then the latest ended. */
export const MAX_VIEW_ROWS = 100;

/** One row of the `batch jobs` table. */
export interface JobViewRow {
  job: string;
  /** A live job's state, while the listing fails, says it is the last one listed: `running (stale: as listed at …)`. */
  state: ViewState | `${ViewState} (stale: ${string})`;
  /** The job's worker, once it joined the scheduler (this run of the job). */
  worker: string;
  /** Since when the job is in this state (UTC, to the second). */
  since: string;
  /** How it ended, in the batch system's words where it gives them. */
  ended: string;
}

/** A job the batch system lists, as the view needs it. */
export interface LiveJob {
  id: string;
  /** `gone` never reaches the view (the cluster's jobList leaves it out). */
  state: 'pending' | 'running' | 'gone';
  requeued: boolean;
  joined: boolean;
  workerName: string;
  /** When it entered its current view state (ms). */
  since: number;
}

/** An ended job, kept for the view. */
export interface EndedJobView {
  id: string;
  state: 'failed' | 'done';
  worker: string;
  since: number;
  why: string;
}

/** A listed job's state on the dashboard. */
export function liveState(j: Pick<LiveJob, 'state' | 'requeued'>): ViewState {
  return j.requeued ? 'requeued' : j.state === 'running' ? 'running' : 'pending';
}

/** What the cluster knows of a job as it ends. */
export interface EndFacts {
  id: string;
  joined: boolean;
  /** Its worker was retiring (its lifetime ended, or it was stopped: scancel, qdel, the walltime's SIGTERM). */
  retiring: boolean;
  workerName: string;
  /** The batch system's final state (`CANCELLED, exit code 0:15`), where it still reports it. */
  state?: string | undefined;
  /** Whether that state is a cancel (job-failures.ts). */
  cancelled?: boolean | undefined;
  /** The cluster cancelled it itself (a scale-down). */
  byCluster?: boolean;
  outputFile: string;
}

/**
 * How a job ended, as the view says it: failed only when it ended before its worker joined and was
 * not cancelled (as the failure count says, job-failures.ts); every other end is done, with why.
 */
export function endedView(f: EndFacts, now: number): EndedJobView {
  const worker = f.joined ? f.workerName : '';
  const state = f.state ? ` (${f.state})` : '';
  if (f.byCluster) return { id: f.id, state: 'done', worker, since: now, why: 'cancelled by this cluster (fewer jobs wanted)' };
  if (!f.joined && f.cancelled) return { id: f.id, state: 'done', worker, since: now, why: `cancelled before its worker joined${state}` };
  if (!f.joined) return { id: f.id, state: 'failed', worker, since: now, why: `ended before its worker joined${state}; read ${f.outputFile}` };
  return { id: f.id, state: 'done', worker, since: now, why: `${f.retiring ? 'its worker retired, then the job ended' : 'ended'}${state}` };
}

/**
 * The two published values: the rows (live jobs in submission order, then the ended ones, newest
 * first, MAX_VIEW_ROWS in all) and the counts (live jobs by state, as the batch system lists them:
 * pending + requeued are its pending jobs, running its running ones; failed and done over the
 * cluster's life, `endedCounts`, whether shown or not: the cluster keeps the latest MAX_VIEW_ROWS ended jobs).
 * `connected`: the scheduler's live workers, where known; a joined worker not among them is marked.
 * `stale`: the batch system's listing fails (listing-health.ts): each live row's state says it is
 * the last one listed, and when, and the counts gain `listing`, saying since when it fails and why.
 */
export function jobView(live: readonly LiveJob[], ended: readonly EndedJobView[], endedCounts: { failed: number; done: number }, connected?: ReadonlySet<string>, stale?: StaleListing):
{ rows: JobViewRow[]; counts: Record<ViewState, number> & { listing?: string } } {
  const counts: Record<ViewState, number> & { listing?: string } = { pending: 0, running: 0, requeued: 0, ...endedCounts };
  if (stale) counts.listing = `stale: ${staleText(stale)}; the live jobs' states are the last listed`;
  const rows: JobViewRow[] = [];
  for (const j of live) {
    const state = liveState(j);
    counts[state]++;
    // A worker that joined and is not connected now (a frozen node, absent-workers.ts) is not shown as if it were.
    const worker = !j.joined ? '' : connected && !connected.has(j.workerName) ? `${j.workerName} (not connected)` : j.workerName;
    rows.push({ job: j.id, state: stale ? `${state} (stale: as listed at ${stale.lastListed})` : state, worker, since: utc(j.since), ended: '' });
  }
  for (const e of [...ended].reverse()) rows.push({ job: e.id, state: e.state, worker: e.worker, since: utc(e.since), ended: e.why });
  return { rows: rows.slice(0, MAX_VIEW_ROWS), counts };
}
