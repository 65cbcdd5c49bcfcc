/**
 * Checks of LocalCluster.start()'s option values that would otherwise fail late and unclearly: a
 * `cwd` that is not a directory made every spawn fail (node reports it as `spawn node ENOENT`,
 * which names the wrong thing) and start() waited out its whole timeout; a negative `timeoutMs`
 * or a `dashboard` that is neither a boolean nor a port were taken as something else.
 */
import { statSync } from 'node:fs';

/** Throws a RangeError naming the option and its value when one is unusable. */
export function checkLocalClusterValues(opts: { cwd?: string; timeoutMs?: number; dashboard?: boolean | number }): void {
  const t = opts.timeoutMs;
  if (t !== undefined && !(typeof t === 'number' && Number.isFinite(t) && t > 0)) {
    throw new RangeError(`LocalCluster: timeoutMs must be a number of milliseconds > 0, got ${String(t)}`);
  }
  const d = opts.dashboard;
  if (d !== undefined && typeof d !== 'boolean' && !(Number.isInteger(d) && d >= 0 && d <= 65535)) {
    throw new RangeError(`LocalCluster: dashboard must be true, false or a port number from 0 to 65535, got ${JSON.stringify(d)}`);
  }
  if (opts.cwd !== undefined) {
    let why: string | undefined;
    try {
      if (!statSync(opts.cwd).isDirectory()) why = 'it is not a directory';
    } catch (e) {
      why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such directory' : (e as Error).message;
    }
    if (why) throw new RangeError(`LocalCluster: cwd ${opts.cwd} cannot be the processes' working directory: ${why}`);
  }
}
