/**
 * stopWithSupervisor under npm: npm runs a package's bin as `sh -c 'gluon-worker …'`, so the CLI's
 * parent is that shell. When npm is killed outright (kill -9: it passes nothing on) the shell
 * stays, waiting on the CLI; the CLI must notice that the shell's parent went away and stop.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { running as alive } from '../../../../test/helpers/process-tree.js';
import { until } from '../../../../test/helpers/until.js';

t.test('a CLI started by npm through sh stops when npm is killed with SIGKILL', { skip: existsSync('/proc/self/stat') ? false : 'needs Linux /proc (elsewhere only the direct parent is watched)' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'stop-npm-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const protocol = new URL('../../dist/index.js', import.meta.url).href;
  const cli = join(dir, 'cli.mjs');
  const stopped = join(dir, 'stopped');
  // The "CLI": records its pid and its parent's, then waits until stopWithSupervisor says stop.
  writeFileSync(cli, [
    `import { writeFileSync } from 'node:fs';`,
    `import { stopWithSupervisor } from ${JSON.stringify(protocol)};`,
    `stopWithSupervisor(() => { writeFileSync(${JSON.stringify(stopped)}, 'stopped'); process.exit(0); });`,
    `writeFileSync(${JSON.stringify(join(dir, 'pids'))}, process.pid + ' ' + process.ppid);`,
    `setInterval(() => {}, 1000);`,
  ].join('\n'));
  // The "npm": runs the CLI as npm does (a shell, npm_command in the environment), then waits.
  const npm = spawn(process.execPath, ['-e', `require('child_process').spawn('sh', ['-c', ${JSON.stringify(`'${process.execPath}' '${cli}'`)}], { stdio: 'ignore', env: { ...process.env, npm_command: 'exec' } }); setInterval(() => {}, 1000);`], { stdio: 'ignore' });
  const pidsFile = join(dir, 'pids');
  let cliPid = 0, shPid = 0;
  t.teardown(() => { for (const p of [cliPid, shPid, npm.pid!]) if (p && alive(p)) process.kill(p, 'SIGKILL'); });
  await until(() => existsSync(pidsFile) && readFileSync(pidsFile, 'utf8').includes(' '), 'the CLI started');
  [cliPid, shPid] = readFileSync(pidsFile, 'utf8').split(' ').map(Number) as [number, number];
  t.not(shPid, npm.pid, 'the CLI runs under a shell, not under npm directly (as npm starts bins)');
  const npmGone = new Promise((resolve) => npm.once('exit', resolve));
  npm.kill('SIGKILL');
  await npmGone;
  t.ok(alive(shPid), 'the shell outlives npm (it waits on the CLI)');
  await until(() => !alive(cliPid), 'the CLI exits after npm was killed');
  t.equal(readFileSync(stopped, 'utf8'), 'stopped', 'through stopWithSupervisor');
  await until(() => !alive(shPid), 'the shell ends with it');
});
