/**
 * Whether a cluster can still bring a worker, decided from its state alone (pure): the jobs (ssh:
 * worker sessions) that ended before their worker joined since a worker last joined, those still
 * pending or running, the workers connected, and max_failed_jobs. One rule for every owner of a
 * cluster (gluon-cluster, the analyses' batch and ssh runs: no-worker-watch.ts does the I/O), and
 * one message, naming every job or host with its error and output, and what to fix.
 *
 * No worker can come once none is connected and the cluster can start nothing more that could
 * bring one:
 * - it gave up: max_failed_jobs jobs in a row ended before their worker joined (job-failures.ts).
 *   Jobs still pending or running then are not waited for: the cluster submits no more, and the
 *   same job script failed that many times in a row;
 * - ssh only: every worker host has had a session end before its worker joined since a worker
 *   last joined, and none of them has ever had its worker join. A session started again runs the
 *   same command on the same host (a batch job may land on another node), so the hosts had each
 *   failed and the run waited on until max_failed_jobs for retries of them.
 *   A worker host with no such failure may still bring a worker even with no session open there
 *   now: the cluster starts its next session on a host that has not failed first (worker-hosts.ts),
 *   or when its target grows. Nor does one failed session rule out a host whose worker once joined
 *   and left (a crash, the host rebooting, a scale-down): the same command worked there, so its
 *   restart failing (sshd not up yet) may pass; only max_failed_jobs in a row ends it then.
 * A worker connected (the cluster's or any other) can do the work: the owner goes on with it.
 */
import type { EndedJob } from './job-failures.js';

/** A job (ssh: a worker session) that ended before its worker joined. */
export interface FailedStart extends EndedJob {
  /** ssh: the host its session ran on, and the last of what the session printed (ssh's own error for a host it could not reach). */
  session?: { host: string; printed: string };
}

/** What the rule reads of a cluster (JobQueueCluster.outlook()). */
export interface ClusterOutlook {
  /** `slurm`, `pbs`, `ssh`. */
  kind: string;
  maxFailedJobs: number;
  /** Jobs in a row that ended before their worker joined (a worker joining resets it). */
  failedInARow: number;
  /** Those jobs, oldest first (the latest few dozen). */
  failed: readonly FailedStart[];
  /** Jobs (sessions) pending or running now; ssh: each with its host. */
  underWay: readonly { id: string; state: 'pending' | 'running'; host?: string }[];
  /** Workers connected to the scheduler (any, not only the cluster's), at the cluster's last look. */
  workers: number;
  /** ssh: every worker host, and whether a worker of this cluster has ever joined from it. */
  hosts?: readonly { host: string; workerJoined: boolean }[];
}

/** Why no worker can come: which rule, and the jobs (ssh: the last per host) to name. */
export interface NoWorkerVerdict {
  kind: string;
  /** `max-failed-jobs`: the cluster gave up; `every-host`: ssh, every host's session ended before its worker joined. */
  rule: 'max-failed-jobs' | 'every-host';
  maxFailedJobs: number;
  failedInARow: number;
  /** Batch: the failed jobs, oldest first; ssh: each host's latest failed session, in the order they failed. */
  failed: FailedStart[];
}

/** The verdict (undefined while a worker may still come, or one is connected). */
export function noWorkerCanCome(o: ClusterOutlook): NoWorkerVerdict | undefined {
  if (o.workers > 0 || o.failed.length === 0) return undefined;
  const gaveUp = o.failedInARow >= o.maxFailedJobs;
  let rule: NoWorkerVerdict['rule'] | undefined = gaveUp ? 'max-failed-jobs' : undefined;
  let failed = [...o.failed];
  if (o.kind === 'ssh') {
    // The latest failure per host, in the order the hosts failed.
    const byHost = new Map<string, FailedStart>();
    for (const f of o.failed) {
      const host = f.session?.host ?? f.id;
      byHost.delete(host);
      byHost.set(host, f);
    }
    failed = [...byHost.values()];
    // A host that has not failed (a session open there, or one the cluster may start), or whose
    // worker once joined, may still bring a worker.
    const hosts = [...(o.hosts ?? []), ...o.underWay.map((j) => ({ host: j.host, workerJoined: false }))];
    if (!rule && hosts.every((h) => h.host !== undefined && byHost.has(h.host) && !h.workerJoined)) rule = 'every-host';
  }
  return rule && { kind: o.kind, rule, maxFailedJobs: o.maxFailedJobs, failedInARow: o.failedInARow, failed };
}

/** How the owner's user names what to fix: the prologue's flag (`--job-prologue` in the analyses, `--prologue` in gluon-cluster). */
export interface FixWords { prologueFlag: string }

/** Jobs named one by one in the message; more are counted. */
const NAMED_JOBS = 5;

/**
 * What the owner says when no worker can come to the scheduler at `address`: every job with its
 * state and output file (ssh: every host with what its session printed), and what to fix.
 */
export function noWorkerMessage(v: NoWorkerVerdict, address: string, words: FixWords): string {
  const head = `no worker can come any more to the scheduler at ${address}`;
  const limit = `max_failed_jobs ${v.maxFailedJobs}`;
  if (v.kind === 'ssh') {
    const hosts = v.failed.map((f) => f.session?.host ?? f.id);
    const why = v.rule === 'every-host'
      ? `its ssh worker session${hosts.length === 1 ? '' : 's'} on ${hosts.join(', ')} ended before a worker joined, on every host it runs on (a new session would run the same command on the same host)`
      : `its ssh worker sessions keep ending before their worker joins (${v.failedInARow} in a row, ${limit}), so the cluster starts no more`;
    const each = v.failed.map((f) => `${f.session?.host ?? f.id}: ${f.session ? lastLines(f.session.printed) : f.outputFile}`).join('; ');
    return `${endSentence(`${head}: ${why}: ${each}`)} Fix what ${hosts.length === 1 ? 'it' : 'each'} printed (the host's name or address, its sshd, your ssh key or --ssh-option; node or gluon-worker missing on the host) and run again`;
  }
  const shown = v.failed.slice(-NAMED_JOBS);
  const earlier = v.failed.length - shown.length;
  const each = shown.map((f) => `job ${f.id}${f.state ? ` (${f.state})` : ''}: read ${f.outputFile}`).join('; ');
  const listed = `${head}: its ${v.kind} jobs keep ending before their worker joins (${v.failedInARow} in a row, ${limit}), so the cluster submits no more: `
    + `${earlier > 0 ? `${earlier} earlier, then ` : ''}${each}`;
  return `${endSentence(listed)} Fix what their output says (a ${words.prologueFlag} line, node or gluon-worker missing on the nodes; --print-job-script shows the job script) and run again`;
}

/**
 * `text` ended as a sentence: a full stop added unless it already ends in one (or in `?`, `!`,
 * `…`), trailing blanks dropped. The give-up quotes what a host or job printed last, and ssh ends
 * its own errors with a full stop (`Host key verification failed.`): adding one regardless printed
 * `failed.. Fix what it printed`.
 */
export function endSentence(text: string): string {
  const t = text.trimEnd();
  return t === '' || /[.?!…]$/.test(t) ? t : `${t}.`;
}

/** The last lines of what a session printed (ssh's error is its last line), or that it printed nothing. */
function lastLines(output: string): string {
  return output.trim().split('\n').slice(-3).join(' / ') || 'it printed nothing';
}

/** A cluster that no worker can come to: the owner ends (its message is {@link noWorkerMessage}'s). */
export class NoWorkerCanComeError extends Error {
  override name = 'NoWorkerCanComeError';
  constructor(readonly verdict: NoWorkerVerdict, address: string, words: FixWords) {
    super(noWorkerMessage(verdict, address, words));
  }
}
