import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configFromArgs } from '../src/cli-args.js';

/** `--cluster slurm|pbs --jobs N --job-*` and the same keys in config.yaml (the run itself: packages/deploy/test/slurm.test.ts). */
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
  await t.rejects(configFromArgs(['--no-config', '--cluster', 'lsf'], dir), /--cluster must be slurm or pbs, got "lsf"/);
  // gluon-cluster's range (it may start with no jobs); a run with none would wait for a worker that never comes.
  await t.rejects(configFromArgs(['--no-config', '--jobs', '-1'], dir), /--jobs must be an integer from 0 to 10000, got "-1"/);
  await t.rejects(configFromArgs(['--no-config', '--cluster', 'slurm', '--jobs', '0'], dir), /^--jobs 0 submits no jobs, and the run's tasks need at least one worker$/);
  await t.rejects(configFromArgs(['--no-config', '--job-walltime', '2h'], dir), /--job-walltime must look like HH:MM:SS \(or D-HH:MM:SS\), got "2h"/);
  await t.rejects(configFromArgs(['--no-config', '--job-memory', 'lots'], dir), /--job-memory must be a size like 64MiB or 2GB \(a number of bytes, or a number and a unit; KB, MB, GB, TB are powers of 1000 and KiB, MiB, GiB, TiB of 1024\), got "lots"/);
  await t.rejects(configFromArgs(['--no-config', '--cluster', 'slurm', '--scheduler', 'ws://h:1'], dir), /^--cluster slurm starts its own scheduler; it cannot be combined with --scheduler ws:\/\/h:1$/);
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
  await t.rejects(configFromArgs(['--no-config', '--job-extra', '--exclusive'], dir), { message: '--job-extra --exclusive needs --cluster slurm|pbs (or cluster: in the config file): without it no batch jobs are submitted' });
});
