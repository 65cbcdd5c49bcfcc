import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * scripts/setup-test-env.sh installs the Debian tools the tests skip without. nginx was not among
 * them, so CI (which runs the script, then the suite) always skipped the dashboard's nginx tests.
 * Run against an empty tree (SETUP_TEST_ENV_ROOT), its dry run lists every absolute-path tool as
 * missing: nginx must be one of them.
 */
const script = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'scripts', 'setup-test-env.sh');

t.test('on a machine with none of them, the dry run lists nginx with chromium and sshd; nothing is installed', async (t) => {
  const empty = mkdtempSync(join(tmpdir(), 'gluon-setup-env-'));
  t.teardown(() => rmSync(empty, { recursive: true, force: true }));
  const out = execFileSync('bash', [script, '--dry-run'], { env: { ...process.env, SETUP_TEST_ENV_ROOT: empty }, encoding: 'utf8' });
  const names = out.split('\n').filter(Boolean);
  for (const name of ['chromium', 'nginx', 'openssh-server']) t.ok(names.includes(name), `${name} is listed as missing`);
});

t.test('the dry run on this machine lists only packages whose tool is absent here (the nginx tests use /usr/sbin/nginx)', async (t) => {
  const out = execFileSync('bash', [script, '--dry-run'], { encoding: 'utf8' });
  const { existsSync } = await import('node:fs');
  t.equal(out.split('\n').includes('nginx'), !existsSync('/usr/sbin/nginx'), 'nginx is listed exactly when /usr/sbin/nginx is absent');
});

t.test('with every tool present, the dry run and the run say nothing is missing (they were silent)', async (t) => {
  // A tree holding the absolute-path tools, and stand-ins for those looked up on PATH.
  const tree = mkdtempSync(join(tmpdir(), 'gluon-setup-env-'));
  t.teardown(() => rmSync(tree, { recursive: true, force: true }));
  for (const f of ['usr/bin/chromium', 'usr/sbin/nginx', 'usr/sbin/sshd', 'bin/ip', 'bin/tc', 'bin/ssh', 'bin/ssh-keygen']) {
    mkdirSync(dirname(join(tree, f)), { recursive: true });
    writeFileSync(join(tree, f), '#!/bin/sh\nexit 0\n');
    chmodSync(join(tree, f), 0o755);
  }
  const env = { ...process.env, SETUP_TEST_ENV_ROOT: tree, PATH: `${join(tree, 'bin')}:${process.env.PATH}` };
  const dry = spawnSync('bash', [script, '--dry-run'], { env, encoding: 'utf8' });
  t.equal(dry.status, 0);
  t.equal(dry.stdout, '', 'the dry run\'s stdout is the list of what is missing: empty');
  t.equal(dry.stderr, 'setup-test-env: nothing is missing: chromium, nginx, iproute2 (ip, tc), openssh-server (sshd), openssh-client (ssh, ssh-keygen) are here\n');
  const run = spawnSync('bash', [script], { env, encoding: 'utf8' });
  t.equal(run.status, 0, 'nothing to install: no apt-get, no root needed');
  t.equal(run.stdout, 'setup-test-env: nothing to install: chromium, nginx, iproute2 (ip, tc), openssh-server (sshd), openssh-client (ssh, ssh-keygen) are here\n');
});

/**
 * .ci/run runs this setup beside the tests, holding an exclusive lock on the file
 * GLUON_TEST_ENV_LOCK names until it has ended; the checks of the tools it installs wait for that
 * lock (test/helpers/test-env.ts). A check made while the lock is held must return only after it is
 * released, and one made without the variable at once.
 */
t.test('awaitTestEnvSetup returns only once the setup\'s lock is released, and at once without GLUON_TEST_ENV_LOCK', async (t) => {
  const { spawn } = await import('node:child_process');
  const { readdirSync, readFileSync } = await import('node:fs');
  const { until } = await import('../helpers/until.js');
  const dir = mkdtempSync(join(tmpdir(), 'gluon-setup-lock-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const lock = join(dir, 'lock');
  writeFileSync(lock, '');
  const waiterSource = `import { awaitTestEnvSetup } from ${JSON.stringify(join(dirname(fileURLToPath(import.meta.url)), '..', 'helpers', 'test-env.ts'))};\n`
    + `console.log('start'); awaitTestEnvSetup(); console.log('done ' + Date.now());\n`;
  writeFileSync(join(dir, 'waiter.mts'), waiterSource);
  const waiter = (env: NodeJS.ProcessEnv) => spawn(process.execPath, ['--import=tsx', join(dir, 'waiter.mts')], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = (p: { stdout: NodeJS.ReadableStream | null }) => { const got: string[] = []; p.stdout!.on('data', (d) => got.push(...String(d).split('\n').filter(Boolean))); return got; };

  const alone = waiter({ ...process.env, GLUON_TEST_ENV_LOCK: '' });
  const aloneSaid = lines(alone);
  await new Promise((r) => alone.on('close', r));
  t.match(aloneSaid, ['start', /^done \d+$/], 'without the variable: no wait');

  // The setup's side: the lock taken, then held until a line arrives on stdin.
  const holder = spawn('bash', ['-c', 'exec 8>"$1"; flock 8; echo locked; read -r _', 'holder', lock], { stdio: ['pipe', 'pipe', 'inherit'] });
  t.teardown(() => { holder.kill(); });
  const holderSaid = lines(holder);
  await until(() => holderSaid.includes('locked'), 'the holder took the lock');
  const w = waiter({ ...process.env, GLUON_TEST_ENV_LOCK: lock });
  const said = lines(w);
  const closed = new Promise((r) => w.on('close', r));
  // Blocked: its flock(1) waits on the lock (a child of the waiter, named flock, is running).
  const flockChild = () => readdirSync('/proc').filter((p) => /^\d+$/.test(p)).some((p) => {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return stat.includes('(flock)') && Number(fields[1]) === w.pid;
    } catch { return false; }
  });
  // And its 'start' line read: it wrote the line before it started flock, but this process reads
  // it in a turn of its event loop, which a look that found flock after a wait without one (this
  // process not run meanwhile, on a loaded machine) had not had.
  await until(() => said.length > 0 && flockChild(), 'the waiter waiting in flock, its first line read');
  t.same(said, ['start'], 'not past the wait while the lock is held');
  const released = Date.now();
  holder.stdin!.end('\n');
  await closed;
  t.equal(said.length, 2);
  t.ok(Number(said[1]!.split(' ')[1]) >= released, 'past the wait only after the lock was released');
});
