/**
 * An analysis run's workers as batch jobs: the config keys (`cluster`, and the job keys of
 * job-keys.ts: `jobs`, `job_*`, `max_failed_jobs`), their checks and flags, and starting the
 * cluster, defined once for every analysis CLI (gluon-h4l, gluon-finalstates), so `--cluster
 * slurm|pbs --jobs N` means the same everywhere, and each job key what it means to gluon-cluster.
 */
import { randomBytes } from 'node:crypto';
import { CONFIG_KEY_NAMES, type Client, type SettingsAsGiven } from '@gluon/client';
import { tokenFromEnv } from '@gluon/protocol';
import { checkJobClusterOptions, type JobClusterOptions, type JobQueueCluster } from './job-cluster.js';
import { JOB_KEY_NAMES, JOB_KEYS, jobClusterOptionsOf, jobKeyFromConfig, jobKeyFromText, jobKeyOfOption, jobKeyProblem, keysNotFor, notForLauncher, runFlagOf, type JobKey, type JobKeyValues } from './job-keys.js';
import { keepToken, keptTokenFile, readKeptToken } from './kept-token.js';
import { SlurmCluster } from './slurm.js';
import { PBSCluster } from './pbs.js';

/** The batch systems a run can put its workers on. */
export type BatchKind = 'slurm' | 'pbs';

/** The batch keys of an analysis config (config.yaml and flags): `cluster` and the job keys (job-keys.ts). */
export interface BatchRunConfig extends JobKeyValues {
  /** Run the workers as batch jobs: 'slurm' or 'pbs'; null: not. */
  cluster: BatchKind | null;
}

export const BATCH_RUN_DEFAULTS: BatchRunConfig = {
  cluster: null,
  ...(Object.fromEntries(JOB_KEY_NAMES.map((k) => [k, JOB_KEYS[k].runDefault])) as unknown as JobKeyValues),
};

type Check = (v: unknown) => string | undefined;
const clusterCheck: Check = (v) => (v === null || v === 'slurm' || v === 'pbs' ? undefined : 'must be slurm or pbs');

/**
 * Each key's check: undefined when the value is good, else why not (`must be slurm or pbs`); the
 * job keys' are the table's, so a value gluon-cluster refuses is refused here, in the same words.
 */
export const BATCH_RUN_CHECKS: Record<keyof BatchRunConfig, Check> = {
  cluster: clusterCheck,
  ...(Object.fromEntries(JOB_KEY_NAMES.map((k) => [k, JOB_KEYS[k].check])) as Record<keyof JobKeyValues, Check>),
};

/**
 * What is wrong with `value` for batch key `key`, named `name` (`/x/config.yaml: job_memory`),
 * with what a size came to: the whole message; undefined when it is good.
 */
export function batchKeyProblem(key: keyof BatchRunConfig, value: unknown, name: string): string | undefined {
  if (key !== 'cluster') return jobKeyProblem(key, value, name);
  const why = clusterCheck(value);
  return why && `${name} ${why}, got ${JSON.stringify(value)}`;
}

/** Batch key `key`'s value as a config file gives it (job-keys.ts, jobKeyFromConfig: `job_extra: --exclusive` is `[--exclusive]`). */
export function batchKeyFromConfig(key: keyof BatchRunConfig, value: unknown): unknown {
  return key === 'cluster' ? value : jobKeyFromConfig(key, value);
}

/** One analysis flag: the key it sets, how it is typed (kind: `--cluster`), its placeholder and help line. */
export interface BatchRunFlag { key: keyof BatchRunConfig; type: 'kind' | JobKey<unknown>['type']; arg?: string; help: string }

/** One flag per key: `--cluster`, `--jobs`, `--job-cores`, `--job-extra` (repeatable), `--no-job-arrays`, … */
export const BATCH_RUN_FLAGS: Record<string, BatchRunFlag> = {
  cluster: { key: 'cluster', type: 'kind', arg: 'slurm|pbs', help: 'run the workers as batch jobs (docs/deploy-slurm.md, docs/deploy-pbs.md)' },
  ...Object.fromEntries(JOB_KEY_NAMES.map((k): [string, BatchRunFlag] => {
    const e = JOB_KEYS[k] as JobKey<unknown>;
    return [runFlagOf(k), { key: k, type: e.type, ...(e.arg ? { arg: e.arg } : {}), help: `needs --cluster: ${e.help}${e.type === 'list' ? ' (repeatable)' : ''}` }];
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
  const values = (Array.isArray(given) ? given : [String(given)]).map((t) => jobKeyFromText(key, t, `--${flag}`));
  return s.type === 'list' ? values : values[0];
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
export function batchFlagsUnused(given: Record<string, string | boolean | string[]>, cluster: BatchKind | null): string | undefined {
  if (cluster) return undefined;
  const unused = Object.entries(given).filter(([f]) => f !== 'cluster' && Object.hasOwn(BATCH_RUN_FLAGS, f))
    .flatMap(([f, v]) => (v === true ? [`--${f}`] : (Array.isArray(v) ? v : [String(v)]).map((x) => `--${f} ${x}`)));
  if (unused.length === 0) return undefined;
  return `${unused.join(', ')} need${unused.length === 1 ? 's' : ''} --cluster slurm|pbs (or cluster: in the config file): without it no batch jobs are submitted`;
}

/** A batch key's name alone as the user gave it (`--job-lifetime`, `/x/config.yaml: job_lifetime`), or its flag when not given. */
const nameOf = (names: SettingsAsGiven, key: keyof BatchRunConfig): string => names.named?.(key) ?? `--${key === 'cluster' ? 'cluster' : runFlagOf(key)}`;

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
  // gluon-cluster may start a scheduler with no jobs (to submit none yet); a run would wait for a worker that never comes.
  if (c.jobs === 0) return `${names.given('jobs', c.jobs)} submits no jobs, and the run's tasks need at least one worker`;
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

/** The launcher of a run's jobs, attached to `more.scheduler` or starting one here with `more.token` (no jobs yet). */
function launch(c: BatchRunConfig & { cluster: BatchKind }, where: { cwd: string; jobName: string }, more: { scheduler?: string; token?: string }): Promise<JobQueueCluster> {
  const opts = { ...batchOptions(c, where), ...more };
  return c.cluster === 'slurm' ? SlurmCluster.start(opts) : PBSCluster.start(opts);
}

/**
 * The job script a run would submit for its `c.jobs` jobs (Slurm, more than one: the array job),
 * as gluon-cluster --print-job-script prints it: nothing is started or submitted; the scheduler's
 * address reads ws://SCHEDULER:PORT.
 */
export async function batchJobScript(c: BatchRunConfig & { cluster: BatchKind }, where: { cwd: string; jobName: string }): Promise<string> {
  return (await launch(c, where, { scheduler: 'ws://SCHEDULER:PORT' })).scriptFor(c.jobs);
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

/**
 * Starts the scheduler here, submits `c.jobs` jobs (one worker each) and connects a client;
 * `cluster.close()` cancels the jobs. `where.cwd` is the workers' directory (it decides which task
 * modules they may import: the analysis package's own); `where.jobName` names the jobs unless
 * `c.job_name` does. The scheduler's token is gluon-cluster's (runToken), and the log says where it is.
 */
export async function startBatchRun(c: BatchRunConfig & { cluster: BatchKind }, where: { cwd: string; jobName: string }, log: (s: string) => void): Promise<{ cluster: JobQueueCluster; client: Client }> {
  const token = runToken();
  const cluster = await launch(c, where, { token: token.token });
  try {
    token.keep?.();
    await cluster.scale(c.jobs);
    log(`${c.cluster}: submitted ${c.jobs} job${c.jobs > 1 ? 's' : ''} (${cluster.jobList.map((j) => j.id).join(', ')}) for the scheduler at ${cluster.schedulerAddress}; `
      + `its dashboard's login and clients take ${token.said}`);
    return { cluster, client: await cluster.client() };
  } catch (e) {
    await cluster.close();
    throw e;
  }
}
