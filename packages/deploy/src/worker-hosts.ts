/**
 * Which worker host an ssh cluster starts its next session on (pure; ssh.ts does the I/O). A
 * session runs the same command on the same host every time, so a host whose session just ended
 * before its worker joined would most likely fail the same way again, while another host of the
 * list may never have been tried (`scale(1)` over two hosts) or has brought a worker before.
 * Taking the first free host in the order given, the cluster retried a failed host until
 * max_failed_jobs and gave up with a working host idle beside it.
 */
import type { FailedStart } from './no-worker-coming.js';

/**
 * The host for the next session among `free` (the worker hosts with no session open, in the order
 * given): the first that has had no session end before its worker joined in `failed` (the
 * cluster's failed run, oldest first: a worker joining clears it); when every free host has, the
 * one whose latest failure is the oldest (each host in turn, giving each the longest to recover).
 * Undefined when none is free.
 */
export function pickWorkerHost(free: readonly string[], failed: readonly FailedStart[]): string | undefined {
  const lastFailed = new Map<string, number>();
  failed.forEach((f, i) => { if (f.session) lastFailed.set(f.session.host, i); });
  const fresh = free.find((h) => !lastFailed.has(h));
  if (fresh !== undefined) return fresh;
  return [...free].sort((a, b) => lastFailed.get(a)! - lastFailed.get(b)!)[0];
}
