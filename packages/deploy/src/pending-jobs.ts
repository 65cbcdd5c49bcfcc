import { logText } from '@gluon/protocol';

/**
 * Jobs the batch system keeps pending (no free CPU, a lower priority, a QOS limit, a node or
 * partition down, a hold): without a word, a script waiting for workers sat silent for minutes.
 * The pure rule that decides when the cluster says so, and the lines it says; the cluster reads
 * the job states (and the batch system's reasons) in its usual status look and logs the lines.
 */

/** A job as one look at the batch system listed it. */
export interface ListedJob {
  state: 'pending' | 'running';
  /** Why it is pending, in the batch system's words (squeue's `%r`: `Resources`), if it says. */
  reason?: string | undefined;
  /** The batch system says it is being requeued (squeue's RQ, RH, RF, SE; requeued-jobs.ts). */
  requeued?: boolean | undefined;
}

/** An episode of pending jobs: from a look that found a job pending to one that found none. */
export interface PendingEpisode {
  /** When the episode began (ms). */
  since: number;
  /** The reasons last announced (`''` until the first announcement). */
  announced: string;
  /** The jobs named in announcements. */
  ids: string[];
}

/** Default `pendingNoticeMs`: how long jobs may stay pending before the cluster says so. */
export const DEFAULT_PENDING_NOTICE_MS = 30_000;

/** Explanations of common Slurm reasons (squeue prints only the code). */
const REASONS: Record<string, string> = {
  Resources: 'waiting for resources to become available',
  Priority: 'jobs of higher priority are queued ahead',
  QOSMaxJobsPerUserLimit: 'the QOS limit on jobs per user is reached',
  QOSMaxSubmitJobPerUserLimit: 'the QOS limit on submitted jobs per user is reached',
  AssocMaxJobsLimit: 'the account limit on jobs is reached',
  ReqNodeNotAvail: 'a node the job needs is not available (down, drained or reserved)',
  PartitionDown: 'the partition is down',
  PartitionInactive: 'the partition is inactive',
  PartitionNodeLimit: 'the job asks for more nodes than the partition allows',
  PartitionTimeLimit: 'the walltime is over the partition\'s limit',
  JobHeldUser: 'held by the user (scontrol release)',
  JobHeldAdmin: 'held by an administrator',
  Dependency: 'waiting for a job it depends on',
  BeginTime: 'its start time has not come',
  Reservation: 'waiting for its reservation',
};

/** `Resources` → `Resources: waiting for resources to become available`; other reasons as given. */
export function explainReason(reason: string): string {
  // ReqNodeNotAvail comes with the nodes: `ReqNodeNotAvail, UnavailableNodes:n1`.
  const code = /^\w+/.exec(reason)?.[0] ?? '';
  const why = Object.hasOwn(REASONS, code) ? REASONS[code] : undefined;
  return why ? `${reason}: ${why}` : reason;
}

/** `ids (reason); ids (reason)`, grouped by reason, ids in listing order. */
function describe(pending: [string, ListedJob][]): string {
  const byReason = new Map<string, string[]>();
  for (const [id, j] of pending) {
    const r = j.reason?.trim() ?? '';
    // A requeued job waits to run again (requeued-jobs.ts): said, as it is not a new job.
    byReason.set(r, [...(byReason.get(r) ?? []), j.requeued ? `${id} (requeued)` : id]);
  }
  // The reason is text the job's owner can set (Slurm's admin comment, PBS's comment): a line
  // break or a terminal escape in it would forge or rewrite lines of the terminal it is said on.
  return [...byReason].map(([r, ids]) => `${ids.join(', ')}${r && r !== 'None' ? ` (${logText(explainReason(r))})` : ''}`).join('; ');
}

/**
 * One look's decision. `jobs` are the cluster's jobs as the batch system lists them now (ended
 * ones left out); `now` the look's time; `afterMs` the bound. Returns the episode to keep and the
 * lines to log: the first once a job has been pending for `afterMs` (`slurm cluster: 2 job(s)
 * pending for 30 s: 12_0, 12_1 (Resources: …)`), another if the reasons change, and one when no
 * job is pending any more after an announcement. Nothing is said about an episode shorter than
 * `afterMs`.
 */
export function pendingNotice(kind: string, episode: PendingEpisode | undefined, jobs: ReadonlyMap<string, ListedJob>, now: number, afterMs: number):
{ episode: PendingEpisode | undefined; lines: string[] } {
  const pending = [...jobs].filter(([, j]) => j.state === 'pending');
  if (!pending.length) {
    if (!episode?.announced) return { episode: undefined, lines: [] };
    const started = episode.ids.filter((id) => jobs.get(id)?.state === 'running');
    const secs = Math.round((now - episode.since) / 1000);
    const left = episode.ids.length - started.length;
    return {
      episode: undefined,
      lines: [`${kind} cluster: no job pending any more after ${secs} s${started.length ? `; started: ${started.join(', ')}` : ''}${left ? `; ${left} left the queue without starting` : ''}`],
    };
  }
  const ep = episode ?? { since: now, announced: '', ids: [] };
  if (now - ep.since < afterMs) return { episode: ep, lines: [] };
  const text = describe(pending);
  // The reasons, not the ids: a replacement job joining the queue for the same reason is no news.
  const reasons = [...new Set(pending.map(([, j]) => j.reason?.trim() ?? ''))].sort().join('\n') || ' ';
  if (reasons === ep.announced) return { episode: ep, lines: [] };
  const ids = [...new Set([...ep.ids, ...pending.map(([id]) => id)])];
  const secs = Math.round((now - ep.since) / 1000);
  return { episode: { since: ep.since, announced: reasons, ids }, lines: [`${kind} cluster: ${pending.length} job(s) pending for ${secs} s: ${text}`] };
}

/** Throws unless `ms` is a valid `pendingNoticeMs` (≥ 0; Infinity: never say). */
export function checkPendingNoticeMs(ms: number | undefined): void {
  if (ms !== undefined && !(typeof ms === 'number' && ms >= 0)) throw new RangeError(`pendingNoticeMs must be a number of ms ≥ 0 (Infinity: never), got ${ms}`);
}
