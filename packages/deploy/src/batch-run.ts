/**
 * An analysis run's workers as batch jobs or over ssh: the config keys (`cluster`, the job keys
 * of job-keys.ts: `jobs`, `job_*`, `max_failed_jobs`, and the ssh keys of ssh-run.ts: `hosts`,
 * `ssh_options`, `scheduler_port`, `dashboard_port`, `tls`), their checks and flags, and starting the
 * cluster, defined once for every analysis CLI (gluon-h4l, gluon-finalstates), so `--cluster
 * slurm|pbs|ssh --jobs N` means the same everywhere, and each key what it means to gluon-cluster.
 */
import { randomBytes } from 'node:crypto';
import type { Client } from '@gluon/client';
import { CONFIG_KEY_NAMES, type SettingsAsGiven } from '@gluon/client/scheduler-tls';
import { tokenFromEnv } from '@gluon/protocol/tools';
import { checkJobClusterOptions, type JobClusterOptions, type JobQueueCluster } from './job-cluster.js';
import { JOB_KEY_NAMES, JOB_KEYS, jobClusterOptionsOf, jobKeyFromConfig, jobKeyFromText, jobKeyOfOption, jobKeyProblem, keysNotFor, notForLauncher, runFlagOf, type JobKey, type JobKeyName, type JobKeyValues } from './job-keys.js';
import { keepToken, keptTokenFile, readKeptToken } from './kept-token.js';
import { SlurmCluster } from './slurm.js';
import { PBSCluster } from './pbs.js';
import { SSHCluster } from './ssh.js';
import { isSshRunKey, SSH_RUN_KEY_NAMES, SSH_RUN_KEYS, sshClusterOptionsOf, sshKeysSet, sshRunKeyFromConfig, sshRunKeyFromText, sshRunKeyOfFlag, sshRunKeyProblem, sshRunOptionName, sshRunProblem, type SshRunValues } from './ssh-run.js';

/** The batch systems a run can put its workers on. */
export type BatchKind = 'slurm' | 'pbs';

/** Where a run's workers can be started: a batch system, or hosts over ssh. */
export type RunKind = BatchKind | 'ssh';

/** The cluster keys of an analysis config (config.yaml and flags): `cluster`, the job keys (job-keys.ts) and the ssh keys (ssh-run.ts). */
export interface BatchRunConfig extends JobKeyValues, SshRunValues {
  /** Run the workers as batch jobs ('slurm', 'pbs') or over ssh on `hosts` ('ssh'); null: not. */
  cluster: RunKind | null;
}

export const BATCH_RUN_DEFAULTS: BatchRunConfig = {
  cluster: null,
  ...(Object.fromEntries(JOB_KEY_NAMES.map((k) => [k, JOB_KEYS[k].runDefault])) as unknown as JobKeyValues),
  ...(Object.fromEntries(SSH_RUN_KEY_NAMES.map((k) => [k, SSH_RUN_KEYS[k].runDefault])) as unknown as SshRunValues),
};

type Check = (v: unknown) => string | undefined;
const clusterCheck: Check = (v) => (v === null || v === 'slurm' || v === 'pbs' || v === 'ssh' ? undefined : 'must be slurm, pbs or ssh');

/**
 * Each key's check: undefined when the value is good, else why not (`must be slurm or pbs`); the
 * job keys' are the table's, so a value gluon-cluster refuses is refused here, in the same words.
 */
export const BATCH_RUN_CHECKS: Record<keyof BatchRunConfig, Check> = {
  cluster: clusterCheck,
  ...(Object.fromEntries(JOB_KEY_NAMES.map((k) => [k, JOB_KEYS[k].check])) as Record<keyof JobKeyValues, Check>),
  ...(Object.fromEntries(SSH_RUN_KEY_NAMES.map((k) => [k, SSH_RUN_KEYS[k].check])) as Record<keyof SshRunValues, Check>),
};

/**
 * What is wrong with `value` for batch key `key`, named `name` (`/x/config.yaml: job_memory`),
 * with what a size came to: the whole message; undefined when it is good.
 */
export function batchKeyProblem(key: keyof BatchRunConfig, value: unknown, name: string): string | undefined {
  if (isSshRunKey(key)) return sshRunKeyProblem(key, value, name);
  if (key !== 'cluster') return jobKeyProblem(key, value, name);
  const why = clusterCheck(value);
  return why && `${name} ${why}, got ${JSON.stringify(value)}`;
}

/** Batch key `key`'s value as a config file gives it (job-keys.ts, jobKeyFromConfig: `job_extra: --exclusive` is `[--exclusive]`). */
export function batchKeyFromConfig(key: keyof BatchRunConfig, value: unknown): unknown {
  if (isSshRunKey(key)) return sshRunKeyFromConfig(key, value);
  return key === 'cluster' ? value : jobKeyFromConfig(key, value);
}

/** One analysis flag: the key it sets, how it is typed (kind: `--cluster`), its placeholder and help line. */
export interface BatchRunFlag { key: keyof BatchRunConfig; type: 'kind' | JobKey<unknown>['type']; arg?: string; help: string }

/**
 * One flag per key: `--cluster`, `--jobs`, `--job-cores`, `--job-extra` (repeatable), `--no-job-arrays`, …,
 * and gluon-cluster ssh's own: `--hosts`, `--ssh-option` (repeatable), `--scheduler-port`, `--dashboard-port`, `--no-tls`.
 */
export const BATCH_RUN_FLAGS: Record<string, BatchRunFlag> = {
  cluster: { key: 'cluster', type: 'kind', arg: 'slurm|pbs|ssh', help: 'run the workers as batch jobs, or over ssh on --hosts (docs/deploy-slurm.md, docs/deploy-pbs.md, docs/deploy-ssh.md)' },
  ...Object.fromEntries(JOB_KEY_NAMES.map((k): [string, BatchRunFlag] => {
    const e = JOB_KEYS[k] as JobKey<unknown>;
    return [runFlagOf(k), { key: k, type: e.type, ...(e.arg ? { arg: e.arg } : {}), help: `needs --cluster: ${e.help}${e.type === 'list' ? ' (repeatable)' : ''}` }];
  })),
  ...Object.fromEntries(SSH_RUN_KEY_NAMES.map((k): [string, BatchRunFlag] => {
    const e = SSH_RUN_KEYS[k];
    return [e.flag, { key: k, type: e.type, ...(e.arg ? { arg: e.arg } : {}), help: `needs --cluster ssh: ${e.help}${e.type === 'list' ? ' (repeatable)' : ''}` }];
  })),
};

/** The analyses' flags whose value may start with a dash (`--job-extra --exclusive`): the repeatable ones. */
export const BATCH_RUN_DASH_VALUES: readonly string[] = Object.entries(BATCH_RUN_FLAGS).filter(([, s]) => s.type === 'list').map(([f]) => f);

/**
 * A batch flag's value from its text as parseArgs gave it (a string, a repeatable one's strings,
 * true for a switch), checked: throws a RangeError naming `--flag` and the text as typed.
 */
export function batchFlagValue(flag: string, given: string | boolean | string[]): unknown {
  const s = BATCH_RUN_FLAGS[flag]!;
  if (s.type === 'off') return false;
  if (s.key === 'cluster') {
    const problem = batchKeyProblem('cluster', given, `--${flag}`);
    if (problem) throw new RangeError(problem);
    return given;
  }
  const key = s.key;
  const ssh = sshRunKeyOfFlag(flag);
  const values = (Array.isArray(given) ? given : [String(given)]).map((t) => (ssh ? sshRunKeyFromText(ssh, t, `--${flag}`) : jobKeyFromText(key as JobKeyName, t, `--${flag}`)));
  return s.type === 'list' ? values : values[0];
}

/**
 * Why an analysis's --print-job-script cannot print a job script for `cluster`, or undefined: it
 * needs a batch system, and over ssh there is none (as gluon-cluster ssh refuses it): each host
 * runs `ssh HOST bash -s` with a script SSHCluster makes once the scheduler started.
 */
export function printJobScriptProblem(cluster: RunKind | null): string | undefined {
  if (!cluster) return '--print-job-script prints a batch job script: it needs --cluster slurm|pbs (or cluster: in the config file)';
  if (cluster === 'ssh') return '--print-job-script is for slurm and pbs; an ssh run submits no job script (each host runs `ssh HOST bash -s`: docs/deploy-ssh.md shows what)';
  return undefined;
}

/**
 * Why `cluster` cannot go with the rest of a config, or undefined (it starts its own scheduler).
 * Each setting is named as `names` says (the flag typed, or the config file and key).
 */
export function batchRunConflict(c: Pick<BatchRunConfig, 'cluster'> & { scheduler: string | null }, names: SettingsAsGiven = CONFIG_KEY_NAMES): string | undefined {
  return c.cluster && c.scheduler ? `${names.given('cluster', c.cluster)} starts its own scheduler; it cannot be combined with ${names.given('scheduler', c.scheduler)}` : undefined;
}

/**
 * Why batch flags the user gave would have no effect, or undefined: `--jobs`, `--job-cores`, …
 * mean something only when the run's workers are batch jobs (`cluster`, from --cluster or the
 * config file), and a flag silently ignored is worse than a refused one. `given`: each flag of
 * BATCH_RUN_FLAGS on the command line → what parseArgs gave (text, texts, or true for a switch);
 * `cluster`: the merged config's.
 */
export function batchFlagsUnused(given: Record<string, string | boolean | string[]>, cluster: RunKind | null): string | undefined {
  if (cluster) return undefined;
  const typed = (entries: [string, string | boolean | string[]][]) => entries
    .flatMap(([f, v]) => (v === true ? [`--${f}`] : (Array.isArray(v) ? v : [String(v)]).map((x) => `--${f} ${x}`)));
  const flags = Object.entries(given).filter(([f]) => f !== 'cluster' && Object.hasOwn(BATCH_RUN_FLAGS, f));
  // The ssh flags start nothing but over ssh: said so, not sent to a batch system.
  const ssh = typed(flags.filter(([f]) => sshRunKeyOfFlag(f) !== undefined));
  const unused = typed(flags.filter(([f]) => sshRunKeyOfFlag(f) === undefined));
  if (unused.length) return `${unused.join(', ')} need${unused.length === 1 ? 's' : ''} --cluster slurm|pbs|ssh (or cluster: in the config file): without it no batch jobs are submitted`;
  if (ssh.length) return `${ssh.join(', ')} need${ssh.length === 1 ? 's' : ''} --cluster ssh (or cluster: ssh in the config file): without it no worker is started over ssh`;
  return undefined;
}

/** A batch key's name alone as the user gave it (`--job-lifetime`, `/x/config.yaml: job_lifetime`), or its flag when not given. */
const nameOf = (names: SettingsAsGiven, key: keyof BatchRunConfig): string => names.named?.(key) ?? `--${key === 'cluster' ? 'cluster' : isSshRunKey(key) ? SSH_RUN_KEYS[key].flag : runFlagOf(key)}`;

/**
 * Why the batch keys cannot go together, or undefined; checked with the rest of the config, before
 * anything starts: a key `cluster` does not take (job_resource_spec under Slurm, as gluon-cluster
 * refuses --resource-spec), no jobs, and what the launchers check across keys (a lifetime not
 * below the walltime). Each is named as `names` says (the flag typed, or the config file and key).
 */
export function batchRunProblem(c: BatchRunConfig, names: SettingsAsGiven = CONFIG_KEY_NAMES): string | undefined {
  if (!c.cluster) return undefined;
  const notFor = keysNotFor(c, c.cluster)[0];
  if (notFor) return `${names.given(notFor, c[notFor])} ${notForLauncher(notFor, c.cluster)}`;
  // As gluon-cluster refuses --hosts under slurm.
  const sshKey = c.cluster === 'ssh' ? undefined : sshKeysSet(c)[0];
  if (sshKey) return `${names.given(sshKey, c[sshKey])} is for ssh only, not ${c.cluster}`;
  if (c.cluster === 'ssh') {
    const problem = sshRunProblem(c, (k) => nameOf(names, k), names.given('jobs', c.jobs));
    if (problem) return problem;
  }
  // gluon-cluster may start a scheduler with no jobs (to submit none yet); a run would wait for a worker that never comes.
  if (c.jobs === 0) return `${names.given('jobs', c.jobs)} submits no jobs, and the run's tasks need at least one worker`;
  if (c.cluster === 'ssh') return undefined; // the job keys' checks were sshRunProblem's (SSHCluster's own)
  try {
    checkJobClusterOptions(batchOptions({ ...c, cluster: c.cluster }), (option) => { const k = jobKeyOfOption(option); return k ? nameOf(names, k) : option; });
  } catch (e) {
    return (e as Error).message;
  }
  return undefined;
}

/** The launcher's options of a run: the job keys', then the run's own (where its workers run, its jobs' name by default). */
function batchOptions(c: BatchRunConfig & { cluster: BatchKind }, where?: { cwd: string; jobName: string }): JobClusterOptions {
  return { ...jobClusterOptionsOf(c, c.cluster), ...(where ? { cwd: where.cwd, jobName: c.job_name ?? where.jobName } : {}) };
}

/**
 * A launcher option as the run's flag (`prologue`: `--job-prologue`), for what the cluster says as
 * it starts and runs (a job script bash cannot parse, a log directory it cannot make): the run's
 * keys were checked in the user's own words before (batchRunProblem); the launcher's option name
 * is one no analysis user typed.
 */
function batchRunOptionName(option: string): string {
  const key = jobKeyOfOption(option);
  return key === undefined ? option : `--${runFlagOf(key)}`;
}

/** The launcher of a run's jobs, attached to `more.scheduler` or starting one here with `more.token` (no jobs yet). */
function launch(c: BatchRunConfig & { cluster: BatchKind }, where: { cwd: string; jobName: string }, more: { scheduler?: string; token?: string }): Promise<JobQueueCluster> {
  const opts = { ...batchOptions(c, where), ...more, optionName: batchRunOptionName };
  return c.cluster === 'slurm' ? SlurmCluster.start(opts) : PBSCluster.start(opts);
}

/** What a run's --print-job-script prints: the script on stdout; the note, when there is one, on stderr. */
export interface BatchJobScript {
  /** Exactly what is submitted, to be saved and submitted as is. */
  script: string;
  /** `this job script is submitted 3 times, one worker per job` where the script goes once per job (scriptForNote). */
  note?: string;
}

/**
 * The job script a run would submit for its `c.jobs` jobs (Slurm, more than one: the array job),
 * as gluon-cluster --print-job-script prints it, with what the script cannot say itself: that
 * it is submitted once per job (PBS, `--no-job-arrays`), which the analyses did not say at all.
 * Nothing is started or submitted; the scheduler's address reads ws://SCHEDULER:PORT.
 */
export async function batchJobScript(c: BatchRunConfig & { cluster: BatchKind }, where: { cwd: string; jobName: string }): Promise<BatchJobScript> {
  const cluster = await launch(c, where, { scheduler: 'ws://SCHEDULER:PORT' });
  const note = cluster.scriptForNote(c.jobs);
  return { script: cluster.scriptFor(c.jobs), ...(note ? { note } : {}) };
}

/**
 * The token of a run's scheduler, as gluon-cluster takes it: GLUON_TOKEN, else the one kept in
 * ~/.gluon/cluster-token, else a new one (`keep`: write it there once the scheduler started).
 * The scheduler listens beyond loopback, so it has a token; the cluster made a random one that
 * nobody was told, and the dashboard the run printed answered every login with "Wrong token."
 */
function runToken(): { token: string; said: string; keep?: () => void } {
  const env = tokenFromEnv();
  if (env !== undefined) return { token: env, said: 'the token in GLUON_TOKEN' };
  const file = keptTokenFile();
  const kept = readKeptToken(file);
  if (kept !== undefined) return { token: kept, said: `the token in ${file} (kept from before)` };
  const token = randomBytes(24).toString('base64url');
  return { token, said: `the token in ${file}`, keep: () => keepToken(token, file) };
}

/** A batch run's cluster, started by {@link startBatchRun}. */
export interface BatchRun {
  cluster: JobQueueCluster;
  client: Client;
  /**
   * Rejects with the cluster's NoWorkerCanComeError once no worker can come any more and none is
   * connected (no-worker-coming.ts: `max_failed_jobs` jobs in a row ended before their worker
   * joined, or, over ssh, every host's session did), naming every job or host with its error;
   * never settles otherwise. The run races its work with it: it waited for workers that could not
   * come until worker_timeout_s, then blamed the wait (gluon-finalstates, which has none, for ever).
   */
  failed: Promise<never>;
}

/**
 * Starts the run's cluster and connects a client; `cluster.close()` cancels the jobs (ssh: ends
 * the sessions). Slurm, PBS: the scheduler here, `c.jobs` jobs (one worker each). ssh: the
 * scheduler on the first of `c.hosts`, as gluon-cluster ssh starts it, and a worker on `c.jobs`
 * of the others; the client then connects to it from here. `where.cwd` is the workers' directory
 * (it decides which task modules they may import: the analysis package's own); `where.jobName`
 * names the jobs unless `c.job_name` does. The scheduler's token is gluon-cluster's (runToken),
 * and the log says where it is.
 */
export async function startBatchRun(c: BatchRunConfig & { cluster: RunKind }, where: { cwd: string; jobName: string }, log: (s: string) => void): Promise<BatchRun> {
  const token = runToken();
  const cluster = c.cluster === 'ssh'
    ? await SSHCluster.start({ ...sshClusterOptionsOf(c), cwd: where.cwd, jobName: c.job_name ?? where.jobName, token: token.token, optionName: sshRunOptionName })
    : await launch({ ...c, cluster: c.cluster }, where, { token: token.token });
  try {
    token.keep?.();
    await cluster.scale(c.jobs);
    const login = `its dashboard's login and clients take ${token.said}`;
    if (cluster instanceof SSHCluster) {
      const sessions = cluster.jobList.map((j) => j.id);
      // The run's own client trusts the cluster's CA already (cluster.client()); another client
      // (or a browser, for the dashboard) needs the file, which goes when the run ends.
      const tls = cluster.tlsCa ? `; clients trust the CA made for this run, ${cluster.tlsCa} (--tls-ca; removed when the run ends)` : '; plain ws://, TLS off (tls: false, --no-tls)';
      log(`ssh: started the scheduler on ${cluster.schedulerHost} at ${cluster.schedulerAddress} and ${sessions.length} worker session${sessions.length === 1 ? '' : 's'} (${sessions.join(', ')}); ${login}${tls}`);
    } else {
      log(`${c.cluster}: submitted ${c.jobs} job${c.jobs > 1 ? 's' : ''} (${cluster.jobList.map((j) => j.id).join(', ')}) for the scheduler at ${cluster.schedulerAddress}; ${login}`);
    }
    const failed = cluster.whenNoWorkerCanCome(RUN_FIX_WORDS).then((e): never => { throw e; });
    failed.catch(() => {});   // a run that ends first never reads it
    return { cluster, client: await runClient(cluster), failed };
  } catch (e) {
    await cluster.close();
    throw e;
  }
}

/**
 * The run's client of its cluster. Over ssh it connects from here to the scheduler on the first
 * host: a refusal says that this machine, not only the hosts, must reach that port.
 */
async function runClient(cluster: JobQueueCluster): Promise<Client> {
  try {
    return await cluster.client();
  } catch (e) {
    if (!(cluster instanceof SSHCluster)) throw e;
    const port = new URL(cluster.schedulerAddress).port;
    throw new Error(`ssh: the scheduler started on ${cluster.schedulerHost}, but this machine cannot connect to it at ${cluster.schedulerAddress} (${(e as Error).message}): `
      + `the run's client connects from here, so port ${port} of ${cluster.schedulerHost} must be open to this machine, not only its ssh port (docs/deploy-ssh.md)`);
  }
}

/** How a run's give-up names the prologue: the analyses' flag. */
const RUN_FIX_WORDS = { prologueFlag: `--${runFlagOf('job_prologue')}` };
