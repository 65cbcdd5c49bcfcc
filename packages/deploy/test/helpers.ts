/** What the launcher tests share: paths, a workload run through a launched cluster, the PBS stand-ins, waiting on a cluster's log. */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { remoteFrom, type Future } from '@gluon/client';
import type { JobQueueCluster } from '@gluon/deploy';
import { awaitTestEnvSetup } from '../../../test/helpers/test-env.js';

export const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

type Tasks = typeof import('@gluon/examples/tasks');
const { sleep, add } = remoteFrom<Tasks>('@gluon/examples/tasks');

/**
 * `n` tasks of `ms` each (task i returns i) and their sum, through the cluster's workers.
 * `midRun` runs once the first task has finished (e.g. to kill a job); resolves with the sum.
 */
export async function sumThrough(cluster: JobQueueCluster, n: number, ms: number, midRun?: () => Promise<void>): Promise<number> {
  const client = await cluster.client();
  // sleep returns its second argument (typed unknown): here a number.
  const parts = Array.from({ length: n }, (_, i) => client.submit(sleep, ms, i) as Future<number>);
  const total = client.submit(add, ...parts);
  if (midRun) {
    await parts[0]!.result();
    await midRun();
  }
  return (await total.result()) as number;
}

/**
 * Why the Slurm tests cannot run here, or undefined when they can: `sinfo` must answer, and with
 * `upNode` the node must be up for jobs to start: idle, mixed, allocated, completing (a job, maybe
 * another test file's, is ending on it) or planned (the backfill scheduler holds it for a pending job).
 */
export function slurmMissing(upNode = false): string | undefined {
  awaitTestEnvSetup();
  try {
    const st = execFileSync('sinfo', ['-h', '-o', '%T'], { encoding: 'utf8', timeout: 20_000 }).trim().split('\n')[0];
    if (!st) return 'the Slurm node is absent (see scripts/setup-slurm.sh)';
    return !upNode || /^(idle|mixed|allocated|completing|planned)/.test(st) ? undefined : `the Slurm node is "${st}", not up (see scripts/setup-slurm.sh)`;
  } catch (e) {
    return `no running Slurm here (${(e as Error).message.split('\n')[0]}); scripts/setup-slurm.sh starts one (as root)`;
  }
}

/**
 * A lease on the machine-wide Slurm for this test process (scripts/setup-slurm.sh hold): another
 * checkout's `setup-slurm.sh stop` then leaves Slurm running until this process has exited.
 * Best effort: without one (not root), the tests still run. Then waits for a slice of the node to
 * itself (see takeSlurmSlice), unless `node` is false: a file whose jobs never run (held with
 * `--hold`) takes no CPU from another file's jobs, and need not wait for them.
 */
export async function holdSlurm({ node = true }: { node?: boolean } = {}): Promise<void> {
  spawnSync('bash', [join(repo, 'scripts/setup-slurm.sh'), 'hold', String(process.pid)], { stdio: 'ignore', timeout: 180_000 });
  if (node) await takeSlurmSlice();
}

/**
 * The lock of a slice (partition) of the test Slurm, shared by every clone on this machine. The
 * default partition's is the lock that held the whole node when it was one 2-CPU partition, so a
 * checkout from before the slices still keeps out of the one slice it submits to.
 */
const sliceLock = (partition: string) => (partition === 'debug' ? '/tmp/gluon-slurm-node.lock' : `/tmp/gluon-slurm-node-${partition}.lock`);

/**
 * The slices of the test Slurm (scripts/setup-slurm.sh): its partitions `debug` (the default),
 * `debug1`, `debug2`, …, each of 2 CPUs of the one node (MaxCPUsPerNode=2). A Slurm with one
 * partition `debug` (an older setup-slurm.sh) is one slice, the whole node.
 */
function slurmSlices(): string[] {
  const listed = execFileSync('sinfo', ['-h', '-o', '%R'], { encoding: 'utf8', timeout: 20_000 }).split('\n').map((s) => s.trim());
  return listed.filter((p) => /^debug\d*$/.test(p)).sort((a, b) => a.length - b.length || a.localeCompare(b));
}

/**
 * Each slice of the test Slurm is 2 CPUs, and a file's checks count on having them to itself: on
 * a shared node a file's jobs waited behind another file's (slurm-replace.test's replacement
 * pending while slurm.test's two jobs held the node, so its retiree left with no one to take its
 * results: a failure in `.ci/run`), and slurm-dashboard.test's third job must pend because its
 * first two fill the slice. So each Slurm file holds the lock of one free slice for its whole run,
 * waiting for whichever frees first, and submits its jobs (and those of the commands it runs) to
 * that slice's partition through sbatch's SBATCH_PARTITION. Files in different slices run at once:
 * most of their time is waiting on Slurm (a job's start, its walltime), not CPU.
 *
 * The holder of a lock is a `flock` child whose stdin is a pipe from this process: when the file
 * ends, however it ends, `cat` sees the pipe close and the lock goes with it. One is started per
 * slice; the first to hold its lock is kept, and the others are let go (their pipe closed, so one
 * that got its lock meanwhile releases it).
 */
async function takeSlurmSlice(): Promise<void> {
  const slices = slurmSlices();
  if (slices.length === 0) throw new Error('the test Slurm has no partition debug (see scripts/setup-slurm.sh)');
  const holders = slices.map((partition) => ({
    partition,
    holder: spawn('flock', [sliceLock(partition), '-c', 'echo held; exec cat >/dev/null'], { stdio: ['pipe', 'pipe', 'ignore'] }),
  }));
  const letGo = (h: ChildProcess) => { h.stdin!.end(); h.kill(); };
  let won: (typeof holders)[number];
  try {
    won = await within(Promise.race(holders.map((h) => new Promise<(typeof holders)[number]>((resolve, reject) => {
      h.holder.stdout!.once('data', () => resolve(h));
      h.holder.once('error', reject);
      h.holder.once('exit', (code) => reject(new Error(`flock ${sliceLock(h.partition)} exited ${code} before holding it`)));
    }))), `a slice of the Slurm node (the locks ${slices.map(sliceLock).join(', ')})`, 800_000);
  } catch (e) {
    for (const h of holders) letGo(h.holder);
    throw e;
  }
  for (const h of holders) {
    h.holder.removeAllListeners('exit');
    if (h !== won) letGo(h.holder);
  }
  process.env.SBATCH_PARTITION = won.partition;
  // Held until this process ends; it must not keep the test's event loop alive.
  won.holder.unref();
  (won.holder.stdin as unknown as { unref(): void }).unref();
  (won.holder.stdout as unknown as { unref(): void }).unref();
}

/** Resolves with what `p` gives, or rejects after a generous bound (a hang, not a timing assertion). */
export function within<T>(p: Promise<T>, what: string, ms = 180_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms`)), ms); })]).finally(() => clearTimeout(timer));
}

/**
 * Resolves once `ok()` holds, looked at every 100 ms; after `ms` (a bound for a hang, not a timing
 * assertion) throws naming `what`, with `detail()` (the jobs, the cluster's log) for the reader.
 */
export async function until(what: string, ok: () => boolean, detail: () => string = () => '', ms = 180_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`${what}: not after ${ms / 1000} s${detail() ? `; ${detail()}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Resolves once `ok()` holds, looked at again each time something in one of `dirs` changes (a
 * file written, made or removed there), one look at a time; after `ms` (a bound for a hang, not a
 * timing assertion) it looks once more, then throws naming `what`, with `detail()` for the reader.
 * What the test waits for must follow a change there (the PBS stand-ins write a file at every
 * qstat, qsub and qdel: see {@link fakePbs}'s `untilWritten`).
 */
export async function untilChanged(dirs: string[], what: string, ok: () => boolean | Promise<boolean>, detail: () => string = () => '', ms = 180_000): Promise<void> {
  const watchers = dirs.map((d) => watch(d));
  let timer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      let looking = false;
      let again = false;
      const look = async (): Promise<void> => {
        if (looking) { again = true; return; }
        looking = true;
        try {
          do {
            again = false;
            if (await ok()) return resolve();
          } while (again);
        } catch (e) {
          reject(e);
        } finally {
          looking = false;
        }
      };
      for (const w of watchers) {
        w.on('change', () => void look());
        w.on('error', reject);
      }
      timer = setTimeout(() => {
        void (async () => (await ok()) ? resolve() : reject(new Error(`${what}: not after ${ms / 1000} s${detail() ? `; ${detail()}` : ''}`)))().catch(reject);
      }, ms);
      void look();
    });
  } finally {
    clearTimeout(timer);
    for (const w of watchers) w.close();
  }
}

/** How a test waits for a condition: {@link until}'s signature. */
export type Wait = (what: string, ok: () => boolean, detail?: () => string, ms?: number) => Promise<void>;

/** {@link untilChanged} on given directories: `ok` may look asynchronously (at the dashboard, say). */
export type WaitForChange = (what: string, ok: () => boolean | Promise<boolean>, detail?: () => string, ms?: number) => Promise<void>;

/**
 * A cluster's `log` option for a test: `lines` says what it said, `said(re)` resolves with the
 * first line matching `re`, said before or after the call (bounded by `within`), and `until` is
 * {@link until} (or `wait`, e.g. fakePbs's `untilWritten`; bounded by `ms` unless told) naming the
 * lines (and `jobs()`, when given) if it gives up.
 */
export function clusterLog(jobs?: () => unknown, ms = 180_000, wait: Wait = until): {
  lines: string[]; log: (line: string) => void; said: (re: RegExp) => Promise<string>; until: (what: string, ok: () => boolean, ms?: number) => Promise<void>;
} {
  const lines: string[] = [];
  const waiters: { re: RegExp; resolve: (line: string) => void }[] = [];
  return {
    lines,
    log: (line) => {
      lines.push(line);
      for (const w of waiters.filter((x) => x.re.test(line))) w.resolve(line);
    },
    said: (re) => within(new Promise<string>((resolve) => {
      const seen = lines.find((l) => re.test(l));
      if (seen) resolve(seen);
      else waiters.push({ re, resolve });
    }), `a log line ${re}`),
    until: (what, ok, bound = ms) => wait(what, ok, () => `${jobs ? `jobs ${JSON.stringify(jobs())}; ` : ''}log ${JSON.stringify(lines)}`, bound),
  };
}

/** Scales `cluster` to one job and resolves with its id once its worker joined (bounded by `ms`). */
export async function oneJoinedJob(cluster: JobQueueCluster, ms = 240_000): Promise<string> {
  await cluster.scale(1);
  await cluster.waitForWorkers(1, ms);
  return cluster.jobList[0]!.id;
}

/**
 * What the tests that stop or requeue one job on the real Slurm start their cluster with: one-core
 * jobs of 512 MiB, 10 min, on this host's scheduler, named `jobName`, their output in `logDirectory`,
 * looked at every 500 ms.
 */
export function slurmJobOptions(logDirectory: string, jobName: string) {
  return { host: '127.0.0.1', cores: 1, memory: '512MiB', walltime: '00:10:00', cwd: repo, logDirectory, pollIntervalMs: 500, jobName } as const;
}

/** The fixture whose task runs until the test lets it finish; workers must allow it (`--allow-module`). */
export const GATED_TASK = join(fixtures, 'gated-task.mjs');

/**
 * Starts fixtures/gated-task.mjs's task on the cluster's workers and resolves once it runs: it
 * keeps its worker busy (a stopped worker finishes it before it leaves) until `open()` creates the
 * file `gate`. `result()` is the task's. `wait` waits for it to run (a clusterLog's `until`, to be
 * told the cluster's log if it never does).
 */
export async function gatedTask(cluster: JobQueueCluster, gate: string, wait: (what: string, ok: () => boolean) => Promise<void> = until):
Promise<{ open: () => void; result: () => Promise<unknown> }> {
  const client = await cluster.client();
  const { untilFile } = remoteFrom<typeof import('./fixtures/gated-task.mjs')>(pathToFileURL(GATED_TASK));
  const task = client.submit(untilFile, gate, `${gate}.started`);
  await wait('the gated task running on the worker', () => existsSync(`${gate}.started`));
  return { open: () => writeFileSync(gate, ''), result: () => task.result() };
}

/**
 * The PBS stand-ins (fixtures/pbs-bin: qsub runs each job script on this machine) first on PATH,
 * their state in a fresh directory (FAKE_PBS_DIR) removed when the test file ends. `read(file)` is
 * one of their files there (`deleted`, `seq`, …), '' while there is none. `submittedBy(cluster)`:
 * the ids of the jobs `cluster` submitted, oldest first (those whose script names its scheduler),
 * for cases that run beside others on the same stand-ins. `untilWritten(what, ok)` is
 * {@link untilChanged} on the stand-ins' files: a cluster's jobs change only at its looks, and
 * each look runs qstat -u, which appends to `qstat-u`, so `ok()` is looked at again at each look
 * (and each qsub, qdel, job output, and each job's end: `jobs/ID.ended`), not on a clock.
 */
export function fakePbs(t: { teardown(fn: () => void): void }): { dir: string; read: (file: string) => string; submittedBy: (cluster: JobQueueCluster) => string[]; untilWritten: WaitForChange } {
  const dir = mkdtempSync(join(tmpdir(), 'gluon-fake-pbs-'));
  // Made here (qsub makes it too) so that untilWritten can watch it from the start.
  mkdirSync(join(dir, 'jobs'));
  process.env.FAKE_PBS_DIR = dir;
  process.env.PATH = `${join(fixtures, 'pbs-bin')}:${process.env.PATH}`;
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const read = (file: string) => (existsSync(join(dir, file)) ? readFileSync(join(dir, file), 'utf8') : '');
  const submittedBy = (cluster: JobQueueCluster) => (existsSync(join(dir, 'jobs')) ? readdirSync(join(dir, 'jobs')) : [])
    .filter((f) => f.endsWith('.sh') && read(`jobs/${f}`).split(/\s+/).includes(cluster.schedulerAddress))
    .map((f) => f.slice(0, -'.sh'.length))
    .sort((a, b) => parseInt(a, 10) - parseInt(b, 10));
  const untilWritten: WaitForChange = (what, ok, detail, ms) => untilChanged([dir, join(dir, 'jobs')], what, ok, detail, ms);
  return { dir, read, submittedBy, untilWritten };
}

/**
 * Runs test/fixtures/ends-without-close.mjs (`kind` slurm or pbs): once it printed its two job
 * ids, `how` ends it: a signal sent to it, or `throw` (it throws by itself). Resolves with the ids,
 * how it ended, what it wrote to stderr and the jobs' log directory (a fresh one under the system's
 * temporary directory; the caller removes it once its jobs are gone).
 */
export async function endWithoutClose(kind: 'slurm' | 'pbs', how: NodeJS.Signals | 'throw'):
Promise<{ ids: string[]; code: number | null; signal: NodeJS.Signals | null; stderr: string; logDirectory: string }> {
  const logDirectory = mkdtempSync(join(tmpdir(), `gluon-${kind}-ends-without-close-`));
  // With a coverage tool's signal-exit handlers in the script too, as in many users' (c8, nyc),
  // the signal must still end it: tap's own coverage loader, named here because the suite's
  // preload keeps it out of the processes tests start (test/helpers/untraced-children.mjs).
  const coverageLoader = `--import=${import.meta.resolve('@tapjs/processinfo/import')}`;
  const child = spawn(process.execPath, [coverageLoader, join(fixtures, 'ends-without-close.mjs'), kind, how === 'throw' ? 'throw' : 'signal', repo, logDirectory], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  const ids = await within(new Promise<string[]>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      stdout += d;
      const m = /^jobs (.+)$/m.exec(stdout);
      if (m) resolve(m[1]!.split(' '));
    });
    void ended.then(() => reject(new Error(`the script ended before it printed its jobs: ${stderr}`)));
  }), 'the script submitting its jobs');
  if (how !== 'throw') child.kill(how);
  return { ids, ...(await within(ended, 'the script ending')), stderr, logDirectory };
}

/** The test Slurm's controller log (scripts/setup-slurm.sh): why it ended a job that never ran. */
const SLURMCTLD_LOG = '/var/log/slurm/slurmctld.log';

/**
 * Removes `dir`, a Slurm test's job log directory, when `t` ends; first, if `t` failed, prints to
 * stderr (tap shows it) each job's output file there and what slurmctld's log says of that job.
 * A requeued job that ended FAILED, exit code 1:0, before its worker joined left nothing else: its
 * output went with the directory, and the cause (`Killing non-startable batch JobId=…: Job
 * credential revoked`) is only in slurmctld's log.
 */
export function removeJobLogsAfter(t: { teardown(fn: () => void): void; passing(): boolean }, dir: string): void {
  t.teardown(() => {
    if (!t.passing()) {
      let ctld: string[] = [];
      try {
        ctld = readFileSync(SLURMCTLD_LOG, 'utf8').split('\n');
      } catch {
        // Not the test Slurm's layout: the job outputs alone.
      }
      for (const f of readdirSync(dir).filter((n) => n.endsWith('.out')).sort()) {
        const id = /-([\d_]+)\.out$/.exec(f)?.[1];
        const said = id ? ctld.filter((l) => new RegExp(`JobId=${id}\\b`).test(l)) : [];
        process.stderr.write(`----- job output ${join(dir, f)} -----\n${readFileSync(join(dir, f), 'utf8')}`
          + `----- ${SLURMCTLD_LOG} on job ${id ?? '?'} -----\n${said.join('\n')}\n----- end of ${f} -----\n`);
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });
}

/** Prints the cluster's log `lines` to stderr when `t` ends failed (tap shows it). */
export function printLinesIfFailed(t: { teardown(fn: () => void): void; passing(): boolean }, lines: readonly string[]): void {
  t.teardown(() => {
    if (!t.passing()) process.stderr.write(`----- the cluster's log -----\n${lines.join('\n')}\n----- end of the cluster's log -----\n`);
  });
}
