import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
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
