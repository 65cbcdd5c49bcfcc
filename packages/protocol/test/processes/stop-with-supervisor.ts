/**
 * stopWithSupervisor in a supervised child (one forked with an IPC channel, as superviseChildren
 * forks the scheduler and the workers): a supervisor killed outright closes the channel, and the
 * child stops. The channel says so once ('disconnect'): a child that calls stopWithSupervisor
 * only after that (the scheduler's CLI calls it once it listens) never heard of it, and ran on
 * orphaned, holding its port.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { running as alive } from '../../../../test/helpers/process-tree.js';
import { until } from '../../../../test/helpers/until.js';

t.test('a child whose supervisor was killed before it called stopWithSupervisor stops, saying so', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'stop-supervisor-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const protocol = new URL('../../dist/index.js', import.meta.url).href;
  const child = join(dir, 'child.mjs');
  const stopped = join(dir, 'stopped');
  const pidFile = join(dir, 'pid');
  // The "CLI": calls stopWithSupervisor only once its channel has closed (its supervisor killed
  // meanwhile: the case of a CLI still starting), then keeps running until told to stop.
  writeFileSync(child, [
    `import { writeFileSync } from 'node:fs';`,
    `import { stopWithSupervisor } from ${JSON.stringify(protocol)};`,
    `process.once('disconnect', () => setImmediate(() => {`,
    `  stopWithSupervisor((why) => { writeFileSync(${JSON.stringify(stopped)}, why); process.exit(0); }, 'gluon-test');`,
    `  writeFileSync(${JSON.stringify(join(dir, 'registered'))}, '');`,
    `}));`,
    `writeFileSync(${JSON.stringify(pidFile)}, String(process.pid));`,
    `setInterval(() => {}, 1000);`,
  ].join('\n'));
  // The "supervisor": forks the child with an IPC channel, as superviseChildren does, then waits.
  const supervisor = spawn(process.execPath, ['-e', `require('child_process').fork(${JSON.stringify(child)}, [], { stdio: 'ignore' }); setInterval(() => {}, 1000);`], { stdio: 'ignore' });
  let childPid = 0;
  t.teardown(() => { for (const p of [childPid, supervisor.pid!]) if (p && alive(p)) process.kill(p, 'SIGKILL'); });
  await until(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8') !== '', 'the child started');
  childPid = Number(readFileSync(pidFile, 'utf8'));
  const supervisorGone = new Promise((resolve) => supervisor.once('exit', resolve));
  supervisor.kill('SIGKILL');
  await supervisorGone;
  await until(() => existsSync(join(dir, 'registered')), 'the child called stopWithSupervisor after its channel closed');
  await until(() => !alive(childPid), 'the child exits: its supervisor is gone');
  t.match(readFileSync(stopped, 'utf8'), /^its supervisor gluon-test \(gone before this process was ready: its pid is not known\) ended without stopping it: killed/, 'through stopWithSupervisor, saying why');
});
