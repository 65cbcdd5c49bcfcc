import { logText } from '@gluon/protocol/tools';

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
  /**
   * Slurm: how many times the job was requeued (squeue's RestartCnt). Slurm counts a requeue the
   * moment it is asked, while the stopped run is still listed CG (requeued-jobs.ts).
   */
  restarts?: number | undefined;
  /** Slurm: listed CG, its run stopping (it ended, was cancelled, or was requeued). */
  completing?: boolean | undefined;
  /** A running job whose worker is retiring (job-plan.ts): its replacement may wait for its slot. */
  retiring?: boolean | undefined;
}

/** An episode of pending jobs: from a look that found a job pending to one that found none. */
export interface PendingEpisode {
  /** When the episode began (ms). */
  since: number;
  /** The reasons last announced (`''` until the first announcement). */
  announced: string;
  /** The jobs named in announcements. */
  ids: string[];
  /**
   * Every pending job so far was a replacement waiting for a retiring job's slot (see
   * {@link pendingNotice}); false once one was not.
   */
  slotWait?: boolean;
  /** Retiring jobs at the last look, and when their number last fell below the pending ones (their slots freed). */
  retiring?: number;
  freedAt?: number | undefined;
}

/**
 * Replacement jobs that waited for a retiring worker's slot, said folded: each such wait was an
 * episode of its own, said twice (`1 job(s) pending for 30 s: 190 (Resources: …)`, `no job pending
 * any more after 41 s`), so a cluster at its size with worker lifetimes logged two lines per
 * worker per lifetime about nothing going wrong.
 */
export interface SlotWaits {
  /** Waits of at least the notice bound not said yet. */
  count: number;
  /** The longest of them (ms). */
  longestMs: number;
  /** When a line last said them (ms; -Infinity: never). */
  saidAt: number;
}

/** At most one line about slot waits per this long. */
export const SLOT_WAIT_FOLD_MS = 10 * 60_000;

/** The fold's state before any wait. */
export const NO_SLOT_WAITS: SlotWaits = { count: 0, longestMs: 0, saidAt: -Infinity };

/**
 * A slot wait of `ms` ended at `now`: counted, and said with the others not said yet when the
 * last line is SLOT_WAIT_FOLD_MS old (the first at once, as it ends).
 */
export function foldSlotWait(kind: string, waits: SlotWaits, ms: number, now: number): { waits: SlotWaits; lines: string[] } {
  const count = waits.count + 1;
  const longestMs = Math.max(waits.longestMs, ms);
  if (now - waits.saidAt < SLOT_WAIT_FOLD_MS) return { waits: { count, longestMs, saidAt: waits.saidAt }, lines: [] };
  const what = count === 1 ? `a replacement job waited ${Math.round(ms / 1000)} s` : `${count} replacement jobs waited (the longest ${Math.round(longestMs / 1000)} s)`;
  const first = waits.saidAt === -Infinity;
  return {
    waits: { count: 0, longestMs: 0, saidAt: now },
    lines: [`${kind} cluster: ${what} in the queue for the slot of a retiring worker's job${first ? '; such waits are expected, and said at most once every 10 min' : ` since ${Math.round((now - waits.saidAt) / 60_000)} min ago`}`],
  };
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
 *
 * A retiring job is replaced at once (job-plan.ts), and on a full queue its replacement waits
 * for its slot: pending jobs no more than the retiring ones (or than they were, for `afterMs`
 * after their slots freed, while the batch system starts the replacements) are no news. Such an
 * episode is not announced; once over, it is counted in `waits` and said folded
 * ({@link foldSlotWait}). Once a pending job is not explained so, the episode is announced as
 * any other, timed from its start.
 */
export function pendingNotice(kind: string, episode: PendingEpisode | undefined, jobs: ReadonlyMap<string, ListedJob>, now: number, afterMs: number,
                              waits: SlotWaits = NO_SLOT_WAITS):
{ episode: PendingEpisode | undefined; lines: string[]; waits: SlotWaits } {
  const pending = [...jobs].filter(([, j]) => j.state === 'pending');
  if (!pending.length) {
    if (episode?.slotWait && now - episode.since >= afterMs) return { episode: undefined, ...foldSlotWait(kind, waits, now - episode.since, now) };
    if (!episode?.announced) return { episode: undefined, lines: [], waits };
    const started = episode.ids.filter((id) => jobs.get(id)?.state === 'running');
    const secs = Math.round((now - episode.since) / 1000);
    const left = episode.ids.length - started.length;
    return {
      episode: undefined,
      lines: [`${kind} cluster: no job pending any more after ${secs} s${started.length ? `; started: ${started.join(', ')}` : ''}${left ? `; ${left} left the queue without starting` : ''}`],
      waits,
    };
  }
  let ep: PendingEpisode = episode ?? { since: now, announced: '', ids: [], slotWait: true };
  if (ep.slotWait) ep = slotWaitLook(ep, pending.length, [...jobs.values()].filter((j) => j.state === 'running' && j.retiring).length, now, afterMs);
  if (ep.slotWait || now - ep.since < afterMs) return { episode: ep, lines: [], waits };
  const text = describe(pending);
  // The reasons, not the ids: a replacement job joining the queue for the same reason is no news.
  const reasons = [...new Set(pending.map(([, j]) => j.reason?.trim() ?? ''))].sort().join('\n') || ' ';
  if (reasons === ep.announced) return { episode: ep, lines: [], waits };
  const ids = [...new Set([...ep.ids, ...pending.map(([id]) => id)])];
  const secs = Math.round((now - ep.since) / 1000);
  return { episode: { since: ep.since, announced: reasons, ids }, lines: [`${kind} cluster: ${pending.length} job(s) pending for ${secs} s: ${text}`], waits };
}

/**
 * Whether a slot-wait episode still is one at this look: `pending` jobs, `retiring` ones running.
 * Explained while the retiring jobs are as many as the pending ones; when they fall below (a
 * retiree's job ended, its slot is free), for `afterMs` more while the batch system starts the
 * replacement; after that, or with more pending jobs than retiring ones ever were, no longer.
 */
function slotWaitLook(ep: PendingEpisode, pending: number, retiring: number, now: number, afterMs: number): PendingEpisode {
  if (pending <= retiring) return { ...ep, retiring, freedAt: undefined };
  const freedAt = ep.freedAt ?? ((ep.retiring ?? 0) >= pending ? now : undefined);
  const slotWait = freedAt !== undefined && now - freedAt < afterMs;
  return { ...ep, slotWait, retiring, freedAt };
}

/** Throws unless `ms` is a valid `pendingNoticeMs` (≥ 0; Infinity: never say). */
export function checkPendingNoticeMs(ms: number | undefined, name = 'pendingNoticeMs'): void {
  if (ms !== undefined && !(typeof ms === 'number' && ms >= 0)) throw new RangeError(`${name} must be a number of ms ≥ 0 (Infinity: never), got ${ms}`);
}
