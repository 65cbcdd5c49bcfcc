/**
 * Two live workers under one name (two hosts started with the same `--name`): the scheduler takes
 * both (they are different processes at different addresses) but says so in its log, since the
 * dashboard's worker page, its event log and task stream rows tell workers apart by name alone.
 * Before, nothing said it: the two simply shared one worker page (found by the new-user trial).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { startScheduler } from '@gluon/scheduler';
import { until } from '../../../../test/helpers/until.js';

const WORKER_BIN = fileURLToPath(new URL('../../../worker/bin/gluon-worker.js', import.meta.url));

t.test('a second live worker with a name already in use is named in the scheduler log', async (t) => {
  const lines: string[] = [];
  const s = await startScheduler({ port: 0, dashboard: false, log: (l) => lines.push(l) });
  t.teardown(() => s.close());
  const start = () => {
    const child = spawn(process.execPath, [WORKER_BIN, s.address, '--nthreads', '1', '--name', 'dup'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d) => (err += String(d)));
    t.teardown(() => child.kill('SIGKILL'));
    return () => err;
  };
  const first = start();
  await until(() => s.snapshot().workers.filter((w) => w.alive).length === 1, `the first worker to register (${first()})`);
  t.same(lines.filter((l) => /under the same name/.test(l)), [], 'one worker of that name: nothing to say');
  const second = start();
  await until(() => s.snapshot().workers.filter((w) => w.alive).length === 2, `the second worker to register (${second()})`);
  const [a, b] = s.snapshot().workers.map((w) => w.address);
  const said = lines.filter((l) => /under the same name/.test(l));
  t.equal(said.length, 1, 'said once, when the second registered');
  t.match(said[0], `worker dup at ${b} registered while worker dup at ${a} is connected`);
  t.match(said[0], /give each worker its own --name/, 'and what to do');
});
