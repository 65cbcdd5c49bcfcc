/**
 * An analysis run's workers as batch jobs: the config keys (`cluster`, `jobs`, `job_*`), their
 * checks and flags, and starting the cluster, defined once for every analysis CLI (gluon-h4l,
 * gluon-finalstates), so `--cluster slurm|pbs --jobs N` means the same everywhere.
 */
import { randomBytes } from 'node:crypto';
import { CONFIG_KEY_NAMES, type Client, type SettingsAsGiven } from '@gluon/client';
import { parseBytes, tokenFromEnv } from '@gluon/protocol';
import { checkOneWord, checkWalltime, type JobClusterOptions, type JobQueueCluster } from './job-cluster.js';
import { keepToken, keptTokenFile, readKeptToken } from './kept-token.js';
import { SlurmCluster } from './slurm.js';
import { PBSCluster } from './pbs.js';

/** The batch systems a run can put its workers on. */
export type BatchKind = 'slurm' | 'pbs';

/** The batch keys of an analysis config (config.yaml and flags). */
export interface BatchRunConfig {
  /** Run the workers as batch jobs: 'slurm' or 'pbs'; null: not. */
  cluster: BatchKind | null;
  /** Batch jobs to submit (one worker each) with `cluster`. */
  jobs: number;
  /** Cores (worker threads) per job. */
  job_cores: number;
  job_memory: string | null;
  job_walltime: string | null;
  job_queue: string | null;
  job_account: string | null;
}

export const BATCH_RUN_DEFAULTS: BatchRunConfig = {
  cluster: null, jobs: 2, job_cores: 1, job_memory: null, job_walltime: null, job_queue: null, job_account: null,
};

type Check = (v: unknown) => string | undefined;
const orNull = (c: Check): Check => (v) => (v === null ? undefined : c(v));
const intFrom = (min: number): Check => (v) => (Number.isInteger(v) && (v as number) >= min ? undefined : `must be an integer ≥ ${min}`);
/** The launchers' own check, its message without the name (the caller names the key). */
const by = (check: (v: string) => void): Check => (v) => {
  if (typeof v !== 'string') return 'must be a string';
  try { check(v); return undefined; } catch (e) { return (e as Error).message.replace(/^\S+ /, '').replace(/, got .*$/, ''); }
};

/** Each key's check: undefined when the value is good, else why not (`must be slurm or pbs`). */
// The launchers' own rules (checkJobClusterOptions), so a value they would refuse is refused here,
// named as given (`--job-queue`, `/x/config.yaml: job_queue`): it passed, and SlurmCluster.start
// then named `queue`, a key of its options object.
export const BATCH_RUN_CHECKS: Record<keyof BatchRunConfig, Check> = {
  cluster: orNull((v) => (v === 'slurm' || v === 'pbs' ? undefined : 'must be slurm or pbs')),
  jobs: intFrom(1),
  job_cores: (v) => (Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 1024 ? undefined : 'must be an integer from 1 to 1024'),
  job_memory: orNull(by((v) => parseBytes('job_memory', v))),
  job_walltime: orNull(by((v) => checkWalltime(v, 'job_walltime'))),
  job_queue: orNull(by((v) => checkOneWord(v, 'job_queue', 'a queue or Slurm partition; several: a,b'))),
  job_account: orNull(by((v) => checkOneWord(v, 'job_account', 'a batch account or project'))),
};

/** One flag per key: `--cluster`, `--jobs`, `--job-cores`, …; `number`: its text is a number. */
export const BATCH_RUN_FLAGS: Record<string, { key: keyof BatchRunConfig; number?: true; arg: string; help: string }> = {
  cluster: { key: 'cluster', arg: 'slurm|pbs', help: 'run the workers as batch jobs (docs/deploy-slurm.md, docs/deploy-pbs.md)' },
  jobs: { key: 'jobs', number: true, arg: 'N', help: 'needs --cluster: jobs to submit, one worker each' },
  'job-cores': { key: 'job_cores', number: true, arg: 'N', help: 'needs --cluster: cores (worker threads) per job' },
  'job-memory': { key: 'job_memory', arg: 'SIZE', help: 'needs --cluster: memory per job, e.g. 4GiB' },
  'job-walltime': { key: 'job_walltime', arg: 'HH:MM:SS', help: 'needs --cluster: wall-clock limit per job' },
  'job-queue': { key: 'job_queue', arg: 'NAME', help: 'needs --cluster: queue (Slurm: partition)' },
  'job-account': { key: 'job_account', arg: 'NAME', help: 'needs --cluster: account to charge' },
};

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
 * BATCH_RUN_FLAGS on the command line → its text as typed; `cluster`: the merged config's.
 */
export function batchFlagsUnused(given: Record<string, string>, cluster: BatchKind | null): string | undefined {
  if (cluster) return undefined;
  const unused = Object.entries(given).filter(([f]) => f !== 'cluster' && Object.hasOwn(BATCH_RUN_FLAGS, f));
  if (unused.length === 0) return undefined;
  return `${unused.map(([f, v]) => `--${f} ${v}`).join(', ')} need${unused.length === 1 ? 's' : ''} --cluster slurm|pbs (or cluster: in the config file): without it no batch jobs are submitted`;
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
 * modules they may import: the analysis package's own); `where.jobName` names the jobs. The
 * scheduler's token is gluon-cluster's (runToken), and the log says where it is.
 */
export async function startBatchRun(c: BatchRunConfig & { cluster: BatchKind }, where: { cwd: string; jobName: string }, log: (s: string) => void): Promise<{ cluster: JobQueueCluster; client: Client }> {
  const token = runToken();
  const opts: JobClusterOptions = {
    cores: c.job_cores, cwd: where.cwd, jobName: where.jobName, token: token.token,
    ...(c.job_memory ? { memory: c.job_memory } : {}),
    ...(c.job_walltime ? { walltime: c.job_walltime } : {}),
    ...(c.job_queue ? { queue: c.job_queue } : {}),
    ...(c.job_account ? { account: c.job_account } : {}),
  };
  const cluster = c.cluster === 'slurm' ? await SlurmCluster.start(opts) : await PBSCluster.start(opts);
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
