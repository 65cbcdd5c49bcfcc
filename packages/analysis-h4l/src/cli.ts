#!/usr/bin/env node
/**
 * gluon-h4l: run the H→ZZ*→4ℓ analysis, generate synthetic samples, download the real files,
 * re-draw a run's plots. `gluon-h4l --help` lists everything; `gluon-h4l <command> --help` one.
 *
 * Exit codes, the same for every command: 0 done; 1 failed while working (bad input file,
 * network, a dry run that found bad files), or a start failure (a StartFailure: a --tls-* file or
 * an output path the command line names cannot be had; no --help pointer, as gluon-scheduler's);
 * 2 usage error (unknown flag, bad value, bad config), found before anything runs; 130 a run
 * stopped by Ctrl-C (SIGINT), after saying how far it got and closing its cluster (its batch jobs
 * cancelled), or generate, after removing what it had written; 143 and 129 the same for a SIGTERM
 * and a SIGHUP (a closed terminal, a dropped ssh connection).
 */
import { availableParallelism } from 'node:os';
import { countOf, stopWithSupervisor, tokenFromEnv } from '@gluon/protocol/tools';
import { ConfigError } from './config-error.js';
import { exitStopped, InterruptedError } from './interrupt.js';
import { SCALE_RANGE } from './generate/ranges.js';
import { checkRunDirToRewrite, checkWritable } from './paths.js';
import { generateNumbers, numberFlag } from './generate-flags.js';
import { unknownCommandText } from './argv.js';
import { VERSION } from './version.js';

// Each command loads what it runs when it runs: --help, --version and a usage error load none of
// the analysis, the generator, the client or the ROOT reader (bench/cli-startup.ts; test/clis/cli-loads.ts).
const cliArgs = () => import('./cli-args.js');

const USAGE: Record<string, string> = {
  generate: `usage: gluon-h4l generate [--out DIR] [--scale X] [--seed N] [--threads N]
  --out DIR    where to write Data/, MC/ and manifest.json (default synthetic-4lep)
  --scale X    entries = X × the real 4ℓ entries, ${SCALE_RANGE.min} to ${SCALE_RANGE.max} (default 1)
  --seed N     PRNG seed, a non-negative integer (default 1): the same seed gives the same files
  --threads N  files written at once (default: the cores); the files are the same for any N
Files are written as NAME.partial and renamed once all are whole, manifest.json first. Ctrl-C
(SIGINT), SIGTERM or SIGHUP removes what it had written, says so and exits 130 (143, 129):
nothing is left. .partial files a generate killed outright left are removed, and named.`,
  download: `usage: gluon-h4l download [--dest DIR] [--base-url URL] [--selection notebook|framework] [--timeout S]
  --dest DIR        where to put Data/ and MC/ (default atlas-opendata-4lep)
  --base-url URL    the release's base URL (default the CERN Open Data portal's 4lep directory)
  --selection NAME  whose 4-lepton files: notebook (12 files, the default) or framework (all of its samples)
  --timeout S       give up on a server that sends nothing for S seconds (default 60)`,
  plot: `usage: gluon-h4l plot --run-dir DIR
  --run-dir DIR   a run's output directory: re-draws its plots from histograms.json, into it
                  (it must exist and be writable; exit 1 otherwise)`,
};

const HELP = `usage:
  gluon-h4l run [options]          the analysis (gluon-h4l run --help lists its options)
  gluon-h4l generate [options]     synthetic samples
  gluon-h4l download [options]     the real files, resumable
  gluon-h4l plot --run-dir DIR     re-draw a run's plots from its histograms.json
  gluon-h4l --version              print the version
Each command's --help lists its options. Exit codes: 0 done, 1 failed, 2 usage error,
130 a run stopped by Ctrl-C (it says how far it got and closes its cluster) or a generate
(it removes what it had written); 143 for a SIGTERM, 129 for a SIGHUP (a closed terminal).`;

const log = (s: string) => console.log(s);

async function generate(argv: string[]): Promise<number> {
  const v = (await cliArgs()).parseFlags('generate', argv, { out: { type: 'string' }, scale: { type: 'string' }, seed: { type: 'string' }, threads: { type: 'string' } });
  if (v.help) { log(USAGE.generate); return 0; }
  const { scale = 1, seed, threads = availableParallelism() } = generateNumbers(v);
  const out = typeof v.out === 'string' ? v.out : 'synthetic-4lep';
  await checkWritable(out, '--out', 'dir');
  const { generateStoppable } = await import('./generate-interrupt.js');
  await generateStoppable({ outDir: out, scale, threads, ...(seed !== undefined ? { seed } : {}), log }, 'gluon-h4l generate');
  log(`synthetic dataset written to ${out}`);
  return 0;
}

async function downloadCmd(argv: string[]): Promise<number> {
  // generate and run write to --out: the same word here names download's --dest.
  const v = (await cliArgs()).parseFlags('download', argv, { dest: { type: 'string' }, 'base-url': { type: 'string' }, selection: { type: 'string' }, timeout: { type: 'string' } },
    { out: '--dest' });
  if (v.help) { log(USAGE.download); return 0; }
  const selection = v.selection ?? 'notebook';
  if (selection !== 'notebook' && selection !== 'framework') throw new ConfigError(`--selection must be notebook or framework, got ${JSON.stringify(selection)}`);
  const timeoutS = numberFlag('timeout', v.timeout, (n) => n > 0 && Number.isFinite(n), 'a positive number of seconds');
  const dest = typeof v.dest === 'string' ? v.dest : 'atlas-opendata-4lep';
  await checkWritable(dest, '--dest', 'dir');
  const { download } = await import('./download.js');
  const got = await download({ dest, selection, ...(typeof v['base-url'] === 'string' ? { baseUrl: v['base-url'] } : {}),
    ...(timeoutS !== undefined ? { timeoutMs: timeoutS * 1000 } : {}), log });
  log(`${countOf(got.length, 'file')} in ${dest}`);
  return 0;
}

async function plot(argv: string[]): Promise<number> {
  const v = (await cliArgs()).parseFlags('plot', argv, { 'run-dir': { type: 'string' } });
  if (v.help) { log(USAGE.plot); return 0; }
  if (typeof v['run-dir'] !== 'string') throw new ConfigError('--run-dir DIR is required (a run\'s output directory, with histograms.json)');
  // Not there, a file, or not writable: said before anything is read (exit 1), as gluon-finalstates
  // --plots-only says it. Each was the raw error of histograms.json or the first plot (exit 1).
  checkRunDirToRewrite(v['run-dir'], { dirs: [v['run-dir']], what: 'redraws the plots into' });
  const { replot } = await import('./outputs.js');
  const files = await replot(v['run-dir']);
  log(`re-drew ${countOf(files.length, 'plot file')} in ${v['run-dir']}: ${files.join(', ')}`);
  return 0;
}

async function run(argv: string[]): Promise<number> {
  const { configFromArgs, runHelp } = await cliArgs();
  const a = await configFromArgs(argv);
  if (a.help) { log(runHelp()); return 0; }
  // The client reads GLUON_TOKEN (with --scheduler, or a local cluster's): set but empty is a
  // usage error found before anything runs, not a run without a token.
  try { tokenFromEnv(); } catch (e) { throw new ConfigError((e as Error).message); }
  // Only the script on stdout, for a file or a diff: before the config line. That it goes once per
  // job (PBS, --no-job-arrays) on stderr, as gluon-cluster says it: it was not said at all.
  if (a.printJobScript && a.config.cluster && a.config.cluster !== 'ssh') {
    const { script, note } = await (await import('./batch.js')).batchJobScriptOf({ ...a.config, cluster: a.config.cluster });
    process.stdout.write(script);
    if (note) process.stderr.write(`gluon-h4l run: ${note}\n`);
    return 0;
  }
  if (a.configFile) log(`config: ${a.configFile}`);
  const { dryRun, execute } = await import('./app.js');
  if (a.dryRun) return (await dryRun(a.config, log, a.names)) ? 0 : 1;
  await execute(a.config, log, { configFile: a.configFile, names: a.names });
  return 0;
}

const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = { run, generate, download: downloadCmd, plot };

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === '--help' || cmd === '-h' || cmd === 'help') { log(HELP); return 0; }
  if (cmd === '--version') { log(`gluon-h4l ${VERSION}`); return 0; }
  if (!cmd) { console.error(HELP); return 2; }
  const command = COMMANDS[cmd];
  if (!command) { console.error(`${unknownCommandText('gluon-h4l', cmd, Object.keys(COMMANDS))}\n${HELP}`); return 2; }
  try {
    return await command(rest);
  } catch (e) {
    // Said as the signal came (interrupt.ts, generate-interrupt.ts), with how far it got; the
    // process ends as the signal says (exitStopped: 130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP).
    if (e instanceof InterruptedError) throw e;
    // Each message names its subject once; the program and command are said here, once.
    console.error(`gluon-h4l ${cmd}: ${e instanceof Error ? e.message : e}`);
    return e instanceof ConfigError ? 2 : 1;
  }
}

// Under npx/npm exec, npm does not pass SIGTERM on: once npm is gone, stop as if it had (the
// cluster closes, batch jobs are cancelled); otherwise the run went on orphaned (for ever with --linger).
stopWithSupervisor(() => process.kill(process.pid, 'SIGTERM'));
// Exit once stdout has drained (a piped stdout is written asynchronously).
// Stopped by a signal: exit 128 + its number, or by the signal (interrupt.ts, exitStopped).
main(process.argv.slice(2)).then((code) => process.stdout.write('', () => process.exit(code)), (e: unknown) => {
  if (!(e instanceof InterruptedError)) throw e;
  process.stdout.write('', () => exitStopped(e));
});
