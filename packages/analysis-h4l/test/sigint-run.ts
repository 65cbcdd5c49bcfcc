/**
 * Ctrl-C (SIGINT) sent to a run of an analysis CLI (gluon-h4l run, gluon-finalstates), shared by
 * both CLIs' sigint tests: a real CLI process against a real scheduler with no worker, the signal
 * sent on the run's "waiting for workers" line (no chunk can be done yet, and the run's first line
 * has given its totals), then the scheduler watched until it holds none of the run's tasks.
 */
import type { Test } from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalCluster } from '@gluon/client';

/**
 * Resolves with the output once `re` matches what `stream` printed, or rejects naming what it
 * waited for: after 120 s, or when the stream ends without it (the process is gone; its timer
 * would have held the test 120 s for nothing).
 */
export function printed(stream: NodeJS.ReadableStream, re: RegExp, what: string): Promise<string> {
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${what} within 120 s; got:\n${out}`)), 120_000);
    stream.on('data', (b: Buffer) => {
      out += b.toString();
      if (re.test(out)) { clearTimeout(timer); resolve(out); }
    });
    stream.on('end', () => { clearTimeout(timer); reject(new Error(`no ${what}: the output ended; got:\n${out}`)); });
  });
}

/** How an interrupted run ended. */
export interface Interrupted {
  /** Exit code and signal: [130, null] when the CLI exits as it should, [null, 'SIGINT'] when it dies by the signal. */
  exit: [number | null, NodeJS.Signals | null];
  /** What the run printed on stderr up to its interrupted line. */
  stderr: string;
  /** The run's totals as its first line gives them (events with the line's thousands separators). */
  totals: { files: string; events: string; chunks: string };
}

/**
 * Runs `node cli ...args --scheduler <a scheduler with no worker>` in `cwd`, sends `signal`
 * (SIGINT, or SIGHUP as a closed terminal does) on its "waiting for workers" line and waits for its
 * exit, then until the scheduler holds none of its tasks (its client closed; the test fails after
 * 60 s naming how many are left).
 */
export async function interruptWhileWaiting(t: Test, cli: string, args: string[], cwd: string, signal: 'SIGINT' | 'SIGHUP' = 'SIGINT'): Promise<Interrupted> {
  const cluster = await LocalCluster.start({ nWorkers: 0 });
  t.teardown(() => cluster.close());
  const p = spawn(process.execPath, [cli, ...args, '--scheduler', cluster.schedulerAddress], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => { if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL'); });
  const exited = new Promise<Interrupted['exit']>((resolve) => p.on('exit', (code, signal) => resolve([code, signal])));
  const stderr = printed(p.stderr, new RegExp(`interrupted \\(${signal}\\)[^\\n]*\\n`), 'interrupted line');
  stderr.catch(() => {}); // awaited below unless the run died first
  const stdout = await printed(p.stdout, /waiting for workers/, '"waiting for workers" line');
  const start = /(\d+) files?, ([\d,]+) events? in (\d+) chunks?/.exec(stdout.split('\n')[0]!);
  if (!start) throw new Error(`the run's first line gives no totals: ${stdout.split('\n')[0]}`);
  p.kill(signal);
  const exit = await exited;
  // Exited (not killed by the signal): what it said, or why the line was not found.
  const said = exit[0] !== null ? await stderr.catch((e: Error) => e.message) : '';
  const deadline = Date.now() + 60_000;
  for (;;) {
    const state = await (await fetch(new URL('api/state', cluster.dashboardUrl))).json() as { groups: Array<{ counts: Record<string, number> }> };
    const waiting = state.groups.reduce((a, g) => a + g.counts.waiting + g.counts.queued + g.counts.processing, 0);
    if (waiting === 0) break;
    if (Date.now() > deadline) throw new Error(`the scheduler still has ${waiting} of the run's tasks 60 s after it ended`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { exit, stderr: said, totals: { files: start[1]!, events: start[2]!, chunks: start[3]! } };
}

/**
 * A run started by `start` on a scheduler with no worker (its address given), stopped through
 * its signal on its waiting-for-workers hook (its chunks submitted, none can run): checks that it
 * rejects with an InterruptedError and that nothing rejects unhandled meanwhile (the CLI would
 * exit 1 on it, not 130).
 */
export async function stopWhileWaiting(t: Test, start: (scheduler: string, signal: AbortSignal, hooks: { onWaitingForWorkers(): void }) => Promise<unknown>): Promise<void> {
  const cluster = await LocalCluster.start({ nWorkers: 0, dashboard: false });
  t.teardown(() => cluster.close());
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => { unhandled.push(e); };
  process.on('unhandledRejection', onUnhandled);
  t.teardown(() => { process.off('unhandledRejection', onUnhandled); });
  const stop = new AbortController();
  await t.rejects(start(cluster.schedulerAddress, stop.signal, { onWaitingForWorkers: () => stop.abort() }), { name: 'InterruptedError' });
  // Unhandled rejections are reported once a turn's microtasks have run: one turn later.
  await new Promise((r) => setImmediate(r));
  t.same(unhandled.map(String), [], 'nothing rejected unhandled');
}

/**
 * Runs `node cli ...args --cluster pbs --jobs 1` in `dir` on the PBS stand-ins (@gluon/deploy's
 * test fixtures: its job stays queued), sends `signal` on its "waiting for workers" line and
 * waits for its exit. Returns how it ended, its stdout up to that line, its stderr, and the ids qdel was given.
 */
export async function interruptBatchRun(t: Test, cli: string, args: string[], dir: string, signal: 'SIGINT' | 'SIGHUP'): Promise<{ exit: Interrupted['exit']; stdout: string; stderr: string; deleted: string[] }> {
  const pbs = path.join(dir, 'fake-pbs');
  mkdirSync(pbs, { recursive: true });
  const pbsBin = fileURLToPath(new URL('../../deploy/test/fixtures/pbs-bin', import.meta.url));
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: dir, FAKE_PBS_DIR: pbs, FAKE_PBS_QUEUED: '1', PATH: `${pbsBin}:${process.env.PATH}` };
  delete env.GLUON_TOKEN;
  const p = spawn(process.execPath, [cli, ...args, '--cluster', 'pbs', '--jobs', '1', '--no-dashboard'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => { if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL'); });
  const exited = new Promise<Interrupted['exit']>((resolve) => p.on('close', (code, sig) => resolve([code, sig])));
  let stderr = '';
  p.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
  const stdout = await printed(p.stdout, /waiting for workers[^\n]*\n/, '"waiting for workers" line');
  p.kill(signal);
  const exit = await exited;
  const calls = path.join(pbs, 'qdel-calls');
  return { exit, stdout, stderr, deleted: existsSync(calls) ? readFileSync(calls, 'utf8').split(/\s+/).filter(Boolean) : [] };
}
