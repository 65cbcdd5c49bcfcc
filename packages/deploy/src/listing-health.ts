/**
 * Whether the batch system's listing of the jobs is current. While the batch system does not
 * answer (slurmctld down or failing over, `squeue` or `qstat` timing out), every look fails before
 * it learns anything: the dashboard's rows kept the last listing's states and since-times as if
 * they were current, a job that had ended meanwhile still `running`, and nothing said when the
 * listing came back. Pure: job-cluster.ts keeps the value, job-view.ts draws it, the look logs the
 * line.
 */

/** What the cluster knows of its listings. */
export interface ListingHealth {
  /** When the batch system last listed the jobs (ms); undefined before the first listing. */
  lastListed?: number | undefined;
  /** The listing fails: since when (the first failed look), and what the last failure said. */
  failing?: { since: number; error: string } | undefined;
}

export const NO_LISTING: ListingHealth = {};

/** A look whose listing failed with `error` (the command, its status and what it printed) at `now`. */
export function listingFailed(h: ListingHealth, error: string, now: number): ListingHealth {
  return { lastListed: h.lastListed, failing: { since: h.failing?.since ?? now, error } };
}

/**
 * A look that listed the jobs at `now`: the listing is current again; `line`, when it had been
 * failing, says so, for how long, and what it had said (the failure itself was said when it
 * began, by the look's own failure line).
 */
export function listingAnswered(h: ListingHealth, now: number, kind: string): { health: ListingHealth; line?: string } {
  const health = { lastListed: now };
  if (!h.failing) return { health };
  const s = Math.round((now - h.failing.since) / 1000);
  return { health, line: `${kind} cluster: the batch system lists the jobs again after ${s} s of failed looks (the last: ${h.failing.error}); the dashboard's job states are current again` };
}

/** What the view says of the listing, while it fails: the jobs' rows are as last listed, and why. */
export interface StaleListing {
  /** `2026-12-05T08:01:02Z`, or `never` when no listing ever succeeded. */
  lastListed: string;
  since: string;
  error: string;
}

/** What a stale listing is, for a message: `the batch system has not listed the jobs since … (failing since …: …)`. */
export function staleText(s: StaleListing): string {
  return `the batch system has not listed the jobs since ${s.lastListed} (failing since ${s.since}: ${s.error})`;
}

/** The stale listing for the view (undefined while the listing is current). */
export function staleListing(h: ListingHealth): StaleListing | undefined {
  if (!h.failing) return undefined;
  return { lastListed: h.lastListed === undefined ? 'never' : utc(h.lastListed), since: utc(h.failing.since), error: h.failing.error };
}

/** `2026-12-04T22:58:01Z`. */
export function utc(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}
