/**
 * The CLI as a user meets it: --help on every command, one exit-code rule (2 for usage errors,
 * 1 for failures), messages that name things once, outputs checked before running, a dry run
 * that fails when the run would, ./config.yaml read by default, --linger until Ctrl-C.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { writeFileSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { LocalCluster } from '@gluon/client';
import { generateDataset } from '../src/generate/index.js';
import { CLI, cliSandbox } from './cli-sandbox.js';

const { tmp, cliRan } = cliSandbox(t, 'h4l-usage-');
const cli = (args: string[], cwd = tmp) => cliRan(args, { cwd });

const data = path.join(tmp, 'data');
t.before(() => generateDataset({ outDir: data, scale: 0.01, seed: 9, samples: ['data_A', 'data_B', 'llll'] }));

// Two subtests at a time: each runs the CLI in a directory of its own under tmp (or reads only the
// shared dataset), and waits on its own processes; one after another the file took the sum of ~80
// CLI runs, each mostly start-up.
t.jobs = 2;

t.test('--help works on every command (exit 0)', async (t) => {
  const r = await cli(['run', '--help']);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /usage: gluon-h4l run \[options\]/);
  t.match(r.stdout, /--skip-bad-files +skip unreadable files .*\(skip_bad_files\)/);
  t.match(r.stdout, /\.\/config\.yaml in the working directory/);
  for (const cmd of ['generate', 'download', 'plot']) {
    const h = await cli([cmd, '-h']);
    t.equal(h.code, 0, `${cmd} -h`);
    t.match(h.stdout, new RegExp(`usage: gluon-h4l ${cmd}`));
  }
  const top = await cli(['--help']);
  t.equal(top.code, 0);
  // Every exit code the commands use, Ctrl-C's too (it was left out; gluon-finalstates --help had it).
  t.match(top.stdout, /Exit codes: 0 done, 1 failed, 2 usage error,\s+130 a run stopped by Ctrl-C/);
});

t.test('the config file is named by its full path, typed relative or read unasked (as gluon-finalstates names it)', async (t) => {
  const dir = path.join(tmp, 'config-names');
  mkdirSync(dir, { recursive: true });
  const gone = await cli(['run', '--config', 'nope.yaml'], dir);
  t.equal(gone.code, 2);
  t.equal(gone.stderr, `gluon-h4l run: cannot read config file ${path.join(dir, 'nope.yaml')} (no such file or directory (ENOENT))\n`);
  writeFileSync(path.join(dir, 'config.yaml'), 'chunk_size: 0\n');
  const bad = await cli(['run'], dir);
  t.equal(bad.code, 2);
  // Read unasked, so the refusal says why it was read and the way out (23ea9e3).
  t.equal(bad.stderr, `gluon-h4l run: ${path.join(dir, 'config.yaml')}: chunk_size must be an integer ≥ 1, got 0 (read because it is in the working directory: --no-config reads none, --config FILE another)\n`);
});

t.test('usage errors exit 2 in every command, named once', async (t) => {
  const cases: [string[], RegExp][] = [
    // A flag near none of run's (--bogus is within reach of --hosts: "did you mean --hosts?").
    [['run', '--frobnicate'], /^gluon-h4l run: Unknown option '--frobnicate' \(gluon-h4l run --help lists the options\)\n$/],
    [['run', '--n-worker', '2'], /^gluon-h4l run: Unknown option '--n-worker' \(did you mean --n-workers\?\) \(gluon-h4l run --help lists the options\)\n$/],
    [['plot', '--bogus'], /^gluon-h4l plot: Unknown option '--bogus'/],
    [['plot'], /^gluon-h4l plot: --run-dir DIR is required/],
    [['generate', '--bogus'], /^gluon-h4l generate: Unknown option/],
    [['download', '--bogus'], /^gluon-h4l download: Unknown option/],
    // generate and run take --out; a user carrying it over got no hint of --dest.
    [['download', '--out', 'x'], /^gluon-h4l download: Unknown option '--out' \(did you mean --dest\? download has no --out\) \(gluon-h4l download --help lists the options\)\n$/],
    // gluon-finalstates' output flags, and other tools', name --out here (they got no hint).
    [['run', '--output-dir', 'x'], /^gluon-h4l run: Unknown option '--output-dir' \(did you mean --out\? run has no --output-dir\) \(gluon-h4l run --help lists the options\)\n$/],
    [['run', '--run-dir', 'x'], /^gluon-h4l run: Unknown option '--run-dir' \(did you mean --out\? run has no --run-dir\)/],
    [['run', '--base-output-dir', 'x'], /^gluon-h4l run: Unknown option '--base-output-dir' \(did you mean --out\? run has no --base-output-dir\)/],
    // Not a flag any command has: no hint (one came from Object's prototype: "did you mean --function Object() …").
    [['run', '--constructor'], /^gluon-h4l run: Unknown option '--constructor' \(gluon-h4l run --help lists the options\)\n$/],
    [['generate', '--scale', 'abc'], /^gluon-h4l generate: --scale must be a number from 0\.01 to 100, got "abc"\n$/],
    [['generate', '--scale', '1000'], /^gluon-h4l generate: --scale must be a number from 0\.01 to 100, got "1000"\n$/],
    [['generate', '--seed', '1.5'], /--seed must be a non-negative integer, got "1\.5"/],
    // Seeds are non-negative integers (a negative one used to be accepted and written).
    [['generate', '--seed', '-3'], /^gluon-h4l generate: --seed must be a non-negative integer, got "-3"\n$/],
    [['generate', '--seed', ''], /^gluon-h4l generate: --seed must be a non-negative integer, got ""\n$/],
    [['generate', '--scale', '-1'], /^gluon-h4l generate: --scale must be a number from 0\.01 to 100, got "-1"\n$/],
    [['generate', '--threads', '0'], /--threads must be an integer from 1 to 256, got "0"/],
    [['download', '--timeout', '0'], /--timeout must be a positive number of seconds/],
    [['download', '--selection', 'best'], /--selection must be notebook or framework/],
    [['run', '--n-workers', 'two'], /^gluon-h4l run: --n-workers must be an integer ≥ 0, got "two"\n$/],
    // A negative number is the flag's value, refused by its range check (not parseArgs' "ambiguous").
    [['run', '--jobs', '-1'], /^gluon-h4l run: --jobs must be an integer from 0 to 10000, got "-1"\n$/],
    [['run', '--n-workers', '-2'], /^gluon-h4l run: --n-workers must be an integer ≥ 0, got "-2"\n$/],
    [['generate', '--threads', '-1'], /^gluon-h4l generate: --threads must be an integer from 1 to 256, got "-1"\n$/],
    // Batch flags without a batch cluster would be ignored: refused instead.
    [['run', '--no-config', '--jobs', '3'], /^gluon-h4l run: --jobs 3 needs --cluster slurm\|pbs\|ssh \(or cluster: in the config file\): without it no batch jobs are submitted\n$/],
    [['run', '--no-config', '--scheduler', 'ws://127.0.0.1:9', '--jobs', '3', '--job-memory', '4GiB'], /^gluon-h4l run: --jobs 3, --job-memory 4GiB need --cluster slurm\|pbs/],
    [['frobnicate'], /^gluon-h4l: unknown command "frobnicate" \(commands: run, generate, download, plot\)\nusage:/],
    // A misspelt command names the likely one; a flag before any command says a command comes
    // first (gluon-finalstates takes its flags so). Both said only `unknown command "…"`.
    [['runn', '--data-dir', 'x'], /^gluon-h4l: unknown command "runn" \(did you mean run\?\) \(commands: run, generate, download, plot\)\n/],
    [['--data-dir', 'x'], /^gluon-h4l: --data-dir is a flag, but a command comes first: gluon-h4l run --data-dir … \(commands: run, generate, download, plot\)\n/],
    // The dataset given without --data-dir ('.' exists wherever the CLI runs): it said only "does not take positional arguments".
    [['run', '.'], /^gluon-h4l run: Unexpected argument '\.'\. This command does not take positional arguments \(did you mean --data-dir \.\?\) \(gluon-h4l run --help lists the options\)\n$/],
    // Hosts as a list after one --hosts: it said only "does not take positional arguments".
    [['run', '--cluster', 'ssh', '--hosts', 'lab1', 'lab2', 'lab3'], /^gluon-h4l run: Unexpected argument 'lab2'\. This command does not take positional arguments \(lab2 lab3 follow --hosts lab1, and a flag takes one value; repeat the flag for each: --hosts lab1 --hosts lab2 --hosts lab3\) \(gluon-h4l run --help lists the options\)\n$/],
    [['run', '--config', '/nonexistent/c.yaml'], /^gluon-h4l run: cannot read config file \/nonexistent\/c\.yaml \(no such file or directory \(ENOENT\)\)\n$/],
  ];
  for (const [args, re] of cases) {
    const r = await cli(args);
    t.equal(r.code, 2, `${args.join(' ')} exits 2`);
    t.match(r.stderr, re, args.join(' '));
    t.notMatch(r.stderr, /gluon-h4l[^\n]*gluon-h4l run:|gluon-h4l: gluon-h4l/, 'the program is named once');
  }
  t.equal((await cli(['generate', '--out', path.join(tmp, 'nowhere'), '--scale', '1000'])).code, 2);
  t.notOk(existsSync(path.join(tmp, 'nowhere')), 'nothing written');
});

t.test('outputs are checked before the run', async (t) => {
  // A directory of its own: the other subtests' runs probe tmp (their outputs' nearest existing
  // ancestor) while this one runs, and it checks that its probes leave nothing behind.
  const dir = path.join(tmp, 'outputs-checked');
  mkdirSync(dir);
  const file = path.join(dir, 'a-file');
  writeFileSync(file, 'x');
  const r = await cli(['run', '--data-dir', data, '--n-workers', '0', '--out', file]);
  t.equal(r.code, 1, 'a start failure naming the path, not a usage error');
  // Named as the user gave it: the flag (it said the config key, `out`, which was not typed).
  t.equal(r.stderr, `gluon-h4l run: --out ${file} is a file, not a directory\n`);
  t.notMatch(r.stdout, /selection notebook/, 'nothing ran');
  const outCfg = path.join(dir, 'out.yaml');
  writeFileSync(outCfg, `out: ${file}\n`);
  const fromFile = await cli(['run', '--config', outCfg, '--data-dir', data, '--n-workers', '0']);
  t.equal(fromFile.code, 1);
  t.equal(fromFile.stderr, `gluon-h4l run: ${outCfg}: out ${file} is a file, not a directory\n`, 'from the config file: its key, in it');
  const overridden = await cli(['run', '--config', outCfg, '--data-dir', data, '--n-workers', '0', '--out', file]);
  t.equal(overridden.stderr, `gluon-h4l run: --out ${file} is a file, not a directory\n`, 'a flag over the file: the flag');
  const report = await cli(['run', '--data-dir', data, '--n-workers', '1', '--performance-report', dir]);
  t.equal(report.stderr, `gluon-h4l run: --performance-report ${dir} is a directory, not a file\n`);
  const cfg = path.join(dir, 'cache.yaml');
  writeFileSync(cfg, `entry_cache: ${path.join(file, 'entries.json')}\n`);
  const c = await cli(['run', '--config', cfg, '--data-dir', data, '--n-workers', '0', '--out', path.join(dir, 'never')]);
  t.equal(c.code, 1);
  t.equal(c.stderr, `gluon-h4l run: ${cfg}: entry_cache ${path.join(file, 'entries.json')} cannot be created: ${file} is a file, not a directory\n`);
  t.notOk(existsSync(path.join(dir, 'never')));
  const d = await cli(['run', '--data-dir', data, '--n-workers', '0', '--out', path.join(file, 'sub'), '--dry-run']);
  t.equal(d.code, 1, 'the dry run checks them too');
  t.match(d.stderr, /^gluon-h4l run: --out \S+a-file\/sub cannot be created: \S+a-file is a file, not a directory/);
  if (existsSync('/proc/self')) {
    // /proc passes access(W_OK) for root, and Node's recursive mkdir under it never returns: the
    // run did all its work and then hung writing its outputs.
    const p = await cli(['run', '--data-dir', data, '--n-workers', '0', '--out', '/proc/gluon-out/run']);
    t.equal(p.code, 1);
    // (As root the probe finds it; as anyone else access() already does.)
    t.match(p.stderr, /^gluon-h4l run: --out \/proc\/gluon-out\/run cannot be created: (no directory can be made in \/proc \(ENOENT\)|\/proc is not writable \(EACCES\))\n$/);
    t.notMatch(p.stdout, /selection notebook/, 'nothing ran');
  }
  t.same(readdirSync(dir).filter((f) => f.startsWith('.gluon-probe-')), [], 'the probes leave nothing behind');
});

t.test('plot on a histograms.json without groups says so', async (t) => {
  const dir = path.join(tmp, 'nogroups');
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'histograms.json'), JSON.stringify({ schema: 'gluon-h4l/histograms@1', selection: 'notebook', samples: {} }));
  const r = await cli(['plot', '--run-dir', dir]);
  t.equal(r.code, 1);
  t.equal(r.stderr, `gluon-h4l plot: ${path.join(dir, 'histograms.json')}: no "groups" object (every run writes one; was the file cut short or edited?)\n`);
  const empty = path.join(tmp, 'empty-run');
  mkdirSync(empty);
  const e = await cli(['plot', '--run-dir', empty]);
  t.equal(e.code, 1);
  t.match(e.stderr, /^gluon-h4l plot: cannot read \S+empty-run\/histograms\.json \(no such file: is this a run's output directory\?\)\n$/);
  // A --run-dir that does not exist is said before anything is read (aa18da4), a start failure
  // naming it (exit 1), as gluon-scheduler's missing --token-file is.
  const m = await cli(['plot', '--run-dir', path.join(tmp, 'missing')]);
  t.equal(m.code, 1);
  t.match(m.stderr, /^gluon-h4l plot: --run-dir \S+missing does not exist\n$/);
});

t.test('--dry-run fails when the run would', async (t) => {
  const bad = path.join(tmp, 'bad-data');
  mkdirSync(path.join(bad, 'Data'), { recursive: true });
  writeFileSync(path.join(bad, 'Data', 'data_A.4lep.root'), readFileSync(path.join(data, 'Data', 'data_A.4lep.root')));
  writeFileSync(path.join(bad, 'Data', 'data_B.4lep.root'), 'not ROOT\n');
  const r = await cli(['run', '--data-dir', bad, '--dry-run', '--no-config']);
  t.equal(r.code, 1);
  t.match(r.stdout, /data_B +ERROR /);
  t.match(r.stdout, /the run would fail: 1 bad input file \(skip_bad_files is off; --skip-bad-files runs without it\)/);
  const s = await cli(['run', '--data-dir', bad, '--dry-run', '--skip-bad-files']);
  t.equal(s.code, 0);
  t.match(s.stdout, /the run would skip 1 bad input file; each would contribute nothing/);
  const real = await cli(['run', '--data-dir', bad, '--n-workers', '0', '--out', path.join(tmp, 'bad-out')]);
  t.equal(real.code, 1, 'and the run does fail');
  t.match(real.stderr, /^gluon-h4l run: bad input file \S+data_B\.4lep\.root: /);
  t.equal((await cli(['run', '--data-dir', path.join(tmp, 'empty-dir'), '--dry-run'])).code, 1, 'no input files');
});

// --skip-bad-files over files that are all bad (a folder of damaged copies, a URL base with the
// network down) ran to exit 0: `0 events in the outputs`, empty histograms, and a note calling it
// a data-only run. A script or a batch job took that for a result.
t.test('--skip-bad-files with every input file bad: the run fails, naming them, and writes nothing', async (t) => {
  const bad = path.join(tmp, 'all-bad');
  mkdirSync(path.join(bad, 'Data'), { recursive: true });
  writeFileSync(path.join(bad, 'Data', 'data_A.4lep.root'), 'not ROOT\n');
  writeFileSync(path.join(bad, 'Data', 'data_B.4lep.root'), '');
  const dry = await cli(['run', '--no-config', '--data-dir', bad, '--dry-run', '--skip-bad-files']);
  t.equal(dry.code, 1, 'the dry run says the run would fail');
  t.match(dry.stdout, /the run would fail: all 2 input files are bad \(--skip-bad-files would skip every one, leaving nothing to analyse\)/);
  const out = path.join(tmp, 'all-bad-out');
  for (const workers of ['0', '1']) {
    const r = await cli(['run', '--no-config', '--data-dir', bad, '--skip-bad-files', '--n-workers', workers, '--no-dashboard', '--out', out]);
    t.equal(r.code, 1, `${workers} workers: exit 1`);
    t.match(r.stderr, /^gluon-h4l run: all 2 input files are bad \(skipped by --skip-bad-files\), so there is nothing to analyse and no outputs were written: \S+data_A\.4lep\.root: not a ROOT file[^;]*; \S+data_B\.4lep\.root: /m);
    t.notOk(existsSync(out), 'no outputs');
  }
});

t.test('a --data-dir that gives no files says why: missing, a file, the Data/ folder itself, or the folder above it', async (t) => {
  // Each said only "no input files … under DIR (looked for DIR/Data/data_A.4lep.root, …)": for
  // the Data/ folder itself that read DIR/Data/Data/…, with nothing saying to go one level up.
  const above = path.join(tmp, 'above');
  mkdirSync(above);
  symlinkSync(data, path.join(above, 'atlas-4lep'));
  const emptyFolder = path.join(tmp, 'empty-folder');
  mkdirSync(emptyFolder);
  const cases: [string, RegExp][] = [
    [path.join(data, 'Data'), new RegExp(`: no input files for selection notebook under \\S+/Data: it holds the files themselves \\(data_A\\.4lep\\.root, data_B\\.4lep\\.root\\), but they are looked for as Data/… and MC/… below the directory given: give ${data.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} instead`)],
    [path.join(data, 'Data', 'data_A.4lep.root'), /: no input files for selection notebook under \S+data_A\.4lep\.root: it is a file, not a directory \(give the directory that holds Data\/ and MC\/\)/],
    [path.join(tmp, 'no-such-dir'), /: no input files for selection notebook under \S+no-such-dir: it does not exist \(give the directory that holds Data\/ and MC\/\)/],
    // An empty folder: the same bad value (exit 2), as gluon-finalstates' --data-dir without *.root files.
    [emptyFolder, /: no input files for selection notebook under \S+empty-folder \(looked for \S+empty-folder\/Data\/data_A\.4lep\.root, /],
    // The directory above it (as ../shared/data, which holds atlas-opendata-13tev-2020-4lep/): it
    // said only "(looked for …/shared/data/Data/data_A.4lep.root, …)", not where the files are.
    [above, new RegExp(`: no input files for selection notebook under \\S+/above: it holds no Data/ or MC/ of its own, but its folder atlas-4lep does \\(Data/data_A\\.4lep\\.root, …\\): give ${path.join(above, 'atlas-4lep').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} instead`)],
    // Relative, as the README's ../shared/data/… run from a clone with nothing beside it: which
    // absolute path was looked at (the working directory's), not only the words given.
    ['../shared/no-such-dir', new RegExp(`: no input files for selection notebook under \\.\\./shared/no-such-dir: it does not exist \\(${path.join(path.dirname(tmp), 'shared', 'no-such-dir').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}; give the directory that holds Data/ and MC/\\)`)],
  ];
  // A batch run said it only after it had started its scheduler and submitted its jobs (then
  // cancelled them): on the real Slurm, 'slurm: submitted 1 job (1116) for the scheduler at …' first.
  const pbs = path.join(tmp, 'fake-pbs');
  mkdirSync(pbs);
  const batch = await cliRan(['run', '--data-dir', path.join(tmp, 'no-such-dir'), '--cluster', 'pbs', '--jobs', '1', '--no-config'],
    { cwd: tmp, env: { ...process.env, FAKE_PBS_DIR: pbs, PATH: `${path.join(path.dirname(CLI), '../../deploy/test/fixtures/pbs-bin')}:${process.env.PATH}` } });
  t.equal(batch.code, 2, `--cluster pbs: exit 2, a bad value:\n${batch.stderr}`);
  t.match(batch.stderr, /: no input files for selection notebook under \S+no-such-dir: it does not exist/);
  t.notMatch(batch.stdout + batch.stderr, /submitted/, 'nothing submitted');
  t.notOk(existsSync(path.join(pbs, 'seq')), 'qsub never ran');
  for (const [dir, re] of cases) {
    const run = await cli(['run', '--data-dir', dir, '--n-workers', '0', '--no-config']);
    t.equal(run.code, 2, `${dir}: exit 2, a bad value (as gluon-finalstates)`);
    t.match(run.stderr, re, `${dir}: run`);
    const dry = await cli(['run', '--data-dir', dir, '--dry-run', '--no-config']);
    t.equal(dry.code, 1);
    t.match(dry.stdout, re, `${dir}: --dry-run`);
  }
});

t.test('./config.yaml is read by default, flags override it, --no-config skips it', async (t) => {
  const cwd = path.join(tmp, 'with-config');
  mkdirSync(cwd);
  writeFileSync(path.join(cwd, 'config.yaml'), `data_dir: ${data}\nn_workers: 0\nchunk_size: 7\nrun_name: fromyaml\n`);
  const r = await cli(['run', '--dry-run', '--chunk-size', '1000'], cwd);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, new RegExp(`^config: ${path.join(cwd, 'config.yaml')}\n`), 'says which file');
  t.match(r.stdout, /mode: in-process serial/, 'n_workers from ./config.yaml');
  t.match(r.stdout, /chunks of ≤ 1,000 events/, 'the flag overrides it');
  // outputs/<run_name>_<YYYYMMDD_HHMMSS>, as gluon-finalstates names its run directories (it was YYYYMMDD-HHMMSS).
  // Absolute, from the working directory, as the run's `outputs:` line names it (it said `outputs/fromyaml_…`).
  t.match(r.stdout, new RegExp(`would write to ${path.join(cwd, 'outputs').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/fromyaml_\\d{8}_\\d{6}\\b`));
  // A relative --out: the dry run names the directory the run then writes (it said `would write
  // to ../rel-out` and the run `outputs: /…/rel-out`).
  const dry = await cli(['run', '--dry-run', '--out', '../rel-out'], cwd);
  const real = await cli(['run', '--out', '../rel-out'], cwd);
  t.equal(real.code, 0, real.stderr);
  const said = /^would write to (.+)$/m.exec(dry.stdout)?.[1], wrote = /^outputs: (\S+) \(/m.exec(real.stdout)?.[1];
  t.equal(said, path.join(tmp, 'rel-out'), 'the dry run names it absolute');
  t.equal(wrote, said, 'the run writes where the dry run said');
  t.ok(existsSync(path.join(tmp, 'rel-out', 'run.json')));
  const n = await cli(['run', '--dry-run', '--no-config'], cwd);
  t.equal(n.code, 2, 'without it, data_dir is not set');
  t.match(n.stderr, /data_dir is not set/);
  writeFileSync(path.join(cwd, 'config.yaml'), 'chunk_size: many\n');
  const b = await cli(['run', '--dry-run'], cwd);
  t.equal(b.code, 2);
  t.match(b.stderr, /config\.yaml: chunk_size must be an integer ≥ 1, got "many"/);
});

t.test('--linger keeps the cluster and dashboard up until Ctrl-C', async (t) => {
  const out = path.join(tmp, 'linger-out');
  const p = spawn(process.execPath, [CLI, 'run', '--data-dir', data, '--n-workers', '1', '--out', out, '--linger', '--no-config'], { cwd: tmp, stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => { if (p.exitCode === null) p.kill('SIGKILL'); });
  let stdout = '';
  const exited = new Promise<number | null>((resolve) => p.on('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "press Ctrl-C" line within 120 s; got:\n${stdout}`)), 120_000);
    p.stdout.on('data', (b: Buffer) => {
      stdout += b.toString();
      if (/press Ctrl-C to stop them/.test(stdout)) { clearTimeout(timer); resolve(); }
    });
  });
  t.match(stdout, /dashboard: (http:\/\/\S+) \(stays up after the run until Ctrl-C: --linger\)/);
  const url = /dashboard: (http:\/\/\S+)/.exec(stdout)![1]!;
  t.ok(readdirSync(out).includes('run.json'), 'outputs written before lingering');
  t.equal((await fetch(url)).status, 200, 'the dashboard answers after the run');
  p.kill('SIGINT');
  t.equal(await exited, 0, 'Ctrl-C ends it cleanly');
  await t.rejects(fetch(url), 'the dashboard is gone');
  const r = await cli(['run', '--data-dir', data, '--n-workers', '0', '--linger']);
  t.equal(r.code, 2);
  t.match(r.stderr, /--linger keeps a cluster and its dashboard up, and an in-process run \(--n-workers 0\) has none/);
});

t.test('with --scheduler the dashboard printed is the scheduler\'s, and the run says it stays up (it does)', async (t) => {
  const cluster = await LocalCluster.start({ nWorkers: 1 });
  t.teardown(() => cluster.close());
  const r = await cli(['run', '--data-dir', data, '--scheduler', cluster.schedulerAddress, '--out', path.join(tmp, 'sched-out'), '--no-config']);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, `dashboard: ${cluster.dashboardUrl} (the scheduler's own: it stays up after the run)`);
  t.notMatch(r.stdout, /closes with the run/);
  t.equal((await fetch(cluster.dashboardUrl!)).status, 200, 'the dashboard answers after the run');
});

t.test('a wss:// scheduler with mutual TLS and a token: --tls-ca, --tls-cert and --tls-key (or config keys), checked before the run', async (t) => {
  // The cross-host setup of docs/across-hosts.md on loopback: a private CA, client certificates
  // required, a token. gluon-h4l had no TLS flags, so its own advice (--tls-ca) was an unknown option.
  const cluster = await LocalCluster.start({ nWorkers: 1, tls: true, token: 'h4l-tls-token' });
  t.teardown(() => cluster.close());
  const f = cluster.tls!;
  const env = { ...process.env, GLUON_TOKEN: 'h4l-tls-token' };
  const at = ['run', '--data-dir', data, '--scheduler', cluster.schedulerAddress, '--no-config'];
  const ok = await cliRan([...at, '--tls-ca', f.ca!, '--tls-cert', f.cert!, '--tls-key', f.key!, '--out', path.join(tmp, 'tls-out')], { cwd: tmp, env });
  t.equal(ok.code, 0, ok.stderr);
  t.match(ok.stdout, `scheduler ${cluster.schedulerAddress}`);
  t.ok(existsSync(path.join(tmp, 'tls-out', 'histograms.json')));

  writeFileSync(path.join(tmp, 'tls.yaml'), `tls_ca: ${f.ca}\ntls_cert: ${f.cert}\ntls_key: ${f.key}\n`);
  const yaml = await cliRan(['run', '--data-dir', data, '--scheduler', cluster.schedulerAddress, '--config', path.join(tmp, 'tls.yaml'), '--out', path.join(tmp, 'tls-yaml-out')], { cwd: tmp, env });
  t.equal(yaml.code, 0, yaml.stderr);

  // Without the CA: the TLS error names the flag and the config key the user has, where it said
  // "(--tls-ca, or tls.ca)", tls.ca being Client.connect's option (found on hosts in namespaces).
  const noCa = await cliRan([...at, '--tls-cert', f.cert!, '--tls-key', f.key!, '--out', path.join(tmp, 'tls-no-ca')], { cwd: tmp, env });
  t.equal(noCa.code, 1, 'a CA the system does not trust: failed while working');
  t.match(noCa.stderr, /^gluon-h4l run: Client\.connect\(wss:\/\/\S+\): unknown CA: the certificate of scheduler wss:\/\/\S+ is not signed by a CA this side trusts; give the cluster's CA \(--tls-ca, or tls_ca in the config file\) \[/m);

  const noCert = await cliRan([...at, '--tls-ca', f.ca!, '--dry-run'], { cwd: tmp, env });
  t.equal(noCert.code, 0, 'a CA alone is a valid setting (a cluster without --require-client-cert)');
  const bad: Array<[string[], RegExp]> = [
    [['run', '--data-dir', data, '--no-config', '--tls-ca', f.ca!], /^gluon-h4l run: --tls-ca \S+ is for connecting to a wss:\/\/ scheduler given by address, with --scheduler \(or scheduler in the config file\); without one there is nothing to connect to$/m],
    [['run', '--data-dir', data, '--no-config', '--scheduler', 'ws://127.0.0.1:1', '--tls-ca', f.ca!], /--tls-ca \S+ given, but --scheduler ws:\/\/127\.0\.0\.1:1 is plain ws:\/\/, which speaks no TLS: give its wss:\/\/ address/],
    [[...at, '--tls-cert', f.cert!], /--tls-cert \S+ needs --tls-key \(or tls_key in the config file\) too: the certificate and its private key go together/],
  ];
  for (const [args, why] of bad) {
    const r = await cliRan(args, { cwd: tmp, env });
    t.equal(r.code, 2, args.join(' '));
    t.match(r.stderr, why, args.join(' '));
  }
  // A file that cannot be read or holds the wrong thing is a start failure naming it (exit 1, no
  // --help pointer), as gluon-scheduler's and gluon-worker's --tls-* files are (04573b3).
  const unusable: Array<[string[], RegExp]> = [
    [[...at, '--tls-ca', path.join(tmp, 'no-such-ca.pem')], /^gluon-h4l run: --tls-ca \S+no-such-ca\.pem: cannot read it \(ENOENT\)\n$/],
    [[...at, '--tls-ca', f.ca!, '--tls-cert', path.join(tmp, 'no-such-cert.pem'), '--tls-key', f.key!], /^gluon-h4l run: --tls-cert \S+no-such-cert\.pem: cannot read it \(ENOENT\)\n$/],
    [[...at, '--tls-ca', f.ca!, '--tls-cert', f.cert!, '--tls-key', f.ca!], /^gluon-h4l run: --tls-key \S+: not a PEM private key/],
    [[...at, '--tls-ca', f.key!, '--dry-run'], /^gluon-h4l run: --tls-ca \S+: no PEM certificate in it\n$/],
  ];
  for (const [args, why] of unusable) {
    const r = await cliRan(args, { cwd: tmp, env });
    t.equal(r.code, 1, args.join(' '));
    t.match(r.stderr, why, args.join(' '));
    t.notMatch(r.stderr, /--help/, 'no --help pointer');
  }
});

t.test('a run into a directory holding an earlier run\'s outputs removes the earlier files it does not write again, nothing else', async (t) => {
  const out = path.join(tmp, 'rerun-out');
  const first = await cli(['run', '--data-dir', data, '--n-workers', '0', '--selection', 'framework', '--out', out, '--no-config']);
  t.equal(first.code, 0, first.stderr);
  t.ok(readdirSync(out).includes('hist_mLL1.svg'), 'the framework run drew its plots');
  writeFileSync(path.join(out, 'notes.txt'), 'mine');
  const second = await cli(['run', '--data-dir', data, '--n-workers', '0', '--selection', 'notebook', '--out', out, '--no-config']);
  t.equal(second.code, 0, second.stderr);
  const left = readdirSync(out).sort();
  const recorded = (JSON.parse(readFileSync(path.join(out, 'run.json'), 'utf8')) as { outputs: string[] }).outputs;
  t.same(left, [...recorded, 'notes.txt'].sort(), 'the directory holds the notebook run\'s outputs and the user\'s file');
  t.notOk(left.includes('hist_mLL1.svg'), 'no framework plot left');
  t.match(second.stdout, /removed 26 files an earlier run wrote in \S+rerun-out that this run does not write: .*hist_mLL1\.svg/);
});
