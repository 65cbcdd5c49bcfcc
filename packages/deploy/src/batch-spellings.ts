/**
 * Other tools' flags a batch user types at gluon-cluster (and at the analyses' batch runs), and what stands for each here: sbatch's
 * (`--partition`, `--time`, `--mem`, `--cpus-per-task`, and the directives gluon-cluster has no flag
 * for, `--qos`, `--gres`, …) and dask-jobqueue's. Left to the nearest spelling they were answered
 * wrongly or not at all: `--qos high` was "did you mean --jobs?", `--gres gpu:1` "did you mean
 * --cores?", `--workers 4` "--cores?", and `--partition`, `--time`, `--mem` had no hint.
 */
import type { MeantFlags } from '@gluon/protocol/tools';
import { JOB_KEY_NAMES, JOB_KEYS, runFlagOf, type JobKeyName } from './job-keys.js';

/** Flags of other tools that one of gluon-cluster's job flags stands for: `{flag}` is that flag. */
const SPELT: Readonly<Record<string, { key: JobKeyName; words: string }>> = {
  partition: { key: 'job_queue', words: 'Slurm\'s --partition is {flag} here' },
  time: { key: 'job_walltime', words: 'sbatch\'s --time is {flag} here (HH:MM:SS or D-HH:MM:SS)' },
  mem: { key: 'job_memory', words: 'sbatch\'s --mem is {flag} here (a size: 8GiB)' },
  'cpus-per-task': { key: 'job_cores', words: 'sbatch\'s --cpus-per-task is {flag} here (the worker\'s threads)' },
  ncpus: { key: 'job_cores', words: 'the cores of each job are {flag} here (the worker\'s threads)' },
  workers: { key: 'jobs', words: 'each job runs one worker, so the workers are {flag} N here' },
  nworkers: { key: 'jobs', words: 'each job runs one worker, so the workers are {flag} N here' },
  'n-workers': { key: 'jobs', words: 'each job runs one worker, so the workers are {flag} N here' },
  nodes: { key: 'jobs', words: 'each job runs one worker on one node, so {flag} N asks for N of them' },
  'job-cpu': { key: 'job_cores', words: 'dask-jobqueue\'s job_cpu is {flag} here' },
  'job-mem': { key: 'job_memory', words: 'dask-jobqueue\'s job_mem is {flag} here' },
  project: { key: 'job_account', words: 'the project to charge is {flag} here' },
  'job-extra-directives': { key: 'job_extra', words: 'dask-jobqueue\'s job_extra_directives is {flag} here, one directive each' },
  'job-script-prologue': { key: 'job_prologue', words: 'dask-jobqueue\'s job_script_prologue is {flag} here, one shell line each' },
};

/** sbatch options gluon-cluster has no flag for: they go into the job script as directives (`--job-extra`). Those taking no value are `true`. */
const DIRECTIVES: Readonly<Record<string, boolean>> = {
  qos: false, gres: false, gpus: false, 'gpus-per-node': false, 'gpus-per-task': false, constraint: false, exclusive: true, reservation: false,
  nodelist: false, exclude: false, 'mem-per-cpu': false, licenses: false, 'mail-user': false, 'mail-type': false, export: false, begin: false,
  dependency: false, tmp: false, comment: false, hint: false, clusters: false, wckey: false, nice: false, requeue: true, 'no-requeue': true,
  signal: false, 'time-min': false, 'cores-per-socket': false, 'sockets-per-node': false, 'threads-per-core': false, 'core-spec': false,
};

/** How a CLI spells a job key's flag: gluon-cluster's (`queue`) or the analyses' (`job-queue`), without dashes. */
type FlagOf = (key: JobKeyName) => string;

/**
 * The hints of a CLI whose job flags `flagOf` spells: another tool's flag that one of them stands
 * for (`{flag}? words`), sbatch's options without a flag as `--job-extra` directives, and `also`'s
 * own (or undefined); the SPELT names in `skip` are left to the nearest spelling.
 */
function meantWith(flagOf: FlagOf, skip: readonly string[] = [], also: MeantFlags = () => undefined): MeantFlags {
  return (name, value) => {
    if (Object.hasOwn(SPELT, name) && !skip.includes(name)) {
      const { key, words } = SPELT[name]!;
      const flag = `--${flagOf(key)}`;
      return `${flag}? ${words.replaceAll('{flag}', flag)}`;
    }
    const own = also(name, value);
    if (own !== undefined || !Object.hasOwn(DIRECTIVES, name)) return own;
    const extra = `--${flagOf('job_extra')}`;
    // A switch takes no value: the word after it is the next argument, not its value.
    const directive = DIRECTIVES[name] ? `--${name}` : `--${name}=${value ?? '…'}`;
    return `${extra} "${directive}"? sbatch's options without a flag here go into the job script as directive lines, one ${extra} each (PBS's as ${extra} "-l …")`;
  };
}

/**
 * What gluon-cluster has for another tool's flag `--name` typed with `value`, for `did you mean …`
 * (`--queue? Slurm's --partition is --queue here`), or undefined for a flag it does not know.
 */
export const clusterMeant: MeantFlags = meantWith((k) => JOB_KEYS[k].flag);

/** gluon-cluster's flag of each job key whose analyses' flag differs (`queue` → job_queue). */
const CLUSTER_SPELT: ReadonlyMap<string, JobKeyName> = new Map(JOB_KEY_NAMES.filter((k) => JOB_KEYS[k].flag !== runFlagOf(k)).map((k) => [JOB_KEYS[k].flag, k]));

/**
 * The same for an analysis CLI's batch flags (`gluon-h4l run`, `gluon-finalstates`): sbatch's and
 * dask-jobqueue's flags as their `--job-*` flags (`--partition` → `--job-queue`, `--qos high` →
 * `--job-extra "--qos=high"`), and gluon-cluster's (`--queue` → `--job-queue`), which a user
 * moving from gluon-cluster types. `--workers` and its like are left to the nearest spelling,
 * `--n-workers`: an analysis runs its workers on this machine unless `--cluster` is given.
 * Without these, `--qos high` was "did you mean --jobs?" and `--partition`, `--queue` had no hint.
 */
export const runMeant: MeantFlags = meantWith(runFlagOf, ['workers', 'nworkers', 'n-workers'], (name) => {
  const key = CLUSTER_SPELT.get(name);
  if (key === undefined) return undefined;
  const flag = `--${runFlagOf(key)}`;
  return `${flag}? gluon-cluster's --${name} is ${flag} here (config key ${key})`;
});
