/**
 * The module allow-list: what a worker imports, and why it refuses the rest.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import t from 'tap';
import { checkModule } from '@gluon/worker';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../../..');
const fixture = join(here, 'fixtures/tasks.mjs');
const allow = { cwd: repo, extra: [] as string[] };

t.test('Node built-ins are always denied, whatever the allow-list says', async (t) => {
  for (const spec of ['node:child_process', 'child_process', 'fs', 'fs/promises', 'node:fs', 'worker_threads', 'node:test']) {
    const d = checkModule(spec, { cwd: repo, extra: [spec, 'node:child_process'] });
    t.match(d, { ok: false, reason: /built-in/ }, spec);
  }
});

t.test('packages resolvable from the working directory are allowed, with subpaths', async (t) => {
  const d = checkModule('@gluon/examples/tasks', allow);
  t.match(d, { ok: true, url: /^file:.*examples/ });
  t.match(checkModule('msgpackr', allow), { ok: true, url: /^file:.*msgpackr/ });
  t.match(checkModule('not-a-package-gluon-xyz', allow), { ok: false, reason: /not installed where the worker runs .*--allow-module not-a-package-gluon-xyz/ });
});

t.test('files under the working directory are allowed; others need --allow-module', async (t) => {
  t.match(checkModule(pathToFileURL(fixture).href, allow), { ok: true, url: pathToFileURL(fixture).href });
  t.match(checkModule(fixture, allow), { ok: true }, 'an absolute path works as well');
  const outside = mkdtempSync(join(tmpdir(), 'gluon-allow-'));
  t.teardown(() => rmSync(outside, { recursive: true, force: true }));
  mkdirSync(join(outside, 'lib'));
  const file = join(outside, 'lib', 'task.mjs');
  writeFileSync(file, 'export const f = () => 1;\n');
  t.match(checkModule(pathToFileURL(file).href, allow), { ok: false, reason: /outside the worker's directory/ });
  t.match(checkModule(pathToFileURL(file).href, { cwd: repo, extra: [join(outside, 'lib')] }), { ok: true }, 'a directory prefix');
  t.match(checkModule(file, { cwd: repo, extra: [pathToFileURL(outside).href] }), { ok: true }, 'a file URL prefix');
  t.match(checkModule(file, { cwd: repo, extra: [join(outside, 'li')] }), { ok: false }, 'prefixes match whole path components');
  t.match(checkModule(pathToFileURL(join(repo, 'nope.mjs')).href, allow), { ok: false, reason: /does not exist on this worker/ });
});

t.test('--allow-module names a package and its subpaths, not packages that share a prefix', async (t) => {
  const cwd = mkdtempSync(join(tmpdir(), 'gluon-allow-cwd-'));
  t.teardown(() => rmSync(cwd, { recursive: true, force: true }));
  const extra = ['@acme/tasks'];
  t.match(checkModule('@acme/tasks', { cwd, extra }), { ok: true, url: '@acme/tasks' });
  t.match(checkModule('@acme/tasks/sub/mod', { cwd, extra }), { ok: true });
  t.match(checkModule('@acme/tasks-evil', { cwd, extra }), { ok: false });
  t.match(checkModule('@gluon/examples/tasks', { cwd, extra }), { ok: false }, 'nothing is installed in an empty directory');
});

t.test('relative specifiers and remote URLs are refused with a reason', async (t) => {
  t.match(checkModule('./tasks.mjs', allow), { ok: false, reason: /relative specifiers/ });
  t.match(checkModule('https://example.com/x.mjs', allow), { ok: false, reason: /only packages and local files/ });
  t.match(checkModule('data:text/javascript,export default 1', allow), { ok: false });
});
