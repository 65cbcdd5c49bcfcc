/**
 * The run configuration: config.yaml keys, CLI flags that override them, and validation that
 * rejects a bad key or value before anything runs, naming the key.
 */
import { unknownKey } from '@gluon/protocol/tools';
import { readConfigYaml } from './config-file.js';
import { ConfigError } from './config-error.js';
import { BATCH_RUN_CHECKS, BATCH_RUN_DEFAULTS, batchKeyFromConfig, batchKeyProblem, batchRunConflict, batchRunProblem, withSshJobs, type BatchRunConfig } from '@gluon/deploy';
import { CONFIG_KEY_NAMES, SCHEDULER_TLS_CHECKS, SCHEDULER_TLS_DEFAULTS, schedulerTlsConflict, type SchedulerTlsConfig, type SettingsAsGiven } from '@gluon/client/scheduler-tls';
import { SELECTIONS, type SelectionName } from './selections.js';

/**
 * The batch keys (cluster, jobs, job_*) are @gluon/deploy's, and the TLS keys of a `wss://`
 * scheduler (tls_ca, tls_cert, tls_key) @gluon/client's, shared with every analysis CLI.
 */
export interface H4lConfig extends BatchRunConfig, SchedulerTlsConfig {
  run_name: string;
  data_dir: string | null;
  selection: SelectionName;
  n_workers: number;
  scheduler: string | null;
  chunk_size: number;
  out: string | null;
  max_files: number | null;
  /** null: the selection's reference luminosity (notebook 10, framework 10.064 fb⁻¹). */
  lumi_fb: number | null;
  skip_bad_files: boolean;
  corrected_d0: boolean;
  entry_cache: string | null;
  fan_in: number;
  dashboard: boolean;
  /** Cluster runs: give up when no worker has taken a task after this many seconds; null waits. */
  worker_timeout_s: number | null;
  /** Keep the LocalCluster and its dashboard up after the run until Ctrl-C. */
  linger: boolean;
  /** Write a performance report of the run (one HTML file, client.performanceReport) here; null: none. */
  performance_report: string | null;
}

export const DEFAULT_CONFIG: H4lConfig = {
  run_name: 'h4l', data_dir: null, selection: 'notebook', n_workers: 2, scheduler: null, chunk_size: 100_000,
  out: null, max_files: null, lumi_fb: null, skip_bad_files: false, corrected_d0: false,
  entry_cache: '.cache/h4l-entries.json', fan_in: 8, dashboard: true, worker_timeout_s: 120, linger: false, performance_report: null,
  ...BATCH_RUN_DEFAULTS, ...SCHEDULER_TLS_DEFAULTS,
};

export { ConfigError };

type Check = (v: unknown) => string | undefined;
const int = (min: number): Check => (v) => (Number.isInteger(v) && (v as number) >= min ? undefined : `must be an integer ≥ ${min}`);
const str: Check = (v) => (typeof v === 'string' && v !== '' ? undefined : 'must be a non-empty string');
const orNull = (c: Check): Check => (v) => (v === null ? undefined : c(v));
const bool: Check = (v) => (typeof v === 'boolean' ? undefined : 'must be true or false');

const CHECKS: Record<keyof H4lConfig, Check> = {
  run_name: (v) => (typeof v === 'string' && /^[A-Za-z0-9._-]+$/.test(v) ? undefined : 'must be letters, digits, ".", "_" or "-"'),
  data_dir: orNull(str),
  selection: (v) => (SELECTIONS.includes(v as SelectionName) ? undefined : `must be one of ${SELECTIONS.join(', ')}`),
  n_workers: int(0),
  scheduler: orNull((v) => (typeof v === 'string' && /^wss?:\/\/[^/\s]+/.test(v) ? undefined : 'must look like ws://host:8786')),
  chunk_size: int(1),
  out: orNull(str),
  max_files: orNull(int(1)),
  lumi_fb: orNull((v) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? undefined : 'must be a positive number')),
  skip_bad_files: bool,
  corrected_d0: bool,
  entry_cache: orNull(str),
  fan_in: int(2),
  dashboard: bool,
  worker_timeout_s: orNull((v) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? undefined : 'must be a positive number of seconds')),
  linger: bool,
  performance_report: orNull(str),
  ...BATCH_RUN_CHECKS, ...SCHEDULER_TLS_CHECKS,
};

/** Checks every key and value of a partial config; throws a ConfigError naming the first bad one. */
export function validateConfig(raw: unknown, source: string): Partial<H4lConfig> {
  if (raw === null || raw === undefined) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(`${source}: the configuration must be a mapping of keys to values`);
  const config: Record<string, unknown> = { ...raw };
  for (const [k, given] of Object.entries(raw)) {
    if (!(k in CHECKS)) throw new ConfigError(`${source}: ${unknownKey(k, Object.keys(CHECKS))}`);
    if (Object.hasOwn(BATCH_RUN_CHECKS, k)) {
      // As gluon-cluster words it (with what a size came to): @gluon/deploy's job keys; a list
      // key's one line of text is a one-item list (job_extra: --exclusive).
      const v = config[k] = batchKeyFromConfig(k as keyof BatchRunConfig, given);
      const problem = batchKeyProblem(k as keyof BatchRunConfig, v, `${source}: ${k}`);
      if (problem) throw new ConfigError(problem);
      continue;
    }
    const why = CHECKS[k as keyof H4lConfig](given);
    if (why) throw new ConfigError(`${source}: ${k} ${why}, got ${JSON.stringify(given)}`);
  }
  return config as Partial<H4lConfig>;
}

/** Reads and validates a YAML config file; errors name it by its absolute path (readConfigYaml). */
export async function loadConfigFile(file: string): Promise<Partial<H4lConfig>> {
  const read = await readConfigYaml(file, ConfigError);
  return validateConfig(read.doc, read.file);
}

/**
 * Defaults ← YAML ← flags, then the checks that involve two keys, each named as `names` says
 * (the flag typed, or the config file and key: settingsAsGiven).
 */
export function mergeConfig(yaml: Partial<H4lConfig>, flags: Partial<H4lConfig>, names: SettingsAsGiven = CONFIG_KEY_NAMES): H4lConfig {
  // Over ssh, jobs not given is one worker on every worker host the hosts list.
  const c = withSshJobs({ ...DEFAULT_CONFIG, ...yaml, ...flags }, Object.hasOwn(yaml, 'jobs') || Object.hasOwn(flags, 'jobs'));
  const say = <K extends keyof H4lConfig>(k: K) => names.given(k, c[k]);
  if (c.corrected_d0 && c.selection !== 'framework') throw new ConfigError(`${say('corrected_d0')} applies to selection framework only, not ${say('selection')}`);
  const conflict = batchRunConflict(c, names) ?? batchRunProblem(c, names);
  if (conflict) throw new ConfigError(conflict);
  const tlsConflict = schedulerTlsConflict(c, names);
  if (tlsConflict) throw new ConfigError(tlsConflict);
  if (c.linger && !c.scheduler && c.n_workers === 0) throw new ConfigError(`${say('linger')} keeps a cluster and its dashboard up, and an in-process run (${say('n_workers')}) has none`);
  if (c.performance_report !== null && !c.scheduler && !c.cluster && c.n_workers === 0) throw new ConfigError(`${say('performance_report')} records a cluster's dashboard, and an in-process run (${say('n_workers')}) has none`);
  if (c.performance_report !== null && !c.dashboard) throw new ConfigError(`${say('performance_report')} records the dashboard's feed: it cannot be combined with ${say('dashboard')}`);
  return c;
}
