import { readFileSync, writeFileSync } from 'node:fs';

/**
 * A LocalCluster's processes keep the CPU priority of the script that started them.
 *
 * They are started `detached` (a session of their own, so a terminal's Ctrl-C reaches the script
 * alone; local-cluster.ts's `launch`), and on Linux a new session is a new autogroup: a CPU
 * scheduling group of its own whose nice value starts at 0, whatever the script's was. The
 * processes' own nice values are inherited, but between groups only the group's nice counts, so
 * a script run at a lower priority (`nice -n 10` in a terminal, whose session is one group) got
 * a cluster at normal priority beside it, and one run at top priority (bench/scheduler.ts under
 * /tmp/prio.sh) a cluster that was not: at load 20, 1,885 of 10,000 sequential round trips took
 * over 1 ms with the cluster's groups at nice 0 against 189 with them at the script's -20, in the
 * same run (docs/internals.md, "(b) on a quiet machine"). So each process's group is given the
 * script's group's nice value as it starts.
 */

/** The nice value in a `/proc/PID/autogroup` line (`/autogroup-851 nice -20`), or undefined. */
export function autogroupNice(text: string): number | undefined {
  const m = /^\/autogroup-\d+ nice (-?\d+)\s*$/.exec(text);
  return m ? Number(m[1]) : undefined;
}

/** This process's autogroup nice value; undefined where there is none to read (not Linux, no autogroups). */
export function ownAutogroupNice(): number | undefined {
  try {
    return autogroupNice(readFileSync('/proc/self/autogroup', 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Gives process `pid`'s autogroup the nice value `nice` (from {@link ownAutogroupNice}); nothing
 * when that is undefined or 0 (a new group's own). Best effort: a process that may not lower a
 * nice value (no CAP_SYS_NICE, RLIMIT_NICE) or has already exited keeps its group as it is, as a
 * cluster started anywhere else would; the cluster works either way.
 */
export function shareAutogroupNice(pid: number | undefined, nice: number | undefined): void {
  if (pid === undefined || nice === undefined || nice === 0) return;
  try {
    writeFileSync(`/proc/${pid}/autogroup`, String(nice));
  } catch {
    // see above: the priority is a courtesy, not a condition of the cluster
  }
}
