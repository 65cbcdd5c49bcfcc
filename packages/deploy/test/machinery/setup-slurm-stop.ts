import t from 'tap';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repo } from '../helpers.js';

/**
 * `scripts/setup-slurm.sh stop` is machine-wide: it must not stop the Slurm that another checkout's
 * tests still use. Its leases are exercised on a state directory of this test's own, whose "daemons"
 * are processes this test started (so the real, shared Slurm is never touched).
 */
const script = join(repo, 'scripts/setup-slurm.sh');
const state = mkdtempSync(join(tmpdir(), 'gluon-slurm-state-'));
t.teardown(() => rmSync(state, { recursive: true, force: true }));

const procs: ChildProcess[] = [];
t.teardown(() => { for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL'); });
/** A process that lives until killed (bounded at 10 min), and a promise of its exit. */
function longLived(): { pid: number; exited: Promise<string | null> } {
  const p = spawn('sleep', ['600'], { stdio: 'ignore' });
  procs.push(p);
  return { pid: p.pid!, exited: new Promise((r) => p.on('exit', (_c, sig) => r(sig))) };
}
// The script's own state, and no holder inherited: .ci/run exports GLUON_SLURM_HOLDER (its shell) for
// the real Slurm, which would make every call here hold a lease for that shell instead.
const env: NodeJS.ProcessEnv = { ...process.env, GLUON_SLURM_STATE: state };
delete env.GLUON_SLURM_HOLDER;
const sh = (args: string[], holder?: number) => spawnSync('bash', [script, ...args], {
  encoding: 'utf8', timeout: 180_000, env: { ...env, ...(holder ? { GLUON_SLURM_HOLDER: String(holder) } : {}) },
});
const isAlive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };

t.test('stop leaves Slurm running while another process holds a lease, and stops it once none does', async (t) => {
  const ctld = longLived();
  const slurmd = longLived();
  writeFileSync(join(state, 'pids'), `slurmctld ${ctld.pid}\nslurmd ${slurmd.pid}\n`);
  const ci = longLived(); // the checkout that started Slurm (its .ci/run shell)
  const tests = longLived(); // another checkout's test process, using the same Slurm
  t.equal(sh(['hold', String(ci.pid)]).status, 0);
  const held = sh(['hold', String(tests.pid)]);
  t.equal(held.status, 0, held.stderr);
  t.same(readdirSync(join(state, 'leases')).sort(), [String(ci.pid), String(tests.pid)].sort(), 'one lease per holder');

  const first = sh(['stop'], ci.pid);
  t.equal(first.status, 0, first.stderr);
  t.match(first.stdout, new RegExp(`still held by process\\(es\\) ${tests.pid}: leaving Slurm running`));
  t.ok(isAlive(ctld.pid) && isAlive(slurmd.pid), 'the daemons still run under the other checkout\'s tests');
  t.notOk(existsSync(join(state, 'leases', String(ci.pid))), 'the stopping checkout\'s lease is gone');

  // A stop by a process that holds no lease changes nothing either.
  t.match(sh(['stop'], process.pid).stdout, /still held/);
  t.ok(isAlive(ctld.pid), 'still running');

  // The tests end (their process exits): its lease no longer counts, and the next stop stops Slurm.
  process.kill(tests.pid, 'SIGKILL');
  await tests.exited;
  const last = sh(['stop'], ci.pid);
  t.equal(last.status, 0, last.stderr);
  t.match(last.stdout, new RegExp(`stopped slurmctld \\(${ctld.pid}\\)`));
  t.equal(await ctld.exited, 'SIGTERM', 'slurmctld got SIGTERM');
  t.equal(await slurmd.exited, 'SIGTERM', 'slurmd got SIGTERM');
  t.notOk(existsSync(join(state, 'pids')), 'nothing recorded any more');
  t.same(readdirSync(join(state, 'leases')), [], 'the dead holder\'s lease was removed');
});

t.test('a hold and a stop as one bash -c (the stop exec\'d in place of the shell that took the lease): the stop releases it', async (t) => {
  // The machine's recipe: flock LOCK bash -c 'bash setup-slurm.sh && <tests>; bash setup-slurm.sh stop'.
  // bash execs the last command, so the stop runs as the process that holds the lease (its $PPID is
  // flock): it said 'still held by process(es) <itself>', left the daemons running, and munged (started
  // with flock's descriptor) kept LOCK held for every later hold.
  const ctld = longLived();
  writeFileSync(join(state, 'pids'), `slurmctld ${ctld.pid}\n`);
  const r = spawnSync('bash', ['-c', `bash ${JSON.stringify(script)} hold && echo "shell $$"; bash ${JSON.stringify(script)} stop`], {
    encoding: 'utf8', timeout: 180_000, env,
  });
  t.equal(r.status, 0, r.stderr);
  const shell = /shell (\d+)/.exec(r.stdout)?.[1];
  t.match(r.stdout, new RegExp(`lease for process ${shell}\\b`), 'the hold took the shell\'s lease');
  const stopped = new RegExp(`stopped slurmctld \\(${ctld.pid}\\)`).test(r.stdout);
  t.ok(stopped, `the stop stopped Slurm (it said: ${r.stdout.trim().split('\n').pop()})`);
  // Awaited only once said: on the old script it runs on (killed at the end of the test).
  if (stopped) t.equal(await ctld.exited, 'SIGTERM');
  t.same(readdirSync(join(state, 'leases')), [], 'no lease left');
});

t.test('stop returns once the daemons have exited, not when they were signalled', async (t) => {
  // slurmctld writes its state on SIGTERM before it exits. The old stop said 'stopped' and let go of
  // the lock at once: the next setup saw the exiting slurmctld as running, started none, and waited
  // for a node that never came. This "daemon" takes 5 s to exit after its SIGTERM. It says when
  // its trap is set, and is stopped only then: a SIGTERM that came first (a loaded machine, bash
  // not yet run) killed it at once, as if stop had not waited.
  const p = spawn('bash', ['-c', 'trap "sleep 5; exit 0" TERM; echo trapped; for i in $(seq 6000); do sleep 0.1; done'], { stdio: ['ignore', 'pipe', 'ignore'] });
  procs.push(p);
  const exited = new Promise<number | null>((r) => p.on('exit', (code) => r(code)));
  await new Promise<void>((resolve, reject) => {
    p.stdout!.once('data', () => { p.stdout!.resume(); resolve(); });
    p.once('exit', (code, sig) => reject(new Error(`the daemon ended (${code ?? sig}) before it set its trap`)));
  });
  writeFileSync(join(state, 'pids'), `slurmctld ${p.pid}\n`);
  const r = sh(['stop'], process.pid);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, new RegExp(`stopped slurmctld \\(${p.pid}\\)`));
  // The test's own event loop was blocked in spawnSync, so the daemon may be an unreaped zombie: only
  // a state other than Z counts as still running.
  const state_ = spawnSync('awk', ['{ sub(/^.*\\) /, ""); print $1 }', `/proc/${p.pid}/stat`], { encoding: 'utf8' }).stdout.trim();
  t.ok(state_ === '' || state_ === 'Z', `the daemon had exited when stop returned (its state: '${state_}')`);
  t.equal(await exited, 0, 'it exited by its own trap, not SIGKILL');
});

t.test('a lease names its process by pid and start time; bad holders are refused', async (t) => {
  const r = sh(['hold', '999999999']);
  t.not(r.status, 0);
  t.match(r.stderr, /no process 999999999 to hold a lease/);
  t.not(sh(['hold', 'abc']).status, 0, 'a pid must be a number');
  // A lease whose start time does not match its pid's process is stale (the pid was reused).
  const daemon = longLived();
  writeFileSync(join(state, 'pids'), `slurmd ${daemon.pid}\n`);
  const other = longLived();
  writeFileSync(join(state, 'leases', String(other.pid)), '1\n');
  const s = sh(['stop'], process.pid);
  t.match(s.stdout, /stopped slurmd/, 'a reused pid holds no lease');
  t.equal(await daemon.exited, 'SIGTERM');
  t.equal(sh(['bogus']).status, 2, 'an unknown command exits 2');
});
