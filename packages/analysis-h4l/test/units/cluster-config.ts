import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configFromArgs } from '../../src/cli-args.js';
import { batchJobScriptOf } from '../../src/batch.js';
import { RUN_FLAG_HINTS } from '../../../../test/helpers/run-flag-hints.js';

/** `--cluster slurm|pbs|ssh --jobs N --job-*`, the ssh keys, and the same keys in config.yaml (the runs themselves: packages/deploy/test/slurm.test.ts, ssh-cluster.test.ts). */
const dir = mkdtempSync(join(tmpdir(), 'h4l-cluster-config-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test('flags set the cluster keys; config.yaml sets them too', async (t) => {
  const { config } = await configFromArgs(['--no-config', '--cluster', 'slurm', '--jobs', '10', '--job-cores', '4', '--job-memory', '8GiB',
    '--job-walltime', '02:00:00', '--job-queue', 'short', '--job-account', 'atlas'], dir);
  t.match(config, { cluster: 'slurm', jobs: 10, job_cores: 4, job_memory: '8GiB', job_walltime: '02:00:00', job_queue: 'short', job_account: 'atlas' });
  const f = join(dir, 'c.yaml');
  writeFileSync(f, 'cluster: pbs\njobs: 3\njob_walltime: "00:30:00"\n');
  const { config: y } = await configFromArgs(['--config', f], dir);
  t.match(y, { cluster: 'pbs', jobs: 3, job_walltime: '00:30:00', job_cores: 1, job_memory: null });
});

t.test('bad cluster values are refused naming the flag or key', async (t) => {
  await t.rejects(configFromArgs(['--no-config', '--cluster', 'lsf'], dir), /--cluster must be slurm, pbs or ssh, got "lsf"/);
  // gluon-cluster's range (it may start with no jobs); a run with none would wait for a worker that never comes.
  await t.rejects(configFromArgs(['--no-config', '--jobs', '-1'], dir), /--jobs must be an integer from 0 to 10000, got "-1"/);
  await t.rejects(configFromArgs(['--no-config', '--cluster', 'slurm', '--jobs', '0'], dir), /^--jobs 0 submits no jobs, and the run's tasks need at least one worker$/);
  await t.rejects(configFromArgs(['--no-config', '--job-walltime', '2h'], dir), /--job-walltime must look like HH:MM:SS \(or D-HH:MM:SS\), got "2h"/);
  await t.rejects(configFromArgs(['--no-config', '--job-memory', 'lots'], dir), /--job-memory must be a size like 64MiB or 2GB \(a number of bytes, or a number and a unit; KB, MB, GB, TB are powers of 1000 and KiB, MiB, GiB, TiB of 1024\), got "lots"/);
  await t.rejects(configFromArgs(['--no-config', '--cluster', 'slurm', '--scheduler', 'ws://h:1'], dir), /^--cluster slurm starts its own scheduler; it cannot be combined with --scheduler ws:\/\/h:1$/);
});

t.test('other tools\' batch flags name the run\'s', async (t) => {
  // sbatch's, dask-jobqueue's and gluon-cluster's flags answered with the run's own, as gluon-cluster answers them
  // (@gluon/deploy's batch-spellings.ts): `--qos high` was "did you mean --jobs?", `--partition` and `--queue` got no hint.
  for (const [args, message] of RUN_FLAG_HINTS) {
    await t.rejects(configFromArgs(['--no-config', '--cluster', 'slurm', ...args], dir), { message: `${message} (gluon-h4l run --help lists the options)` }, args.join(' '));
  }
});

t.test('keys a launcher does not take, and keys that do not go together, are refused as gluon-cluster refuses them, named as given', async (t) => {
  const f = join(dir, 'keys.yaml');
  writeFileSync(f, 'cluster: slurm\njob_resource_spec: select=1:ncpus=2\n');
  await t.rejects(configFromArgs(['--config', f], dir), { message: `job_resource_spec: select=1:ncpus=2 in ${f} is for pbs only; give Slurm resource requests with --job-extra (e.g. --job-extra "--gres=gpu:1")` });
  await t.rejects(configFromArgs(['--no-config', '--cluster', 'pbs', '--no-job-arrays'], dir), { message: '--no-job-arrays is for slurm only; PBS gets one qsub per worker already' });
  // The launchers' checks across keys, each key named as given: the flag, or the file and key.
  writeFileSync(f, 'cluster: slurm\njob_walltime: "01:00:00"\n');
  await t.rejects(configFromArgs(['--config', f, '--job-lifetime', '50m', '--job-lifetime-stagger', '20m'], dir),
    { message: `--job-lifetime 50m + --job-lifetime-stagger 20m is not below ${f}: job_walltime 01:00:00: the batch system would kill the worker before it retires` });
  await t.rejects(configFromArgs(['--no-config', '--cluster', 'slurm', '--job-lifetime-stagger', '4m'], dir),
    { message: '--job-lifetime-stagger varies the lifetime: give --job-lifetime (or --job-walltime, from which it follows)' });
  // Set in the config file but no cluster: kept for when one is given, as job_queue always was.
  writeFileSync(f, 'job_extra: [--exclusive]\njob_log_directory: logs\n');
  const { config } = await configFromArgs(['--config', f], dir);
  t.match(config, { cluster: null, job_extra: ['--exclusive'], job_log_directory: 'logs' });
  // One line of text is one directive (or prologue line): a one-item list. It was refused as not a list.
  writeFileSync(f, 'job_extra: --exclusive\njob_prologue: module load nodejs\n');
  t.match((await configFromArgs(['--config', f], dir)).config, { job_extra: ['--exclusive'], job_prologue: ['module load nodejs'] });
  // Several lines in one text: which were meant as directives is not for the run to guess; the refusal says how a list is written.
  writeFileSync(f, 'job_extra: |\n  --exclusive\n  --qos=high\n');
  await t.rejects(configFromArgs(['--config', f], dir), { message: `${f}: job_extra must be a list of directive lines, one entry each (a YAML list: [--exclusive, --qos=high], or one "- …" line each), got "--exclusive\\n--qos=high\\n"` });
  // A directive line or prologue line with a newline in it would add a line to the job script unseen.
  writeFileSync(f, 'job_prologue: ["cd /x\\nrm -rf y"]\n');
  await t.rejects(configFromArgs(['--config', f], dir), { message: `${f}: job_prologue must be a list of shell lines, each of which must be one line of text, not empty, got ["cd /x\\nrm -rf y"]` });
  await t.rejects(configFromArgs(['--no-config', '--job-extra', '--exclusive'], dir), { message: '--job-extra --exclusive needs --cluster slurm|pbs|ssh (or cluster: in the config file): without it no batch jobs are submitted' });
});

t.test('--cluster ssh: gluon-cluster ssh\'s --hosts, --ssh-option, --scheduler-port, --dashboard-port, and hosts: in config.yaml', async (t) => {
  const { config } = await configFromArgs(['--no-config', '--cluster', 'ssh', '--hosts', 'lab1,lab2', '--hosts', 'ana@lab3', '--ssh-option', '-F', '--ssh-option', '/x/ssh_config',
    '--scheduler-port', '0', '--dashboard-port', '9000', '--job-cores', '4'], dir);
  // jobs not given: one worker on each host after the first (which runs the scheduler).
  t.match(config, { cluster: 'ssh', hosts: ['lab1,lab2', 'ana@lab3'], ssh_options: ['-F', '/x/ssh_config'], scheduler_port: 0, dashboard_port: 9000, job_cores: 4, jobs: 2 });
  t.equal((await configFromArgs(['--no-config', '--cluster', 'ssh', '--hosts', 'a,b,c', '--jobs', '1'], dir)).config.jobs, 1, 'jobs given: that many');
  const f = join(dir, 'ssh.yaml');
  writeFileSync(f, 'cluster: ssh\nhosts: [lab1, lab2, lab3, lab4]\nssh_options: [-F, /x/ssh_config]\n');
  t.match((await configFromArgs(['--config', f], dir)).config, { hosts: ['lab1', 'lab2', 'lab3', 'lab4'], ssh_options: ['-F', '/x/ssh_config'], jobs: 3, scheduler_port: 8786, dashboard_port: 8787 });
  // One line of text is one entry, split at its commas as --hosts a,b is.
  writeFileSync(f, 'cluster: ssh\nhosts: lab1,lab2\n');
  t.match((await configFromArgs(['--config', f], dir)).config, { hosts: ['lab1,lab2'], jobs: 1 });
  // TLS between the hosts unless --no-tls (tls: false), as gluon-cluster ssh's --no-tls.
  t.equal(config.tls, true, 'TLS by default');
  t.equal((await configFromArgs(['--no-config', '--cluster', 'ssh', '--hosts', 'a,b', '--no-tls'], dir)).config.tls, false, '--no-tls: tls false');
  writeFileSync(f, 'cluster: ssh\nhosts: [a, b]\ntls: false\n');
  t.equal((await configFromArgs(['--config', f], dir)).config.tls, false, 'tls: false in config.yaml');
  t.equal((await configFromArgs(['--config', f, '--no-tls'], dir)).config.tls, false);
});

t.test('--cluster ssh: what does not go is refused as gluon-cluster ssh refuses it, named as given', async (t) => {
  await t.rejects(configFromArgs(['--no-config', '--cluster', 'ssh'], dir), { message: '--hosts is required over ssh: the scheduler\'s host, then at least one worker host (none given)' });
  await t.rejects(configFromArgs(['--no-config', '--cluster', 'ssh', '--hosts', 'a'], dir), { message: '--hosts must list the scheduler\'s host and at least one worker host, got ["a"]' });
  await t.rejects(configFromArgs(['--no-config', '--cluster', 'ssh', '--hosts', 'a,b;c'], dir), { message: '--hosts: "b;c" is not an ssh destination like host, user@host or an address' });
  await t.rejects(configFromArgs(['--no-config', '--cluster', 'ssh', '--hosts', 'a,b', '--jobs', '3'], dir),
    { message: '--jobs 3 asks for 3 workers, but --hosts gives 1 worker host(s) (the first, a, runs the scheduler; one worker per other host)' });
  await t.rejects(configFromArgs(['--no-config', '--cluster', 'ssh', '--hosts', 'a,b', '--job-queue', 'short'], dir), { message: '--job-queue short is a batch-system option; it means nothing over ssh' });
  await t.rejects(configFromArgs(['--no-config', '--cluster', 'ssh', '--hosts', 'a,b', '--job-memory', '1MiB'], dir), { message: /^--job-memory must be from 16MiB to 1024TiB, got "1MiB"/ });
  await t.rejects(configFromArgs(['--no-config', '--cluster', 'slurm', '--hosts', 'a,b'], dir), { message: '--hosts a,b is for ssh only, not slurm' });
  await t.rejects(configFromArgs(['--no-config', '--hosts', 'a,b', '--ssh-option', '-v'], dir),
    { message: '--hosts a,b, --ssh-option -v need --cluster ssh (or cluster: ssh in the config file): without it no worker is started over ssh' });
  await t.rejects(configFromArgs(['--no-config', '--cluster', 'ssh', '--hosts', 'a,b', '--scheduler-port', '70000'], dir), { message: '--scheduler-port must be an integer from 0 to 65535, got "70000"' });
  await t.rejects(configFromArgs(['--no-config', '--cluster', 'ssh', '--hosts', 'a,b', '--print-job-script'], dir), { message: /^--print-job-script is for slurm and pbs; an ssh run submits no job script/ });
  const f = join(dir, 'ssh-bad.yaml');
  writeFileSync(f, 'cluster: ssh\nhosts: [a, "b c"]\n');
  await t.rejects(configFromArgs(['--config', f], dir), { message: `${f}: hosts must be a list of ssh destinations, each of which must be ssh destinations (host, user@host), several separated by commas, without spaces, got ["a","b c"]` });
  writeFileSync(f, 'cluster: ssh\nhosts: [a]\n');
  await t.rejects(configFromArgs(['--config', f], dir), { message: `${f}: hosts must list the scheduler's host and at least one worker host, got ["a"]` });
  writeFileSync(f, 'cluster: ssh\nhosts: [a, b]\ntls: off\n');
  await t.rejects(configFromArgs(['--config', f], dir), { message: `${f}: tls must be true or false, got "off"` });
  await t.rejects(configFromArgs(['--no-config', '--no-tls'], dir), { message: '--no-tls needs --cluster ssh (or cluster: ssh in the config file): without it no worker is started over ssh' });
  await t.rejects(configFromArgs(['--no-config', '--cluster', 'slurm', '--no-tls'], dir), { message: '--no-tls is for ssh only, not slurm' });
  writeFileSync(f, 'cluster: pbs\ntls: false\n');
  await t.rejects(configFromArgs(['--config', f], dir), { message: `tls: false in ${f} is for ssh only, not pbs` });
});

t.test('run --print-job-script: a --job-prologue bash cannot parse is refused by its flag, not the launcher\'s option name', { skip: spawnSync('bash', ['-c', 'true']).error ? 'no bash on PATH here' : false }, async (t) => {
  // It said `prologue is not valid shell (…)`: an option of SlurmCluster no gluon-h4l user typed.
  const dir = mkdtempSync(join(tmpdir(), 'h4l-prologue-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const { config } = await configFromArgs(['--no-config', '--cluster', 'slurm', '--job-prologue', 'echo "hi', '--print-job-script'], dir);
  await t.rejects(batchJobScriptOf(config as Parameters<typeof batchJobScriptOf>[0]), { message: /^--job-prologue is not valid shell \(the job script would fail as it starts; nothing was submitted\): bash -n says: bash: line 1: unexpected EOF/ });
});
