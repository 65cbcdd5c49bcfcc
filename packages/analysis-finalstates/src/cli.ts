#!/usr/bin/env node
/**
 * gluon-finalstates: every final state's invariant masses → BumpNet histograms.
 * `gluon-finalstates --help` lists everything. Exit codes: 0 done, 1 the run (or the dry run's
 * checks) failed, or a file or directory the command line names cannot be had (a StartFailure),
 * 2 bad arguments or configuration, 130 a run stopped by Ctrl-C (SIGINT), after
 * saying how far it got and closing its cluster, or generate, after removing what it had written;
 * 143 and 129 the same for a SIGTERM and a SIGHUP (a closed terminal, a dropped ssh connection).
 */
import { parseArgs } from 'node:util';
import { countOf, packageVersionOf, parseArgsMessage, stopWithSupervisor, tokenFromEnv } from '@gluon/protocol/tools';
import { ConfigError } from './config.js';
import { flagHelp, parseRunArgs } from './cli-args.js';
import { jobScript } from './job-script.js';
import {
  checkWritable, earlierOutputs, exitStopped, generateNumbers, InterruptedError, joinNegativeValues, onFirstSignal, removeStaleOutputs, SCALE_RANGE, STOP_SIGNALS, withHelpPointer, staleOutputsLine,
} from '@gluon/analysis-h4l/cli-shared';
// The run, the merge, the plots and the generator are loaded by the mode that runs them: --help,
// --version, a usage error and --print-job-script load none of them (bench/cli-startup.ts).

/** This package's version, for --version. */
const VERSION = packageVersionOf(import.meta.url);

const HELP = `usage:
  gluon-finalstates [--config config.yaml | --no-config] [--data-dir DIR|FILE] [--schema atlas-2020|cms-nanoaod]
                    [--tasks parse,masses,postprocess,histograms] [--min-events-per-fs N] [--bin-width GEV]
                    [--tail-threshold GEV] [--n-workers N] [--scheduler ws://host:8786] [--tls-ca PEM --tls-cert PEM --tls-key PEM]
                    [--chunk-size N]
                    [--base-output-dir DIR] [--run-name NAME] [--run-dir DIR] [--max-files N] [--no-dashboard]
                    [--batch-job-index I --total-batch-jobs N] [--dry-run]
                    [--cluster slurm|pbs --jobs N --job-cores N --job-memory SIZE --job-walltime HH:MM:SS --job-queue Q --job-account A
                     --job-extra DIRECTIVE… --job-prologue LINE… --job-log-directory DIR … (the job flags below) [--print-job-script]]
                    [--cluster ssh --hosts FIRST,HOST… [--ssh-option ARG…] [--scheduler-port P] [--dashboard-port P] [--job-cores N] …]
  gluon-finalstates --plots-only --run-dir DIR
  gluon-finalstates --merge-only --run-dir DIR [--min-events-per-fs N]
  gluon-finalstates generate [--out DIR] [--scale X] [--seed N]
Flags override config.yaml; --n-workers 0 runs in-process. Outputs go to
<base_output_dir>/<run_name>_<YYYYMMDD_HHMMSS>/ (batch jobs: --run-dir, or <base>/<run_name>_batch-of-<N>).
Exit codes: 0 done, 1 the run (or the dry run's checks) failed, 2 bad arguments or configuration,
130 stopped by Ctrl-C (it says how far the run got and closes its cluster; generate removes what
it had written), 143 for a SIGTERM, 129 for a SIGHUP (a closed terminal).

flags:
${flagHelp()}

generate (a synthetic dataset in the ATLAS 2020 schema):
  --out DIR   where to write it (default synthetic-4lep)
  --scale X   events relative to the default dataset, ${SCALE_RANGE.min} to ${SCALE_RANGE.max} (default 1)
  --seed N    random seed, a non-negative integer (default 1)
  Files are written as NAME.partial and renamed once all are whole, manifest.json first. Ctrl-C
  (SIGINT), SIGTERM or SIGHUP removes what it had written, says so and exits 130 (143, 129):
  nothing is left. .partial files a generate killed outright left are removed, and named.`;

async function generate(argv: string[]): Promise<void> {
  let values: { out?: string; scale?: string; seed?: string };
  try {
    const options = { out: { type: 'string' }, scale: { type: 'string' }, seed: { type: 'string' } } as const;
    ({ values } = parseArgs({ args: joinNegativeValues(argv, options), options, strict: true }));
  } catch (e) {
    // A usage error, like every other one: exit 2.
    throw new ConfigError(`generate: ${withHelpPointer(parseArgsMessage(e, ['out', 'scale', 'seed']), 'gluon-finalstates generate')}`);
  }
  // The same checks as gluon-h4l generate's (--seed a non-negative integer, --scale in the generator's range).
  let nums: ReturnType<typeof generateNumbers>;
  try { nums = generateNumbers(values); } catch (e) { throw new ConfigError((e as Error).message); } // h4l's ConfigError: a usage error here too (exit 2)
  const { scale = 1, seed = 1 } = nums;
  const out = values.out ?? 'synthetic-4lep';
  // Checked first, as gluon-h4l generate's (a StartFailure naming it, exit 1): a file there was
  // ENOTDIR from mkdir.
  await checkWritable(out, '--out', 'dir');
  const { generateStoppable } = await import('@gluon/analysis-h4l');
  await generateStoppable({ outDir: out, scale, seed, log: (s: string) => console.log(s) }, 'gluon-finalstates generate');
  console.log(`synthetic dataset written to ${out}`);
}

/**
 * `--merge-only` with Ctrl-C stopping it: the run directory is left as it was (merge.ts) and the
 * CLI says so and exits 130. Ended by the signal, it said nothing and left a cut ROOT file.
 */
async function mergeStoppable(runDir: string, minEvents: number): Promise<string[]> {
  const stop = new AbortController();
  const stopListening = onFirstSignal(STOP_SIGNALS, (sig) => stop.abort(sig));
  try {
    const { mergeRun } = await import('./merge.js');
    return await mergeRun(runDir, minEvents, process.argv, stop.signal);
  } catch (e) {
    if (e instanceof InterruptedError) console.error(`gluon-finalstates --merge-only: interrupted (${e.signal}) before the merge was whole: ${runDir} is as it was (the slices, and any earlier merge's outputs); run --merge-only again`);
    throw e;
  } finally {
    stopListening();
  }
}

async function main(argv: string[]): Promise<number> {
  const log = (s: string) => console.log(s);
  // --help anywhere among a command's flags, as gluon-h4l takes it: `gluon-finalstates run --help`
  // and `--data-dir X --help` said "Unknown option '--help'".
  const flags = argv[0] === 'run' || argv[0] === 'generate' ? argv.slice(1) : argv;
  if (argv[0] === 'help' || flags.includes('--help') || flags.includes('-h')) { log(HELP); return 0; }
  if (argv[0] === '--version') { log(`gluon-finalstates ${VERSION}`); return 0; }
  if (argv[0] === 'generate') { await generate(argv.slice(1)); return 0; }
  const p = await parseRunArgs(argv[0] === 'run' ? argv.slice(1) : argv);
  const place = { ...(p.runDir ? { runDir: p.runDir } : {}), ...(p.batch ? { batch: p.batch } : {}), argv: process.argv };
  // The client reads GLUON_TOKEN (with --scheduler, or a local or batch cluster's): set but empty
  // is a usage error found before anything runs, not a run without a token.
  if (p.mode === 'run' || p.mode === 'dry-run' || p.mode === 'print-job-script') {
    try { tokenFromEnv(); } catch (e) { throw new ConfigError((e as Error).message); }
  }
  switch (p.mode) {
    case 'dry-run': return (await (await import('./app.js')).dryRun(p.config, place, log)).length ? 1 : 0;
    case 'print-job-script': {
      // The script alone on stdout; that it goes once per job (PBS, --no-job-arrays) on stderr, as gluon-cluster says it.
      const { script, note } = await jobScript({ ...p.config, cluster: p.config.cluster as 'slurm' | 'pbs' });
      process.stdout.write(script);
      if (note) process.stderr.write(`gluon-finalstates: ${note}\n`);
      return 0;
    }
    case 'plots-only': {
      const { replot } = await import('./outputs.js');
      const files = await replot(p.runDir!);
      log(`re-drew ${countOf(files.length, 'plot file')} in ${p.runDir}/plots`);
      return 0;
    }
    case 'merge-only': {
      // Merged again (another --min-events-per-fs): the earlier merge's plots not drawn again go.
      const earlier = earlierOutputs(p.runDir!);
      const files = await mergeStoppable(p.runDir!, p.config.min_events_per_fs);
      const stale = removeStaleOutputs(p.runDir!, earlier, files);
      if (stale.length) log(staleOutputsLine(p.runDir!, stale));
      log(`merged into ${p.runDir}: ${files.join(', ')}`);
      return 0;
    }
    case 'run': await (await import('./app.js')).execute(p.config, place, log); return 0;
  }
}

// Under npx/npm exec, npm does not pass SIGTERM on: once npm is gone, stop as if it had (the
// cluster closes, batch jobs are cancelled); otherwise the run went on orphaned.
stopWithSupervisor(() => process.kill(process.pid, 'SIGTERM'));
main(process.argv.slice(2)).then((code) => process.exit(code), (e: unknown) => {
  // Said as the signal came (interrupt.ts, generate-interrupt.ts), with how far it got; 128 + the
  // signal's number (130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP), as a shell says it (exitStopped).
  if (e instanceof InterruptedError) { exitStopped(e); return; }
  console.error(`gluon-finalstates: ${e instanceof Error ? e.message : e}`);
  process.exit(e instanceof ConfigError ? 2 : 1);
});
