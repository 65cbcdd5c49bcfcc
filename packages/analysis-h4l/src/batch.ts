/**
 * `cluster: slurm|pbs|ssh`: the run's workers as batch jobs, or over ssh on `hosts`, through
 * @gluon/deploy's shared launcher. An ssh run's "jobs" are its worker sessions, one per host.
 */
import { fileURLToPath } from 'node:url';
import { batchJobScript, sshHostsOf, SSHCluster, startBatchRun, type BatchJobScript, type BatchRunConfig, type JobInfo, type JobQueueCluster, type RunKind } from '@gluon/deploy';
import { countOf } from '@gluon/protocol/tools';
import type { H4lConfig } from './config.js';

/**
 * Starts the scheduler (here; ssh: on the first host), its `c.jobs` workers and a client;
 * `close()` cancels the jobs (ssh: ends the sessions, which stops the remote processes).
 */
export function startBatchCluster(c: H4lConfig & { cluster: RunKind }, log: (s: string) => void): ReturnType<typeof startBatchRun> {
  return startBatchRun(c, where(c), log);
}

/** Where a cluster run's workers and scheduler are, for a log line (both analyses' `mode:`). */
export function clusterModeText(c: BatchRunConfig & { cluster: RunKind }): string {
  if (c.cluster !== 'ssh') return `${c.jobs} ${c.cluster} jobs of ${c.job_cores} core(s) and a scheduler here`;
  const [first, ...rest] = sshHostsOf(c.hosts);
  return `${countOf(c.jobs, 'worker')} of ${c.job_cores} core(s) over ssh on ${rest.slice(0, c.jobs).join(', ')}, the scheduler on ${first}`;
}

/** The job script the run would submit (`run --print-job-script`), and its note for stderr; nothing starts. */
export function batchJobScriptOf(c: H4lConfig & { cluster: 'slurm' | 'pbs' }): Promise<BatchJobScript> {
  return batchJobScript(c, where(c));
}

// Workers resolve @gluon/analysis-h4l/tasks from this package's folder, as the LocalCluster's do;
// the jobs are named for the run unless job_name says.
const where = (c: H4lConfig) => ({ cwd: fileURLToPath(new URL('..', import.meta.url)), jobName: `h4l-${c.run_name}` });

/**
 * What a batch run that no worker joined within worker_timeout_s should do, by its jobs' states:
 * it said 'start workers for it (gluon-worker ws://…)', for workers that were jobs in the queue.
 * An ssh run's jobs are its worker sessions; those that ended (`ended`: each host and what its
 * session printed last, SSHCluster.endedSessions) are named with ssh's own words.
 */
export function batchWaitHint(kind: RunKind, jobs: Jobs, ended: readonly { host: string; output: string }[] = []): string {
  const ids = (js: Jobs) => jobIds(kind, js);
  const { pending, running } = byState(jobs);
  const raise = `raise worker_timeout_s (--worker-timeout S; null: wait as long as ${kind === 'ssh' ? 'it takes' : 'the queue takes'})`;
  if (pending.length && !running.length) return `its ${ids(pending)} ${pending.length === 1 ? 'was' : 'were'} still pending in the batch queue (the cluster's log above says why); ${raise}`;
  const endedToo = ended.length ? `; ${sessionsEnded(ended)}` : '';
  if (running.length && kind === 'ssh') return `its ${ids(running)} ${running.length === 1 ? 'runs' : 'run'} but no worker connected (the worker hosts must reach the scheduler's host at its address and port: the cluster's log above has what their sessions printed)${endedToo}; ${raise}`;
  if (running.length) return `its ${ids(running)} ${running.length === 1 ? 'runs' : 'run'} but no worker connected (read the job's output: the node must reach this host and port); ${raise}`;
  return ended.length ? `its ${sessionsEnded(ended)}` : jobsEnded(kind);
}

/** What an ssh run's cluster says of its ended sessions, for batchWaitHint (none for a batch system's). */
export function endedSessionsOf(cluster: JobQueueCluster): { host: string; output: string }[] {
  return cluster instanceof SSHCluster ? cluster.endedSessions() : [];
}

type Jobs = readonly Pick<JobInfo, 'id' | 'state'>[];
/** `slurm jobs 12_0, 12_1`; ssh: `ssh worker sessions on b, c` (a session's id is its host's address and a number). */
const jobIds = (kind: string, js: Jobs) => (kind === 'ssh'
  ? `ssh worker session${js.length === 1 ? '' : 's'} on ${js.map((j) => j.id.replace(/-\d+$/, '')).join(', ')}`
  : `${kind} job${js.length === 1 ? '' : 's'} ${js.map((j) => j.id).join(', ')}`);
const byState = (jobs: Jobs) => ({ pending: jobs.filter((j) => j.state === 'pending'), running: jobs.filter((j) => j.state === 'running') });
const jobsEnded = (kind: string) => (kind === 'ssh'
  ? 'its ssh worker sessions ended before a worker joined (the cluster\'s log above has what each printed)'
  : `its ${kind} jobs ended before a worker joined (the cluster's log above says how)`);
/** `ssh worker session on c ended before a worker joined: ssh: connect to host c port 22: Connection refused`. */
const sessionsEnded = (ended: readonly { host: string; output: string }[]) => `ssh worker session${ended.length === 1 ? '' : 's'} on `
  + `${ended.map((e) => e.host).join(', ')} ended before a worker joined: ${ended.map((e) => `${e.host}: ${lastLines(e.output)}`).join('; ')}`;
/** The last lines of what a session printed (ssh's error is its last line), or that it printed nothing. */
const lastLines = (output: string) => output.trim().split('\n').slice(-3).join(' / ') || 'it printed nothing';

/**
 * When a batch run's wait for a worker counts from: the first look (`jobs()`, the cluster's
 * jobList, which leaves ended jobs out) at which a job was running, or one seen before had left
 * the list (it ran and ended between looks, or was cancelled), remembered; undefined while every
 * job waits in the queue. worker_timeout_s (120 s) counted from the start, so a normal wait in a
 * busy queue ended the run.
 */
export function jobsRunningSince(jobs: () => Jobs, now: () => number = Date.now): () => number | undefined {
  let since: number | undefined;
  const seen = new Set<string>();
  return () => {
    if (since !== undefined) return since;
    const list = jobs();
    const ids = new Set(list.map((j) => j.id));
    if (list.some((j) => j.state !== 'pending') || [...seen].some((id) => !ids.has(id))) since = now();
    for (const id of ids) seen.add(id);
    return since;
  };
}

/**
 * The waiting-for-workers line of a batch run (gluon-h4l run, gluon-finalstates), by its jobs'
 * states and the workers connected. The line for a scheduler ('has no worker connected … start
 * workers for it (gluon-worker ws://…)') sent users to start by hand workers that were jobs in
 * the queue. `timeoutMs`: worker_timeout_s in ms, null when it is null, undefined when the CLI has
 * none; `giveUpAt` (ms since the epoch) once the wait counts (a job ran: jobsRunningSince).
 */
export function batchWaitingLine(kind: RunKind, jobs: Jobs, w: { workers: number; timeoutMs?: number | null; giveUpAt?: number; stale?: string | undefined }): string {
  // While the batch system's listing fails (the cluster's listingStale), the states are the last
  // listed: said so, not as current (a job that ended meanwhile was still "pending in the queue").
  return `${waitingLine(kind, jobs, w)}${w.stale ? ` (the jobs' states as last listed: ${w.stale})` : ''}`;
}

function waitingLine(kind: RunKind, jobs: Jobs, w: { workers: number; timeoutMs?: number | null; giveUpAt?: number }): string {
  const { pending, running } = byState(jobs);
  const secs = (ms: number) => +(ms / 1000).toFixed(1);
  if (running.length === 0 && w.workers === 0) {
    if (pending.length === 0) return `waiting for workers: ${jobsEnded(kind)}`;
    const counts = w.timeoutMs ? `; worker_timeout_s (${secs(w.timeoutMs)} s) counts from when one runs, not in the queue` : '';
    return `waiting for workers: its ${jobIds(kind, pending)} ${pending.length === 1 ? 'is' : 'are'} pending in the batch queue${counts}; `
      + 'the run goes on when one runs (the cluster says why they wait if they stay pending; Ctrl-C stops the run)';
  }
  const head = w.workers > 0
    ? `waiting for workers: ${countOf(w.workers, 'worker')} of its ${kind === 'ssh' ? 'ssh worker sessions' : `${kind} jobs`} ${w.workers === 1 ? 'is' : 'are'} connected and none has finished a task yet (still loading the task code?)`
    : `waiting for workers: its ${jobIds(kind, running)} ${running.length === 1 ? 'runs' : 'run'} and no worker has connected yet`;
  if (w.timeoutMs === undefined) return head;
  if (w.timeoutMs === null) return `${head} (worker_timeout_s is null: the run waits as long as it takes)`;
  // A worker can connect before the cluster's look at the queue (every 2 s) sees its job run: the
  // wait does not count yet, but worker_timeout_s is set, so the line must not call it null.
  if (w.giveUpAt === undefined) return `${head}; worker_timeout_s (${secs(w.timeoutMs)} s) counts from when the cluster sees ${kind === 'ssh' ? 'a session' : 'a job'} running (its next look at ${kind === 'ssh' ? 'the sessions' : 'the queue'}), then the run gives up unless a worker takes a task`;
  return `${head}; the run gives up at ${new Date(w.giveUpAt).toTimeString().slice(0, 8)} (worker_timeout_s, ${secs(w.timeoutMs)} s from when ${kind === 'ssh' ? 'its sessions started' : 'a job ran'}) unless a worker takes a task`;
}
