/**
 * `npx tap` run inside one package (to run only its tests) takes that package's folder as the
 * project, so the repository's .taprc does not apply there: without a .taprc of its own, tap
 * instruments coverage and exits 1 on a run whose every test passed (its default asks for 100%),
 * gives each file 30 s, which the process-spawning tests exceed on a loaded machine, and runs
 * helper modules such as `test/damage.ts` as if they were tests; and it compiles them with ts-node
 * rather than tsx (test/units/ts-loader.ts). Checked with tap's own view of its configuration
 * (`tap config list`) and of the files it would run (`tap list`).
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const tapBin = join(root, 'node_modules', 'tap', 'dist', 'esm', 'run.mjs');
const run = promisify(execFile);
/** A developer's shell, not this test's: the tap running this file passes its whole configuration down in TAP_* variables. */
const shellEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(_?TAP|NODE_OPTIONS$)/.test(k)));

const folders = [...readdirSync(join(root, 'packages')).map((p) => join('packages', p)), 'examples'];

function testFilesUnder(dir: string, prefix = 'test'): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? testFilesUnder(dir, `${prefix}/${e.name}`) : e.name.endsWith('.test.ts') ? [`${prefix}/${e.name}`] : [],
  );
}

t.test('tap run inside each package folder uses the repository settings', async (t) => {
  await Promise.all(folders.map(async (folder) => {
    const cwd = join(root, folder);
    const tap = (...args: string[]) => run(process.execPath, [tapBin, ...args], { cwd, env: shellEnv, timeout: 300_000 }).then((r) => r.stdout);
    const [config, list] = await Promise.all([tap('config', 'list'), tap('list')]);
    t.match(config, /^disable-coverage: true$/m, `${folder}: coverage is off`);
    t.match(config, /^timeout: 900$/m, `${folder}: 900 s per test file`);
    const nodeArgs = /^node-arg:\n((?:  - \S+\n)+)/m.exec(config)?.[1].match(/\S+$/gm) ?? [];
    t.equal(nodeArgs[0], '--import=tsx', `${folder}: its tests are compiled by tsx`);
    t.match(config, /^test-env:\n  - TAP_TYPE_STRIP_ONLY=1$/m, `${folder}: and not by tap's ts-node as well`);
    const preload = nodeArgs[1]?.replace(/^--import=/, '');
    t.equal(preload && join(cwd, preload), join(root, 'test', 'helpers', 'untraced-children.mjs'), `${folder}: the processes its tests start run without tap's coverage loader`);
    const listed = list.split('\n').filter(Boolean).sort();
    t.same(listed, testFilesUnder(cwd).sort(), `${folder}: tap runs exactly its test/**/*.test.ts files`);
  }));
});
