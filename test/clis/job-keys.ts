import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JOB_KEY_NAMES, JOB_KEYS, runFlagOf, SSH_RUN_KEYS, type JobKeyName } from '@gluon/deploy';

/**
 * Every job key of @gluon/deploy's table, walked: gluon-cluster, gluon-h4l run and
 * gluon-finalstates each take it (by flag, and the analyses by config.yaml), write it into the job
 * script they print, refuse a bad value in the same words naming what the user gave, and list it
 * in --help and README's CLI table. The analyses lacked --job-extra, --job-log-directory and a
 * prologue that gluon-cluster had, and checked --job-memory more loosely than --memory.
 */
const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bins = {
  cluster: join(repo, 'packages/deploy/bin/gluon-cluster.js'),
  h4l: join(repo, 'packages/analysis-h4l/bin/gluon-h4l.js'),
  fs: join(repo, 'packages/analysis-finalstates/bin/gluon-finalstates.js'),
};
const dir = mkdtempSync(join(tmpdir(), 'job-keys-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

interface Sample {
  /** A good value as typed (none for a switch), and as config.yaml holds it. */
  text?: string;
  yaml: unknown;
  /** What the job script then holds (or, with `absent`, does not). */
  shows?: string;
  absent?: string;
  /** A bad value as typed (none for a switch), and as config.yaml holds it. */
  bad?: string;
  badYaml: unknown;
  /** Other keys it needs (key → typed value). */
  with?: Partial<Record<JobKeyName, string>>;
}

const SAMPLES: Record<JobKeyName, Sample> = {
  jobs: { text: '3', yaml: 3, shows: '--array=0-2', bad: 'x', badYaml: 'x' },
  job_cores: { text: '4', yaml: 4, shows: '--cpus-per-task=4', bad: '0', badYaml: 0 },
  job_memory: { text: '8GiB', yaml: '8GiB', shows: '--mem=8192M', bad: '1MiB', badYaml: '1KB' },
  job_walltime: { text: '02:00:00', yaml: '02:00:00', shows: '--time=02:00:00', bad: '2h', badYaml: '2h' },
  job_lifetime: { text: '50m', yaml: '50m', shows: '--lifetime 50m', bad: 'later', badYaml: 'later' },
  job_lifetime_stagger: { text: '4m', yaml: '4m', shows: '--lifetime-stagger 4m', bad: 'x', badYaml: 'x', with: { job_lifetime: '50m' } },
  job_death_timeout: { text: '2m', yaml: '2m', shows: '--death-timeout 2m', bad: 'nope', badYaml: '10ms' },
  job_queue: { text: 'short', yaml: 'short', shows: '--partition=short', bad: 'a b', badYaml: 'a b' },
  job_account: { text: 'atlas', yaml: 'atlas', shows: '--account=atlas', bad: 'at las', badYaml: 'at las' },
  job_name: { text: 'mine', yaml: 'mine', shows: '--job-name=mine', bad: 'my job', badYaml: 'my job' },
  job_extra: { text: '--exclusive', yaml: ['--exclusive'], shows: '#SBATCH --exclusive', bad: 'a\nb', badYaml: '--exclusive\n--qos=high' },
  job_prologue: { text: 'module load nodejs', yaml: ['module load nodejs'], shows: '\nmodule load nodejs\n', bad: ' ', badYaml: ['ok', ''] },
  job_log_directory: { text: '/tmp/job-logs', yaml: '/tmp/job-logs', shows: '--output=/tmp/job-logs/', bad: '', badYaml: 7 },
  job_resource_spec: { text: 'select=1:ncpus=2', yaml: 'select=1:ncpus=2', shows: '#PBS -l select=1:ncpus=2', bad: 'a b', badYaml: 'a b' },
  job_pending_notice: { text: 'never', yaml: '2m', bad: 'soon', badYaml: '200h' },
  max_failed_jobs: { text: '3', yaml: 3, bad: '0', badYaml: 0 },
  job_arrays: { yaml: false, absent: '--array', badYaml: 'no', with: { jobs: '2' } },
};

/** The launcher a key is tried with: Slurm unless it is for PBS only. */
const launcherOf = (k: JobKeyName) => (JOB_KEYS[k].launchers.includes('slurm') ? 'slurm' : 'pbs');

function run(bin: string, args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [bin, ...args], { cwd: dir, env: { ...process.env, GLUON_TOKEN: undefined } });
    let out = '', err = '';
    c.stdout.on('data', (d) => { out += d; });
    c.stderr.on('data', (d) => { err += d; });
    c.on('error', reject);
    c.on('close', (code) => resolve({ code, out, err }));
  });
}

/** A key as typed to gluon-cluster and to the analyses (with `=`: a value may start with a dash). */
const clusterArgs = (k: JobKeyName, text?: string) => (JOB_KEYS[k].type === 'off' ? [`--${JOB_KEYS[k].flag}`] : [`--${JOB_KEYS[k].flag}=${text}`]);
const runArgs = (k: JobKeyName, text?: string) => (JOB_KEYS[k].type === 'off' ? [`--${runFlagOf(k)}`] : [`--${runFlagOf(k)}=${text}`]);
const withCluster = (k: JobKeyName) => Object.entries(SAMPLES[k].with ?? {}).flatMap(([w, v]) => clusterArgs(w as JobKeyName, v));
const withRun = (k: JobKeyName) => Object.entries(SAMPLES[k].with ?? {}).flatMap(([w, v]) => runArgs(w as JobKeyName, v));

/** The three CLIs' commands printing the job script with `k` given by flag: [who, bin, args]. */
function byFlag(k: JobKeyName, text?: string): [string, string, string[]][] {
  const l = launcherOf(k);
  return [
    ['gluon-cluster', bins.cluster, [l, ...withCluster(k), ...clusterArgs(k, text), '--print-job-script']],
    ['gluon-h4l run', bins.h4l, ['run', '--no-config', '--cluster', l, ...withRun(k), ...runArgs(k, text), '--print-job-script']],
    ['gluon-finalstates', bins.fs, ['--cluster', l, ...withRun(k), ...runArgs(k, text), '--print-job-script']],
  ];
}

/** The two analyses' commands printing the job script with `k` in a config file: [who, bin, args, file]. */
function byConfig(k: JobKeyName, value: unknown, name: string): [string, string, string[], string][] {
  const file = join(dir, `${name}.yaml`);
  const withKeys = Object.entries(SAMPLES[k].with ?? {}).map(([w, v]) => `${w}: ${JSON.stringify(JOB_KEYS[w as JobKeyName].type === 'int' ? Number(v) : v)}\n`).join('');
  writeFileSync(file, `cluster: ${launcherOf(k)}\n${withKeys}${k}: ${JSON.stringify(value)}\n`);
  return [
    ['gluon-h4l run', bins.h4l, ['run', '--config', file, '--print-job-script'], file],
    ['gluon-finalstates', bins.fs, ['--config', file, '--print-job-script'], file],
  ];
}

/** The line of `err` that starts with `prefix`, without it. */
const after = (err: string, prefix: string) => err.split('\n').find((l) => l.startsWith(prefix))?.slice(prefix.length);

for (const k of JOB_KEY_NAMES) {
  t.test(`${k}: taken by all three CLIs, into the job script, and refused alike`, async (t) => {
    const s = SAMPLES[k];
    const good = [...byFlag(k, s.text).map(([n, b, a]) => [`${n} ${a.join(' ')}`, b, a] as const),
      ...byConfig(k, s.yaml, `${k}-good`).map(([n, b, a]) => [`${n} with ${k}: ${JSON.stringify(s.yaml)}`, b, a] as const)];
    await Promise.all(good.map(async ([what, bin, args]) => {
      const r = await run(bin, args);
      t.equal(r.code, 0, `${what}: exit 0 ${r.err.trim()}`);
      if (s.shows) t.ok(r.out.includes(s.shows), `${what}: the script holds ${JSON.stringify(s.shows)}`);
      if (s.absent) t.notOk(r.out.includes(s.absent), `${what}: the script lacks ${s.absent}`);
    }));
    // A bad value: each CLI names what its user gave (the flag, or the file and key), then the same words.
    if (s.bad !== undefined) {
      const tails = await Promise.all(byFlag(k, s.bad).map(async ([name, bin, args]) => {
        const r = await run(bin, args);
        t.equal(r.code, 2, `${name} ${JSON.stringify(args)}: exit 2`);
        t.equal(r.out, '', 'no script printed');
        const flag = name === 'gluon-cluster' ? JOB_KEYS[k].flag : runFlagOf(k);
        const tail = after(r.err, `${name}: --${flag} `);
        t.ok(tail?.includes(`, got ${JSON.stringify(s.bad)}`), `${name}: the message names --${flag} and the value as typed: ${r.err.trim()}`);
        return tail;
      }));
      t.equal(new Set(tails).size, 1, `one wording for the three: ${[...new Set(tails)].join(' | ')}`);
    }
    const configTails = await Promise.all(byConfig(k, s.badYaml, `${k}-bad`).map(async ([name, bin, args, file]) => {
      const r = await run(bin, args);
      t.equal(r.code, 2, `${name} with ${k}: ${JSON.stringify(s.badYaml)}: exit 2`);
      const tail = after(r.err, `${name}: ${file}: ${k} `);
      t.ok(tail?.includes(`, got ${JSON.stringify(s.badYaml)}`), `${name}: the message names the file, ${k} and the value: ${r.err.trim()}`);
      return tail;
    }));
    t.equal(new Set(configTails).size, 1, `one wording for the two analyses: ${[...new Set(configTails)].join(' | ')}`);
  });
}

const escape = (s: string) => s.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');

t.test('a job script submitted once per job: each CLI prints it alone on stdout and says on stderr how many times it goes', async (t) => {
  // gluon-h4l run and gluon-finalstates printed PBS's script for --jobs 3 and said nothing: a reader
  // saw one job where three would be submitted. Slurm --no-job-arrays likewise; the array job is one submission.
  for (const args of [['--cluster', 'pbs', '--jobs', '3'], ['--cluster', 'slurm', '--jobs', '3', '--no-job-arrays']]) {
    const clusterArgs = [args[1]!, ...args.slice(2), '--print-job-script'];
    for (const [name, bin, argv] of [['gluon-cluster', bins.cluster, clusterArgs], ['gluon-h4l run', bins.h4l, ['run', '--no-config', ...args, '--print-job-script']], ['gluon-finalstates', bins.fs, [...args, '--print-job-script']]] as const) {
      const r = await run(bin, [...argv]);
      t.equal(r.code, 0, `${name} ${argv.join(' ')}: ${r.err}`);
      t.match(r.out, /^#!\/usr\/bin\/env bash\n/, `${name}: the script on stdout`);
      t.notMatch(r.out, /submitted|--array/, `${name}: the script as submitted, nothing added`);
      t.match(r.err, new RegExp(`^${escape(name)}: (--jobs 3: )?this job script is submitted 3 times, one worker per job$`, 'm'), `${name} ${argv.join(' ')}: said on stderr`);
    }
  }
  const array = await run(bins.h4l, ['run', '--no-config', '--cluster', 'slurm', '--jobs', '3', '--print-job-script']);
  t.match(array.out, /^#SBATCH --array=0-2$/m);
  t.notMatch(array.err, /submitted \d+ times/, 'one array job is one submission: nothing said');
});


t.test('each key is in every CLI\'s --help and README\'s CLI table', async (t) => {
  const help = {
    cluster: (await run(bins.cluster, ['--help'])).out,
    h4l: (await run(bins.h4l, ['run', '--help'])).out,
    fs: (await run(bins.fs, ['--help'])).out,
  };
  const readme = readFileSync(join(repo, 'README.md'), 'utf8').split('\n');
  const clusterRow = readme.find((l) => l.startsWith('| `gluon-cluster'));
  const runRow = readme.find((l) => l.startsWith('| `gluon-h4l run`'));
  t.ok(clusterRow, 'README.md has a row for gluon-cluster');
  t.ok(runRow, 'README.md has a row for the analyses\' batch flags');
  for (const k of JOB_KEY_NAMES) {
    const e = JOB_KEYS[k], f = runFlagOf(k), words = escape(e.help.slice(0, 24));
    t.match(help.cluster, new RegExp(`^  --${e.flag}\\b.*(\\n +)?${words}`, 'm'), `gluon-cluster --help: --${e.flag}`);
    t.match(help.h4l, new RegExp(`^  --${f}\\b.*${words}.*\\(${k}\\)$`, 'm'), `gluon-h4l run --help: --${f} (${k})`);
    t.match(help.fs, new RegExp(`^  --${f}\\b.*${words}.*\\(config: ${k}\\)$`, 'm'), `gluon-finalstates --help: --${f} (config: ${k})`);
    t.match(clusterRow ?? '', new RegExp(`\`--${e.flag}[ =\`]`), `README gluon-cluster row: --${e.flag}`);
    t.match(runRow ?? '', new RegExp(`\`--${f}[ =\`]`), `README analyses row: --${f}`);
  }
  // The analyses' row is their batch and ssh flags, no more: --cluster, the job keys', the ssh
  // keys' (gluon-cluster ssh's own, since 8ede132), --print-job-script.
  const listed = [...(runRow ?? '').matchAll(/`(--[\w-]+)/g)].map((m) => m[1]);
  const ssh = Object.values(SSH_RUN_KEYS).map((k) => `--${k.flag}`);
  t.same(listed.sort(), ['--cluster', ...JOB_KEY_NAMES.map((k) => `--${runFlagOf(k)}`), ...ssh, '--print-job-script'].sort(), 'README lists the analyses\' batch and ssh flags');
});
