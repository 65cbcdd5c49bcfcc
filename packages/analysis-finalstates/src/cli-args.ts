/** Parsing `gluon-finalstates` arguments into a validated configuration and a mode. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseArgsMessage } from '@gluon/protocol/tools';
import { BATCH_RUN_DASH_VALUES, BATCH_RUN_FLAGS, batchFlagValue, batchFlagsUnused, printJobScriptProblem, runMeant } from '@gluon/deploy';
import { SCHEDULER_TLS_FLAGS } from '@gluon/client/scheduler-tls';
import { checkRunDirToRewrite, joinNegativeValues, settingsAsGiven, typedFlag, withHelpPointer, withHint, withMeantCommand, withMeantFlag, withPathFlag } from '@gluon/analysis-h4l/cli-shared';
import { loadConfigFile, mergeConfig, validateConfig, parseTasks, ConfigError, type FsConfig } from './config.js';

/** Flags that set config keys: the key, its parse, and what it does (for --help). */
const CONFIG_FLAGS: Record<string, { key: keyof FsConfig; parse?: (s: string) => unknown; help: string }> = {
  'data-dir': { key: 'data_dir', help: 'a directory of ROOT files, or one file, to read' },
  schema: { key: 'schema', help: 'input schema: atlas-2020 (mini tree, MeV) or cms-nanoaod (Events, GeV)' },
  'n-workers': { key: 'n_workers', parse: Number, help: 'workers of the local cluster; 0 runs in this process' },
  scheduler: { key: 'scheduler', help: 'use a running cluster at ws://host:8786 instead of a local one' },
  ...Object.fromEntries(Object.entries(SCHEDULER_TLS_FLAGS).map(([f, s]) => [f, { key: s.key, help: s.help }])),
  'chunk-size': { key: 'chunk_size', parse: Number, help: 'events per task' },
  'base-output-dir': { key: 'base_output_dir', help: 'where run directories are made' },
  'run-name': { key: 'run_name', help: 'prefix of the run directory name' },
  'max-files': { key: 'max_files', parse: Number, help: 'read at most this many input files' },
  'min-events-per-fs': { key: 'min_events_per_fs', parse: Number, help: 'final states with fewer events get no histograms' },
  'bin-width': { key: 'bin_width_gev', parse: Number, help: 'histogram bin width in GeV' },
  'tail-threshold': { key: 'tail_threshold_gev', parse: Number, help: 'masses at or above this (GeV) go to the _tail histograms' },
};

/** Flags that choose what runs, for --help. */
const MODE_FLAGS: Record<string, string> = {
  config: 'read this config.yaml (flags override its keys); without it no config file is read',
  'no-config': 'read no config file (as without --config; gluon-h4l run\'s flag, which skips its ./config.yaml)',
  tasks: 'stages to run, comma-separated: parse,masses,postprocess,histograms',
  'run-dir': 'the run directory to write (batch slices) or to read (--plots-only, --merge-only)',
  'dry-run': 'check the config and the inputs, list files, events and tasks, run nothing (exit 1 when the run would fail)',
  'print-job-script': 'needs --cluster: print the job script --jobs N would submit (Slurm, N > 1: the array job); submit nothing, run nothing',
  'plots-only': 'redraw the plots of a finished run (--run-dir; its plots/ must be writable)',
  'merge-only': 'add up the batch slices of --run-dir into one result, as hadd does, and redraw (into --run-dir: it must be writable)',
  'no-dashboard': 'do not start the local cluster\'s dashboard',
  'batch-job-index': 'this job\'s slice of the files (0-based), with --total-batch-jobs',
  'total-batch-jobs': 'how many slices the files are split into',
};

/** Every run flag with what it does; config keys are named so config.yaml can hold them. */
export function flagHelp(): string {
  const rows: Array<[string, string]> = [
    ...Object.entries(MODE_FLAGS).map(([f, h]) => [`--${f}`, h] as [string, string]),
    ...Object.entries(CONFIG_FLAGS).map(([f, s]) => [`--${f}`, `${s.help} (config: ${s.key})`] as [string, string]),
    // @gluon/deploy's, as gluon-cluster and gluon-h4l take them.
    ...Object.entries(BATCH_RUN_FLAGS).map(([f, s]) => [`--${f}${s.arg ? ` ${s.arg}` : ''}`, `${s.help} (config: ${s.key})`] as [string, string]),
  ];
  const w = Math.max(...rows.map(([f]) => f.length));
  return rows.map(([f, h]) => `  ${f.padEnd(w)}  ${h}`).join('\n');
}

export type Mode = 'run' | 'dry-run' | 'print-job-script' | 'plots-only' | 'merge-only';

export interface Parsed {
  config: FsConfig;
  mode: Mode;
  runDir?: string;
  batch?: { index: number; total: number };
}

/**
 * The flags --plots-only and --merge-only read (besides --config): they only redraw or add up a
 * finished run in --run-dir, so anything else given (--cluster, --jobs, --n-workers, --data-dir…)
 * would be silently ignored.
 */
const MODE_USES: Record<'plots-only' | 'merge-only', { flags: string[]; does: string; fromConfig: string }> = {
  'plots-only': { flags: ['run-dir'], does: 'redraws the plots of the finished run in --run-dir', fromConfig: 'takes no setting from a config file' },
  'merge-only': { flags: ['run-dir', 'min-events-per-fs'], does: 'adds up the batch slices of the run in --run-dir', fromConfig: 'takes only min_events_per_fs from a config file, which --min-events-per-fs gives' },
};

/**
 * `msg` (a refusal of the config file given to --plots-only or --merge-only: not read, not valid,
 * settings that conflict) with the way out: the mode needs little or nothing of the file, and
 * without it (or with --no-config, gluon-h4l's flag for none) it runs. A run's settings in a
 * config file kept a redraw of its plots from starting, saying only what was wrong in the file.
 */
function withoutConfigHint(mode: 'plots-only' | 'merge-only', msg: string): string {
  return withHint(msg, `(--${mode} ${MODE_USES[mode].fromConfig}: leave --config out, or give --no-config)`);
}

/**
 * The directories --plots-only and --merge-only write into: the merge, the run directory itself
 * (its staging directory, run.json) and the three it moves files into; a redraw, plots/, or the
 * run directory where plots/ is still to be made.
 */
function modeWrites(mode: 'plots-only' | 'merge-only', runDir: string): { dirs: string[]; what: string } {
  const plots = path.join(runDir, 'plots');
  return mode === 'merge-only'
    ? { dirs: [runDir, ...['histograms', 'logs', 'plots'].map((d) => path.join(runDir, d))], what: 'writes the merged run into' }
    : { dirs: [existsSync(plots) ? plots : runDir], what: 'redraws the plots into' };
}

/**
 * --plots-only and --merge-only read a finished run and write into it: a --run-dir that is not
 * there (a typo), a file, or one they may not write into is refused before anything is read
 * (gluon-h4l plot's check: a StartFailure naming it, exit 1), not the raw ENOENT of the first file
 * looked for inside it, or an EACCES naming the merge's `.merging-*` staging directory.
 */
function checkRunDir(mode: 'plots-only' | 'merge-only', runDir: string): void {
  checkRunDirToRewrite(runDir, modeWrites(mode, runDir), `--${mode}`);
}

/** Why flags given with `mode` would have no effect (naming them and what the mode does), or undefined. */

function modeFlagsUnused(mode: 'plots-only' | 'merge-only', values: Record<string, string | boolean | string[] | undefined>): string | undefined {
  const { flags, does } = MODE_USES[mode];
  const uses = new Set([mode, 'config', 'no-config', ...flags]);
  const given = Object.entries(values).filter(([f, v]) => v !== undefined && !uses.has(f));
  if (given.length === 0) return undefined;
  const named = given.flatMap(([f, v]) => (typeof v === 'string' ? [`--${f} ${v}`] : Array.isArray(v) ? v.map((x) => `--${f} ${x}`) : [`--${f}`])).join(', ');
  const batch = given.some(([f]) => Object.hasOwn(BATCH_RUN_FLAGS, f)) ? ', submitting no batch jobs' : '';
  return `--${mode} does not take ${named}: it ${does}, running no tasks${batch} (it takes ${flags.map((f) => `--${f}`).join(', ')}, and --config or --no-config)`;
}

const int = (flag: string, v: string): number => {
  const n = v.trim() === '' ? NaN : Number(v);
  if (!Number.isInteger(n)) throw new ConfigError(`--${flag} must be an integer, got ${JSON.stringify(v)}`);
  return n;
};

/**
 * gluon-h4l's --out, and other tools' output-directory flags, given here: this CLI writes a run to
 * --run-dir, or to a new directory under --base-output-dir. A physicist moving between the two
 * analyses typed `--out` and got only `Unknown option` (nearest() finds no flag within reach).
 */
const OUT_MEANT: Record<string, string> = Object.fromEntries(['out', 'output-dir', 'output', 'outdir', 'out-dir']
  .map((f) => [f, '--run-dir DIR, or --base-output-dir DIR for a new run directory in DIR']));

/**
 * What a misspelt command word stands for (`generat`: the command `generate`), and gluon-h4l's
 * command words whose job is a flag here (`plot`: `--plots-only`): parseArgs said only
 * `Unexpected argument 'generat'. This command does not take positional arguments`.
 */
const COMMANDS_MEANT: Readonly<Record<string, string>> = {
  run: 'run', generate: 'generate', plot: '--plots-only --run-dir DIR', merge: '--merge-only --run-dir DIR',
};

/** Parses the run's arguments (flags override config.yaml); every bad flag is a ConfigError naming it. */
export async function parseRunArgs(argv: string[]): Promise<Parsed> {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = {
    config: { type: 'string' }, 'no-config': { type: 'boolean' }, tasks: { type: 'string' }, 'run-dir': { type: 'string' },
    'dry-run': { type: 'boolean' }, 'print-job-script': { type: 'boolean' }, 'plots-only': { type: 'boolean' }, 'merge-only': { type: 'boolean' }, 'no-dashboard': { type: 'boolean' },
    'batch-job-index': { type: 'string' }, 'total-batch-jobs': { type: 'string' },
  };
  for (const k of Object.keys(CONFIG_FLAGS)) options[k] = { type: 'string' };
  for (const [k, s] of Object.entries(BATCH_RUN_FLAGS)) options[k] = { type: s.type === 'off' ? 'boolean' : 'string', ...(s.type === 'list' ? { multiple: true } : {}) };
  let values: Record<string, string | boolean | string[] | undefined>;
  // Only the repeatable batch flags (strings) come as arrays.
  try { values = parseArgs({ args: joinNegativeValues(argv, options, BATCH_RUN_DASH_VALUES), options, strict: true, allowPositionals: false }).values as typeof values; } catch (e) {
    // sbatch's and gluon-cluster's flags for the batch run's own (`--qos high`: `--job-extra "--qos=high"`), as gluon-cluster answers them.
    const msg = withPathFlag(withMeantCommand(withMeantFlag(parseArgsMessage(e, Object.keys(options), { argv, options }, { words: runMeant, argv }), 'gluon-finalstates', OUT_MEANT), 'gluon-finalstates', COMMANDS_MEANT), '--data-dir');
    throw new ConfigError(withHelpPointer(msg, 'gluon-finalstates'));
  }
  // --no-config is gluon-h4l run's (which reads ./config.yaml unless told not to); no config file
  // is read here without --config anyway, but a command line written for both CLIs was refused.
  if (values.config !== undefined && values['no-config']) throw new ConfigError('--config and --no-config exclude each other');
  const modes = (['dry-run', 'print-job-script', 'plots-only', 'merge-only'] as const).filter((m) => values[m]);
  if (modes.length > 1) throw new ConfigError(`--${modes[0]} and --${modes[1]} cannot be combined`);
  const mode: Mode = modes[0] ?? 'run';
  const rewrite = mode === 'plots-only' || mode === 'merge-only' ? mode : null;
  // Named by its absolute path in every message, as gluon-h4l names it (readConfigYaml).
  const configFile = typeof values.config === 'string' ? path.resolve(values.config) : null;
  // The config file refused (or a conflict of its settings) in these modes: said with the way out.
  const refused = (e: unknown): unknown => (rewrite && configFile !== null && e instanceof ConfigError ? new ConfigError(withoutConfigHint(rewrite, e.message)) : e);
  const yaml = configFile !== null ? await loadConfigFile(configFile).catch((e: unknown) => { throw refused(e); }) : {};
  const flags: Partial<FsConfig> = {};
  const typed: Record<string, string> = {};
  const batchGiven: Record<string, string | boolean | string[]> = {};
  for (const [flag, spec] of Object.entries(BATCH_RUN_FLAGS)) {
    const v = values[flag];
    if (v === undefined) continue;
    // The job keys' own checks and words, as gluon-cluster's (@gluon/deploy's job-keys.ts).
    try { (flags as Record<string, unknown>)[spec.key] = batchFlagValue(flag, v); } catch (e) { throw new ConfigError((e as Error).message); }
    typed[spec.key] = Array.isArray(v) ? v.map((x) => typedFlag(flag, x)).join(' ') : typedFlag(flag, v);
    batchGiven[flag] = v;
  }
  for (const [flag, spec] of Object.entries(CONFIG_FLAGS)) {
    const v = values[flag];
    if (typeof v !== 'string') continue;
    const parsed = spec.parse ? (v.trim() === '' ? NaN : spec.parse(v)) : v;
    try { validateConfig({ [spec.key]: parsed }, `--${flag}`); } catch (e) {
      throw new ConfigError((e as Error).message.replace(`--${flag}: ${spec.key}`, `--${flag}`).replace(/, got .*$/, `, got ${JSON.stringify(v)}`));
    }
    (flags as Record<string, unknown>)[spec.key] = parsed;
    typed[spec.key] = typedFlag(flag, v);
  }
  if (typeof values.tasks === 'string') { flags.tasks = parseTasks(values.tasks); typed.tasks = typedFlag('tasks', values.tasks); }
  if (values['no-dashboard']) { flags.dashboard = false; typed.dashboard = '--no-dashboard'; }
  const runDir = typeof values['run-dir'] === 'string' ? values['run-dir'] : undefined;
  if ((mode === 'plots-only' || mode === 'merge-only') && !runDir) throw new ConfigError(`--${mode} needs --run-dir DIR (a run's output directory)`);
  if (mode === 'plots-only' || mode === 'merge-only') {
    const unused = modeFlagsUnused(mode, values);
    if (unused) throw new ConfigError(unused);
    checkRunDir(mode, runDir!);
  }
  const bi = values['batch-job-index'], bt = values['total-batch-jobs'];
  if ((bi === undefined) !== (bt === undefined)) throw new ConfigError('--batch-job-index and --total-batch-jobs go together');
  let batch: Parsed['batch'];
  if (typeof bi === 'string' && typeof bt === 'string') {
    const index = int('batch-job-index', bi), total = int('total-batch-jobs', bt);
    if (total < 1) throw new ConfigError(`--total-batch-jobs must be ≥ 1, got ${total}`);
    if (index < 0 || index >= total) throw new ConfigError(`--batch-job-index must be from 0 to ${total - 1}, got ${index}`);
    batch = { index, total };
  }
  const flagOf: Record<string, string> = { ...Object.fromEntries(Object.entries({ ...CONFIG_FLAGS, ...BATCH_RUN_FLAGS }).map(([f, spec]) => [spec.key, f])), tasks: 'tasks', dashboard: 'no-dashboard' };
  let config: FsConfig;
  try {
    config = mergeConfig(yaml, flags, settingsAsGiven(typed, flagOf, yaml, configFile));
  } catch (e) {
    // In these modes only --run-dir, --min-events-per-fs and the file's keys get here: a conflict is the file's.
    throw refused(e);
  }
  const unused = batchFlagsUnused(batchGiven, config.cluster);
  if (unused) throw new ConfigError(unused);
  const noScript = mode === 'print-job-script' ? printJobScriptProblem(config.cluster) : undefined;
  if (noScript) throw new ConfigError(noScript);
  return { config, mode, ...(runDir ? { runDir } : {}), ...(batch ? { batch } : {}) };
}
