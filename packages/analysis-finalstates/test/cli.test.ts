/**
 * The CLI end to end: exit codes (0 done, 1 the run or the dry run's checks fail, 2 bad
 * arguments), the output layout, --tasks, --plots-only, batch slices merged by --merge-only into
 * the same histograms as one unsplit run, and the CMS NanoAOD schema on its public test file.
 */
import t, { type Test } from 'tap';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync, copyFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readHistogramFile } from '@gluon/analysis-finalstates';
import { LocalCluster } from '@gluon/client';
import { parseRunArgs } from '../src/cli-args.js';
import { OPENDATA, HAVE_OPENDATA, NO_OPENDATA, NANOAOD } from './data-path.js';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

function cli(args: string[], cwd: string): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd, timeout: 240_000 }, (e, out, err) => {
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, out, err });
    });
  });
}

const tmp = (t: Test) => { const d = mkdtempSync(path.join(tmpdir(), 'fs-cli-')); t.teardown(() => rmSync(d, { recursive: true, force: true })); return d; };

// Two subtests at a time: each runs the CLI in a directory of its own, on its own cluster or none
// (the batch slices wait for the unsplit run only to compare with it); one after another the file
// took the sum of ~70 CLI runs.
t.jobs = 2;

t.test('the config file is named by its full path, as gluon-h4l names it (it was named as typed)', async (t) => {
  const d = realpathSync(tmp(t));
  writeFileSync(path.join(d, 'c.yaml'), 'bin_width_gev: 0\n');
  const bad = await cli(['--config', 'c.yaml'], d);
  t.equal(bad.code, 2);
  t.equal(bad.err, `gluon-finalstates: ${path.join(d, 'c.yaml')}: bin_width_gev must be a positive number, got 0\n`);
  // Node's own text repeated the path, as typed: "ENOENT: no such file or directory, open 'nope.yaml'".
  const gone = await cli(['--config', 'nope.yaml'], d);
  t.equal(gone.code, 2);
  t.equal(gone.err, `gluon-finalstates: cannot read config file ${path.join(d, 'nope.yaml')} (no such file or directory (ENOENT))\n`);
  writeFileSync(path.join(d, 'y.yaml'), 'a: [\n');
  const notYaml = await cli(['--config', 'y.yaml'], d);
  t.equal(notYaml.code, 2);
  t.ok(notYaml.err.startsWith(`gluon-finalstates: ${path.join(d, 'y.yaml')}: not valid YAML: `), notYaml.err);
  writeFileSync(path.join(d, 'c.yaml'), 'max_particles: 9\n');
  const whole = await cli(['--config', 'c.yaml', '--data-dir', d], d);
  t.equal(whole.code, 2);
  t.equal(whole.err, `gluon-finalstates: max_particles: 9 in ${path.join(d, 'c.yaml')} must be ≤ 8\n`, 'a check of the whole configuration names it so too');
});

t.test('bad arguments exit 2 naming the flag or key', async (t) => {
  const d = tmp(t);
  const r1 = await cli(['--min-events-per-fs', 'many'], d);
  t.equal(r1.code, 2); t.match(r1.err, /--min-events-per-fs must be an integer ≥ 0, got "many"/);
  const r2 = await cli(['--tasks', 'parse,histograms', '--data-dir', d], d);
  t.equal(r2.code, 2); t.match(r2.err, /^gluon-finalstates: --tasks parse,histograms leaves out masses, which histograms needs$/m);
  writeFileSync(path.join(d, 'c.yaml'), 'objects:\n  jets: {pt_min_gev: -5}\n');
  const r3 = await cli(['--config', 'c.yaml'], d);
  t.equal(r3.code, 2); t.match(r3.err, /c\.yaml: objects\.jets\.pt_min_gev must be a number ≥ 0, got -5/);
  const r4 = await cli(['--plots-only'], d);
  t.equal(r4.code, 2); t.match(r4.err, /--plots-only needs --run-dir/);
  // A --run-dir to read that is not there is said so (it was the raw ENOENT of a file inside it),
  // a start failure naming it (exit 1), as gluon-scheduler's missing --token-file is.
  for (const mode of ['--plots-only', '--merge-only']) {
    const gone = await cli([mode, '--run-dir', 'no-such-run'], d);
    t.equal(gone.code, 1, `${mode} of a missing run directory is a start failure`);
    t.equal(gone.err, `gluon-finalstates: ${mode} reads the finished run in --run-dir no-such-run, which does not exist\n`);
  }
  const notDir = await cli(['--plots-only', '--run-dir', 'c.yaml'], d);
  t.equal(notDir.code, 1); t.equal(notDir.err, 'gluon-finalstates: --run-dir c.yaml is a file, not a directory\n');
  const r5 = await cli(['--batch-job-index', '2', '--total-batch-jobs', '2'], d);
  t.equal(r5.code, 2); t.match(r5.err, /--batch-job-index must be from 0 to 1, got 2/);
  const r6 = await cli(['generate', '--bogus'], d);
  t.equal(r6.code, 2, 'generate usage errors exit 2 too'); t.match(r6.err, /generate: Unknown option '--bogus'/);
  // A misspelt command names the likely one, and gluon-h4l's `plot` this CLI's --plots-only (it
  // said only "This command does not take positional arguments").
  const cmd = await cli(['generat', '--out', 'x'], d);
  t.equal(cmd.code, 2);
  t.equal(cmd.err, "gluon-finalstates: Unexpected argument 'generat'. This command does not take positional arguments (did you mean gluon-finalstates generate?) (gluon-finalstates --help lists the options)\n");
  const plot = await cli(['plot', '--run-dir', 'x'], d);
  t.equal(plot.code, 2);
  t.match(plot.err, /^gluon-finalstates: Unexpected argument 'plot'\. This command does not take positional arguments \(did you mean gluon-finalstates --plots-only --run-dir DIR\?\)/);
  // A directory given without --data-dir (it said only "does not take positional arguments").
  const bare = await cli([d], d);
  t.equal(bare.code, 2);
  t.equal(bare.err, `gluon-finalstates: Unexpected argument '${d}'. This command does not take positional arguments (did you mean --data-dir ${d}?) (gluon-finalstates --help lists the options)\n`);
  // Hosts as a list after one --hosts (it said only "does not take positional arguments").
  const hosts = await cli(['--cluster', 'ssh', '--hosts', 'lab1', 'lab2'], d);
  t.equal(hosts.code, 2);
  t.equal(hosts.err, "gluon-finalstates: Unexpected argument 'lab2'. This command does not take positional arguments (lab2 follows --hosts lab1, and a flag takes one value; repeat the flag for each: --hosts lab1 --hosts lab2) (gluon-finalstates --help lists the options)\n");
  // A misspelt flag names the one it most likely is.
  const typo = await cli(['--n-worker', '2'], d);
  t.equal(typo.code, 2); t.equal(typo.err, "gluon-finalstates: Unknown option '--n-worker' (did you mean --n-workers?) (gluon-finalstates --help lists the options)\n");
  // gluon-h4l's --out (and other tools' --output-dir) names this CLI's output flags (no hint before).
  for (const flag of ['out', 'output-dir']) {
    const out = await cli([`--${flag}`, 'x'], d);
    t.equal(out.code, 2);
    t.equal(out.err, `gluon-finalstates: Unknown option '--${flag}' (did you mean --run-dir DIR, or --base-output-dir DIR for a new run directory in DIR? gluon-finalstates has no --${flag}) (gluon-finalstates --help lists the options)\n`);
  }
  const genTypo = await cli(['generate', '--sed', '2'], d);
  t.equal(genTypo.code, 2); t.equal(genTypo.err, "gluon-finalstates: generate: Unknown option '--sed' (did you mean --seed?) (gluon-finalstates generate --help lists the options)\n");
  // A negative number is the flag's value, refused by its range check (not parseArgs' "ambiguous").
  for (const [args, re] of [
    [['--jobs', '-1'], /^gluon-finalstates: --jobs must be an integer from 0 to 10000, got "-1"\n$/],
    [['--chunk-size', '-5'], /^gluon-finalstates: --chunk-size must be an integer ≥ 1, got "-5"\n$/],
    [['--batch-job-index', '-1', '--total-batch-jobs', '2'], /^gluon-finalstates: --batch-job-index must be from 0 to 1, got -1\n$/],
    [['generate', '--scale', '-1'], /^gluon-finalstates: --scale must be a number from 0\.01 to 100, got "-1"\n$/],
    // The same checks as gluon-h4l generate's: seeds are non-negative integers, scales in the generator's range.
    [['generate', '--seed', '-3'], /^gluon-finalstates: --seed must be a non-negative integer, got "-3"\n$/],
    [['generate', '--scale', '1000'], /^gluon-finalstates: --scale must be a number from 0\.01 to 100, got "1000"\n$/],
  ] as [string[], RegExp][]) {
    const r = await cli(args, d);
    t.equal(r.code, 2, args.join(' ')); t.match(r.err, re, args.join(' '));
  }
  // Where it would write, checked first as gluon-h4l generate's (it was ENOTDIR from mkdir): a
  // start failure naming it (exit 1, no --help pointer).
  const genOut = await cli(['generate', '--out', 'c.yaml'], d);
  t.equal(genOut.code, 1); t.equal(genOut.err, 'gluon-finalstates: --out c.yaml is a file, not a directory\n');
  // Batch flags without a batch cluster would be ignored: refused instead.
  const r7 = await cli(['--jobs', '3', '--job-cores', '2'], d);
  t.equal(r7.code, 2); t.match(r7.err, /^gluon-finalstates: --jobs 3, --job-cores 2 need --cluster slurm\|pbs\|ssh \(or cluster: in the config file\): without it no batch jobs are submitted\n$/);
  // --plots-only and --merge-only run nothing: batch (and other run) flags given with them would be
  // ignored, so they are refused, each named (the run dir need not exist: refused before reading it).
  for (const [args, re] of [
    [['--plots-only', '--run-dir', 'r', '--cluster', 'slurm', '--jobs', '3'], /^gluon-finalstates: --plots-only does not take --cluster slurm, --jobs 3: it redraws the plots of the finished run in --run-dir, running no tasks, submitting no batch jobs \(it takes --run-dir, and --config or --no-config\)\n$/],
    [['--merge-only', '--run-dir', 'r', '--job-memory', '4GiB'], /^gluon-finalstates: --merge-only does not take --job-memory 4GiB: it adds up the batch slices of the run in --run-dir, running no tasks, submitting no batch jobs \(it takes --run-dir, --min-events-per-fs, and --config or --no-config\)\n$/],
    [['--merge-only', '--run-dir', 'r', '--n-workers', '4'], /^gluon-finalstates: --merge-only does not take --n-workers 4: it adds up the batch slices of the run in --run-dir, running no tasks \(/],
    [['--plots-only', '--run-dir', 'r', '--batch-job-index', '0', '--total-batch-jobs', '2'], /^gluon-finalstates: --plots-only does not take --batch-job-index 0, --total-batch-jobs 2: /],
  ] as [string[], RegExp][]) {
    const r = await cli(args, d);
    t.equal(r.code, 2, args.join(' ')); t.match(r.err, re, args.join(' '));
  }
});

/**
 * --plots-only and --merge-only given a config file they cannot take (missing, not valid, settings
 * in conflict, as a run's batch settings may be) were refused saying only what was wrong in it,
 * though a redraw takes no setting from it and a merge only min_events_per_fs: the way out was
 * not said. (In this process: parseRunArgs is what the CLI runs first.)
 */
t.test('--plots-only and --merge-only refusing a config file say it can be left out (--no-config)', async (t) => {
  const d = tmp(t);
  const run = path.join(d, 'run');
  mkdirSync(run);
  const conflict = path.join(d, 'batch.yaml');
  writeFileSync(conflict, 'cluster: slurm\nscheduler: ws://x:1\n');
  await t.rejects(parseRunArgs(['--plots-only', '--run-dir', run, '--config', conflict]), {
    message: `cluster: slurm in ${conflict} starts its own scheduler; it cannot be combined with scheduler: ws://x:1 in ${conflict} (--plots-only takes no setting from a config file: leave --config out, or give --no-config)`,
  });
  const bad = path.join(d, 'bad.yaml');
  writeFileSync(bad, 'bin_width_gev: -1\n');
  await t.rejects(parseRunArgs(['--merge-only', '--run-dir', run, '--config', bad]), {
    message: `${bad}: bin_width_gev must be a positive number, got -1 (--merge-only takes only min_events_per_fs from a config file, which --min-events-per-fs gives: leave --config out, or give --no-config)`,
  });
  const gone = path.join(d, 'gone.yaml');
  await t.rejects(parseRunArgs(['--plots-only', '--run-dir', run, '--config', gone]), { message: /^cannot read config file \S+gone\.yaml \(.*ENOENT.*\) \(--plots-only takes no setting from a config file: leave --config out, or give --no-config\)$/ });
  // The way out works; a run refusing the same file says nothing of it (it takes its settings).
  t.equal((await parseRunArgs(['--plots-only', '--run-dir', run, '--no-config'])).mode, 'plots-only');
  const asRun = await parseRunArgs(['--config', bad, '--dry-run']).then(() => null, (e: Error) => e);
  t.equal(asRun?.message, `${bad}: bin_width_gev must be a positive number, got -1`);
});

t.test('--help says what every flag does, for run and generate', async (t) => {
  const d = tmp(t);
  // After `run` or other flags too, as gluon-h4l's commands take it (it said "Unknown option '--help'").
  for (const args of [['--help'], ['generate', '--help'], ['run', '--help'], ['--data-dir', 'x', '--help'], ['generate', '--seed', '3', '-h']]) {
    const r = await cli(args, d);
    t.equal(r.code, 0, args.join(' '));
    t.match(r.out, /--min-events-per-fs\s+final states with fewer events get no histograms \(config: min_events_per_fs\)/);
    t.match(r.out, /--seed N\s+random seed/);
    // The range is the generator's, filled in (it printed the literal '${SCALE_RANGE.min}').
    t.match(r.out, /--scale X\s+events relative to the default dataset, 0\.01 to 100 \(default 1\)/);
    t.notMatch(r.out, /\$\{/, 'no unfilled template field');
  }
});

t.test('--dry-run exits 0 when the run would start and 1 when it would fail, saying why', async (t) => {
  const d = tmp(t);
  const ok = await cli(['--data-dir', path.dirname(NANOAOD), '--schema', 'cms-nanoaod', '--dry-run'], d);
  t.equal(ok.code, 0, ok.err); t.match(ok.out, /200 entries/); t.match(ok.out, /planned tasks: 1 chunk tasks/); t.match(ok.out, /the run would start/);
  // The noun agrees with its count ('LocalCluster with 1 workers' before).
  const one = await cli(['--data-dir', path.dirname(NANOAOD), '--schema', 'cms-nanoaod', '--dry-run', '--n-workers', '1'], d);
  t.match(one.out, /^mode: LocalCluster with 1 worker$/m); t.match(ok.out, /^mode: LocalCluster with 2 workers$/m);
  t.notOk(existsSync(path.join(d, 'outputs')), 'a dry run writes nothing');
  // A relative --run-dir: the dry run names the directory the run then writes, absolute as the
  // run's `outputs:` line (it said `would write to rel/run/` and the run `outputs: /…/rel/run`).
  const relDry = await cli(['--data-dir', path.dirname(NANOAOD), '--schema', 'cms-nanoaod', '--run-dir', 'rel/run', '--dry-run'], d);
  const relRun = await cli(['--data-dir', path.dirname(NANOAOD), '--schema', 'cms-nanoaod', '--run-dir', 'rel/run', '--n-workers', '0'], d);
  t.equal(relRun.code, 0, relRun.err);
  const said = /^would write to (\S+)\/ \(/m.exec(relDry.out)?.[1], wrote = /^outputs: (\S+) \(/m.exec(relRun.out)?.[1];
  t.equal(said, path.join(d, 'rel', 'run'), 'the dry run names it absolute');
  t.equal(wrote, said, 'the run writes where the dry run said');
  t.ok(existsSync(path.join(d, 'rel', 'run', 'run.json')));
  // --no-config, gluon-h4l run's flag for reading no config file, is taken (no config file is
  // read here without --config anyway), where --config is: it was "Unknown option '--no-config'
  // (did you mean --config?)", exit 2, so a command line written for both CLIs failed here.
  writeFileSync(path.join(d, 'config.yaml'), 'bin_widht_gev: 5\n');
  const noConfig = await cli(['--data-dir', path.dirname(NANOAOD), '--schema', 'cms-nanoaod', '--no-config', '--dry-run'], d);
  t.equal(noConfig.code, 0, noConfig.err); t.match(noConfig.out, /the run would start/);
  const replot = await cli(['--plots-only', '--run-dir', 'rel/run', '--no-config'], d);
  t.equal(replot.code, 0, replot.err);
  const both = await cli(['--config', 'config.yaml', '--no-config', '--dry-run'], d);
  t.equal(both.code, 2); t.equal(both.err, 'gluon-finalstates: --config and --no-config exclude each other\n');
  rmSync(path.join(d, 'config.yaml'));
  // The default run directory under a relative --base-output-dir, likewise.
  const baseDry = await cli(['--data-dir', path.dirname(NANOAOD), '--schema', 'cms-nanoaod', '--base-output-dir', 'base', '--dry-run'], d);
  t.match(baseDry.out, new RegExp(`^would write to ${path.join(d, 'base').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/finalstates_\\d{8}_\\d{6}/ \\(finalstates\\.\\*\\)$`, 'm'));
  const wrongSchema = await cli(['--data-dir', path.dirname(NANOAOD), '--dry-run'], d);
  t.equal(wrongSchema.code, 1); t.match(wrongSchema.out, /nanoAOD_2015_CMS_Open_Data_ttbar\.root: no tree "mini"/);
  mkdirSync(path.join(d, 'in'));
  writeFileSync(path.join(d, 'in', 'broken.root'), 'not a ROOT file');
  const broken = await cli(['--data-dir', path.join(d, 'in'), '--dry-run'], d);
  t.equal(broken.code, 1); t.match(broken.out, /problem: .*broken\.root/);
  const run = await cli(['--data-dir', path.join(d, 'in'), '--n-workers', '0'], d);
  t.equal(run.code, 1, 'the real run fails as the dry run said'); t.match(run.err, /bad input file .*broken\.root: /);
  t.notOk(existsSync(path.join(d, 'outputs')), 'and writes nothing');
  // The folder above the dataset (as ../shared/data, which holds root-testfiles/ of other trees
  // beside atlas-opendata-13tev-2020-4lep/): it named only the first unrelated file it met.
  mkdirSync(path.join(d, 'above', 'cms'), { recursive: true });
  copyFileSync(NANOAOD, path.join(d, 'above', 'cms', 'ttbar.root'));
  mkdirSync(path.join(d, 'above', 'other'));
  writeFileSync(path.join(d, 'above', 'other', 'broken.root'), 'not a ROOT file');
  const advice = 'under above, its folder cms holds only files the run can read (ttbar.root): give above/cms instead';
  const aboveDry = await cli(['--data-dir', 'above', '--schema', 'cms-nanoaod', '--dry-run'], d);
  t.equal(aboveDry.code, 1); t.match(aboveDry.out, `\nthe run would fail (1 problem); ${advice}\n`);
  const aboveRun = await cli(['--data-dir', 'above', '--schema', 'cms-nanoaod', '--n-workers', '0'], d);
  t.equal(aboveRun.code, 1); t.match(aboveRun.err, new RegExp(`^gluon-finalstates: bad input file \\S+/above/other/broken\\.root: .*; ${advice.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\n$`));
  t.notOk(existsSync(path.join(d, 'outputs')), 'and writes nothing');
  // A folder with no .root files: the dry run lists it as a problem (exit 1, as every dry run
  // that finds the run would fail); the run refuses it as a bad --data-dir value (exit 2), as a
  // folder that does not exist and as gluon-h4l run's --data-dir without the selection's files.
  // It exited 1 (a start failure) from 5 December 2026, while gluon-h4l's exited 2.
  mkdirSync(path.join(d, 'no-root-files'));
  const none = await cli(['--data-dir', path.join(d, 'no-root-files'), '--dry-run'], d);
  t.equal(none.code, 1); t.match(none.out, /problem: no \*\.root files under \S+no-root-files/);
  const noneRun = await cli(['--data-dir', path.join(d, 'no-root-files'), '--n-workers', '0'], d);
  t.equal(noneRun.code, 2, 'the real run refuses the value, as gluon-h4l run does');
  t.equal(noneRun.err, `gluon-finalstates: no *.root files under ${path.join(d, 'no-root-files')}\n`);
  t.notOk(existsSync(path.join(d, 'outputs')), 'and writes nothing');
  const empty = await cli(['--data-dir', path.join(d, 'nowhere'), '--dry-run'], d);
  t.equal(empty.code, 1); t.match(empty.out, /data_dir .*nowhere does not exist/);
  const emptyRun = await cli(['--data-dir', path.join(d, 'nowhere'), '--n-workers', '0'], d);
  t.equal(emptyRun.code, 2, 'a --data-dir that does not exist is the same bad value as one with no .root files');
  // Relative, as the README's ../shared/data/… run from a clone with nothing beside it: the
  // absolute path looked at, from the working directory, not only the words given.
  const rel = await cli(['--data-dir', '../shared/nowhere', '--dry-run'], d);
  t.equal(rel.code, 1); t.match(rel.out, `data_dir ../shared/nowhere does not exist (${path.join(path.dirname(d), 'shared', 'nowhere')})`);
  if (existsSync('/proc/self')) {
    // A run directory that cannot be made: the real run did all its work first, then hung in
    // Node's recursive mkdir under /proc (it loops there); root passes access(W_OK) on /proc.
    const proc = await cli(['--data-dir', path.dirname(NANOAOD), '--schema', 'cms-nanoaod', '--n-workers', '0', '--run-dir', '/proc/gluon-fs/run'], d);
    t.equal(proc.code, 1); t.match(proc.err, /^gluon-finalstates: --run-dir \/proc\/gluon-fs\/run cannot be created: no directory can be made in \/proc \(ENOENT\)\n$/);
    t.notMatch(proc.err + proc.out, /events in/, 'nothing ran');
    const dry = await cli(['--data-dir', path.dirname(NANOAOD), '--schema', 'cms-nanoaod', '--run-dir', '/proc/gluon-fs/run', '--dry-run'], d);
    t.equal(dry.code, 1); t.match(dry.out, /problem: --run-dir \/proc\/gluon-fs\/run cannot be created: no directory can be made in \/proc/);
  }
  // A run directory that is a file: the run did all its work, then failed on ENOTDIR (exit 1),
  // and the dry run said it would start (access(W_OK) on the file passed).
  writeFileSync(path.join(d, 'a-file'), 'not a directory');
  const file = await cli(['--data-dir', path.dirname(NANOAOD), '--schema', 'cms-nanoaod', '--n-workers', '0', '--run-dir', 'a-file'], d);
  t.equal(file.code, 1); t.equal(file.err, 'gluon-finalstates: --run-dir a-file is a file, not a directory\n');
  t.notMatch(file.out, /events in/, 'nothing ran');
  const dryFile = await cli(['--data-dir', path.dirname(NANOAOD), '--schema', 'cms-nanoaod', '--run-dir', 'a-file', '--dry-run'], d);
  t.equal(dryFile.code, 1); t.match(dryFile.out, /^problem: --run-dir a-file is a file, not a directory$/m);
  const under = await cli(['--data-dir', path.dirname(NANOAOD), '--schema', 'cms-nanoaod', '--n-workers', '0', '--base-output-dir', 'a-file/runs'], d);
  t.equal(under.code, 1); t.match(under.err, /^gluon-finalstates: run directory a-file\/runs\/finalstates_\d{8}_\d{6} cannot be created: \S+a-file is a file, not a directory\n$/);
  t.equal(readFileSync(path.join(d, 'a-file'), 'utf8'), 'not a directory', 'the file is as it was');
  t.same(readdirSync(d).filter((f) => f.startsWith('.gluon-probe-')), [], 'the probes leave nothing behind');
});

t.test('a wss:// scheduler with mutual TLS: --tls-ca, --tls-cert and --tls-key, checked before the run', async (t) => {
  // docs/across-hosts.md's setup on loopback (a private CA, client certificates required). The
  // CLI had no TLS flags: connecting said "give the cluster's CA (--tls-ca …)", an unknown option.
  const cluster = await LocalCluster.start({ nWorkers: 1, tls: true });
  t.teardown(() => cluster.close());
  const f = cluster.tls!;
  const d = tmp(t);
  const at = ['--data-dir', NANOAOD, '--schema', 'cms-nanoaod', '--min-events-per-fs', '5', '--scheduler', cluster.schedulerAddress];
  const r = await cli([...at, '--tls-ca', f.ca!, '--tls-cert', f.cert!, '--tls-key', f.key!], d);
  t.equal(r.code, 0, r.err);
  t.match(r.out, `scheduler ${cluster.schedulerAddress}`);
  const [run] = readdirSync(path.join(d, 'outputs'));
  t.equal(JSON.parse(readFileSync(path.join(d, 'outputs', run!, 'histograms', 'finalstates.summary.json'), 'utf8')).events, 200);
  // Without the CA: the TLS error names the flag and the config key the user has, where it said
  // "(--tls-ca, or tls.ca)", tls.ca being Client.connect's option.
  const noCa = await cli([...at, '--tls-cert', f.cert!, '--tls-key', f.key!], d);
  t.equal(noCa.code, 1, 'a CA the system does not trust: failed while working');
  t.match(noCa.err, /unknown CA: the certificate of scheduler wss:\/\/\S+ is not signed by a CA this side trusts; give the cluster's CA \(--tls-ca, or tls_ca in the config file\) \[/);
  const bad: Array<[string[], RegExp]> = [
    [['--data-dir', NANOAOD, '--tls-ca', f.ca!], /^gluon-finalstates: --tls-ca \S+ is for connecting to a wss:\/\/ scheduler given by address, with --scheduler \(or scheduler in the config file\)/],
    [[...at, '--tls-key', f.key!], /--tls-key \S+ needs --tls-cert \(or tls_cert in the config file\) too: the certificate and its private key go together/],
  ];
  for (const [args, why] of bad) {
    const b = await cli(args, d);
    t.equal(b.code, 2, args.join(' '));
    t.match(b.err, why, args.join(' '));
  }
  // A file that cannot be read or holds the wrong thing is a start failure naming it (exit 1, no
  // --help pointer), as gluon-scheduler's and gluon-worker's --tls-* files are (04573b3).
  const unusable: Array<[string[], RegExp]> = [
    [[...at, '--tls-ca', path.join(d, 'no-such-ca.pem'), '--dry-run'], /^gluon-finalstates: --tls-ca \S+no-such-ca\.pem: cannot read it \(ENOENT\)\n$/],
    [[...at, '--tls-ca', f.ca!, '--tls-cert', f.cert!, '--tls-key', path.join(d, 'no-such.key')], /^gluon-finalstates: --tls-key \S+no-such\.key: cannot read it \(ENOENT\)\n$/],
    [[...at, '--tls-ca', f.ca!, '--tls-cert', f.key!, '--tls-key', f.key!], /^gluon-finalstates: --tls-cert \S+: not a PEM certificate/],
  ];
  for (const [args, why] of unusable) {
    const b = await cli(args, d);
    t.equal(b.code, 1, args.join(' '));
    t.match(b.err, why, args.join(' '));
    t.notMatch(b.err, /--help/, 'no --help pointer');
  }
});

t.test('CMS NanoAOD: a full run on the public test file', async (t) => {
  const d = tmp(t);
  const r = await cli(['--data-dir', NANOAOD, '--schema', 'cms-nanoaod', '--n-workers', '0', '--min-events-per-fs', '5', '--run-name', 'nano'], d);
  t.equal(r.code, 0, r.err);
  const [run] = readdirSync(path.join(d, 'outputs'));
  t.match(run, /^nano_\d{8}_\d{6}$/, 'outputs/<run_name>_<YYYYMMDD_HHMMSS>');
  const s = JSON.parse(readFileSync(path.join(d, 'outputs', run, 'histograms', 'finalstates.summary.json'), 'utf8'));
  t.equal(s.events, 200);
  t.ok(Object.keys(s.finalStates).some((f: string) => f.includes('j')), `jets found: ${Object.keys(s.finalStates).join(' ')}`);
  t.ok(s.histograms.length > 0, `${s.histograms.length} histograms`);
  const hs = await readHistogramFile(path.join(d, 'outputs', run, 'histograms', 'finalstates.root'));
  t.same(hs.map((h) => h.name), s.histograms, 'the ROOT file holds the listed histograms');
});

if (!HAVE_OPENDATA) {
  t.skip;
} else {
  /**
   * The unsplit run of the opendata files (--min-events-per-fs 3) the first test below makes: the
   * second merges batch slices of the same run and compares them with it, rather than making it
   * again (each run reads the four files whole). Its directory is the file's, not the test's.
   */
  const unsplitHome = tmp(t);
  let unsplit: string | undefined;
  const unsplitArgs = ['--data-dir', OPENDATA, '--n-workers', '0', '--min-events-per-fs', '3'];

  const unsplitTest = t.test('a run writes histograms/, plots/, logs/ and run.json; --plots-only redraws; --tasks limits the stages', async (t) => {
    const d = unsplitHome;
    const r = await cli([...unsplitArgs, '--base-output-dir', 'out'], d);
    t.equal(r.code, 0, r.err);
    // The summary's counts and rates with thousands separators, as the rest of the output has them.
    t.match(r.out, /^832 events: 33 with fewer than 2 objects, 65 final states\n/m);
    t.match(r.out, /^11,811 masses in \d+\.\d\d s \(\d{1,3}(,\d{3})* events\/s, \d{1,3}(,\d{3})+ masses\/s\)$/m);
    const [run] = readdirSync(path.join(d, 'out'));
    const dir = path.join(d, 'out', run);
    if (r.code === 0) unsplit = dir;
    t.same(readdirSync(dir).sort(), ['histograms', 'logs', 'plots', 'run.json']);
    t.same(readdirSync(path.join(dir, 'histograms')).sort(), ['finalstates.root', 'finalstates.summary.json']);
    t.same(readdirSync(path.join(dir, 'logs')).sort(), ['finalstates.chunks.json', 'finalstates.stages.json']);
    const plots = readdirSync(path.join(dir, 'plots'));
    t.ok(plots.includes('events_per_final_state.png') && plots.includes('timing.svg'), plots.join(' '));
    t.equal(plots.filter((p) => p.startsWith('mass_') && p.endsWith('.png')).length, 6, 'the 6 largest histograms');
    const runJson = JSON.parse(readFileSync(path.join(dir, 'run.json'), 'utf8'));
    t.equal(runJson.inputs.length, 4);
    for (const i of runJson.inputs) t.match(i, { bytes: Number, sha256: /^[0-9a-f]{64}$/, entries: Number });
    t.match(runJson, { command: Array, config: { min_events_per_fs: 3 }, versions: { '@gluon/analysis-finalstates': '0.1.0', node: process.version }, events: 832 });
    t.ok(runJson.timings.process > 0);
    const chunks = JSON.parse(readFileSync(path.join(dir, 'logs', 'finalstates.chunks.json'), 'utf8'));
    t.equal(chunks.reduce((a: number, c: { events: number }) => a + c.events, 0), 832, 'per-task statistics cover every event');
    rmSync(path.join(dir, 'plots'), { recursive: true });
    const re = await cli(['--plots-only', '--run-dir', dir], d);
    t.equal(re.code, 0, re.err);
    t.same(readdirSync(path.join(dir, 'plots')).sort(), plots.sort(), '--plots-only redraws the same plots');
    const parseOnly = await cli(['--data-dir', OPENDATA, '--n-workers', '0', '--tasks', 'parse', '--run-dir', path.join(d, 'parse')], d);
    t.equal(parseOnly.code, 0, parseOnly.err);
    t.same(readdirSync(path.join(d, 'parse', 'histograms')), ['finalstates.summary.json'], 'no ROOT file without the histograms stage');
    const ps = JSON.parse(readFileSync(path.join(d, 'parse', 'histograms', 'finalstates.summary.json'), 'utf8'));
    const full = JSON.parse(readFileSync(path.join(dir, 'histograms', 'finalstates.summary.json'), 'utf8'));
    t.same(ps.finalStates, full.finalStates, 'parse alone counts the same final states');
    t.equal(ps.combinations, 0, 'and computes no masses');
  });

  t.test('batch slices merged with --merge-only give the histograms of one unsplit run', async (t) => {
    const d = tmp(t);
    for (const i of [0, 1, 2]) {
      const r = await cli(['--data-dir', OPENDATA, '--n-workers', '0', '--batch-job-index', String(i), '--total-batch-jobs', '3'], d);
      t.equal(r.code, 0, r.err);
    }
    // The test above's run (it runs beside this one: its end is awaited), or (that one failed, or
    // is not run) one made here the same way.
    await unsplitTest;
    let wholeDir = unsplit;
    if (wholeDir === undefined) {
      const whole = await cli([...unsplitArgs, '--run-dir', 'whole'], d);
      t.equal(whole.code, 0, whole.err);
      wholeDir = path.join(d, 'whole');
    }
    const dir = path.join(d, 'outputs', 'finalstates_batch-of-3');
    const early = await cli(['--merge-only', '--run-dir', dir, '--min-events-per-fs', '3'], d);
    t.equal(early.code, 0, early.err);
    const a = await readHistogramFile(path.join(wholeDir, 'histograms', 'finalstates.root'));
    const b = await readHistogramFile(path.join(dir, 'histograms', 'finalstates.root'));
    t.same(b.map((h) => h.name), a.map((h) => h.name), 'the same histograms');
    t.same(b.map((h) => Array.from(h.contents)), a.map((h) => Array.from(h.contents)), 'the same bin contents');
    const sa = JSON.parse(readFileSync(path.join(wholeDir, 'histograms', 'finalstates.summary.json'), 'utf8'));
    const sb = JSON.parse(readFileSync(path.join(dir, 'histograms', 'finalstates.summary.json'), 'utf8'));
    t.same(sb.finalStates, sa.finalStates); t.same(sb.removed, sa.removed);
    t.ok(existsSync(path.join(dir, 'plots', 'events_per_final_state.png')) && existsSync(path.join(dir, 'run.json')), 'plots and run.json regenerated');
    // A missing slice is named.
    const partial = path.join(d, 'partial', 'histograms');
    mkdirSync(partial, { recursive: true });
    for (const ext of ['root', 'summary.json']) copyFileSync(path.join(dir, 'histograms', `finalstates.batch-0-of-3.${ext}`), path.join(partial, `finalstates.batch-0-of-3.${ext}`));
    const missing = await cli(['--merge-only', '--run-dir', path.join(d, 'partial')], d);
    t.equal(missing.code, 2); t.match(missing.err, /batch jobs 1, 2 of 3 have not written their slices/);
  });
}
