/**
 * The processes a command left behind, for tests of how a CLI stops (e.g. under npx, which does
 * not pass SIGTERM on to what it runs).
 */
import { execFileSync, type ChildProcess } from 'node:child_process';

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

/** Whether process `pid` still exists. */
export const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

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
