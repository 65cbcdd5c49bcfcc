import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseRunArgs } from '../src/cli-args.js';

/**
 * `--cluster slurm|pbs --jobs N --job-*`: the batch keys @gluon/deploy defines for every analysis
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
  await t.rejects(parseRunArgs(['--cluster', 'lsf']), /--cluster must be slurm or pbs, got "lsf"/);
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
