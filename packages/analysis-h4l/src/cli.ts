#!/usr/bin/env node
/**
 * gluon-h4l: run the H→ZZ*→4ℓ analysis, generate synthetic samples, download the real files,
 * re-draw a run's plot. `gluon-h4l --help` lists everything.
 */
import { parseArgs } from 'node:util';
import { ConfigError } from './config.js';
import { configFromArgs } from './cli-args.js';
import { execute, dryRun } from './app.js';
import { download } from './download.js';
import { replot } from './outputs.js';
import { generateDataset } from './generate/index.js';

const HELP = `usage:
  gluon-h4l run [--config config.yaml] [--data-dir DIR|URL] [--selection notebook|notebook-pt|framework]
                [--n-workers N] [--scheduler ws://host:8786] [--chunk-size N] [--out DIR] [--max-files N]
                [--run-name NAME] [--lumi FB] [--skip-bad-files] [--no-dashboard] [--dry-run]
  gluon-h4l generate [--out DIR] [--scale X] [--seed N]
  gluon-h4l download [--dest DIR] [--base-url URL]
  gluon-h4l plot --run-dir DIR
Flags override config.yaml; --n-workers 0 runs in-process (the serial reference).`;

async function generate(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { out: { type: 'string' }, scale: { type: 'string' }, seed: { type: 'string' } }, strict: true });
  const scale = values.scale === undefined ? 1 : Number(values.scale);
  const seed = values.seed === undefined ? undefined : Number(values.seed);
  if (!(scale > 0)) throw new ConfigError(`--scale must be a positive number, got ${JSON.stringify(values.scale)}`);
  if (seed !== undefined && !Number.isInteger(seed)) throw new ConfigError(`--seed must be an integer, got ${JSON.stringify(values.seed)}`);
  const out = values.out ?? 'synthetic-4lep';
  await generateDataset({ outDir: out, scale, ...(seed !== undefined ? { seed } : {}), log: (s: string) => console.log(s) });
  console.log(`synthetic dataset written to ${out}`);
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') { console.log(HELP); return cmd ? 0 : 2; }
  const log = (s: string) => console.log(s);
  switch (cmd) {
    case 'run': {
      const { config, dryRun: dry } = await configFromArgs(rest);
      if (dry) await dryRun(config, log); else await execute(config, log);
      return 0;
    }
    case 'generate': await generate(rest); return 0;
    case 'download': {
      const { values } = parseArgs({ args: rest, options: { dest: { type: 'string' }, 'base-url': { type: 'string' } }, strict: true });
      const got = await download({ dest: values.dest ?? 'atlas-opendata-4lep', ...(values['base-url'] ? { baseUrl: values['base-url'] } : {}), log });
      log(`${got.length} files in ${values.dest ?? 'atlas-opendata-4lep'}`);
      return 0;
    }
    case 'plot': {
      const { values } = parseArgs({ args: rest, options: { 'run-dir': { type: 'string' } }, strict: true });
      if (!values['run-dir']) throw new ConfigError('plot needs --run-dir DIR (a run output directory with histograms.json)');
      const files = await replot(values['run-dir']);
      log(`re-drew ${files.length} plot files in ${values['run-dir']}: ${files.filter((f) => f.endsWith('.png')).join(', ')}`);
      return 0;
    }
    default:
      console.error(`gluon-h4l: unknown command "${cmd}"\n${HELP}`);
      return 2;
  }
}

main(process.argv.slice(2)).then((code) => process.exit(code), (e: unknown) => {
  console.error(`gluon-h4l: ${e instanceof Error ? e.message : e}`);
  process.exit(e instanceof ConfigError ? 2 : 1);
});
