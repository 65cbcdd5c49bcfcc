/**
 * The batch-job settings, one table for every CLI that submits workers as jobs: gluon-cluster's
 * flags (`--log-directory`), and the analysis CLIs' flags (`--job-log-directory`) and config.yaml
 * keys (`job_log_directory`). Each key's check, help text, and the launchers that take it are
 * here once: defined twice before, the analyses lacked --job-extra, a log directory and a
 * prologue, and checked --job-memory differently from --memory.
 */
import { parseBytes, parseDuration, sizeNote } from '@gluon/protocol/tools';
import { checkOneWord, checkWalltime, ONE_LINE } from './job-cluster.js';

/** What starts the workers: gluon-cluster takes all three, the analyses' `cluster` key the first two. */
export type Launcher = 'slurm' | 'pbs' | 'ssh';

/** The values of the job keys, as config.yaml holds them (and the flags give them). */
export interface JobKeyValues {
  jobs: number;
  job_cores: number;
  job_memory: string | null;
  job_walltime: string | null;
  /** A duration, or `none`. */
  job_lifetime: string | null;
  job_lifetime_stagger: string | null;
  /** A duration, or `none`. */
  job_death_timeout: string;
  job_queue: string | null;
  job_account: string | null;
  /** null: the CLI's own (gluon-cluster: gluon-worker; an analysis: its name and run name). */
  job_name: string | null;
  job_extra: string[];
  job_prologue: string[];
  job_log_directory: string | null;
  job_resource_spec: string | null;
  /** A duration, or `never`. */
  job_pending_notice: string;
  max_failed_jobs: number;
  job_arrays: boolean;
}

/** One job key. `T`: its value's type. */
export interface JobKey<T> {
  /** gluon-cluster's flag (without dashes). */
  flag: string;
  /** The analyses' flag, when it is not the config key with dashes (`job_cores` → `--job-cores`). */
  runFlag?: string;
  /** The launchers' option it sets (JobClusterOptions, PBSClusterOptions); none for `jobs`. */
  option?: string;
  /** int: a whole number; text: one string; list: repeatable, each a line; off: a switch that turns the key off. */
  type: 'int' | 'text' | 'list' | 'off';
  /** Placeholder of its value in --help. */
  arg?: string;
  help: string;
  /** Why `v` is not a value of it (`must be an integer from 1 to 1024`), or undefined. */
  check: (v: unknown) => string | undefined;
  /** A list's check of one entry (a flag gives one a time). */
  item?: (v: unknown) => string | undefined;
  /** What a bad value came to, after `got "…"` (a size's bytes). */
  note?: (v: unknown) => string;
  /** The launchers that take it; given to another, it is refused. */
  launchers: readonly Launcher[];
  /** How a refusal for a launcher not in `launchers` goes on after the key's name. */
  notFor?: Partial<Record<Launcher, string>>;
  /** gluon-cluster's default, as typed. */
  default?: string;
  /**
   * gluon-cluster's --help line, where it differs from `help` (the analyses' words): a default that
   * depends on the launcher, which one `default` cannot say. The key's value then is
   * `clusterDefault` when not given (ssh: see withSshJobs).
   */
  clusterHelp?: string;
  /** gluon-cluster's default where `clusterHelp` states it (no `default`: --help would state it again). */
  clusterDefault?: T;
  /** The analyses' default. */
  runDefault: T;
  /** The option's value from the key's (the default is left out by its caller). */
  toOption?: (v: T) => unknown;
}

type Check = (v: unknown) => string | undefined;
const orNull = (c: Check): Check => (v) => (v === null ? undefined : c(v));
export const intIn = (lo: number, hi: number): Check => (v) => (Number.isInteger(v) && (v as number) >= lo && (v as number) <= hi ? undefined : `must be an integer from ${lo} to ${hi}`);
/** A launcher's own check, its message without the name and the value (the caller names both). */
const by = (check: (v: string) => void): Check => (v) => {
  if (typeof v !== 'string') return 'must be a string';
  try { check(v); return undefined; } catch (e) { return (e as Error).message.replace(/^\S+ /, '').replace(/, got [\s\S]*$/, ''); }
};
/** One line of a job script: a newline would start another directive or command unseen. */
export const line: Check = (v) => (typeof v === 'string' && ONE_LINE.test(v) ? undefined : 'must be one line of text, not empty');
/**
 * A list key's check. A config file's one line of text is taken as a one-item list before it
 * (jobKeyFromConfig); text it still sees (several lines, or none) is told how a list is written.
 */
export const listOf = (item: Check, what: string, example: string): Check => (v) => {
  if (typeof v === 'string') return `must be a list of ${what}, one entry each (a YAML list: ${example}, or one "- …" line each)`;
  if (!Array.isArray(v)) return `must be a list of ${what}`;
  for (const x of v) { const why = item(x); if (why) return `must be a list of ${what}, each of which ${why}`; }
  return undefined;
};
const MIN_MEMORY = 16 * 1024 ** 2, MAX_MEMORY = 1024 ** 5;
/** A worker's duration (gluon-worker --lifetime: at least 1s), or the word `off` turning it off. */
const durationOr = (off?: string): Check => by((v) => {
  if (off !== undefined && v === off) return;
  const ms = parseDuration('x', v);
  if (ms < 1000) throw new RangeError('x must be at least 1s');
});
const NOT_OVER_SSH = 'is a batch-system option; it means nothing over ssh';
const BATCH: readonly Launcher[] = ['slurm', 'pbs'];
const ALL: readonly Launcher[] = ['slurm', 'pbs', 'ssh'];

/**
 * Every job key: gluon-cluster's flags, the analyses' flags and config keys, their checks and
 * --help lines are made from it (job-key-flags.ts; the analyses' cli-args.ts and config.ts).
 */
export const JOB_KEYS: { [K in keyof JobKeyValues]: JobKey<JobKeyValues[K]> } = {
  jobs: {
    flag: 'jobs', type: 'int', arg: 'N', help: 'jobs to submit, one worker each (ssh: one on each worker host when left out)', check: intIn(0, 10_000), launchers: ALL, runDefault: 2,
    // No `default`: --help added "(default 1)" to the ssh words above, two defaults for one flag.
    clusterHelp: 'jobs to submit, one worker each (default: 1 for slurm and pbs; ssh: one on each worker host)', clusterDefault: 1,
  },
  job_cores: { flag: 'cores', option: 'cores', type: 'int', arg: 'N', help: 'cores per job (the worker\'s threads)', check: intIn(1, 1024), launchers: ALL, default: '1', runDefault: 1 },
  job_memory: {
    flag: 'memory', option: 'memory', type: 'text', arg: 'SIZE', help: 'memory per job, e.g. 8GiB (also the worker\'s --memory-limit)', launchers: ALL, runDefault: null,
    check: orNull(by((v) => { const n = parseBytes('x', v); if (!(n >= MIN_MEMORY && n <= MAX_MEMORY)) throw new RangeError('x must be from 16MiB to 1024TiB'); })),
    note: (v) => { try { return typeof v === 'string' ? sizeNote(v, parseBytes('x', v)) : ''; } catch { return ''; } },
  },
  job_walltime: { flag: 'walltime', option: 'walltime', type: 'text', arg: 'HH:MM:SS', help: 'wall-clock limit per job', check: orNull(by((v) => checkWalltime(v, 'x'))), launchers: BATCH, notFor: { ssh: NOT_OVER_SSH }, runDefault: null },
  job_lifetime: {
    flag: 'lifetime', option: 'lifetime', type: 'text', arg: 'DURATION', launchers: ALL, runDefault: null, check: orNull(durationOr('none')), toOption: (v) => (v === 'none' ? false : v),
    help: 'each worker retires after this long (gluon-worker --lifetime), its results copied to other workers; "none" for no lifetime. Default with a walltime: a margin below it (55m ± 2.5m for 01:00:00)',
  },
  job_lifetime_stagger: { flag: 'lifetime-stagger', option: 'lifetimeStagger', type: 'text', arg: 'DURATION', launchers: ALL, runDefault: null, check: orNull(durationOr()), help: 'vary each worker\'s lifetime at random by up to this much either way (default with a walltime: half the margin)' },
  job_death_timeout: {
    flag: 'death-timeout', option: 'deathTimeout', type: 'text', arg: 'DURATION', launchers: ALL, default: '60s', runDefault: '60s', check: durationOr('none'), toOption: (v) => (v === 'none' ? false : v),
    help: 'a worker with no scheduler connected this long (at its start, or after losing it) exits, ending its job (gluon-worker --death-timeout); "none" to wait for ever',
  },
  job_queue: { flag: 'queue', option: 'queue', type: 'text', arg: 'NAME', help: 'queue (Slurm: partition)', check: orNull(by((v) => checkOneWord(v, 'x', 'a queue or Slurm partition; several: a,b'))), launchers: BATCH, notFor: { ssh: NOT_OVER_SSH }, runDefault: null },
  job_account: { flag: 'account', option: 'account', type: 'text', arg: 'NAME', help: 'account/project to charge', check: orNull(by((v) => checkOneWord(v, 'x', 'a batch account or project'))), launchers: BATCH, notFor: { ssh: NOT_OVER_SSH }, runDefault: null },
  job_name: {
    flag: 'job-name', option: 'jobName', type: 'text', arg: 'NAME', help: 'job name; workers are named NAME-<job id>', launchers: ALL, default: 'gluon-worker', runDefault: null,
    check: orNull((v) => (typeof v === 'string' && /^[\w.-]{1,64}$/.test(v) ? undefined : 'may hold letters, digits, _ . - (1-64)')),
  },
  job_extra: { flag: 'job-extra', option: 'jobExtra', type: 'list', arg: 'DIRECTIVE', help: 'one more directive line (e.g. "--qos=high", "-l place=scatter")', check: listOf(line, 'directive lines', '[--exclusive, --qos=high]'), item: line, launchers: BATCH, notFor: { ssh: NOT_OVER_SSH }, runDefault: [] },
  job_prologue: { flag: 'prologue', option: 'prologue', type: 'list', arg: 'LINE', help: 'a shell line the job runs before the worker (e.g. "module load nodejs")', check: listOf(line, 'shell lines', '["module load nodejs", "source env.sh"]'), item: line, launchers: ALL, runDefault: [] },
  job_log_directory: { flag: 'log-directory', option: 'logDirectory', type: 'text', arg: 'DIR', help: 'where jobs write their output (created if missing)', check: orNull(line), launchers: BATCH, notFor: { ssh: NOT_OVER_SSH }, runDefault: null },
  job_resource_spec: {
    flag: 'resource-spec', option: 'resourceSpec', type: 'text', arg: 'SPEC', help: 'PBS only: the -l resource request (default select=1:ncpus=N:mem=Mmb)', launchers: ['pbs'], runDefault: null,
    check: orNull(by((v) => checkOneWord(v, 'x', 'a PBS -l request like select=1:ncpus=4'))),
    notFor: { slurm: 'is for pbs only; give Slurm resource requests with --job-extra (e.g. --job-extra "--gres=gpu:1")', ssh: NOT_OVER_SSH },
  },
  job_pending_notice: {
    flag: 'pending-notice', option: 'pendingNoticeMs', type: 'text', arg: 'DURATION', launchers: BATCH, default: '30s', runDefault: '30s',
    help: 'batch jobs pending this long are said pending, with the batch system\'s reason (never: not said)',
    // Its message as the flag's always was: the range, then the word that turns it off.
    check: (v) => { const why = by((t) => { if (t === 'never') return; const ms = parseDuration('x', t); if (!(ms >= 0 && ms <= 7 * 24 * 3600_000)) throw new RangeError('x must be from 0ms to 168h'); })(v); return why && why !== 'must be a string' ? `${why}, or never` : why; },
    toOption: (v) => (v === 'never' ? Infinity : parseDuration('x', v)),
    notFor: { ssh: 'is a batch-system option; an ssh cluster starts its workers at once' },
  },
  max_failed_jobs: {
    flag: 'max-failed-jobs', option: 'maxFailedJobs', type: 'int', arg: 'N', launchers: ALL, default: '5', runDefault: 5, check: intIn(1, 10_000),
    help: 'jobs in a row that may end before their worker joins (each is logged with its output file; one cancelled, by scancel, qdel or the batch system, does not count) before submitting stops and the cluster fails',
  },
  job_arrays: {
    flag: 'no-job-arrays', runFlag: 'no-job-arrays', option: 'jobArrays', type: 'off', help: 'Slurm: one sbatch per worker, not one job array for several', launchers: ['slurm'], runDefault: true,
    check: (v) => (typeof v === 'boolean' ? undefined : 'must be true or false'),
    notFor: { pbs: 'is for slurm only; PBS gets one qsub per worker already', ssh: 'is for slurm only; ssh starts one session per worker' },
  },
};

export type JobKeyName = keyof JobKeyValues;
export const JOB_KEY_NAMES = Object.keys(JOB_KEYS) as JobKeyName[];
const entry = (k: JobKeyName): JobKey<unknown> => JOB_KEYS[k] as JobKey<unknown>;

/** The analyses' flag of a key (`job_log_directory` → `job-log-directory`). */
export function runFlagOf(k: JobKeyName): string {
  return entry(k).runFlag ?? k.replaceAll('_', '-');
}

/** Whether `k` is a job key (own keys only). */
export function isJobKey(k: string): k is JobKeyName {
  return Object.hasOwn(JOB_KEYS, k);
}

/**
 * Key `k`'s value as a config file gives it: a list key's one line of text is a one-item list
 * (`job_extra: --exclusive` is one directive, as `--job-extra=--exclusive` is; it was refused as
 * not a list); anything else as given, for its check to judge.
 */
export function jobKeyFromConfig(k: JobKeyName, v: unknown): unknown {
  return JOB_KEYS[k].type === 'list' && typeof v === 'string' && line(v) === undefined ? [v] : v;
}

/**
 * What is wrong with `value` for key `k`, said naming it `name` (`--job-memory`, `--memory`,
 * `/x/config.yaml: job_memory`): `--memory must be from 16MiB to 1024TiB, got "1MiB"`; undefined
 * when it is good. `shown`: the value as the user gave it (a flag's text; default the value).
 */
export function jobKeyProblem(k: JobKeyName, value: unknown, name: string, shown: unknown = value): string | undefined {
  const e = entry(k);
  const why = e.check(value);
  return why === undefined ? undefined : `${name} ${why}, got ${JSON.stringify(shown)}${e.note?.(shown) ?? ''}`;
}

/**
 * A flag's text as key `k`'s value (an int's number; one entry of a list key: `--job-extra` gives
 * one line a time), checked: throws a RangeError naming `name` and the text as typed.
 */
export function jobKeyFromText(k: JobKeyName, text: string, name: string): unknown {
  const e = entry(k);
  // An int's empty text is NaN, for its check to refuse.
  const value = e.type === 'int' ? (text.trim() === '' ? NaN : Number(text)) : text;
  const why = (e.item ?? e.check)(value);
  if (why !== undefined) throw new RangeError(`${name} ${why}, got ${JSON.stringify(text)}${e.note?.(text) ?? ''}`);
  return value;
}

/** The launchers' options from the key values (only the keys `launcher` takes; a null or empty value is left out). */
export function jobClusterOptionsOf(v: Partial<JobKeyValues>, launcher: Launcher): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const k of JOB_KEY_NAMES) {
    const e = entry(k), x = v[k];
    if (!e.option || !e.launchers.includes(launcher) || x === undefined || x === null || (Array.isArray(x) && x.length === 0)) continue;
    o[e.option] = e.toOption ? e.toOption(x) : x;
  }
  return o;
}

/** The key that sets launcher option `option` (`logDirectory` → `job_log_directory`), or undefined. */
export function jobKeyOfOption(option: string): JobKeyName | undefined {
  return JOB_KEY_NAMES.find((k) => entry(k).option === option);
}

/** The keys set to other than their default (the analyses' defaults) that `launcher` does not take. */
export function keysNotFor(v: Partial<JobKeyValues>, launcher: Launcher, isSet: (k: JobKeyName) => boolean = (k) => !sameValue(v[k], entry(k).runDefault)): JobKeyName[] {
  return JOB_KEY_NAMES.filter((k) => v[k] !== undefined && !entry(k).launchers.includes(launcher) && isSet(k));
}

/** How a refusal of key `k` for `launcher` reads after its name (`is for pbs only, not slurm`). */
export function notForLauncher(k: JobKeyName, launcher: Launcher): string {
  const e = entry(k);
  return e.notFor?.[launcher] ?? `is for ${e.launchers.join(' and ')} only, not ${launcher}`;
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
