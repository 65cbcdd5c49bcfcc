import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseRunArgs } from '../../src/cli-args.js';
import { RUN_FLAG_HINTS } from '../../../../test/helpers/run-flag-hints.js';

/**
 * `--cluster slurm|pbs|ssh --jobs N --job-*`: the batch keys @gluon/deploy defines for every analysis
 * CLI, here as gluon-h4l has them (the run itself: packages/deploy/test/slurm.test.ts).
 */
const dir = mkdtempSync(join(tmpdir(), 'fs-cluster-config-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test('flags set the cluster keys; config.yaml sets them too', async (t) => {
  const { config } = await parseRunArgs(['--cluster', 'slurm', '--jobs', '10', '--job-cores', '4', '--job-memory', '8GiB',
    '--job-walltime', '02:00:00', '--job-queue', 'short', '--job-account', 'atlas']);
  t.match(config, { cluster: 'slurm', jobs: 10, job_cores: 4, job_memory: '8GiB', job_walltime: '02:00:00', job_queue: 'short', job_account: 'atlas' });
  const f = join(dir, 'c.yaml');
  writeFileSync(f, 'cluster: pbs\njobs: 3\njob_walltime: "00:30:00"\n');
  const { config: y } = await parseRunArgs(['--config', f]);
  t.match(y, { cluster: 'pbs', jobs: 3, job_walltime: '00:30:00', job_cores: 1, job_memory: null });
  // One line of text is one directive: a one-item list, as gluon-h4l takes it (it was refused as not a list).
  writeFileSync(f, 'cluster: slurm\njob_extra: --exclusive\n');
  t.same((await parseRunArgs(['--config', f])).config.job_extra, ['--exclusive']);
  writeFileSync(f, 'cluster: slurm\njob_extra: "--exclusive\\n--qos=high"\n');
  await t.rejects(parseRunArgs(['--config', f]), { message: `${f}: job_extra must be a list of directive lines, one entry each (a YAML list: [--exclusive, --qos=high], or one "- …" line each), got "--exclusive\\n--qos=high"` });
});

t.test('bad cluster values are refused naming the flag or key', async (t) => {
  await t.rejects(parseRunArgs(['--cluster', 'lsf']), /--cluster must be slurm, pbs or ssh, got "lsf"/);
  // gluon-cluster's range (it may start with no jobs); a run with none would wait for a worker that never comes.
  await t.rejects(parseRunArgs(['--jobs', '-1']), /--jobs must be an integer from 0 to 10000, got "-1"/);
  await t.rejects(parseRunArgs(['--cluster', 'pbs', '--jobs', '0']), /^--jobs 0 submits no jobs, and the run's tasks need at least one worker$/);
  await t.rejects(parseRunArgs(['--job-walltime', '2h']), /--job-walltime must look like HH:MM:SS \(or D-HH:MM:SS\), got "2h"/);
  await t.rejects(parseRunArgs(['--job-memory', 'lots']), /--job-memory must be a size like 64MiB or 2GB \(a number of bytes, or a number and a unit; KB, MB, GB, TB are powers of 1000 and KiB, MiB, GiB, TiB of 1024\), got "lots"/);
  await t.rejects(parseRunArgs(['--cluster', 'slurm', '--scheduler', 'ws://h:1']), /--cluster slurm starts its own scheduler; it cannot be combined with --scheduler ws:\/\/h:1/);
  const f = join(dir, 'bad.yaml');
  writeFileSync(f, 'job_cores: 0\n');
  await t.rejects(parseRunArgs(['--config', f]), new RegExp(`${f}: job_cores must be an integer from 1 to 1024, got 0`));
});

t.test('other tools\' batch flags name the run\'s', async (t) => {
  // sbatch's, dask-jobqueue's and gluon-cluster's flags answered with the run's own, as gluon-cluster answers them
  // (@gluon/deploy's batch-spellings.ts): `--qos high` was "did you mean --jobs?", `--partition` and `--queue` got no hint.
  for (const [args, message] of RUN_FLAG_HINTS) {
    await t.rejects(parseRunArgs(['--cluster', 'slurm', ...args]), { message: `${message} (gluon-finalstates --help lists the options)` }, args.join(' '));
  }
});

t.test('--cluster ssh: gluon-cluster ssh\'s flags and their config keys, as gluon-h4l takes them', async (t) => {
  const { config } = await parseRunArgs(['--cluster', 'ssh', '--hosts', 'lab1,lab2,lab3', '--ssh-option', '-F', '--ssh-option', '/x/ssh_config', '--scheduler-port', '0', '--dashboard-port', '0']);
  t.match(config, { cluster: 'ssh', hosts: ['lab1,lab2,lab3'], ssh_options: ['-F', '/x/ssh_config'], scheduler_port: 0, dashboard_port: 0, jobs: 2 });
  const f = join(dir, 'ssh.yaml');
  writeFileSync(f, 'cluster: ssh\nhosts: [lab1, lab2]\n');
  t.match((await parseRunArgs(['--config', f])).config, { hosts: ['lab1', 'lab2'], jobs: 1 });
  await t.rejects(parseRunArgs(['--config', f, '--jobs', '2']), { message: `--jobs 2 asks for 2 workers, but ${f}: hosts gives 1 worker host(s) (the first, lab1, runs the scheduler; one worker per other host)` });
  await t.rejects(parseRunArgs(['--cluster', 'pbs', '--hosts', 'a,b']), { message: '--hosts a,b is for ssh only, not pbs' });
  await t.rejects(parseRunArgs(['--cluster', 'ssh', '--hosts', 'a,b', '--print-job-script']), { message: /^--print-job-script is for slurm and pbs; an ssh run submits no job script/ });
  // TLS between the hosts unless --no-tls (tls: false), as gluon-cluster ssh's --no-tls.
  t.equal(config.tls, true, 'TLS by default');
  t.equal((await parseRunArgs(['--cluster', 'ssh', '--hosts', 'a,b', '--no-tls'])).config.tls, false, '--no-tls: tls false');
  writeFileSync(f, 'cluster: ssh\nhosts: [lab1, lab2]\ntls: false\n');
  t.equal((await parseRunArgs(['--config', f])).config.tls, false, 'tls: false in config.yaml');
  await t.rejects(parseRunArgs(['--no-tls']), { message: '--no-tls needs --cluster ssh (or cluster: ssh in the config file): without it no worker is started over ssh' });
  await t.rejects(parseRunArgs(['--cluster', 'pbs', '--no-tls']), { message: '--no-tls is for ssh only, not pbs' });
});
