/**
 * SIGINT to a script that runs a LocalCluster (kill -INT, a supervisor stopping it). A script
 * with its own SIGINT listener decides what the signal means: it may save partial results with
 * the cluster, then close it. LocalCluster killed its processes at once on the signal, before the
 * script's listener could use them (`failed after SIGINT: … lost the scheduler connection`). A
 * script without a listener still ends at once, its processes killed, by the signal it got.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { until } from '../../../../test/helpers/until.js';

const script = join(dirname(fileURLToPath(import.meta.url)), '../fixtures', 'sigint-script.mjs');
const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };

/**
 * Runs the script in a process group of its own, as a shell runs a foreground job, and sends it
 * `signal` once its cluster is up: to it alone (`kill -INT PID`, a supervisor), or to its whole
 * group, as a terminal's Ctrl-C does.
 */
async function interrupt(args: string[], to: 'script' | 'group' = 'script', signal: NodeJS.Signals = 'SIGINT'): Promise<{ status: number | string; out: string; pids: number[] }> {
  // As `node script.mjs` at a shell runs it: not under npm (whose npm_command makes the CLIs watch
  // for their parent's end by themselves, which would hide what LocalCluster does).
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('npm_')));
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env });
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | string>((r) => child.on('close', (code, sig) => r(code ?? sig ?? -1)));
  await until(() => /^ready /m.test(out) || child.exitCode !== null, 'the cluster started', 120_000);
  const pids = JSON.parse(/^ready (.*)$/m.exec(out)?.[1] ?? '[]') as number[];
  process.kill(to === 'group' ? -child.pid! : child.pid!, signal);
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

t.test('Ctrl-C at a terminal (SIGINT to the script\'s process group) is the script\'s alone to handle', async (t) => {
  // The cluster's processes were in the script's group: the Ctrl-C stopped them too.
  const r = await interrupt(['handle'], 'group');
  t.match(r.out, /^after SIGINT: 42$/m, `a task ran on the cluster after the Ctrl-C:\n${r.out}`);
  t.equal(r.status, 0, r.out);
  await until(() => !r.pids.some(alive), 'the cluster\'s processes gone after close()');
  t.pass('every process of the cluster is gone');
});

t.test('a script killed with -9 (no clean-up runs) does not leave its cluster\'s processes behind', async (t) => {
  // Without a client of the script's connected: one that is, lost, made the scheduler's end
  // cascade; without, the scheduler and the worker lived on, orphaned, before the IPC channel.
  const r = await interrupt(['bare'], 'script', 'SIGKILL');
  t.equal(r.status, 'SIGKILL', r.out);
  t.equal(r.pids.length, 2, r.out);
  await until(() => !r.pids.some(alive), 'the cluster\'s processes gone after the script', 120_000);
  t.pass('every process of the cluster stopped once the script was gone');
});

t.test('a script without one ends by the SIGINT, its cluster\'s processes killed', async (t) => {
  for (const to of ['script', 'group'] as const) {
    const r = await interrupt([], to);
    t.equal(r.pids.length, 2, r.out);
    t.equal(r.status, 'SIGINT', `SIGINT to the ${to}: ended by the signal it got:\n${r.out}`);
    await until(() => !r.pids.some(alive), 'the cluster\'s processes gone with it');
  }
  t.pass('every process of the cluster is gone');
});

t.test('a script ended by the SIGINT leaves no directory of its cluster behind (socket, temporary CA and keys)', async (t) => {
  // With tls, bare: the script's own Client.connect would need the temporary CA's files.
  for (const args of [[], ['bare', 'tls']]) {
    const r = await interrupt(args);
    const dirs = JSON.parse(/^dirs (.*)$/m.exec(r.out)?.[1] ?? '[]') as string[];
    t.equal(dirs.length, 1, `${args.join(' ') || 'plain'}: the cluster made one directory:\n${r.out}`);
    t.equal(r.status, 'SIGINT', r.out);
    // Removed by the script's own clean-up before it ended: nothing to wait for.
    t.same(dirs.filter((d) => existsSync(d)), [], `${args.join(' ') || 'plain'}: ${dirs.join(', ')} removed`);
  }
});
