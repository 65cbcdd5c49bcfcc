import t from 'tap';
import { schedulerCli, start, startCommand } from '../procs.js';
import { alive, descendants } from '../../../../test/helpers/process-tree.js';

/**
 * `npx gluon-worker` as a user runs it: npm passes a SIGTERM sent to it alone only to the shell it
 * runs the command through (`sh -c`), which dies of it and leaves the command running, so the CLI
 * (here a supervisor of two worker processes) must notice that npm is gone and stop
 * (protocol's stopWithSupervisor).
 */

t.test('SIGTERM to npx gluon-worker --nworkers 2 stops the supervisor and both workers', async (t) => {
  const sched = start(schedulerCli, ['--port', '0', '--no-dashboard']);
  t.teardown(() => sched.kill('SIGKILL'));
  const [, address] = await sched.waitFor(/^scheduler at (ws:\S+)$/m);
  const npx = startCommand('npm', ['exec', '--offline', '--', 'gluon-worker', address!, '--nworkers', '2', '--name', 'npx']);
  const left: number[] = [];
  t.teardown(() => left.forEach((p) => { try { process.kill(p, 'SIGKILL'); } catch { /* gone */ } }));
  await npx.waitFor(/worker npx-0 .* connected/);
  await npx.waitFor(/worker npx-1 .* connected/);
  const procs = descendants(npx.child.pid!);
  left.push(...procs);
  t.ok(procs.length >= 3, `npm runs the supervisor and two workers (${procs.length} processes below npm)`);
  npx.kill('SIGTERM');
  // npm's status, not the worker's 0 (README: the shell sees 143).
  t.equal(await npx.exited(), 'SIGTERM', 'npm ends by the SIGTERM');
  for (let i = 0; i < 1200 && procs.some(alive); i++) await new Promise((r) => setTimeout(r, 100));
  t.same(procs.filter(alive), [], 'no process that npm started is left running (120 s bound)');
});
