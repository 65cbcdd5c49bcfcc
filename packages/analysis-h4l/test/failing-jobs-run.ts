/**
 * A batch run (`--cluster pbs`, on @gluon/deploy's PBS stand-ins) whose jobs all end before their
 * worker joins, for gluon-h4l run and gluon-finalstates alike.
 */
import type { Test } from 'tap';
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { printed } from './sigint-run.js';

/**
 * The give-up line of such a run (after `prefix`, `gluon-h4l run: `): the scheduler, both jobs
 * in the order they failed, each with its output file under `logs`, and what to fix. Its two
 * groups are the jobs' ids.
 */
export function failedJobsLine(prefix: string, logs: string): RegExp {
  const job = `job (\\d+\\.fakepbs) .*?: read ${logs}/\\S+\\.o\\d+ \\(errors: ${logs}/\\S+\\.e\\d+\\)`;
  return new RegExp(`^${prefix}no worker can come any more to the scheduler at ws://\\S+: its pbs jobs keep ending before their worker joins \\(2 in a row, max_failed_jobs 2\\), `
    + `so the cluster submits no more: ${job}; ${job}\\. Fix what their output says \\(a --job-prologue line, node or gluon-worker missing on the nodes; `
    + '--print-job-script shows the job script\\) and run again$', 'm');
}

/** How the run ended, its output, and how long it took to end after its cluster gave up (ms). */
export interface FailedRun { exit: [number | null, NodeJS.Signals | null]; stdout: string; stderr: string; endedAfterGiveUpMs: number; logs: string }

/**
 * Runs `node cli ...args --cluster pbs --jobs 2 --job-prologue 'exit 3' --max-failed-jobs 2` in
 * `dir`: each job ends at its prologue, so after two the cluster gives up submitting ('not
 * submitting more'). Waits for that line, then for the run to end, at most `boundMs` more (a run
 * that waits on for workers that cannot come is then killed, and its exit is the kill's).
 */
export async function runWithFailingJobs(t: Test, cli: string, args: string[], dir: string, boundMs = 90_000): Promise<FailedRun> {
  const pbs = path.join(dir, 'fake-pbs');
  mkdirSync(pbs, { recursive: true });
  const logs = path.join(dir, 'job-logs');
  const pbsBin = fileURLToPath(new URL('../../deploy/test/fixtures/pbs-bin', import.meta.url));
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: dir, FAKE_PBS_DIR: pbs, PATH: `${pbsBin}:${process.env.PATH}` };
  delete env.GLUON_TOKEN;
  const p = spawn(process.execPath, [cli, ...args, '--cluster', 'pbs', '--jobs', '2', '--job-prologue', 'exit 3', '--max-failed-jobs', '2', '--job-log-directory', logs],
    { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => { if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL'); });
  const exited = new Promise<FailedRun['exit']>((resolve) => p.on('close', (code, sig) => resolve([code, sig])));
  let stdout = '';
  p.stdout.on('data', (b: Buffer) => { stdout += b.toString(); });
  const stderr0 = await Promise.race([printed(p.stderr, /not submitting more[^\n]*\n/, 'the cluster giving up'),
    exited.then((e): never => { throw new Error(`the run ended (${e.join(', ')}) before its cluster gave up:\n${stdout}`); })]);
  const gaveUp = Date.now();
  let stderr = stderr0;
  p.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
  const bound = setTimeout(() => p.kill('SIGKILL'), boundMs);
  const exit = await exited;
  clearTimeout(bound);
  return { exit, stdout, stderr, endedAfterGiveUpMs: Date.now() - gaveUp, logs };
}
