import t, { type Test as TapTest } from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { Client } from '@gluon/client';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixtures, repo } from './helpers.js';
import { descendants, NODE_COMM } from '../../../test/helpers/process-tree.js';

/** gluon-cluster as a user runs it: the job script it would submit, bad values, and a real submit/cancel (fake PBS). */
const bin = join(repo, 'packages/deploy/bin/gluon-cluster.js');
/**
 * Only a bound on a gluon-cluster that hangs, never a budget: at nice 19 on a loaded 2-core machine
 * one `--print-job-script` took over the 60 s this was (status null, no output, 6 December 2026).
 */
const HANG_BOUND_MS = 600_000;
const run = (args: string[], env: NodeJS.ProcessEnv = {}) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: HANG_BOUND_MS, env: { ...process.env, ...env } });

t.test('--print-job-script shows what the options submit', async (t) => {
  const s = run(['slurm', '--cores', '4', '--memory', '8GiB', '--walltime', '02:00:00', '--queue', 'short', '--account', 'X', '--job-extra', '--qos=high', '--prologue', 'module load nodejs', '--print-job-script']);
  t.equal(s.status, 0, s.stderr);
  for (const l of ['#SBATCH --cpus-per-task=4', '#SBATCH --mem=8192M', '#SBATCH --time=02:00:00', '#SBATCH --partition=short', '#SBATCH --account=X', '#SBATCH --qos=high', 'module load nodejs']) {
    t.ok(s.stdout.split('\n').includes(l), l);
  }
  t.match(s.stdout, /--nthreads 4 --name "gluon-worker-\$\{SLURM_JOB_ID\}" --memory-limit 8GiB --listen-host "\$\(hostname\)" --lifetime 110m --lifetime-stagger 5m --death-timeout 1m$/m, 'a walltime gives the worker a lifetime below it');
  // --jobs 3 on Slurm is one array job (scale() submits arrayScript(3)): that is what is shown.
  const a = run(['slurm', '--jobs', '3', '--log-directory', '/tmp/logs', '--print-job-script']);
  t.equal(a.status, 0, a.stderr);
  t.match(a.stdout, /^#SBATCH --array=0-2$/m, '--jobs 3: the array script');
  t.match(a.stdout, /^#SBATCH --output=\/tmp\/logs\/%x-%A_%a\.out$/m);
  t.match(a.stdout, /--name "gluon-worker-\$\{SLURM_ARRAY_JOB_ID\}_\$\{SLURM_ARRAY_TASK_ID\}"/);
  const one = run(['slurm', '--jobs', '3', '--no-job-arrays', '--print-job-script']);
  t.equal(one.status, 0, one.stderr);
  t.notMatch(one.stdout, /--array/, '--no-job-arrays: the single job script, submitted 3 times');
  t.match(one.stdout, /--name "gluon-worker-\$\{SLURM_JOB_ID\}"/);
  // Said on stderr (it was not said at all): stdout is the script as submitted, nothing added.
  t.match(one.stderr, /^gluon-cluster: --jobs 3: this job script is submitted 3 times, one worker per job$/m, '--no-job-arrays: how many times the script goes');
  t.notMatch(one.stdout, /submitted/, 'not in the script');
  t.notMatch(a.stderr, /submitted \d+ times/, 'the array job is submitted once: nothing said');
  const p = run(['pbs', '--cores', '2', '--resource-spec', 'nodes=1:ppn=2', '--job-extra', '-l place=scatter', '--print-job-script']);
  t.equal(p.status, 0, p.stderr);
  t.match(p.stdout, /^#PBS -l nodes=1:ppn=2$/m);
  t.match(p.stdout, /^#PBS -l place=scatter$/m);
  t.notMatch(p.stderr, /submitted \d+ times/, '--jobs 1: one submission, nothing said');
  // PBS has no array job here: --jobs 2 prints the same script, and says it goes twice.
  const p2 = run(['pbs', '--cores', '2', '--resource-spec', 'nodes=1:ppn=2', '--job-extra', '-l place=scatter', '--jobs', '2', '--print-job-script']);
  t.equal(p2.status, 0, p2.stderr);
  t.equal(p2.stdout, p.stdout, 'the script printed is the one each job runs, unchanged');
  t.match(p2.stderr, /^gluon-cluster: --jobs 2: this job script is submitted 2 times, one worker per job$/m);
  // --adapt: the job script on stdout as each job runs it, and on stderr what adapt submits (nothing was said).
  const pa = run(['pbs', '--cores', '2', '--resource-spec', 'nodes=1:ppn=2', '--job-extra', '-l place=scatter', '--adapt', '2:10', '--print-job-script']);
  t.equal(pa.status, 0, pa.stderr);
  t.equal(pa.stdout, p.stdout, '--adapt: the script each job runs, byte for byte');
  t.match(pa.stderr, /^gluon-cluster: --adapt 2:10: adapt starts with 2 jobs and follows the scheduler's load up to 10 jobs, back to 2 when idle; this job script is submitted once per worker, one worker per job$/m, '--adapt: what it starts with, up to what, and how');
  const sa = run(['slurm', '--adapt', '0:4', '--print-job-script']);
  t.equal(sa.status, 0, sa.stderr);
  t.notMatch(sa.stdout, /--array/, 'the single job script');
  t.match(sa.stdout, /--name "gluon-worker-\$\{SLURM_JOB_ID\}"/);
  t.match(sa.stderr, /^gluon-cluster: --adapt 0:4: adapt starts with no job until the scheduler has tasks and follows the scheduler's load up to 4 jobs, back to 0 when idle; several workers wanted at once are submitted as one array job of this script \(with its array directive\), one alone as this script$/m, 'Slurm: arrays said');
});

t.test('--allow-module: a relative entry is taken from the directory gluon-cluster runs in and passed on absolute; one that names nothing is refused', async (t) => {
  // The job's worker took it as typed, from its own working directory, which a --prologue line
  // may change (here `cd /`): the printed script showed `--allow-module ./tasks`.
  const here = mkdtempSync(join(tmpdir(), 'gluon-cluster-allow-'));
  t.teardown(() => rmSync(here, { recursive: true, force: true }));
  mkdirSync(join(here, 'tasks'));
  const inHere = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { cwd: here, encoding: 'utf8', timeout: HANG_BOUND_MS });
  for (const kind of ['slurm', 'pbs']) {
    const r = inHere([kind, '--prologue', 'cd /', '--allow-module', './tasks', '--allow-module', '@acme/tasks', '--print-job-script']);
    t.equal(r.status, 0, r.stderr);
    const worker = r.stdout.split('\n').find((l) => l.startsWith('exec '));
    t.ok(worker?.endsWith(` --allow-module ${join(here, 'tasks')} --allow-module @acme/tasks`), `${kind}: the entry made absolute, a package name as given: ${worker}`);
  }
  const missing = inHere(['pbs', '--allow-module', './no-such-tasks', '--print-job-script']);
  t.equal(missing.status, 2, 'a relative entry naming nothing exits 2');
  t.equal(missing.stdout, '', 'nothing printed');
  t.match(missing.stderr, `gluon-cluster: --allow-module "./no-such-tasks": no such file or directory: ${join(here, 'no-such-tasks')} (a relative entry is taken from the directory gluon-cluster runs in, ${here})`);
});

t.test('--help says where the token comes from: GLUON_TOKEN, else the kept ~/.gluon/cluster-token', async (t) => {
  const h = run(['--help']);
  t.equal(h.status, 0, h.stderr);
  t.notMatch(h.stdout, /random unless GLUON_TOKEN is set/, 'not a fresh random token each time: that was never what it does');
  t.same(h.stdout.split('\n').filter((l) => (l.match(/repeatable/g) ?? []).length > 1), [], 'no flag says repeatable twice');
  t.match(h.stdout.replace(/\s+/g, ' '), /The token \(GLUON_TOKEN; else, for a scheduler other hosts reach, the one kept in ~\/\.gluon\/cluster-token, made there if missing\) reaches the jobs through their environment \(ssh: stdin\)\./);
});

t.test('--help states --jobs\'s default once, for each launcher', async (t) => {
  // Before: `(ssh: one on each worker host when left out) (default 1)`, two defaults for one flag.
  for (const args of [['--help'], ['ssh', '--help']]) {
    const h = run(args);
    t.equal(h.status, 0, h.stderr);
    const line = h.stdout.split('\n').find((l) => /^\s+--jobs N\s/.test(l));
    t.equal(line?.replace(/^\s+--jobs N\s+/, ''), 'jobs to submit, one worker each (default: 1 for slurm and pbs; ssh: one on each worker host)', args.join(' '));
  }
  // The default it states: one job (Slurm: a plain job, not an array of several).
  const s = run(['slurm', '--print-job-script']);
  t.equal(s.status, 0, s.stderr);
  t.notMatch(s.stdout, /--array/, 'slurm without --jobs: one job');
  t.match(s.stdout, /--name "gluon-worker-\$\{SLURM_JOB_ID\}"/);
});

t.test('bad values exit 2 naming the flag and the value', async (t) => {
  const cases: [string[], RegExp][] = [
    [['lsf'], /the launcher must be slurm, pbs or ssh, got "lsf"$/m],
    // A Dask user's guess: it said only "must be slurm, pbs or ssh", not how to start local workers.
    [['local'], /the launcher must be slurm, pbs or ssh, got "local"; workers on this machine need no launcher: `gluon-scheduler`, then `gluon-worker ws:\/\/127\.0\.0\.1:8786 --nworkers N` \(or LocalCluster from @gluon\/client in a script\)/],
    [['slurm', '--hosts', 'a,b'], /--hosts is for ssh only, not slurm/],
    [['ssh', '--hosts', 'a,b', '--queue', 'short'], /--queue is a batch-system option; it means nothing over ssh/],
    [['ssh', '--hosts', 'a,b', '--print-job-script'], /--print-job-script is for slurm and pbs/],
    // Taken and ignored before: the scheduler went to a's own address all the same.
    [['ssh', '--hosts', 'a,b', '--host', '10.0.0.9'], /^gluon-cluster: --host is for slurm and pbs \(the address the scheduler started here listens on\); over ssh the scheduler runs on the first of --hosts and listens on that host's address: give it there as the workers reach it \(--hosts 10\.0\.0\.9,…\)$/m],
    [['slurm', '--resource-spec', 'nodes=1:ppn=4', '--print-job-script'], /--resource-spec is for pbs only; give Slurm resource requests with --job-extra/],
    // It said 'got []', as if the user had given an empty list (found by the new-user trial).
    [['ssh'], /gluon-cluster: --hosts is required over ssh: the scheduler's host, then at least one worker host \(none given\)$/m],
    [['ssh', '--hosts', 'a'], /--hosts must list the scheduler's host and at least one worker host/],
    [['slurm', '--jobs', '-1'], /--jobs must be an integer from 0 to 10000, got "-1"|argument is ambiguous/],
    [['slurm', '--cores', '0'], /--cores must be an integer from 1 to 1024, got "0"/],
    [['slurm', '--memory', '1k'], /--memory must be a size like 64MiB or 2GB \(a number of bytes, or a number and a unit; KB, MB, GB, TB are powers of 1000 and KiB, MiB, GiB, TiB of 1024\), got "1k"/],
    [['slurm', '--memory', '1MiB'], /--memory must be from 16MiB to 1024TiB, got "1MiB"/],
    [['slurm', '--walltime', '2h'], /--walltime must look like HH:MM:SS \(or D-HH:MM:SS\), got "2h"/],
    [['slurm', '--adapt', '5'], /--adapt must look like MIN:MAX \(e\.g\. 0:20\), got "5"/],
    // Refused with the flags, before a scheduler starts (it used to start one, then throw in adapt()).
    [['slurm', '--adapt', '5:2', '--print-job-script'], /--adapt must have MIN ≤ MAX, got "5:2"/],
    [['slurm', '--max-failed-jobs', '0'], /--max-failed-jobs must be an integer from 1 to 10000, got "0"/],
    [['slurm', '--pending-notice', 'soon'], /--pending-notice must be a duration like 500ms, 30s, 2m or 8h, or never, got "soon"/],
    [['pbs', '--pending-notice', '200h'], /--pending-notice must be from 0ms to 168h, or never, got "200h"/],
    [['ssh', '--hosts', 'a,b', '--pending-notice', '5s'], /--pending-notice is a batch-system option; an ssh cluster starts its workers at once/],
    [[], /expected 1 launcher \(slurm, pbs or ssh\), got 0/],
    // Both taken before, --jobs silently ignored; --no-job-arrays silently meaningless on PBS.
    [['slurm', '--adapt', '0:5', '--jobs', '3', '--print-job-script'], /--jobs and --adapt are each the number of jobs: give one/],
    [['pbs', '--no-job-arrays', '--print-job-script'], /--no-job-arrays is for slurm only; PBS gets one qsub per worker already/],
    [['ssh', '--hosts', 'a,b', '--no-job-arrays'], /--no-job-arrays is for slurm only; ssh starts one session per worker/],
  ];
  for (const [args, re] of cases) {
    const r = run(args);
    t.equal(r.status, 2, `gluon-cluster ${args.join(' ')} exits 2`);
    t.match(r.stderr, re);
  }
  const v = run(['--version']);
  t.match(v.stdout, /^gluon-cluster \d+\.\d+\.\d+$/m);
});

t.test('a value the launchers refuse is named by the flag that gave it, never the options-object key', async (t) => {
  // Each said its JobClusterOptions key (deathTimeout, lifetimeStagger, jobName, …), which nobody typed.
  const cases: [string[], string][] = [
    [['slurm', '--death-timeout', 'nope'], '--death-timeout must be a duration like 500ms, 30s, 2m or 8h, got "nope"'],
    [['pbs', '--death-timeout', '10ms'], '--death-timeout must be at least 1s, got "10ms"'],
    [['slurm', '--lifetime', 'later'], '--lifetime must be a duration like 500ms, 30s, 2m or 8h, got "later"'],
    [['slurm', '--walltime', '01:00:00', '--lifetime-stagger', 'x'], '--lifetime-stagger must be a duration like 500ms, 30s, 2m or 8h, got "x"'],
    [['slurm', '--lifetime-stagger', '4m'], '--lifetime-stagger varies the lifetime: give --lifetime (or --walltime, from which it follows)'],
    [['pbs', '--walltime', '01:00:00', '--lifetime', 'none', '--lifetime-stagger', '4m'], '--lifetime-stagger varies the lifetime: it means nothing when --lifetime turns the lifetime off'],
    [['slurm', '--walltime', '01:00:00', '--lifetime', '50m', '--lifetime-stagger', '20m'], '--lifetime 50m + --lifetime-stagger 20m is not below --walltime 01:00:00: the batch system would kill the worker before it retires'],
    [['slurm', '--walltime', '01:00:00', '--lifetime-stagger', '40m'], 'the lifetime 55m (the default for that walltime) + --lifetime-stagger 40m is not below --walltime 01:00:00: the batch system would kill the worker before it retires'],
    [['pbs', '--lifetime', '10m', '--lifetime-stagger', '1h'], '--lifetime-stagger 1h is not below --lifetime 10m: each worker retires at the lifetime moved at random by up to the stagger either way, so some would retire as soon as they start'],
    [['slurm', '--queue', 'a b'], '--queue must be one word without spaces (a queue or Slurm partition; several: a,b), got "a b"'],
    [['pbs', '--account', 'at las'], '--account must be one word without spaces (a batch account or project), got "at las"'],
    [['slurm', '--job-name', 'my job'], '--job-name may hold letters, digits, _ . - (1-64), got "my job"'],
  ];
  for (const [args, msg] of cases) {
    const r = run([...args, '--print-job-script']);
    t.equal(r.status, 2, `${args.join(' ')} exits 2`);
    t.equal(r.stderr, `gluon-cluster: ${msg}\n(gluon-cluster --help lists the options)\n`, args.join(' '));
    t.equal(r.stdout, '', 'no script printed');
  }
  // ssh: refused before any ssh session is opened (the hosts need not exist).
  const ssh: [string[], string][] = [
    [['ssh', '--hosts', 'a'], '--hosts must list the scheduler\'s host and at least one worker host, got ["a"]'],
    [['ssh', '--hosts', 'a,b;c'], '--hosts: "b;c" is not an ssh destination like host, user@host or an address'],
    // Dropped unsaid before: ssh workers never got --lifetime or --death-timeout from the flags.
    [['ssh', '--hosts', 'a,b', '--death-timeout', 'soon'], '--death-timeout must be a duration like 500ms, 30s, 2m or 8h, got "soon"'],
    [['ssh', '--hosts', 'a,b', '--lifetime', 'later'], '--lifetime must be a duration like 500ms, 30s, 2m or 8h, got "later"'],
    // It started the scheduler over ssh, then failed at `scale(3)`, which nobody typed.
    [['ssh', '--hosts', 'a,b', '--jobs', '3'], '--jobs 3 asks for 3 workers, but --hosts gives 1 worker host(s) (the first, a, runs the scheduler; one worker per other host)'],
    [['ssh', '--hosts', 'a,b,c', '--adapt', '0:4'], '--adapt 0:4 asks for up to 4 workers, but --hosts gives 2 worker host(s) (the first, a, runs the scheduler; one worker per other host)'],
  ];
  for (const [args, msg] of ssh) {
    const r = run(args, { PATH: '/nonexistent' });
    t.equal(r.status, 2, `${args.join(' ')} exits 2`);
    t.equal(r.stderr, `gluon-cluster: ${msg}\n(gluon-cluster --help lists the options)\n`, args.join(' '));
  }
});

t.test('a value from an environment variable is named by the variable: $GLUON_DASHBOARD_LINK', async (t) => {
  // The scheduler gluon-cluster starts refused it as --dashboard-link (typed by nobody), exit 1
  // inside LocalCluster's start-up error, after the token file was made.
  const home = mkdtempSync(join(tmpdir(), 'gluon-cluster-linkenv-'));
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  const env = { HOME: home, FAKE_PBS_DIR: home, GLUON_TOKEN: undefined, PATH: `${join(fixtures, 'pbs-bin')}:${process.env.PATH}` };
  const r = run(['pbs', '--jobs', '0', '--host', '127.0.0.1'], { ...env, GLUON_DASHBOARD_LINK: 'https://gluon.example.org/{prot}/' });
  t.equal(r.status, 2, r.stderr);
  t.match(r.stderr, /^gluon-cluster: \$GLUON_DASHBOARD_LINK: unknown field \{prot\}: it is not \{host\}, \{port\} or \{prefix\}/);
  t.equal(r.stdout, '', 'nothing started, no address printed');
  const typed = run(['pbs', '--jobs', '0', '--host', '127.0.0.1', '--dashboard-link', 'https://gluon.example.org/{prot}/'], { ...env, GLUON_DASHBOARD_LINK: 'https://gluon.example.org/' });
  t.equal(typed.status, 2, typed.stderr);
  t.match(typed.stderr, /^gluon-cluster: --dashboard-link: unknown field \{prot\}/, 'typed: the flag');
});

t.test('a batch system whose commands are missing is refused before anything is printed or started', async (t) => {
  // It printed the scheduler and dashboard addresses and the token line, then failed on qstat.
  const home = mkdtempSync(join(tmpdir(), 'gluon-cluster-nocmd-'));
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  const onlyQsubQdel = join(home, 'bin');
  mkdirSync(onlyQsubQdel);
  for (const c of ['qsub', 'qdel']) symlinkSync(join(fixtures, 'pbs-bin', c), join(onlyQsubQdel, c));
  const env = { HOME: home, FAKE_PBS_DIR: home, GLUON_TOKEN: undefined }; // unset: no token (empty is refused)
  const pbs = run(['pbs', '--jobs', '0', '--host', '127.0.0.1'], { ...env, PATH: onlyQsubQdel });
  t.equal(pbs.status, 1, pbs.stderr);
  t.equal(pbs.stdout, '', 'no address, no token line');
  t.equal(pbs.stderr, 'gluon-cluster: PBS needs qsub, qstat, qdel; qstat is not installed or not on PATH (nothing was started)\n');
  const empty = join(home, 'empty');
  mkdirSync(empty);
  const slurm = run(['slurm', '--jobs', '0', '--host', '127.0.0.1'], { ...env, PATH: empty });
  t.equal(slurm.status, 1, slurm.stderr);
  t.equal(slurm.stdout, '');
  t.equal(slurm.stderr, 'gluon-cluster: Slurm needs sbatch, squeue, scancel; sbatch, squeue, scancel are not installed or not on PATH (nothing was started)\n');
  t.notOk(existsSync(join(home, '.gluon')), 'no token file was written');
  // Printing a job script submits nothing, so it needs none of them.
  t.equal(run(['pbs', '--print-job-script'], { ...env, PATH: empty }).status, 0);
});

t.test('a --host not on this machine: the error names gluon-cluster\'s --host and keeps the scheduler\'s own stderr', async (t) => {
  // It said `LocalCluster: the scheduler exited during start-up (code 1); … (the flags LocalCluster
  // sets from its options: --host from host)`: a class and an option no gluon-cluster user met.
  const home = mkdtempSync(join(tmpdir(), 'gluon-cluster-host-'));
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  const r = run(['pbs', '--jobs', '0', '--host', '192.0.2.1'], { HOME: home, FAKE_PBS_DIR: home, GLUON_TOKEN: 'sesame', PATH: `${join(fixtures, 'pbs-bin')}:${process.env.PATH}` });
  t.equal(r.status, 1, r.stderr);
  t.equal(r.stdout, '', 'no address printed');
  t.match(r.stderr, /^gluon-cluster: the scheduler could not start here on --host 192\.0\.2\.1: it exited during start-up \(code 1\); its stderr:\ngluon-scheduler: cannot start: --host 192\.0\.2\.1 is not an address of this machine \(EADDRNOTAVAIL\): give one of its addresses, or 0\.0\.0\.0 for all of them\n$/);
  t.notMatch(r.stderr, /LocalCluster/, 'no word of LocalCluster');
});

t.test('a queue the batch system does not have: the refusal names --queue and the value, then qsub\'s words', async (t) => {
  // It said only `qsub failed (exit 1): qsub: Unknown queue`, naming no flag (the new-user trial,
  // on Slurm: `sbatch: error: invalid partition specified: nosuch`; submit-refusals.ts).
  const dir = mkdtempSync(join(tmpdir(), 'gluon-cluster-queue-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const r = run(['pbs', '--queue', 'nosuch', '--jobs', '1', '--host', '127.0.0.1'], { FAKE_PBS_DIR: dir, FAKE_PBS_QSUB_FAILS: 'Unknown queue', PATH: `${join(fixtures, 'pbs-bin')}:${process.env.PATH}` });
  t.equal(r.status, 1, r.stderr);
  t.match(r.stderr, /^gluon-cluster: --queue nosuch: PBS has no such queue \(qstat -Q lists them\); qsub failed \(exit 1\): qsub: Unknown queue$/m);
  t.match(r.stderr, /^gluon-cluster: submission failed: cancelling 0 job\(s\)$/m);
});

/**
 * `command args` from the repository with the fake PBS first on PATH (its own process group, killed
 * at the test's end), and a wait for a line of its output: resolves with the match, rejects if it
 * exits first (a bound on a hang, never a budget: HANG_BOUND_MS). `more.env` adds to its environment,
 * `more.unset` names variables taken out of it.
 */
function startWithFakePbs(t: TapTest, dir: string, command: string, args: string[], more: { env?: NodeJS.ProcessEnv; unset?: string[] } = {}) {
  const env: NodeJS.ProcessEnv = { ...process.env, FAKE_PBS_DIR: dir, PATH: `${join(fixtures, 'pbs-bin')}:${process.env.PATH}`, npm_config_update_notifier: 'false', ...more.env };
  for (const name of more.unset ?? []) delete env[name];
  const child = spawn(command, args, { cwd: repo, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  t.teardown(() => { if (child.exitCode === null) { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } } });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.on('close', r));
  const waitFor = (re: RegExp) => new Promise<RegExpExecArray>((resolve, reject) => {
    const look = () => {
      const m = re.exec(out);
      if (!m) return;
      done();
      resolve(m);
    };
    const gone = (code: number | null) => { done(); reject(new Error(`exited (${code}) before ${re}:\n${out}`)); };
    const timer = setTimeout(() => { done(); reject(new Error(`no ${re} within ${HANG_BOUND_MS} ms:\n${out}`)); }, HANG_BOUND_MS);
    const done = () => { clearTimeout(timer); child.stdout.off('data', look); child.stderr.off('data', look); child.off('close', gone); };
    child.stdout.on('data', look);
    child.stderr.on('data', look);
    child.once('close', gone);
    look();
  });
  return { child, out: () => out, exited, waitFor };
}

for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  t.test(`gluon-cluster pbs --jobs 2 submits two jobs whose workers join; ${sig} to its process alone cancels both`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'gluon-cluster-cli-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const run = startWithFakePbs(t, dir, process.execPath, [bin, 'pbs', '--jobs', '2', '--host', '127.0.0.1']);
    const ids = (await run.waitFor(/^submitted 2 pbs job\(s\): (.*)$/m))[1]!.split(' ');
    t.match(run.out(), /^scheduler at ws:\/\/127\.0\.0\.1:\d+$/m);
    t.equal(ids.length, 2);
    t.notMatch(run.out(), /run by npm through sh/, 'not run by npm: nothing said of it');
    process.kill(run.child.pid!, sig); // not its process group, as Ctrl-C would
    t.equal(await run.exited, 0, `exit 0 after cancelling:\n${run.out()}`);
    t.same(readFileSync(join(dir, 'deleted'), 'utf8').trim().split('\n').sort(), [...ids].sort(), 'qdel for both jobs');
    t.match(run.out(), new RegExp(`^gluon-cluster: ${sig}: cancelling 2 job\\(s\\)$`, 'm'));
  });
}

t.test('gluon-cluster pbs --jobs 0 says it submitted no jobs, not a list with nothing after its colon', async (t) => {
  // It printed `submitted 0 pbs job(s): ` (6 December 2026, a new user's trial).
  const dir = mkdtempSync(join(tmpdir(), 'gluon-cluster-none-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const run = startWithFakePbs(t, dir, process.execPath, [bin, 'pbs', '--jobs', '0', '--host', '127.0.0.1']);
  const line = (await run.waitFor(/^submitted.*$/m))[0];
  t.equal(line, 'submitted no pbs jobs (--jobs 0)');
  process.kill(run.child.pid!, 'SIGTERM');
  t.equal(await run.exited, 0, `exit 0:\n${run.out()}`);
  t.match(run.out(), /^gluon-cluster: SIGTERM: cancelling 0 job\(s\)$/m, 'nothing to cancel');
});

t.test('npx gluon-cluster: run by npm through sh, it names its own pid, whose SIGINT stops it as SIGTERM does', { skip: existsSync('/proc/self/stat') ? false : 'reads Linux /proc' }, async (t) => {
  // npm passes a SIGINT sent to its pid alone to the `sh -c` it runs gluon-cluster through, and
  // Debian's sh (dash) holds it until gluon-cluster ends: `kill -INT <npx pid>` stopped nothing
  // and said nothing. Ctrl-C (the whole group) and SIGTERM (sh dies; gluon-cluster sees npm's
  // shell gone) did stop it.
  const dir = mkdtempSync(join(tmpdir(), 'gluon-cluster-npx-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const run = startWithFakePbs(t, dir, 'npm', ['exec', '--offline', '--', 'gluon-cluster', 'pbs', '--jobs', '2', '--host', '127.0.0.1']);
  const ids = (await run.waitFor(/^submitted 2 pbs job\(s\): (.*)$/m))[1]!.split(' ');
  const cli = descendants(run.child.pid!).find((p) => { try { return /gluon-cluster\0pbs\0/.test(readFileSync(`/proc/${p}/cmdline`, 'latin1')) && NODE_COMM.test(readFileSync(`/proc/${p}/comm`, 'latin1').trim()); } catch { return false; } });
  t.ok(cli, 'gluon-cluster runs below npm');
  const stat = readFileSync(`/proc/${cli}/stat`, 'latin1');
  const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  const parentComm = readFileSync(`/proc/${parent}/comm`, 'latin1').trim();
  process.kill(cli!, 'SIGINT');
  await run.waitFor(/^gluon-cluster: SIGINT: cancelling 2 job\(s\)$/m);
  // Read once this later stderr line is in: the note goes to stderr and "submitted" to stdout, and
  // a test process scheduled late reads both pipes in one turn, stdout's first (Node 22, loaded:
  // the note was not in yet).
  if (parent !== run.child.pid) {
    t.match(parentComm, /^(sh|dash|bash)$/, 'its parent is the shell npm runs it through');
    t.match(run.out(), new RegExp(`^gluon-cluster: pid ${cli}, run by npm through sh \\(pid ${parent}\\), which holds a SIGINT sent to npm's pid alone until gluon-cluster ends: stop it with Ctrl-C, a SIGTERM to npm, or a SIGINT or SIGTERM to pid ${cli}$`, 'm'), 'it names its own pid and what stops it');
  } else {
    t.notMatch(run.out(), /run by npm through sh/, 'the shell exec\'d it (npm is its parent): a SIGINT to npm reaches it, nothing to say');
  }
  t.equal(await run.exited, 0, `npm exits 0 with it:\n${run.out()}`);
  t.same(readFileSync(join(dir, 'deleted'), 'utf8').trim().split('\n').sort(), [...ids].sort(), 'qdel for both jobs');
});

t.test('npx gluon-cluster with nothing left running (a printed job script, a usage error) says nothing of npm\'s sh', async (t) => {
  // The note was printed before the start, so it came with --print-job-script and before a usage
  // error too, where nothing runs that a signal could stop (found by the fresh-clone check).
  const env = { ...process.env, npm_config_update_notifier: 'false' };
  for (const args of [['pbs', '--walltime', '01:00:00', '--print-job-script'], ['ssh']]) {
    const r = spawnSync('npm', ['exec', '--offline', '--', 'gluon-cluster', ...args], { cwd: repo, env, encoding: 'utf8', timeout: HANG_BOUND_MS });
    t.equal(r.status, args[0] === 'ssh' ? 2 : 0, `${args.join(' ')}: ${r.stderr}`);
    t.notMatch(r.stderr, /run by npm through sh/, `${args.join(' ')}: no note of npm's sh`);
  }
});

t.test('--pending-notice: jobs PBS keeps queued are said pending after that long, not the default 30 s; SIGTERM deletes them', async (t) => {
  const h = run(['--help']);
  t.match(h.stdout, /--pending-notice DURATION +batch jobs pending this long are said pending, with the batch system's reason \(never: not said\) \(default 30s\)/);
  const dir = mkdtempSync(join(tmpdir(), 'gluon-cluster-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // The fake qsub keeps the jobs queued (state Q), as PBS does when no node has room.
  // Waited for as a line of its output (bounded by HANG_BOUND_MS): a 60 s poll a loaded machine can miss.
  const queued = startWithFakePbs(t, dir, process.execPath, [bin, 'pbs', '--jobs', '2', '--host', '127.0.0.1', '--pending-notice', '0'], { env: { FAKE_PBS_QUEUED: '1' } });
  await queued.waitFor(/job\(s\) pending for/);
  t.match(queued.out(), /^gluon-cluster: pbs cluster: 2 job\(s\) pending for \d+ s: 1\.fakepbs, 2\.fakepbs$/m, `said at once:\n${queued.out()}`);
  process.kill(queued.child.pid!, 'SIGTERM');
  t.equal(await queued.exited, 0, `exit 0 after cancelling:\n${queued.out()}`);
  t.same(readFileSync(join(dir, 'deleted'), 'utf8').trim().split('\n').sort(), ['1.fakepbs', '2.fakepbs'], 'qdel for both queued jobs');
});

t.test('a scheduler for other hosts: its dashboard address names this host, its random token is in a file only the user reads', async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'gluon-cluster-home-'));
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  const cluster = startWithFakePbs(t, home, process.execPath, [bin, 'pbs', '--jobs', '0'], { env: { HOME: home }, unset: ['GLUON_TOKEN'] });
  await cluster.waitFor(/^submitted no pbs jobs \(--jobs 0\)$/m);
  const out = cluster.out();
  t.notMatch(out, /0\.0\.0\.0/, 'no wildcard address is printed');
  t.match(out, new RegExp(`^dashboard at https?://${hostname()}:\\d+/`, 'm'));
  const file = join(home, '.gluon', 'cluster-token');
  t.match(out, new RegExp(`token in ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
  t.equal(statSync(file).mode & 0o777, 0o600, 'the token file is readable by its owner only');
  t.ok(readFileSync(file, 'utf8').trim().length >= 20, 'a random token');
  t.notMatch(out, new RegExp(readFileSync(file, 'utf8').trim()), 'the token itself is not printed');
  process.kill(cluster.child.pid!, 'SIGTERM');
  t.equal(await cluster.exited, 0);
});

/** Starts `gluon-cluster pbs --jobs 0` (fake PBS) with this HOME; resolves with its output once it submitted, and the process. */
async function pbsCluster(t: TapTest, home: string): Promise<{ out: () => string; scheduler: string; child: ReturnType<typeof spawn> }> {
  const run = startWithFakePbs(t, home, process.execPath, [bin, 'pbs', '--jobs', '0'], { env: { HOME: home }, unset: ['GLUON_TOKEN'] });
  t.teardown(async () => { if (run.child.exitCode === null) { try { process.kill(run.child.pid!, 'SIGTERM'); } catch { /* gone */ } await run.exited; } });
  await run.waitFor(/^submitted no pbs jobs \(--jobs 0\)$/m);
  const scheduler = /^scheduler at (\S+)$/m.exec(run.out())?.[1];
  if (!scheduler) throw new Error(`gluon-cluster did not print its scheduler:\n${run.out()}`);
  return { out: run.out, scheduler, child: run.child };
}

t.test('a second cluster keeps the token file the first one\'s clients read; a token file others may read is replaced', async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'gluon-cluster-home-'));
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  const file = join(home, '.gluon', 'cluster-token');
  const first = await pbsCluster(t, home);
  const token = readFileSync(file, 'utf8').trim();
  const second = await pbsCluster(t, home);
  t.equal(readFileSync(file, 'utf8').trim(), token, 'the second cluster did not replace the token');
  t.match(second.out(), `token in ${file} (kept from before)`);
  for (const { scheduler } of [first, second]) {
    const client = await Client.connect(scheduler, { token, reconnectTimeoutMs: 0 });
    t.ok(client.connected, `the file's token is accepted by ${scheduler}`);
    await client.close();
  }
  chmodSync(file, 0o644);
  const third = await pbsCluster(t, home);
  t.not(readFileSync(file, 'utf8').trim(), token, 'a token others could read is not reused');
  t.equal(statSync(file).mode & 0o777, 0o600);
  t.notMatch(third.out(), /kept from before/);
  writeFileSync(file, '\n', { mode: 0o600 });
  await pbsCluster(t, home);
  t.ok(readFileSync(file, 'utf8').trim().length >= 20, 'an empty file gets a fresh token');
});

t.test('gluon-cluster pbs whose jobs end before their worker joins: each logged, then it stops submitting and exits 1 naming every job', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gluon-cluster-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const env = { ...process.env, FAKE_PBS_DIR: dir, PATH: `${join(fixtures, 'pbs-bin')}:${process.env.PATH}` };
  // A prologue that fails (a module that is not there): the job ends before the worker starts.
  const child = spawn(process.execPath, [bin, 'pbs', '--jobs', '1', '--host', '127.0.0.1', '--prologue', 'exit 3', '--max-failed-jobs', '2', '--log-directory', join(dir, 'logs')], { cwd: repo, env, stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const status = await new Promise<number | null>((r) => child.on('close', r));
  t.equal(status, 1, `exit 1 once it gave up:\n${out}`);
  // The stand-in qstat keeps no ended jobs, as a PBS server without job history (pbs.ts).
  const ended = [...out.matchAll(/^gluon-cluster: pbs cluster: job (\S+) ended before its worker joined \(unknown to qstat -x \(no job history on the server: PBS job_history_enable = False, or Torque past keep_completed or deleted while queued; a qdel is counted as a failure\)\); read (\S+)/gm)];
  t.equal(ended.length, 2, 'each failed job logged once');
  t.equal(ended[1]![2], join(dir, 'logs', `gluon-worker.o${ended[1]![1]!.split('.')[0]}`), 'naming its output file');
  t.match(out, `pbs cluster: 2 jobs in a row ended before their worker joined; not submitting more. The last, job ${ended[1]![1]}`);
  // No worker can come: both jobs named with their files, in gluon-cluster's flag (no-worker-coming.ts); only the last was.
  const [first, second] = ended.map((e) => `job ${e[1]} (unknown to qstat -x (no job history on the server: PBS job_history_enable = False, or Torque past keep_completed or deleted while queued; a qdel is counted as a failure)): read ${e[2]}`);
  t.match(out, /^gluon-cluster: no worker can come any more to the scheduler at ws:\/\/127\.0\.0\.1:\d+: its pbs jobs/m);
  t.match(out, `: its pbs jobs keep ending before their worker joins (2 in a row, max_failed_jobs 2), so the cluster submits no more: ${first} (errors: `);
  t.match(out, `; ${second} (errors: `);
  t.match(out, 'Fix what their output says (a --prologue line, node or gluon-worker missing on the nodes; --print-job-script shows the job script) and run again');
  t.match(out, /no worker can come: cancelling 0 job\(s\)/);
});

t.test('--dashboard-link: the printed dashboard address is the link; a bad template fails the start naming its field', async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'gluon-cluster-home-'));
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  const env = { ...process.env, HOME: home, FAKE_PBS_DIR: home, HUB_PREFIX: '/user/ana/', PATH: `${join(fixtures, 'pbs-bin')}:${process.env.PATH}` };
  delete (env as Record<string, string | undefined>).GLUON_TOKEN;
  const child = spawn(process.execPath, [bin, 'pbs', '--jobs', '0', '--dashboard-link', 'https://gluon.example.org{HUB_PREFIX}{port}/'], { cwd: repo, env, stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
  let out = '';
  const exited = new Promise<number | null>((r) => child.on('exit', r));
  await new Promise<void>((resolve) => {
    const look = () => { if (/^submitted no pbs jobs \(--jobs 0\)$/m.test(out) || child.exitCode !== null) resolve(); };
    child.stdout.on('data', (d) => { out += d; look(); });
    child.stderr.on('data', (d) => { out += d; look(); });
    child.on('exit', () => resolve());
  });
  t.match(out, /^dashboard at https:\/\/gluon\.example\.org\/user\/ana\/\d+\/$/m, `the link, with the port the scheduler got:\n${out}`);
  child.kill('SIGTERM');
  t.equal(await exited, 0);

  const bad = spawn(process.execPath, [bin, 'pbs', '--jobs', '0', '--dashboard-link', 'https://gluon.example.org/{prot}/'], { cwd: repo, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let badOut = '';
  bad.stdout.on('data', (d) => (badOut += d));
  bad.stderr.on('data', (d) => (badOut += d));
  const code = await new Promise<number | null>((r) => bad.on('close', r));
  t.not(code, 0, 'it fails');
  t.match(badOut, /--dashboard-link: unknown field \{prot\}/, `naming the field:\n${badOut}`);
});

t.test('--lifetime and --lifetime-stagger override the lifetime a walltime gives; none turns it off; one not below the walltime is refused', async (t) => {
  const given = run(['slurm', '--walltime', '01:00:00', '--lifetime', '50m', '--lifetime-stagger', '4m', '--print-job-script']);
  t.equal(given.status, 0, given.stderr);
  t.match(given.stdout, /--lifetime 50m --lifetime-stagger 4m --death-timeout 1m$/m);
  const none = run(['pbs', '--walltime', '01:00:00', '--lifetime', 'none', '--print-job-script']);
  t.equal(none.status, 0, none.stderr);
  t.notMatch(none.stdout, /--lifetime/);
  const over = run(['slurm', '--walltime', '00:30:00', '--lifetime', '1h', '--print-job-script']);
  t.equal(over.status, 2);
  t.match(over.stderr, /^gluon-cluster: --lifetime 1h is not below --walltime 00:30:00: the batch system would kill the worker before it retires$/m);
  const bad = run(['slurm', '--lifetime', 'later', '--print-job-script']);
  t.equal(bad.status, 2);
  t.match(bad.stderr, /^gluon-cluster: --lifetime must be a duration like 500ms, 30s, 2m or 8h, got "later"$/m, 'the flag typed, not the option key');
});

t.test('--death-timeout is the jobs\' workers\' (default 60s); none lets them wait for ever; a bad one is refused', async (t) => {
  const given = run(['slurm', '--death-timeout', '5m', '--print-job-script']);
  t.equal(given.status, 0, given.stderr);
  t.match(given.stdout, /^exec .* --death-timeout 5m( |$)/m);
  const none = run(['pbs', '--death-timeout', 'none', '--print-job-script']);
  t.equal(none.status, 0, none.stderr);
  t.notMatch(none.stdout, /--death-timeout/);
  const bad = run(['slurm', '--death-timeout', 'later', '--print-job-script']);
  t.equal(bad.status, 2);
  t.match(bad.stderr, /^gluon-cluster: --death-timeout must be a duration like 500ms, 30s, 2m or 8h, got "later"$/m, 'the flag typed, not deathTimeout');
});
