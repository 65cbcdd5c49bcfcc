import t from 'tap';
import { execFileSync } from 'node:child_process';
import { schedulerCli, start, startCommand } from './procs.js';

/**
 * `npx gluon-worker` as a user runs it: npm does not pass SIGTERM on to the command it runs, so
 * the CLI (here a supervisor of two worker processes) must notice that npm is gone and stop.
 */

/** Every process below `pid` (children, grandchildren, …). */
function descendants(pid: number): number[] {
  const out: number[] = [];
  const queue = [pid];
  while (queue.length) {
    let kids: number[] = [];
    try {
      kids = execFileSync('ps', ['-o', 'pid=', '--ppid', String(queue.shift())], { encoding: 'utf8' }).split('\n').map((s) => Number(s.trim())).filter(Boolean);
    } catch { /* no children */ }
    out.push(...kids);
    queue.push(...kids);
  }
  return out;
}

const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };

t.test('SIGTERM to npx gluon-worker --nworkers 2 stops the supervisor and both workers', async (t) => {
  const sched = start(schedulerCli, ['--port', '0', '--no-dashboard']);
  t.teardown(() => sched.kill('SIGKILL'));
  const [, address] = await sched.waitFor(/^scheduler at (ws:\S+)$/m);
  const npx = startCommand('npm', ['exec', '--offline', '--', 'gluon-worker', address!, '--nworkers', '2', '--name', 'npx']);
  const left: number[] = [];
  t.teardown(() => left.forEach((p) => { try { process.kill(p, 'SIGKILL'); } catch { /* gone */ } }));
  await npx.waitFor(/worker npx-0 .* connected/, 60_000);
  await npx.waitFor(/worker npx-1 .* connected/, 60_000);
  const procs = descendants(npx.child.pid!);
  left.push(...procs);
  t.ok(procs.length >= 3, `npm runs the supervisor and two workers (${procs.length} processes below npm)`);
  npx.kill('SIGTERM');
  await npx.exited(30_000);
  for (let i = 0; i < 300 && procs.some(alive); i++) await new Promise((r) => setTimeout(r, 100));
  t.same(procs.filter(alive), [], 'no process that npm started is left running (30 s bound)');
});
