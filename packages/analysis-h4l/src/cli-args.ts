/**
 * Command-line flags of every gluon-h4l subcommand: one parser (usage errors are ConfigErrors,
 * exit 2, naming the flag once), and `run`'s flags as a table of config keys, so a new run flag
 * is one entry here and one key in config.ts.
 */
import { parseArgs } from 'node:util';
import { parseArgsMessage, type MeantFlags } from '@gluon/protocol/tools';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { BATCH_RUN_DASH_VALUES, BATCH_RUN_FLAGS, batchFlagValue, batchFlagsUnused, printJobScriptProblem, runMeant } from '@gluon/deploy';
import { SCHEDULER_TLS_FLAGS } from '@gluon/client/scheduler-tls';
import { joinNegativeValues, settingsAsGiven, typedFlag, withHelpPointer, withHint, withMeantFlag, withPathFlag } from './argv.js';
import { loadConfigFile, mergeConfig, validateConfig, ConfigError, type H4lConfig } from './config.js';

type FlagType = 'string' | 'boolean';

/**
 * Parses `argv` of `gluon-h4l <cmd>` with node's parseArgs (strict, no positionals). `--help`/`-h`
 * is always known. A usage error throws a ConfigError (exit 2) that names the flag; `meant` as
 * {@link withMeantFlag} takes it (`{ out: '--dest' }`); `otherTools`, what stands here for other
 * tools' flags (@gluon/deploy's runMeant: sbatch's `--partition` is `--job-queue`).
 */
export function parseFlags(cmd: string, argv: string[], options: Record<string, { type: FlagType; multiple?: boolean }>,
                           meant: Record<string, string> = {}, dashValues: readonly string[] = [], otherTools?: MeantFlags): Record<string, string | boolean | undefined> {
  try {
    // A `multiple` flag's value is an array: only `run`'s repeatable batch flags, which it reads as such.
    return parseArgs({ args: joinNegativeValues(argv, options, dashValues), options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false }).values;
  } catch (e) {
    // Without parseArgs' advice about '--' (it does not apply here); with the likely spelling:
    // the nearest flag, or what `meant` says a flag of another command stands for here.
    const msg = withMeantFlag(parseArgsMessage(e, Object.keys(options), { argv, options }, otherTools && { words: otherTools, argv }), cmd, meant);
    throw new ConfigError(withHelpPointer(cmd === 'run' ? withPathFlag(msg, '--data-dir') : msg, `gluon-h4l ${cmd}`));
  }
}

/** One `run` flag: the config key it sets, how its text is parsed, and its help line; `batch`: @gluon/deploy's (batchFlagValue parses it). */
interface RunFlag { key: keyof H4lConfig; type: FlagType; parse?: (s: string) => unknown; arg?: string; help: string; multiple?: true; batch?: true }

/** Run flags → config keys. Add a flag here (and its key in config.ts and config.yaml). */
export const RUN_FLAGS: Record<string, RunFlag> = {
  'data-dir': { key: 'data_dir', type: 'string', arg: 'DIR|URL', help: 'the dataset (Data/…, MC/…), a directory or http(s) base URL' },
  selection: { key: 'selection', type: 'string', arg: 'NAME', help: 'notebook, notebook-pt or framework' },
  'n-workers': { key: 'n_workers', type: 'string', parse: Number, arg: 'N', help: 'LocalCluster workers; 0 runs in-process (the serial reference)' },
  scheduler: { key: 'scheduler', type: 'string', arg: 'ws://HOST:PORT', help: 'use an existing scheduler and its workers' },
  ...Object.fromEntries(Object.entries(SCHEDULER_TLS_FLAGS).map(([f, s]): [string, RunFlag] => [f, { key: s.key, type: 'string', arg: s.arg, help: s.help }])),
  'chunk-size': { key: 'chunk_size', type: 'string', parse: Number, arg: 'N', help: 'events per chunk' },
  out: { key: 'out', type: 'string', arg: 'DIR', help: 'output directory (default outputs/<run-name>_<YYYYMMDD_HHMMSS>, UTC)' },
  'max-files': { key: 'max_files', type: 'string', parse: Number, arg: 'N', help: 'use only the first N files' },
  'run-name': { key: 'run_name', type: 'string', arg: 'NAME', help: 'name of the default output directory' },
  lumi: { key: 'lumi_fb', type: 'string', parse: Number, arg: 'FB', help: 'luminosity the MC is normalised to, fb⁻¹ (default: the selection\'s)' },
  'skip-bad-files': { key: 'skip_bad_files', type: 'boolean', help: 'skip unreadable files (each contributes nothing) instead of stopping' },
  'worker-timeout': { key: 'worker_timeout_s', type: 'string', parse: Number, arg: 'S', help: 'give up when no worker took a task after S seconds' },
  linger: { key: 'linger', type: 'boolean', help: 'keep the cluster and dashboard up after the run until Ctrl-C' },
  'performance-report': { key: 'performance_report', type: 'string', arg: 'FILE', help: 'write a self-contained HTML report of the run\'s dashboard (task stream, progress, memory, workers) to FILE' },
  'no-dashboard': { key: 'dashboard', type: 'boolean', parse: () => false, help: 'start no dashboard' },
  ...Object.fromEntries(Object.entries(BATCH_RUN_FLAGS).map(([f, s]): [string, RunFlag] => [f, {
    key: s.key, type: s.type === 'off' ? 'boolean' : 'string', help: s.help, batch: true, ...(s.arg ? { arg: s.arg } : {}), ...(s.type === 'list' ? { multiple: true } : {}),
  }])),
};

/** `gluon-h4l run --help`. */
export function runHelp(): string {
  const rows: [string, string][] = [
    ['--config FILE', 'read this config file instead of ./config.yaml'],
    ['--no-config', 'read no config file'],
    ['--dry-run', 'list files, entries and chunks; run nothing (exit 1 if a file is bad)'],
    ['--print-job-script', 'needs --cluster slurm|pbs: print the job script --jobs N would submit (Slurm, N > 1: the array job); submit nothing, run nothing'],
    ...Object.entries(RUN_FLAGS).map(([f, s]): [string, string] => [`--${f}${s.arg ? ` ${s.arg}` : ''}`, `${s.help} (${s.key})`]),
    ['-h, --help', 'this help'],
  ];
  const w = Math.max(...rows.map(([a]) => a.length));
  return ['usage: gluon-h4l run [options]', '',
    'Settings come from the defaults, then ./config.yaml in the working directory when it exists',
    '(or --config FILE; --no-config for none), then these flags. Each flag sets the config key in',
    'parentheses; config.yaml documents every key.', '',
    ...rows.map(([a, b]) => `  ${a.padEnd(w)}  ${b}`)].join('\n');
}

export interface RunArgs {
  config: H4lConfig;
  dryRun: boolean;
  /** --print-job-script: print the batch job script and run nothing. */
  printJobScript: boolean;
  help: boolean;
  /** The config file read (absolute), or null. */
  configFile: string | null;
  /** How a message names a setting: as the user gave it (see {@link settingNames}). */
  names: SettingNames;
}

/** The name of a setting for a message (`--out`, `/x/config.yaml: out`), or undefined for a default. */
export type SettingNames = (key: keyof H4lConfig) => string | undefined;

/**
 * How a message names a setting, as the user gave it: the flag when a flag set it (`--out`), the
 * key and its config file when the file did (`/x/config.yaml: out`, as a bad value in it is
 * named), undefined when neither did (the default). `gluon-h4l run --out /etc/passwd` said `out
 * /etc/passwd is a file`, naming a config key the user never typed.
 */
export function settingNames(byFlag: Partial<Record<keyof H4lConfig, string>>, inFile: Partial<H4lConfig>, configFile: string | null): SettingNames {
  return (key) => {
    const flag = byFlag[key];
    if (flag !== undefined) return `--${flag}`;
    return configFile !== null && Object.hasOwn(inFile, key) ? `${configFile}: ${key}` : undefined;
  };
}

/**
 * Output-directory flags of other tools, and gluon-finalstates' (--run-dir, --base-output-dir),
 * given to `run`: each names --out here. A physicist moving between the two analyses typed
 * `--output-dir` and got only `Unknown option` (nearest() finds no flag within reach of `out`).
 */
export const RUN_OUT_MEANT: Record<string, string> = Object.fromEntries(
  ['output-dir', 'output', 'outdir', 'out-dir', 'run-dir', 'base-output-dir'].map((f) => [f, '--out']));

/**
 * gluon-finalstates' --plots-only, given to `run`: here redrawing a run's plots is a command of
 * its own. It said only `Unknown option '--plots-only'`.
 */
const RUN_MEANT: Record<string, string> = { ...RUN_OUT_MEANT, 'plots-only': 'gluon-h4l plot --run-dir DIR' };

/**
 * `msg`, a refusal of ./config.yaml, which `run` reads unasked, with the way out: a config.yaml
 * left in the working directory (another tool's, an old one) stopped every run, and its error
 * named the file but not --no-config.
 */
function withNoConfigHint(msg: string): string {
  return withHint(msg, '(read because it is in the working directory: --no-config reads none, --config FILE another)');
}

/** Parses `run` arguments into the merged, validated configuration (`cwd`: where ./config.yaml is looked for). */
export async function configFromArgs(argv: string[], cwd = process.cwd()): Promise<RunArgs> {
  const options: Record<string, { type: FlagType; multiple?: boolean }> = { config: { type: 'string' }, 'no-config': { type: 'boolean' }, 'dry-run': { type: 'boolean' }, 'print-job-script': { type: 'boolean' } };
  for (const [k, v] of Object.entries(RUN_FLAGS)) options[k] = { type: v.type, ...(v.multiple ? { multiple: true } : {}) };
  // sbatch's and gluon-cluster's flags for the batch run's own (`--qos high`: `--job-extra "--qos=high"`), as gluon-cluster answers them.
  const values = parseFlags('run', argv, options, RUN_MEANT, BATCH_RUN_DASH_VALUES, runMeant) as Record<string, string | boolean | string[] | undefined>;
  if (values.help) return { config: mergeConfig({}, {}), dryRun: false, printJobScript: false, help: true, configFile: null, names: () => undefined };
  if (values.config !== undefined && values['no-config']) throw new ConfigError('--config and --no-config exclude each other');
  if (values['dry-run'] && values['print-job-script']) throw new ConfigError('--dry-run and --print-job-script cannot be combined');
  const local = path.resolve(cwd, 'config.yaml');
  const configFile = typeof values.config === 'string' ? path.resolve(cwd, values.config)
    : !values['no-config'] && existsSync(local) ? local : null;
  // ./config.yaml read unasked: its refusals (not read, not valid, settings in conflict) say how to do without it.
  const unasked = configFile !== null && values.config === undefined;
  const refused = (e: unknown): unknown => (unasked && e instanceof ConfigError && e.message.includes(configFile!) ? new ConfigError(withNoConfigHint(e.message)) : e);
  const yaml = configFile ? await loadConfigFile(configFile).catch((e: unknown) => { throw refused(e); }) : {};
  const flags: Record<string, unknown> = {};
  const byFlag: Partial<Record<keyof H4lConfig, string>> = {};
  const typed: Record<string, string> = {};
  const batchGiven: Record<string, string | boolean | string[]> = {};
  for (const [flag, spec] of Object.entries(RUN_FLAGS)) {
    const v = values[flag];
    if (v === undefined) continue;
    if (spec.batch) {
      // The job keys' own checks and words, as gluon-cluster's (@gluon/deploy's job-keys.ts).
      try { flags[spec.key] = batchFlagValue(flag, v); } catch (e) { throw new ConfigError((e as Error).message); }
      byFlag[spec.key] = flag;
      typed[spec.key] = Array.isArray(v) ? v.map((x) => typedFlag(flag, x)).join(' ') : typedFlag(flag, v);
      batchGiven[flag] = v;
      continue;
    }
    if (Array.isArray(v)) continue;
    const parsed = spec.parse ? (typeof v === 'string' && v.trim() === '' ? NaN : spec.parse(String(v))) : v;
    try { validateConfig({ [spec.key]: parsed }, `--${flag}`); } catch (e) {
      throw new ConfigError((e as Error).message.replace(`--${flag}: ${spec.key}`, `--${flag}`).replace(/, got .*$/, `, got ${JSON.stringify(v)}`));
    }
    flags[spec.key] = parsed;
    byFlag[spec.key] = flag;
    typed[spec.key] = typedFlag(flag, v);
  }
  const flagOf = Object.fromEntries(Object.entries(RUN_FLAGS).map(([f, spec]) => [spec.key, f]));
  let config: H4lConfig;
  try {
    config = mergeConfig(yaml, flags, settingsAsGiven(typed, flagOf, yaml, configFile));
  } catch (e) {
    throw refused(e);
  }
  const unused = batchFlagsUnused(batchGiven, config.cluster);
  if (unused) throw new ConfigError(unused);
  const noScript = values['print-job-script'] ? printJobScriptProblem(config.cluster) : undefined;
  if (noScript) throw new ConfigError(noScript);
  return { config, dryRun: values['dry-run'] === true, printJobScript: values['print-job-script'] === true, help: false, configFile, names: settingNames(byFlag, yaml, configFile) };
}
