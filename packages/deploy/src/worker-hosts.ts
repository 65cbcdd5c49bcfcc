/**
 * Which worker host an ssh cluster starts its next session on (pure; ssh.ts does the I/O). A
 * session runs the same command on the same host every time, so a host whose session just ended
 * before its worker joined would most likely fail the same way again, while another host of the
 * list may never have been tried (`scale(1)` over two hosts) or has brought a worker before.
 * Taking the first free host in the order given, the cluster retried a failed host until
 * max_failed_jobs and gave up with a working host idle beside it.
 *
 * A host runs one working worker at a time. A worker that is retiring (its `--lifetime` ended)
 * is replaced at once (job-plan.ts), while its session is still open: it finishes its tasks and
 * hands its results to the others, the replacement among them. Its host takes the replacement
 * when no host is idle: counted as taken, a cluster with a worker on every host started no
 * replacement ("every worker host runs a worker") until the retiring session had ended, and a
 * last worker had no one to hand its results to. Two workers then share that host for the
 * retirement's few seconds (up to its grace), as a batch job's replacement may share a node.
 */
import type { FailedStart } from './no-worker-coming.js';

/** The host part of an ssh destination (`user@host` → `host`), as the cluster dials it and names it. */
export const hostAddress = (destination: string): string => destination.slice(destination.lastIndexOf('@') + 1);

/** A worker session open on a host, and whether its worker is retiring (JobInfo.retiring). */
export interface OpenSession {
  host: string;
  retiring: boolean;
}

/**
 * The host for the next session among `hosts` (the worker hosts, in the order given), from the
 * sessions open on them and the cluster's failed run (`failed`, oldest first: a worker joining
 * clears it). In turn: the first host with no session open that has had no session end before its
 * worker joined; else the first whose open sessions are all retiring (a worker joined there: the
 * command works); else, among the hosts with no session open, the one whose latest failure is the
 * oldest (each in turn, giving each the longest to recover). Undefined when every host runs a
 * worker that is not retiring.
 */
export function pickWorkerHost(hosts: readonly string[], open: readonly OpenSession[], failed: readonly FailedStart[]): string | undefined {
  const working = new Set(open.filter((s) => !s.retiring).map((s) => s.host));
  const leaving = new Set(open.filter((s) => s.retiring).map((s) => s.host));
  const idle = hosts.filter((h) => !working.has(h) && !leaving.has(h));
  const lastFailed = new Map<string, number>();
  failed.forEach((f, i) => { if (f.session) lastFailed.set(f.session.host, i); });
  return idle.find((h) => !lastFailed.has(h))
    ?? hosts.find((h) => leaving.has(h) && !working.has(h))
    ?? [...idle].sort((a, b) => lastFailed.get(a)! - lastFailed.get(b)!)[0];
}
