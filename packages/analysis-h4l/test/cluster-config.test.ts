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
  await t.rejects(configFromArgs(['--no-config', '--jobs', '0'], dir), /--jobs must be an integer ≥ 1, got "0"/);
  await t.rejects(configFromArgs(['--no-config', '--job-walltime', '2h'], dir), /--job-walltime must look like HH:MM:SS \(or D-HH:MM:SS\), got "2h"/);
  await t.rejects(configFromArgs(['--no-config', '--job-memory', 'lots'], dir), /--job-memory must be a size like 64MiB or 2GB \(a number of bytes, or a number and a unit; KB, MB, GB, TB are powers of 1000 and KiB, MiB, GiB, TiB of 1024\), got "lots"/);
  await t.rejects(configFromArgs(['--no-config', '--cluster', 'slurm', '--scheduler', 'ws://h:1'], dir), /^--cluster slurm starts its own scheduler; it cannot be combined with --scheduler ws:\/\/h:1$/);
});
