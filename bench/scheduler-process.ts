/**
 * The real scheduler process (`gluon-scheduler`) as benchmarks start and watch it: started with
 * the flags and environment LocalCluster gives it, its log in a file, and its resident size read
 * once it has stopped moving. Shared by bench/scale.ts and bench/idle-burst.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { withSchedulerEnv } from '@gluon/scheduler/v8-flags';
import { median, rssMiB } from './proc.js';

/**
 * Starts `root`'s built scheduler (`packages/scheduler/dist/cli.js`) under `node` with `nodeFlags`
 * (V8 flags first: the CLI starts a child of its own when node lacks its `--v8-flags`, so pass
 * those too when they differ from its default) and `args` after the CLI's own. Its stderr and
 * stdout (where V8 writes what --trace-gc asks for) go to `logPath`. Resolves with the child and
 * the address it printed.
 */
export async function startSchedulerProcess(root: string, nodeFlags: readonly string[], logPath: string, args: readonly string[] = []): Promise<{ child: ChildProcess; address: string }> {
  const cli = join(root, 'packages/scheduler/dist/cli.js');
  const child = spawn(process.execPath, [...nodeFlags, cli, '--port', '0', '--no-dashboard', '--heartbeat-ttl', '600s', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'], env: withSchedulerEnv(process.env),
  });
  const log = createWriteStream(logPath);
  child.stderr!.pipe(log);
  child.stdout!.pipe(log);
  child.once('exit', (code, sig) => {
    if (code) console.error(`scheduler exited with ${code ?? sig}; its log: ${logPath}`);
  });
  const address = await new Promise<string>((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /scheduler at (\S+)/.exec(out);
      if (m) {
        child.stdout!.off('data', onData);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`scheduler exited (${code}) before listening: ${out}`)));
  });
  return { child, address };
}

/** Polls a condition (bounded): benchmarks wait on counters and log lines, not on sleeps. */
export async function until(cond: () => boolean, what: string, timeoutMs = 600_000): Promise<void> {
  const t0 = performance.now();
  while (!cond()) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * RSS once it has stopped falling for `stillMs` (the scheduler collects after a release has
 * settled, and V8 returns pages over the following seconds), bounded at `maxMs`.
 */
export async function settledRss(pid: number, maxMs = 60_000, stillMs = 10_000): Promise<number> {
  let low = rssMiB(pid);
  let lowAt = performance.now();
  const t0 = lowAt;
  while (performance.now() - t0 < maxMs && performance.now() - lowAt < stillMs) {
    await new Promise((r) => setTimeout(r, 250));
    const now = rssMiB(pid);
    if (now < low - 0.5) {
      low = now;
      lowAt = performance.now();
    }
  }
  return low;
}

/**
 * The settled RSS (see settledRss), then `n` more readings `everyMs` apart: their median is the
 * figure, their range is printed beside it (a single reading moved by a few MiB as V8's helper
 * threads returned pages).
 */
export async function steadyRss(pid: number, n = 5, everyMs = 2000): Promise<{ median: number; readings: number[] }> {
  await settledRss(pid);
  const readings: number[] = [];
  for (let i = 0; i < n; i++) {
    if (i) await new Promise((r) => setTimeout(r, everyMs));
    readings.push(rssMiB(pid));
  }
  return { median: median(readings), readings };
}

/** How a steadyRss's readings are printed. */
export const rssRange = (xs: number[]) => `${Math.min(...xs).toFixed(1)}-${Math.max(...xs).toFixed(1)} MiB over ${xs.length} readings`;
