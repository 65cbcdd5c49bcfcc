/**
 * SIGINT to a script that runs a LocalCluster (kill -INT, a supervisor stopping it). A script
 * with its own SIGINT listener decides what the signal means: it may save partial results with
 * the cluster, then close it. LocalCluster killed its processes at once on the signal, before the
 * script's listener could use them (`failed after SIGINT: … lost the scheduler connection`). A
 * script without a listener still ends at once, its processes killed, by the signal it got.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { until } from '../../../test/helpers/until.js';

const script = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'sigint-script.mjs');
const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };

/** Runs the script, sends SIGINT to it (to it alone, not its process group) once its cluster is up. */
async function interrupt(args: string[]): Promise<{ status: number | string; out: string; pids: number[] }> {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | string>((r) => child.on('exit', (code, sig) => r(code ?? sig ?? -1)));
  await until(() => /^ready /m.test(out) || child.exitCode !== null, 'the cluster started', 120_000);
  const pids = JSON.parse(/^ready (.*)$/m.exec(out)?.[1] ?? '[]') as number[];
  process.kill(child.pid!, 'SIGINT');
  const status = await exited;
  return { status, out, pids };
}

t.test('a script with its own SIGINT listener still has its cluster in the listener, and closes it', async (t) => {
  const r = await interrupt(['handle']);
  t.equal(r.pids.length, 2, `a scheduler and a worker:\n${r.out}`);
  t.match(r.out, /^after SIGINT: 42$/m, 'a task ran on the cluster after the signal');
  t.match(r.out, /^closed$/m);
  t.equal(r.status, 0, `the script ended by itself:\n${r.out}`);
  await until(() => !r.pids.some(alive), 'the cluster\'s processes gone after close()');
});

t.test('a script without one ends by the SIGINT, its cluster\'s processes killed', async (t) => {
  const r = await interrupt([]);
  t.equal(r.pids.length, 2, r.out);
  t.equal(r.status, 'SIGINT', `ended by the signal it got:\n${r.out}`);
  await until(() => !r.pids.some(alive), 'the cluster\'s processes gone with it');
  t.pass('every process of the cluster is gone');
});
