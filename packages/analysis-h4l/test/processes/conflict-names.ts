/**
 * Settings that conflict are named as the user gave them: the flags typed (`--cluster slurm`), the
 * config file and key a value came from (`cluster: pbs in /x/config.yaml`), or the default. They
 * named config keys alone (`cluster (slurm) starts its own scheduler; it cannot be combined with
 * scheduler ws://h:1`), which a user who typed flags never wrote.
 */
import t from 'tap';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { cliSandbox } from '../cli-sandbox.js';

const { tmp, cliRan } = cliSandbox(t, 'h4l-conflicts-');
const run = (args: string[]) => cliRan(['run', '--data-dir', '.', '--dry-run', ...args]);
const usage = (line: string) => `gluon-h4l run: ${line}\n`;

t.test('flags against flags: each named as typed', async (t) => {
  const cases: [string[], string][] = [
    [['--no-config', '--cluster', 'slurm', '--scheduler', 'ws://h:1'], '--cluster slurm starts its own scheduler; it cannot be combined with --scheduler ws://h:1'],
    [['--no-config', '--n-workers', '0', '--linger'], '--linger keeps a cluster and its dashboard up, and an in-process run (--n-workers 0) has none'],
    [['--no-config', '--no-dashboard', '--performance-report', 'r.html'], '--performance-report r.html records the dashboard\'s feed: it cannot be combined with --no-dashboard'],
    [['--no-config', '--tls-ca', 'ca.pem'], '--tls-ca ca.pem is for connecting to a wss:// scheduler given by address, with --scheduler (or scheduler in the config file); without one there is nothing to connect to'],
    [['--no-config', '--scheduler', 'ws://h:1', '--tls-ca', 'ca.pem'], '--tls-ca ca.pem given, but --scheduler ws://h:1 is plain ws://, which speaks no TLS: give its wss:// address'],
    [['--no-config', '--scheduler', 'wss://h:1', '--tls-cert', 'c.pem'], '--tls-cert c.pem needs --tls-key (or tls_key in the config file) too: the certificate and its private key go together'],
    // The launchers' own rules, refused with the flag (SlurmCluster.start named `queue` later).
    [['--no-config', '--cluster', 'slurm', '--job-queue', 'short long'], '--job-queue must be one word without spaces (a queue or Slurm partition; several: a,b), got "short long"'],
    [['--no-config', '--cluster', 'slurm', '--job-cores', '2000'], '--job-cores must be an integer from 1 to 1024, got "2000"'],
  ];
  for (const [args, line] of cases) {
    const r = await run(args);
    t.equal(r.code, 2, args.join(' '));
    t.equal(r.stderr, usage(line), args.join(' '));
  }
});

t.test('a flag against the config file: the flag, and the file with its key', async (t) => {
  const file = path.join(tmp, 'conflicts.yaml');
  const withFile = async (yaml: string, args: string[]) => { writeFileSync(file, yaml); return run(['--config', file, ...args]); };
  const cases: [string, string[], string][] = [
    ['cluster: pbs\n', ['--scheduler', 'ws://h:1'], `cluster: pbs in ${file} starts its own scheduler; it cannot be combined with --scheduler ws://h:1`],
    ['scheduler: ws://h:1\n', ['--cluster', 'slurm'], `--cluster slurm starts its own scheduler; it cannot be combined with scheduler: ws://h:1 in ${file}`],
    ['n_workers: 0\n', ['--linger'], `--linger keeps a cluster and its dashboard up, and an in-process run (n_workers: 0 in ${file}) has none`],
    ['dashboard: false\n', ['--performance-report', 'r.html'], `--performance-report r.html records the dashboard's feed: it cannot be combined with dashboard: false in ${file}`],
    ['corrected_d0: true\n', [], `corrected_d0: true in ${file} applies to selection framework only, not the default selection notebook`],
    ['corrected_d0: true\n', ['--selection', 'notebook-pt'], `corrected_d0: true in ${file} applies to selection framework only, not --selection notebook-pt`],
    ['tls_cert: c.pem\nscheduler: wss://h:1\n', [], `tls_cert: c.pem in ${file} needs --tls-key (or tls_key in the config file) too: the certificate and its private key go together`],
  ];
  for (const [yaml, args, line] of cases) {
    const r = await withFile(yaml, args);
    t.equal(r.code, 2, `${yaml.trim()} ${args.join(' ')}`);
    t.equal(r.stderr, usage(line), `${yaml.trim()} ${args.join(' ')}`);
  }
  const queue = await withFile('cluster: slurm\njob_queue: short long\n', []);
  t.equal(queue.code, 2);
  t.equal(queue.stderr, usage(`${file}: job_queue must be one word without spaces (a queue or Slurm partition; several: a,b), got "short long"`), 'a value the launcher would refuse, named by its file and key');
});
