/**
 * The processes a command left behind, for tests of how a CLI stops (e.g. under npx, which passes
 * a SIGTERM sent to it alone only to the shell it runs the command through).
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

/** Every process below `pid` (children, grandchildren, …), as `ps` lists them now. */
export function descendants(pid: number): number[] {
  const out: number[] = [];
  const queue = [pid];
  while (queue.length) {
    let kids: number[] = [];
    try {
      kids = execFileSync('ps', ['-o', 'pid=', '--ppid', String(queue.shift())], { encoding: 'utf8' }).split('\n').map((s) => Number(s.trim())).filter(Boolean);
    } catch { /* no children */ }
    out.push(...kids);
    queue.push(...kids);
  }
  return out;
}

/**
 * A node process's name as /proc/PID/comm (and `ps -o comm`) shows it: its executable's, `node`,
 * on Node 20 and 22; Node 24 names its main thread `MainThread`, and the main thread's name is the
 * process's. A `process.title` set later replaces either.
 */
export const NODE_COMM = /^(node|MainThread)$/;

/** Whether process `pid` still exists. */
export const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * Whether process `pid` is running: a zombie nobody reaped yet counts as gone (an orphan's new
 * parent, PID 1 in a container, may never reap it). Reads Linux's /proc; elsewhere, as {@link alive}.
 */
export function running(pid: number): boolean {
  if (!alive(pid)) return false;
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    // Gone between the two looks; or no /proc here, and kill -0 is all there is.
    return !existsSync('/proc/self/stat');
  }
  // The state follows the command name, which is in parentheses and may hold any character.
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
}

/** Resolves with the first match of `re` in what `child` prints (stdout and stderr), bounded by `ms`. */
export function printed(child: ChildProcess, re: RegExp, what: string, ms = 120_000): Promise<RegExpExecArray> {
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: no ${re} within ${ms / 1000} s; got:\n${out}`)), ms);
    const on = (b: Buffer) => {
      out += b.toString();
      const m = re.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    child.stdout!.on('data', on);
    child.stderr!.on('data', on);
  });
}
