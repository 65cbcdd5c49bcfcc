/**
 * Settings that conflict are named as the user gave them: the flags typed, the config file and key
 * a value came from, or the default. They named config keys alone (`tail_threshold_gev (100) must
 * be a whole number of bin_width_gev (3) bins` for `--tail-threshold 100 --bin-width 3`).
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const tmp = mkdtempSync(path.join(tmpdir(), 'fs-conflicts-'));
t.teardown(() => rmSync(tmp, { recursive: true, force: true }));

function run(args: string[]): Promise<{ code: number; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, '--data-dir', tmp, '--dry-run', ...args], { cwd: tmp, timeout: 120_000 }, (e, _out, err) => {
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, err });
    });
  });
}

t.test('flags against flags, and a flag against the config file: each named as given', async (t) => {
  const file = path.join(tmp, 'c.yaml');
  writeFileSync(file, 'bin_width_gev: 3\ncluster: pbs\nmin_particles: 4\nmax_particles: 3\n');
  const other = path.join(tmp, 'tasks.yaml');
  writeFileSync(other, 'tasks: {parse: false, postprocess: false, histograms: false}\n');
  const cases: [string[], string][] = [
    [['--bin-width', '3', '--tail-threshold', '100'], '--tail-threshold 100 must be a whole number of --bin-width 3 bins'],
    [['--cluster', 'slurm', '--scheduler', 'ws://h:1'], '--cluster slurm starts its own scheduler; it cannot be combined with --scheduler ws://h:1'],
    [['--tasks', 'masses'], '--tasks masses leaves out parse, which masses need (the objects come from it)'],
    [['--tls-ca', 'ca.pem'], '--tls-ca ca.pem is for connecting to a wss:// scheduler given by address, with --scheduler (or scheduler in the config file); without one there is nothing to connect to'],
    [['--job-account', 'at las', '--cluster', 'pbs'], '--job-account must be one word without spaces (a batch account or project), got "at las"'],
    [['--config', file, '--tail-threshold', '100', '--scheduler', 'ws://h:1'], `cluster: pbs in ${file} starts its own scheduler; it cannot be combined with --scheduler ws://h:1`],
    [['--config', file, '--tail-threshold', '100'], `max_particles: 3 in ${file} must be ≥ min_particles: 4 in ${file}`],
    [['--config', other], `tasks: masses in ${other} leaves out parse, which masses need (the objects come from it)`],
  ];
  for (const [args, line] of cases) {
    const r = await run(args);
    t.equal(r.code, 2, args.join(' '));
    t.equal(r.err, `gluon-finalstates: ${line}\n`, args.join(' '));
  }
  writeFileSync(file, 'bin_width_gev: 3\n');
  const binning = await run(['--config', file, '--tail-threshold', '100']);
  t.equal(binning.err, `gluon-finalstates: --tail-threshold 100 must be a whole number of bin_width_gev: 3 in ${file} bins\n`);
});
