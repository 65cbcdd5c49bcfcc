/** Parsing `gluon-h4l run` arguments into a validated configuration. */
import { parseArgs } from 'node:util';
import { loadConfigFile, mergeConfig, validateConfig, ConfigError, type H4lConfig } from './config.js';

/** Run flags → config keys, with their parse. */
const RUN_FLAGS: Record<string, { key: keyof H4lConfig; type: 'string' | 'boolean'; parse?: (s: string) => unknown }> = {
  'data-dir': { key: 'data_dir', type: 'string' },
  selection: { key: 'selection', type: 'string' },
  'n-workers': { key: 'n_workers', type: 'string', parse: Number },
  scheduler: { key: 'scheduler', type: 'string' },
  'chunk-size': { key: 'chunk_size', type: 'string', parse: Number },
  out: { key: 'out', type: 'string' },
  'max-files': { key: 'max_files', type: 'string', parse: Number },
  'run-name': { key: 'run_name', type: 'string' },
  lumi: { key: 'lumi_fb', type: 'string', parse: Number },
  'skip-bad-files': { key: 'skip_bad_files', type: 'boolean' },
};

/** Parses `run` arguments into the merged, validated configuration. */
export async function configFromArgs(argv: string[]): Promise<{ config: H4lConfig; dryRun: boolean }> {
  const options: Record<string, { type: 'string' | 'boolean' }> = { config: { type: 'string' }, 'dry-run': { type: 'boolean' }, 'no-dashboard': { type: 'boolean' } };
  for (const [k, v] of Object.entries(RUN_FLAGS)) options[k] = { type: v.type };
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false }));
  } catch (e) {
    throw new ConfigError(`gluon-h4l run: ${e instanceof Error ? e.message : e}`);
  }
  const yaml = typeof values.config === 'string' ? await loadConfigFile(values.config) : {};
  const flags: Record<string, unknown> = {};
  for (const [flag, spec] of Object.entries(RUN_FLAGS)) {
    const v = values[flag];
    if (v === undefined) continue;
    const parsed = spec.parse && typeof v === 'string' ? (v.trim() === '' ? NaN : spec.parse(v)) : v;
    try { validateConfig({ [spec.key]: parsed }, `--${flag}`); } catch (e) {
      throw new ConfigError((e as Error).message.replace(`--${flag}: ${spec.key}`, `--${flag}`).replace(/, got .*$/, `, got ${JSON.stringify(v)}`));
    }
    flags[spec.key] = parsed;
  }
  if (values['no-dashboard']) flags.dashboard = false;
  return { config: mergeConfig(yaml, flags), dryRun: values['dry-run'] === true };
}

