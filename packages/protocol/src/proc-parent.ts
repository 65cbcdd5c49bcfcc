/**
 * A process's parent as Linux's /proc tells it, for noticing that the npm a CLI was started by is
 * gone (see `stopWhenOrphaned`). Elsewhere (no /proc) these answer `undefined` and the caller
 * falls back to its own parent.
 */
import { readFileSync } from 'node:fs';

/** The parent pid of `pid` (`/proc/PID/stat`'s 4th field), or undefined when it cannot be read. */
export function parentPidOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // The command name (2nd field, in parentheses) may hold spaces and ')': read after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return Number.isInteger(ppid) && ppid > 0 ? ppid : undefined;
  } catch {
    return undefined;
  }
}

/** Whether `pid` runs a POSIX shell (npm runs a package's bin as `sh -c 'gluon-worker …'`). */
export function isShell(pid: number): boolean {
  try {
    return /^(sh|dash|bash|ash|zsh|ksh|mksh)$/.test(readFileSync(`/proc/${pid}/comm`, 'latin1').trim());
  } catch {
    return false;
  }
}
