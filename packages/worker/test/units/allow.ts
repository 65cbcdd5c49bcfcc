/**
 * The module allow-list: what a worker imports, and why it refuses the rest. Nothing runs unless
 * it was listed (--allow-module) or its package declares it (`gluon.tasks`); every specifier is
 * checked as the real file it resolves to.
 */
import { mkdtempSync, mkdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import t, { type Test } from 'tap';
import { checkModule, GluonWorker } from '@gluon/worker';
import { missingAllowPaths } from '../../src/allow.js';
import { ModuleGate } from '../../src/module-gate.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../../../..');
const fixtures = join(here, '..', 'fixtures');
const fixture = join(fixtures, 'tasks.mjs');
const allow = { cwd: repo, extra: [] as string[] };

/** A scratch tree: `cwd/node_modules/<packages>`, an `evil/evil.mjs` beside it, and an allowed `cwd/tasks` dir. */
function scratch(t: Test) {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'gluon-allow-')));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const cwd = join(root, 'cwd');
  const write = (rel: string, text: string) => {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), text);
  };
  write('evil/evil.mjs', 'export const run = () => "pwned";\n');
  write('cwd/tasks/ok.mjs', 'export const run = () => 1;\n');
  write('cwd/node_modules/plain/package.json', JSON.stringify({ name: 'plain', main: 'index.js' }));
  write('cwd/node_modules/plain/index.js', 'export const x = 1;\n');
  write('cwd/node_modules/plain/lib/util.js', 'export const y = 1;\n');
  write('cwd/node_modules/declared/package.json', JSON.stringify({ name: 'declared', exports: { './tasks': './dist/tasks.js', './other': './dist/other.js' }, gluon: { tasks: ['./tasks'] } }));
  write('cwd/node_modules/declared/dist/tasks.js', 'export const f = () => 1;\n');
  write('cwd/node_modules/declared/dist/other.js', 'export const g = () => 1;\n');
  write('cwd/node_modules/nodecl/package.json', JSON.stringify({ name: 'nodecl', gluon: { tasks: ['./tasks.js'] } }));
  write('cwd/node_modules/nodecl/tasks.js', 'export const f = () => 1;\n');
  return { root, cwd, evil: join(root, 'evil/evil.mjs'), tasksDir: join(cwd, 'tasks') };
}

t.test('Node built-ins are always denied, whatever the allow-list says', async (t) => {
  for (const spec of ['node:child_process', 'child_process', 'fs', 'fs/promises', 'node:fs', 'worker_threads', 'node:test']) {
    const d = checkModule(spec, { cwd: repo, extra: [spec, 'node:child_process'] });
    t.match(d, { ok: false, reason: /built-in/ }, spec);
  }
});

t.test('nothing is allowed by default: an installed package is not task code unless it says so', async (t) => {
  // cross-spawn's `sync` ran a shell command on a worker when every installed package was allowed.
  for (const spec of ['cross-spawn', 'msgpackr', 'tsx/esm/api', 'ws']) {
    t.match(checkModule(spec, allow), { ok: false, reason: /not an allowed task module .*--allow-module/ }, spec);
  }
  t.match(checkModule('not-a-package-gluon-xyz', allow), { ok: false, reason: /not installed where the worker runs/ });
  t.match(checkModule(pathToFileURL(fixture).href, allow), { ok: false, reason: /not under any --allow-module directory/ }, 'files under the cwd are not allowed either');
});

t.test('a bare specifier that is a file beside the worker is said to name a package, and how a file is named', async (t) => {
  // remote('tasks.cjs', …), the "./" left off: the refusal said only "package tasks.cjs is not
  // installed where the worker runs", beside the very file.
  const s = scratch(t);
  writeFileSync(join(s.cwd, 'tasks.cjs'), 'exports.f = () => 1;\n');
  const d = checkModule('tasks.cjs', { cwd: s.cwd, extra: [] });
  t.match(d, { ok: false, reason: /^package tasks\.cjs is not installed where the worker runs \(.*\); install the package where the worker runs \(start the worker in a directory where it is installed\); unless its package\.json declares \. as a task module .*also list it with --allow-module/ });
  if (!d.ok) t.match(d.reason, `. There is a file ${join(s.cwd, 'tasks.cjs')}, but "tasks.cjs" names a package: name a file by its path or file URL (new URL('./tasks.cjs', import.meta.url); in CommonJS pathToFileURL(require.resolve('./tasks.cjs')))`);
  const none = checkModule('other.cjs', { cwd: s.cwd, extra: [] });
  t.ok(!none.ok && !/There is a file/.test(none.reason), 'no such file: no such word');
  const dir = checkModule('tasks', { cwd: s.cwd, extra: [] });
  t.ok(!dir.ok && !/There is a file/.test(dir.reason), 'a directory of that name is no file');
});

t.test('a package that declares the module, not installed where the worker runs, is told only to install it there', async (t) => {
  // A worker started outside the project refused @gluon/analysis-h4l/tasks saying "install it there
  // and list it with --allow-module …, or declare it in its package.json"; it declares it already.
  const s = scratch(t);
  const d = checkModule('@gluon/analysis-h4l/tasks', { cwd: s.cwd, extra: [] });
  t.match(d, { ok: false, reason: `package @gluon/analysis-h4l is not installed where the worker runs (${s.cwd}); install the package where the worker runs (start the worker in a directory where it is installed); it declares ./tasks as a task module, so nothing else is needed` });
  t.notMatch(d.ok ? '' : d.reason, /--allow-module|declare it in/);
  // One it does not declare still needs the flag as well, and says so.
  const other = checkModule('@gluon/analysis-h4l/generate', { cwd: s.cwd, extra: [] });
  t.match(other, { ok: false, reason: /install the package where the worker runs .*, and, as it does not declare \.\/generate as a task module, list it with --allow-module/ });
});

t.test('a refusal names every way to allow the module, LocalCluster\'s option included', async (t) => {
  // A LocalCluster user read only "list it with --allow-module", a flag they never type.
  const r = checkModule(pathToFileURL(fixture).href, allow);
  t.match(r, { ok: false, reason: /; list it with --allow-module \(LocalCluster: allowModules\), or declare it in its package\.json as "gluon": \{"tasks": \["\.\/subpath"\]\}$/ });
});

t.test('packages that declare their task modules (gluon.tasks) are allowed for those modules only', async (t) => {
  const d = checkModule('@gluon/examples/tasks', allow);
  t.match(d, { ok: true, url: /^file:.*\/examples\/dist\/tasks\.js$/ });
  t.match(checkModule('@gluon/analysis-h4l/tasks', allow), { ok: true, url: /^file:.*\/analysis-h4l\/dist\/tasks\.js$/ });
  t.match(checkModule('@gluon/analysis-h4l', allow), { ok: false, reason: /declares only \.\/tasks as task modules/ });
  const s = scratch(t);
  t.match(checkModule('declared/tasks', { cwd: s.cwd, extra: [] }), { ok: true, url: pathToFileURL(join(s.cwd, 'node_modules/declared/dist/tasks.js')).href });
  t.match(checkModule('declared/other', { cwd: s.cwd, extra: [] }), { ok: false, reason: /declares only \.\/tasks/ });
  t.match(checkModule('nodecl/tasks.js', { cwd: s.cwd, extra: [] }), { ok: true }, 'without exports, a declared subpath file');
  t.match(checkModule(join(s.cwd, 'node_modules/declared/dist/tasks.js'), { cwd: s.cwd, extra: [] }), { ok: true }, 'a declared module named by its file');
  t.match(checkModule(join(s.cwd, 'node_modules/declared/dist/other.js'), { cwd: s.cwd, extra: [] }), { ok: false }, 'an undeclared file of the same package');
});

t.test('a package.json planted outside the packages the worker resolves declares nothing', async (t) => {
  // Any package.json on the machine used to count: a local user who could write to /tmp and submit
  // a task ran a shell through a package.json declaring ./x.mjs beside an x.mjs calling child_process.
  const s = scratch(t);
  const plant = (dir: string, name: unknown) => {
    mkdirSync(join(s.root, dir), { recursive: true });
    writeFileSync(join(s.root, dir, 'package.json'), JSON.stringify({ ...(name === undefined ? {} : { name }), gluon: { tasks: ['./x.mjs'] } }));
    writeFileSync(join(s.root, dir, 'x.mjs'), 'export const run = () => "pwned";\n');
    return join(s.root, dir, 'x.mjs');
  };
  const allow = { cwd: s.cwd, extra: [] as string[] };
  const planted = plant('tmp/evil', 'whatever');
  for (const spec of [planted, pathToFileURL(planted).href]) {
    t.match(checkModule(spec, allow), { ok: false, reason: /evil\/package\.json declares it, but package whatever is not installed where the worker runs .*; list it with --allow-module/ }, spec);
  }
  // A name that would walk out of node_modules when joined to it, and none at all.
  t.match(checkModule(plant('tmp/walk', '../../tmp/walk'), allow), { ok: false, reason: /has no valid package name/ });
  t.match(checkModule(plant('tmp/anon', undefined), allow), { ok: false, reason: /has no valid package name/ });
  // The name of a package that is installed, but the copy named is another one.
  t.match(checkModule(plant('tmp/fake', 'declared'), allow), { ok: false, reason: /package declared resolves to .*cwd\/node_modules\/declared where the worker runs/ });
  // Installed where the worker runs, the same file is allowed by its path.
  const installed = plant('cwd/node_modules/planted', 'planted');
  t.match(checkModule(installed, allow), { ok: true, url: pathToFileURL(installed).href });
  t.match(checkModule('planted/x.mjs', allow), { ok: true });
});

t.test('--allow-module directories allow the files under them, whole path components only', async (t) => {
  t.match(checkModule(pathToFileURL(fixture).href, { cwd: repo, extra: [fixtures] }), { ok: true, url: pathToFileURL(fixture).href });
  t.match(checkModule(fixture, { cwd: repo, extra: [pathToFileURL(fixtures).href] }), { ok: true }, 'a file URL entry, an absolute path spec');
  t.match(checkModule(fixture, { cwd: repo, extra: [fixtures.slice(0, -2)] }), { ok: false }, 'prefixes match whole path components');
  t.match(checkModule(pathToFileURL(join(fixtures, 'nope.mjs')).href, { cwd: repo, extra: [fixtures] }), { ok: false, reason: /does not exist on this worker/ });
});

t.test('a path is checked after it is normalised: /allowed/../evil is refused', async (t) => {
  const s = scratch(t);
  const extra = [s.tasksDir];
  t.match(checkModule(join(s.tasksDir, 'ok.mjs'), { cwd: s.cwd, extra }), { ok: true });
  const walked = `${s.tasksDir}/../../evil/evil.mjs`;
  t.match(checkModule(walked, { cwd: s.cwd, extra }), { ok: false, reason: /evil\.mjs .*not under any --allow-module directory/ });
  t.match(checkModule(`file://${walked}`, { cwd: s.cwd, extra }), { ok: false });
  // The shape of the reported bypass: the cwd (once allowed by default) followed by `..`.
  t.match(checkModule(`${s.cwd}/../evil/evil.mjs`, { cwd: s.cwd, extra: [s.cwd] }), { ok: false });
});

t.test('a symlink inside an allowed directory that points outside is refused', async (t) => {
  const s = scratch(t);
  symlinkSync(s.evil, join(s.tasksDir, 'link.mjs'));
  symlinkSync(dirname(s.evil), join(s.tasksDir, 'linkdir'));
  t.match(checkModule(join(s.tasksDir, 'link.mjs'), { cwd: s.cwd, extra: [s.tasksDir] }), { ok: false, reason: /really .*evil\/evil\.mjs/ });
  t.match(checkModule(join(s.tasksDir, 'linkdir/evil.mjs'), { cwd: s.cwd, extra: [s.tasksDir] }), { ok: false });
});

t.test('package subpaths cannot walk out of the package', async (t) => {
  const s = scratch(t);
  for (const extra of [['plain'], [] as string[]]) {
    for (const spec of ['plain/../../../evil/evil.mjs', 'plain/lib/../../../../evil/evil.mjs', 'plain/./index.js', 'plain//index.js', 'declared/tasks/..', 'plain/lib%2f..%2f..%2fx']) {
      t.match(checkModule(spec, { cwd: s.cwd, extra }), { ok: false }, `${spec} with extra ${JSON.stringify(extra)}`);
    }
  }
  t.match(checkModule('plain/../../../evil/evil.mjs', { cwd: s.cwd, extra: ['plain'] }), { ok: false, reason: /"\.\." segment/ });
  // A package whose exports point outside itself.
  mkdirSync(join(s.cwd, 'node_modules/sneaky'));
  writeFileSync(join(s.cwd, 'node_modules/sneaky/package.json'), JSON.stringify({ name: 'sneaky', exports: { './tasks': '../../../evil/evil.mjs' }, gluon: { tasks: ['./tasks'] } }));
  t.match(checkModule('sneaky/tasks', { cwd: s.cwd, extra: [] }), { ok: false, reason: /outside its package/ });
});

t.test('installed packages are not task code for being under an allowed directory or inside a listed package', async (t) => {
  // `--allow-module /home/me/analysis` (the project, with its node_modules) allowed every file of
  // every dependency installed there, and `--allow-module plain` every file of plain's own nested
  // node_modules: cross-spawn's `sync` (a shell) by its path, the hole that closed the default.
  const s = scratch(t);
  mkdirSync(join(s.cwd, 'node_modules/plain/node_modules/inner'), { recursive: true });
  writeFileSync(join(s.cwd, 'node_modules/plain/node_modules/inner/package.json'), JSON.stringify({ name: 'inner' }));
  writeFileSync(join(s.cwd, 'node_modules/plain/node_modules/inner/index.js'), 'export const sync = () => "a shell";\n');
  const project = { cwd: s.cwd, extra: [s.cwd] };
  t.match(checkModule(join(s.tasksDir, 'ok.mjs'), project), { ok: true }, 'the project\'s own files are allowed');
  for (const file of ['node_modules/plain/index.js', 'node_modules/plain/lib/util.js', 'node_modules/plain/node_modules/inner/index.js']) {
    const d = checkModule(join(s.cwd, file), project);
    t.match(d, { ok: false, reason: /is inside node_modules under the --allow-module directory .*cwd: installed packages are task code only by name .*or their own declaration/ }, file);
    t.match(checkModule(pathToFileURL(join(s.cwd, file)).href, project), { ok: false }, `${file} by file URL`);
  }
  // By name too: `cross-spawn` from a worker started in the project resolved under the directory.
  t.match(checkModule('plain', project), { ok: false, reason: /plain is not an allowed task module \(package plain declares no task modules\)/ }, 'an installed package by name');
  t.match(checkModule('declared/tasks', project), { ok: true }, 'a package\'s declared task module still runs by name');
  t.match(checkModule(join(s.cwd, 'node_modules/declared/dist/tasks.js'), project), { ok: true }, 'and by its file');
  t.match(checkModule('plain/lib/util.js', { cwd: s.cwd, extra: ['plain'] }), { ok: true }, 'a listed package\'s own files are allowed');
  t.match(checkModule('plain/node_modules/inner/index.js', { cwd: s.cwd, extra: ['plain'] }), { ok: false, reason: /node_modules/ }, 'not the packages installed inside it');
  // A directory entry that is itself inside node_modules allows the files under it, as listed.
  t.match(checkModule(join(s.cwd, 'node_modules/plain/lib/util.js'), { cwd: s.cwd, extra: [join(s.cwd, 'node_modules/plain')] }), { ok: true });
});

t.test('--allow-module names a package and its subpaths, not packages that share a prefix', async (t) => {
  const s = scratch(t);
  t.match(checkModule('plain', { cwd: s.cwd, extra: ['plain'] }), { ok: true, url: pathToFileURL(join(s.cwd, 'node_modules/plain/index.js')).href });
  t.match(checkModule('plain/lib/util.js', { cwd: s.cwd, extra: ['plain'] }), { ok: true });
  t.match(checkModule('plain/lib/util.js', { cwd: s.cwd, extra: ['plain/index.js'] }), { ok: false }, 'a subpath entry allows only itself');
  t.match(checkModule('plain', { cwd: s.cwd, extra: ['pla'] }), { ok: false });
  t.match(checkModule('@acme/tasks', { cwd: s.cwd, extra: ['@acme/tasks'] }), { ok: false, reason: /not installed where the worker runs/ }, 'a listed package must exist');
  t.match(checkModule('@gluon/examples/tasks', { cwd: s.cwd, extra: [] }), { ok: false }, 'nothing is installed in the scratch cwd');
  t.match(checkModule('@gluon/protocol', { cwd: s.cwd, extra: ['@gluon/protocol'] }), { ok: true, url: /protocol\/dist\/index\.js$/ }, 'listed packages also resolve from where the worker is installed');
});

t.test('relative specifiers and remote URLs are refused with a reason', async (t) => {
  t.match(checkModule('./tasks.mjs', allow), { ok: false, reason: /relative specifiers/ });
  t.match(checkModule('https://example.com/x.mjs', allow), { ok: false, reason: /only packages and local files/ });
  t.match(checkModule('data:text/javascript,export default 1', allow), { ok: false });
  t.match(checkModule('blob:nodedata:1', allow), { ok: false });
});

t.test('--allow-module paths relative to the working directory allow what they name', async (t) => {
  // `gluon-worker … --allow-module ./tasks.mjs` started, then failed every task of ./tasks.mjs
  // with "not under any --allow-module directory": the entry was taken for a package name.
  const { cwd, evil } = scratch(t);
  writeFileSync(join(cwd, 'tasks.mjs'), 'export const f = () => 1;\n');
  const url = pathToFileURL(join(cwd, 'tasks.mjs')).href;
  t.same(checkModule(url, { cwd, extra: ['./tasks.mjs'] }), { ok: true, url }, './file');
  t.same(checkModule(join(cwd, 'tasks', 'ok.mjs'), { cwd, extra: ['./tasks'] }), { ok: true, url: pathToFileURL(join(cwd, 'tasks', 'ok.mjs')).href }, './dir');
  t.same(checkModule(url, { cwd: join(cwd, 'tasks'), extra: ['../tasks.mjs'] }), { ok: true, url }, '../file');
  t.match(checkModule(pathToFileURL(evil).href, { cwd, extra: ['./tasks.mjs', '.'] }), { ok: false, reason: /not under any --allow-module directory/ }, 'outside what is listed');
  t.match(checkModule(url, { cwd: join(cwd, 'tasks'), extra: ['./tasks.mjs'] }), { ok: false }, 'relative to the worker\'s cwd, not another');
});

t.test('path entries that name nothing are reported when the worker starts', async (t) => {
  const { cwd } = scratch(t);
  t.same(missingAllowPaths(['./tasks', 'plain', '@acme/tasks', join(cwd, 'tasks')], cwd), [], 'existing paths and package names');
  t.same(missingAllowPaths(['./nope.mjs', join(cwd, 'gone'), 'file:///nowhere-gluon/x.mjs'], cwd), [
    `./nope.mjs: no such file or directory (${join(cwd, 'nope.mjs')})`,
    `${join(cwd, 'gone')}: no such file or directory (${join(cwd, 'gone')})`,
    'file:///nowhere-gluon/x.mjs: no such file or directory (/nowhere-gluon/x.mjs)',
  ]);
  t.same(missingAllowPaths(['file://host/x.mjs'], cwd), ['file://host/x.mjs: not a valid file URL']);
  const lines: string[] = [];
  new GluonWorker({ scheduler: 'ws://127.0.0.1:1', cwd, allowModules: ['./nope.mjs', './tasks'], log: (l) => lines.push(l) });
  t.same(lines, [`warning: --allow-module ./nope.mjs: no such file or directory (${join(cwd, 'nope.mjs')}); its tasks are refused until it exists (other workers may run them; else they wait for it, at most the scheduler's --refusal-wait)`], 'a worker says so when it starts');
});

t.test('a refusal says whether it may lift (something absent), and the gate re-checks those until they pass', async (t) => {
  const { cwd, evil } = scratch(t);
  const later = join(cwd, 'later');
  const spec = pathToFileURL(join(later, 'tasks.mjs')).href;
  const gate = new ModuleGate({ cwd, extra: [later, 'not-installed-gluon-xyz'] });
  // Nothing said to expect it: not waited for (mayLift false), but re-checked, as installing a
  // package that declares the module is enough (it lasted until the worker restarted).
  t.match(gate.refusal('unlisted-not-installed-gluon-xyz/tasks'), { mayLift: false, reason: /is not installed where the worker runs/ }, 'an unlisted package not installed: not waited for');
  t.match(gate.refusal(spec), { mayLift: true, reason: new RegExp(`^file ${join(later, 'tasks.mjs')} does not exist on this worker \\(not on this worker yet: --allow-module ${later}: no such file or directory`) });
  t.match(gate.refusal(pathToFileURL(join(cwd, 'elsewhere.mjs')).href), { mayLift: false, reason: /does not exist on this worker, and is not under any --allow-module directory/ }, 'absent, but not where anything is allowed');
  t.match(gate.refusal(pathToFileURL(evil).href), { mayLift: false, reason: /not under any --allow-module directory/ }, 'present and not allowed: lasting');
  t.match(gate.refusal('not-installed-gluon-xyz'), { mayLift: true, reason: /is not installed where the worker runs/ }, 'a listed package not installed yet');
  t.match(gate.refusal('node:fs'), { mayLift: false });
  t.same(gate.recheck(), [], 'nothing passes yet');
  mkdirSync(later);
  writeFileSync(join(later, 'tasks.mjs'), 'export const f = () => 1;\n');
  t.same(gate.recheck(), [spec], 'the path appeared: it passes, once');
  t.same(gate.recheck(), []);
  t.equal(gate.refusal(spec), null);
  t.match(gate.check(spec), { ok: true });
  const pkg = join(cwd, 'node_modules', 'unlisted-not-installed-gluon-xyz');
  mkdirSync(join(pkg, 'dist'), { recursive: true });
  writeFileSync(join(pkg, 'dist', 'tasks.js'), 'export const f = () => 1;\n');
  writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'unlisted-not-installed-gluon-xyz', exports: { './tasks': './dist/tasks.js' }, gluon: { tasks: ['./tasks'] } }));
  t.same(gate.recheck(), ['unlisted-not-installed-gluon-xyz/tasks'], 'the package that declares it was installed: it passes, without a restart');
  t.equal(gate.refusal('unlisted-not-installed-gluon-xyz/tasks'), null);
});
