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
const script = join(dirname(fileURLToPath(import.meta.url)), '..', 'scripts', 'setup-test-env.sh');

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
