import t from 'tap';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, openSync, closeSync, rmSync, writeSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { holdSlurm, repo, slurmMissing } from './helpers.js';
import { until } from '../../../test/helpers/until.js';

/**
 * gluon-cluster stopped by a signal before it is up, against the real Slurm of
 * scripts/setup-slurm.sh: while its scheduler starts, and while sbatch submits its jobs. Before,
 * its handlers were installed only once the scheduler listened (a SIGTERM then killed it where it
 * stood, exit by signal, nothing said), it went on submitting every job after a SIGTERM and
 * printed "submitted", and a Ctrl-C (SIGINT to its process group) killed a running sbatch, whose
 * job, if already submitted, no one knew the id of to cancel. Skips, saying why, without Slurm.
 */
const bin = join(repo, 'packages/deploy/bin/gluon-cluster.js');
const why = slurmMissing();
if (why) {
  t.skip(`gluon-cluster stopped while starting, against Slurm: ${why}`, () => {});
} else {
  await holdSlurm();
  const work = mkdtempSync(join(tmpdir(), 'gluon-cluster-signals-'));
  const live = new Set<ChildProcess>();
  t.teardown(() => {
    for (const c of live) { try { process.kill(-c.pid!, 'SIGKILL'); } catch { /* gone */ } }
    rmSync(work, { recursive: true, force: true });
  });
  const jobsNamed = (name: string) => execFileSync('squeue', ['--array', '-h', '-n', name, '-o', '%i'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  const childrenOf = (pid: number) => {
    try { return execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(pid)], { encoding: 'utf8' }).split('\n').filter(Boolean); } catch { return []; }
  };
  const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };

  /**
   * gluon-cluster slurm as its own process group (as a shell runs a command: a Ctrl-C reaches
   * the whole group), with `pathDir` first on PATH; its job name is unique to the test.
   */
  function start(name: string, args: string[], pathDir?: string) {
    const env = { ...process.env, HOME: work, GLUON_TOKEN: undefined, PATH: `${pathDir ? `${pathDir}:` : ''}${process.env.PATH}` };
    const child = spawn(process.execPath, [bin, 'slurm', '--host', '127.0.0.1', '--walltime', '00:05:00', '--memory', '256MiB', '--job-name', name, '--log-directory', work, ...args],
      { cwd: repo, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    live.add(child);
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const exited = new Promise<number | string>((r) => child.on('exit', (c, s) => { live.delete(child); r(c ?? s ?? -1); }));
    return { child, out: () => out, exited };
  }

  /**
   * A directory with an `sbatch` that tells the test it started (a file), then waits on a FIFO
   * for one line before it runs the real sbatch: the test signals gluon-cluster while an sbatch
   * is under way, then lets it go on. `release()` keeps the FIFO open and lets every sbatch through.
   */
  function gatedSbatch(tag: string) {
    const dir = join(work, `gate-${tag}`);
    execFileSync('mkdir', ['-p', dir]);
    const gate = join(dir, 'gate');
    execFileSync('mkfifo', [gate]);
    const real = execFileSync('bash', ['-c', 'command -v sbatch'], { encoding: 'utf8' }).trim();
    writeFileSync(join(dir, 'sbatch'), `#!/usr/bin/env bash\ntouch ${JSON.stringify(join(dir, 'started'))}\nread -r _ < ${JSON.stringify(gate)}\nexec ${JSON.stringify(real)} "$@"\n`);
    chmodSync(join(dir, 'sbatch'), 0o755);
    let fd: number | undefined;
    t.teardown(() => { if (fd !== undefined) closeSync(fd); });
    return {
      dir,
      started: () => existsSync(join(dir, 'started')),
      release: () => {
        // O_RDWR: opening does not wait for a reader, and the FIFO stays open for later sbatches.
        fd = openSync(gate, 'r+');
        writeSync(fd, 'go\n'.repeat(64));
      },
    };
  }

  t.test('SIGTERM while the scheduler starts: what started is stopped, exit 0 with a line saying so', async (t) => {
    const name = `gsig-start-${process.pid}`;
    const c = start(name, ['--jobs', '1']);
    let sched: number | undefined;
    await until(() => {
      const line = childrenOf(c.child.pid!).find((l) => /gluon-scheduler/.test(l));
      sched = line ? Number(line.trim().split(/\s+/)[0]) : undefined;
      return sched !== undefined || c.child.exitCode !== null;
    }, 'the scheduler started by gluon-cluster', 120_000, 10);
    t.ok(sched, `a scheduler process started:\n${c.out()}`);
    t.notMatch(c.out(), /^scheduler at /m, 'signalled before the scheduler listened');
    c.child.kill('SIGTERM');
    t.equal(await c.exited, 0, `exit 0, as a SIGTERM after the start:\n${c.out()}`);
    t.match(c.out(), /^gluon-cluster: SIGTERM while starting: stopping what was started$/m);
    await until(() => !alive(sched!), `the scheduler ${sched} ends`);
    t.notMatch(c.out(), /submitted/, 'nothing was submitted');
    t.same(jobsNamed(name), [], 'no job left');
  });

  t.test('SIGTERM while sbatch submits the first of three jobs: no more are submitted, the one is cancelled', async (t) => {
    const name = `gsig-term-${process.pid}`;
    const gate = gatedSbatch('term');
    const c = start(name, ['--jobs', '3', '--no-job-arrays'], gate.dir);
    await until(() => gate.started() || c.child.exitCode !== null, 'an sbatch started', 120_000, 10);
    t.ok(gate.started(), c.out());
    c.child.kill('SIGTERM');
    await until(() => /SIGTERM: cancelling/.test(c.out()) || c.child.exitCode !== null, 'gluon-cluster heard the SIGTERM');
    gate.release();
    t.equal(await c.exited, 0, c.out());
    t.notMatch(c.out(), /^submitted /m, 'no "submitted" line after the SIGTERM');
    t.notMatch(c.out(), /failed/);
    t.same(jobsNamed(name), [], 'no job left');
  });

  t.test('Ctrl-C (SIGINT to the process group) while sbatch runs: sbatch completes, its job is cancelled', async (t) => {
    const name = `gsig-int-${process.pid}`;
    const gate = gatedSbatch('int');
    const c = start(name, ['--jobs', '2', '--no-job-arrays'], gate.dir);
    await until(() => gate.started() || c.child.exitCode !== null, 'an sbatch started', 120_000, 10);
    t.ok(gate.started(), c.out());
    process.kill(-c.child.pid!, 'SIGINT');
    await until(() => /SIGINT: cancelling/.test(c.out()) || c.child.exitCode !== null, 'gluon-cluster heard the SIGINT');
    gate.release();
    t.equal(await c.exited, 0, c.out());
    t.notMatch(c.out(), /sbatch[^\n]*failed/, 'the sbatch under way was not killed by the Ctrl-C');
    t.notMatch(c.out(), /^submitted /m);
    t.same(jobsNamed(name), [], 'no job left');
  });
}
