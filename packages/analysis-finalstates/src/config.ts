/**
 * The run configuration: config.yaml (every key optional, defaults below), flags that override
 * it, and validation that names the key and the source of the first bad value before anything
 * runs.
 */
import { BATCH_RUN_CHECKS, BATCH_RUN_DEFAULTS, batchKeyFromConfig, batchKeyProblem, batchRunConflict, batchRunProblem, withSshJobs, type BatchRunConfig } from '@gluon/deploy';
import { CONFIG_KEY_NAMES, SCHEDULER_TLS_CHECKS, SCHEDULER_TLS_DEFAULTS, schedulerTlsConflict, type SchedulerTlsConfig, type SettingsAsGiven } from '@gluon/client/scheduler-tls';
import { OBJECT_TYPES, OBJECT_NAMES, SCHEMAS, type ObjectType } from './schema.js';
import { parseCountsName } from './naming.js';
import { unknownKey } from '@gluon/protocol/tools';
import { readConfigYaml } from '@gluon/analysis-h4l/cli-shared';

/** The pipeline's stages, in order. */
export const STAGES = ['parse', 'masses', 'postprocess', 'histograms'] as const;
export type Stage = (typeof STAGES)[number];

export interface ObjectCuts { pt_min_gev: number; abs_eta_max: number; tight_id: boolean }

/** A known resonance: masses of these combinations within ±half_width_gev of center_gev are removed. */
export interface Peak { combinations: string[]; center_gev: number; half_width_gev: number }

/**
 * The batch keys (cluster, jobs, job_*) are @gluon/deploy's, and the TLS keys of a `wss://`
 * scheduler (tls_ca, tls_cert, tls_key) @gluon/client's, both shared with gluon-h4l.
 */
export interface FsConfig extends BatchRunConfig, SchedulerTlsConfig {
  run_name: string;
  /** A key of SCHEMAS. */
  schema: string;
  /** A directory (every *.root under it) or one ROOT file. */
  data_dir: string | null;
  base_output_dir: string;
  tasks: Record<Stage, boolean>;
  n_workers: number;
  scheduler: string | null;
  chunk_size: number;
  fan_in: number;
  dashboard: boolean;
  max_files: number | null;
  objects: Record<'electrons' | 'muons' | 'jets' | 'photons', ObjectCuts>;
  max_objects_per_type: number;
  min_particles: number;
  max_particles: number;
  /** Object types combinations are made of (long names or e/m/j/g). */
  objects_to_calculate: string[];
  peaks: Peak[];
  bin_width_gev: number;
  tail_threshold_gev: number;
  /** Upper edge of the tail histograms; masses above go to their overflow. */
  tail_max_gev: number;
  min_events_per_fs: number;
}

export const DEFAULT_CONFIG: FsConfig = {
  run_name: 'finalstates', schema: 'atlas-2020', data_dir: null, base_output_dir: 'outputs',
  tasks: { parse: true, masses: true, postprocess: true, histograms: true },
  n_workers: 2, scheduler: null, chunk_size: 100_000, fan_in: 8, dashboard: true, max_files: null,
  objects: {
    electrons: { pt_min_gev: 10, abs_eta_max: 2.47, tight_id: true },
    muons: { pt_min_gev: 10, abs_eta_max: 2.5, tight_id: true },
    jets: { pt_min_gev: 25, abs_eta_max: 2.5, tight_id: false },
    photons: { pt_min_gev: 20, abs_eta_max: 2.37, tight_id: true },
  },
  max_objects_per_type: 4, min_particles: 2, max_particles: 4,
  objects_to_calculate: ['electrons', 'muons', 'jets', 'photons'],
  peaks: [
    { combinations: ['2e', '2m'], center_gev: 91.1876, half_width_gev: 10 },
    { combinations: ['4e', '4m', '2e_2m'], center_gev: 125.0, half_width_gev: 5 },
    { combinations: ['2m'], center_gev: 3.0969, half_width_gev: 0.2 },
    { combinations: ['2m'], center_gev: 9.4603, half_width_gev: 0.5 },
  ],
  bin_width_gev: 10, tail_threshold_gev: 1000, tail_max_gev: 13_000, min_events_per_fs: 10,
  ...BATCH_RUN_DEFAULTS, ...SCHEDULER_TLS_DEFAULTS,
};

/** A configuration error; the message names the key and where it came from. */
export class ConfigError extends Error { override name = 'ConfigError'; }

type Check = (v: unknown, key: string) => void;
const bad = (key: string, why: string, v: unknown): never => { throw new ConfigError(`${key} ${why}, got ${JSON.stringify(v)}`); };
const intAtLeast = (min: number): Check => (v, k) => { if (!Number.isInteger(v) || (v as number) < min) bad(k, `must be an integer ≥ ${min}`, v); };
const positive: Check = (v, k) => { if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) bad(k, 'must be a positive number', v); };
const nonNegative: Check = (v, k) => { if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) bad(k, 'must be a number ≥ 0', v); };
const bool: Check = (v, k) => { if (typeof v !== 'boolean') bad(k, 'must be true or false', v); };
const text: Check = (v, k) => { if (typeof v !== 'string' || v === '') bad(k, 'must be a non-empty string', v); };
const orNull = (c: Check): Check => (v, k) => { if (v !== null) c(v, k); };
const mapping = (v: unknown, k: string): Record<string, unknown> => {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) bad(k, 'must be a mapping', v);
  return v as Record<string, unknown>;
};
/** Checks a mapping's keys against `checks` (unknown keys named with the known ones). */
const keysOf = (checks: Record<string, Check>): Check => (v, k) => {
  for (const [key, val] of Object.entries(mapping(v, k))) {
    const c = checks[key];
    if (!c) throw new ConfigError(`${k}: ${unknownKey(key, Object.keys(checks))}`);
    c(val, `${k}.${key}`);
  }
};

const CUTS: Check = keysOf({ pt_min_gev: nonNegative, abs_eta_max: positive, tight_id: bool });

/** The object type of a name in objects_to_calculate (`electrons` or `e`), or undefined. */
export function objectType(name: string): ObjectType | undefined {
  return OBJECT_TYPES.find((t) => t === name || OBJECT_NAMES[t] === name);
}

const CHECKS: Record<keyof FsConfig, Check> = {
  run_name: (v, k) => { if (typeof v !== 'string' || !/^[A-Za-z0-9._-]+$/.test(v)) bad(k, 'must be letters, digits, ".", "_" or "-"', v); },
  schema: (v, k) => { if (typeof v !== 'string' || !(v in SCHEMAS)) bad(k, `must be one of ${Object.keys(SCHEMAS).join(', ')}`, v); },
  data_dir: orNull(text),
  base_output_dir: text,
  tasks: keysOf(Object.fromEntries(STAGES.map((s) => [s, bool]))),
  n_workers: intAtLeast(0),
  scheduler: orNull((v, k) => { if (typeof v !== 'string' || !/^wss?:\/\/[^/\s]+/.test(v)) bad(k, 'must look like ws://host:8786', v); }),
  chunk_size: intAtLeast(1),
  fan_in: intAtLeast(2),
  dashboard: bool,
  max_files: orNull(intAtLeast(1)),
  objects: keysOf({ electrons: CUTS, muons: CUTS, jets: CUTS, photons: CUTS }),
  max_objects_per_type: intAtLeast(1),
  min_particles: intAtLeast(2),
  max_particles: intAtLeast(2),
  objects_to_calculate: (v, k) => {
    if (!Array.isArray(v) || v.length === 0) bad(k, 'must be a non-empty list of object types', v);
    for (const n of v as unknown[]) if (typeof n !== 'string' || !objectType(n)) bad(k, `lists "${n}": known types are ${OBJECT_TYPES.map((t) => `${OBJECT_NAMES[t]} (${t})`).join(', ')}`, v);
  },
  peaks: (v, k) => {
    if (!Array.isArray(v)) bad(k, 'must be a list of {combinations, center_gev, half_width_gev}', v);
    (v as unknown[]).forEach((p, i) => {
      const m = mapping(p, `${k}[${i}]`);
      keysOf({
        combinations: (c, ck) => {
          if (!Array.isArray(c)) bad(ck, 'must be a list of combination names like 2e, 2e_2m', c);
          for (const x of c as unknown[]) {
            try { parseCountsName(String(x)); } catch (e) { throw new ConfigError(`${ck}: ${(e as Error).message}`); }
          }
        },
        center_gev: positive, half_width_gev: nonNegative,
      })(m, `${k}[${i}]`);
      for (const need of ['combinations', 'center_gev', 'half_width_gev']) if (!(need in m)) throw new ConfigError(`${k}[${i}]: ${need} is missing`);
    });
  },
  bin_width_gev: positive,
  tail_threshold_gev: positive,
  tail_max_gev: positive,
  min_events_per_fs: intAtLeast(0),
  // As gluon-cluster words them (with what a size came to): @gluon/deploy's job keys.
  ...(Object.fromEntries(Object.keys(BATCH_RUN_CHECKS).map((key) => [key, (v: unknown, k: string) => { const m = batchKeyProblem(key as keyof BatchRunConfig, v, k); if (m) throw new ConfigError(m); }])) as Record<keyof BatchRunConfig, Check>),
  ...(Object.fromEntries(Object.entries(SCHEDULER_TLS_CHECKS).map(([key, why]) => [key, (v: unknown, k: string) => { const w = why(v); if (w) bad(k, w, v); }])) as Record<keyof SchedulerTlsConfig, Check>),
};

/** Checks every key of a partial config; throws a ConfigError naming the first bad one and `source`. */
export function validateConfig(raw: unknown, source: string): Partial<FsConfig> {
  if (raw === null || raw === undefined) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(`${source}: the configuration must be a mapping of keys to values`);
  const config: Record<string, unknown> = { ...raw };
  for (const [k, given] of Object.entries(raw)) {
    const c = CHECKS[k as keyof FsConfig];
    if (!c) throw new ConfigError(`${source}: ${unknownKey(k, Object.keys(CHECKS))}`);
    // A batch list key's one line of text is a one-item list (job_extra: --exclusive), as gluon-h4l takes it.
    const v = config[k] = Object.hasOwn(BATCH_RUN_CHECKS, k) ? batchKeyFromConfig(k as keyof BatchRunConfig, given) : given;
    try { c(v, k); } catch (e) { throw new ConfigError(`${source}: ${(e as Error).message}`); }
  }
  return config as Partial<FsConfig>;
}

/** Reads and validates a YAML config file; errors name it by its absolute path (readConfigYaml, as gluon-h4l). */
export async function loadConfigFile(file: string): Promise<Partial<FsConfig>> {
  const read = await readConfigYaml(file, ConfigError);
  return validateConfig(read.doc, read.file);
}

/**
 * Defaults ← YAML ← flags; `objects` and `tasks` merge per entry. Checks what only the whole
 * configuration can tell (the particle range, the binning, the stages' prerequisites), naming
 * each setting as `names` says (the flag typed, or the config file and key: settingsAsGiven).
 */
export function mergeConfig(yaml: Partial<FsConfig>, flags: Partial<FsConfig>, names: SettingsAsGiven = CONFIG_KEY_NAMES): FsConfig {
  // Over ssh, jobs not given is one worker on every worker host the hosts list.
  const c: FsConfig = withSshJobs({ ...DEFAULT_CONFIG, ...yaml, ...flags }, Object.hasOwn(yaml, 'jobs') || Object.hasOwn(flags, 'jobs'));
  c.tasks = { ...DEFAULT_CONFIG.tasks, ...yaml.tasks, ...flags.tasks };
  c.objects = { ...DEFAULT_CONFIG.objects };
  for (const src of [yaml.objects, flags.objects]) {
    for (const [k, v] of Object.entries(src ?? {})) c.objects[k as keyof FsConfig['objects']] = { ...c.objects[k as keyof FsConfig['objects']], ...v };
  }
  checkWhole(c, names);
  return c;
}

/** Whether x is (within rounding) an integer multiple of w. */
function multipleOf(x: number, w: number): boolean {
  const q = x / w;
  return Math.abs(q - Math.round(q)) < 1e-9 * Math.max(1, q);
}

function checkWhole(c: FsConfig, names: SettingsAsGiven): void {
  const say = <K extends keyof FsConfig>(k: K) => names.given(k, c[k]);
  const conflict = batchRunConflict(c, names) ?? batchRunProblem(c, names) ?? schedulerTlsConflict(c, names);
  if (conflict) throw new ConfigError(conflict);
  if (c.max_particles < c.min_particles) throw new ConfigError(`${say('max_particles')} must be ≥ ${say('min_particles')}`);
  if (c.max_particles > 8) throw new ConfigError(`${say('max_particles')} must be ≤ 8`);
  if (c.max_objects_per_type > 16) throw new ConfigError(`${say('max_objects_per_type')} must be ≤ 16`);
  if (!multipleOf(c.tail_threshold_gev, c.bin_width_gev)) throw new ConfigError(`${say('tail_threshold_gev')} must be a whole number of ${say('bin_width_gev')} bins`);
  if (!(c.tail_max_gev > c.tail_threshold_gev) || !multipleOf(c.tail_max_gev, c.bin_width_gev)) {
    throw new ConfigError(`${say('tail_max_gev')} must exceed ${say('tail_threshold_gev')} by a whole number of ${say('bin_width_gev')} bins`);
  }
  const t = c.tasks;
  // The stages as given: `--tasks masses`, or the config file's tasks (those on).
  const tasks = names.given('tasks', STAGES.filter((s) => t[s]).join(','));
  if (!t.parse && (t.masses || t.postprocess || t.histograms)) throw new ConfigError(`${tasks} leaves out parse, which ${STAGES.filter((s) => t[s]).join(',')} need (the objects come from it)`);
  if (!t.masses && (t.postprocess || t.histograms)) throw new ConfigError(`${tasks} leaves out masses, which ${t.postprocess ? 'postprocess' : 'histograms'} needs`);
  if (!STAGES.some((s) => t[s])) throw new ConfigError(`${tasks} enables no stage`);
}

/** `--tasks parse,masses` → the stage toggles (the listed stages on, the others off). */
export function parseTasks(list: string, source = '--tasks'): Record<Stage, boolean> {
  const names = list.split(',').map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) throw new ConfigError(`${source} must list stages (${STAGES.join(',')}), got ${JSON.stringify(list)}`);
  for (const n of names) if (!(STAGES as readonly string[]).includes(n)) throw new ConfigError(`${source}: unknown stage "${n}" (stages: ${STAGES.join(', ')})`);
  return Object.fromEntries(STAGES.map((s) => [s, names.includes(s)])) as Record<Stage, boolean>;
}
