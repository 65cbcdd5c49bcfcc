/**
 * The committed bin launchers (packages/X/bin/*.js) when their package has no dist/: each says
 * what to do about it, and the advice depends on where the launcher is. In a checkout the build
 * has not run; in an install (under node_modules) the tarball was packed unbuilt. The second is
 * what `npm pack` in this repository gives by default: its .npmrc turns npm scripts off, so the
 * `prepack` build is skipped without a word and the tarball carries src/ and no dist/. Such an
 * install used to say "run `npm run build` at the repository root", in a directory that has none.
 *
 * The launchers themselves are copied, each alone beside a package.json, into the two layouts.
 * Their body is one, @gluon/protocol's bin/launch.js: each launcher is three lines that call it
 * (checked below), so the advice cannot drift between the packages.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';

const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'gluon-launchers-'));
t.teardown(() => rmSync(tmp, { recursive: true, force: true }));

interface Launcher { pkg: string; name: string; dir: string; bin: string }
const launchers: Launcher[] = [];
for (const dir of readdirSync(join(root, 'packages'))) {
  let manifest: { name: string; bin?: Record<string, string> };
  try { manifest = JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8')); } catch { continue; }
  for (const [name, bin] of Object.entries(manifest.bin ?? {})) launchers.push({ pkg: manifest.name, name, dir, bin });
}

/**
 * Copies the launcher to `<base>/<bin>` beside a package.json, with @gluon/protocol (whose
 * launch.js is every launcher's body) where it resolves from there: `<modules>/@gluon/protocol`.
 * Runs it; its exit code and stderr.
 */
async function runAt(l: Launcher, base: string, modules: string): Promise<{ code: number; stderr: string }> {
  mkdirSync(join(modules, '@gluon'), { recursive: true });
  if (!existsSync(join(modules, '@gluon', 'protocol'))) symlinkSync(join(root, 'packages', 'protocol'), join(modules, '@gluon', 'protocol'), 'dir');
  mkdirSync(join(base, dirname(l.bin)), { recursive: true });
  copyFileSync(join(root, 'packages', l.dir, l.bin), join(base, l.bin));
  writeFileSync(join(base, 'package.json'), JSON.stringify({ name: l.pkg, version: '0.1.0', type: 'module' }));
  return run(process.execPath, [join(base, l.bin), '--help'], { timeout: 60_000 })
    .then(({ stderr }) => ({ code: 0, stderr }), (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }));
}

t.ok(launchers.length >= 5, `the packages' launchers: ${launchers.map((l) => l.name).join(', ')}`);

for (const l of launchers) {
  t.test(`${l.name} without dist/`, async (t) => {
    const checkout = await runAt(l, join(tmp, 'checkout', 'packages', l.dir), join(tmp, 'checkout', 'node_modules'));
    t.equal(checkout.code, 1, 'in a checkout: exit 1');
    t.equal(checkout.stderr, `${l.name}: this package is not built yet; run \`npm run build\` at the repository root first\n`);

    const at = join(tmp, 'app', 'node_modules', ...l.pkg.split('/'));
    const installed = await runAt(l, at, join(tmp, 'app', 'node_modules'));
    t.equal(installed.code, 1, 'installed: exit 1');
    t.equal(installed.stderr,
      `${l.name}: ${l.pkg} is installed without its dist/ (in ${at}): its tarball was packed unbuilt. `
      + 'In the Gluon checkout, pack with the build: `npm pack -w ' + l.pkg + ' --ignore-scripts=false` (its .npmrc turns npm scripts off, '
      + 'and with them the prepack build), or `npm run build` before `npm pack`; then install the new tarballs\n',
      'installed: names the package and directory, and how to pack it built');
    t.notMatch(installed.stderr, /repository root/, 'not the checkout\'s advice');
  });
}

t.test('every launcher is the shared body called with its own names, nothing else', async (t) => {
  for (const l of launchers) {
    const text = readFileSync(join(root, 'packages', l.dir, l.bin), 'utf8');
    const code = text.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('//') && !line.startsWith('#!'));
    t.same(code, ["import { launch } from '@gluon/protocol/launch';", `await launch(import.meta.url, '${l.name}', '${l.pkg}');`], l.bin);
  }
});
