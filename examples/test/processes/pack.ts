/**
 * `@gluon/examples` is private (never published to the registry: it is this repository's scripts
 * to copy from), but `npm pack -w @gluon/examples` is how its task module reaches workers that run
 * outside the repository. The tarball must carry the compiled files its exports name, and work
 * installed elsewhere: a LocalCluster started there runs `@gluon/examples/tasks` from it.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';

const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const work = mkdtempSync(join(tmpdir(), 'gluon-examples-pack-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

t.test('the packed @gluon/examples carries dist and runs installed outside the repository', async (t) => {
  // .npmrc's ignore-scripts skips prepack here; dist is the build the tests run on (npx tsc -b).
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', work, '-w', '@gluon/examples'], { cwd: root, timeout: 120_000 });
  const [{ filename, files }] = JSON.parse(stdout) as [{ filename: string; files: { path: string }[] }];
  const paths = files.map((f) => f.path);
  for (const f of ['package.json', 'README.md', 'LICENSE', 'dist/tasks.js', 'dist/tasks.d.ts', 'dist/group-by-tasks.js', 'dist/group-by-tasks.d.ts', 'dist/quickstart.js']) t.ok(paths.includes(f), `the tarball has ${f}`);
  t.notOk(paths.some((f) => f.startsWith('test/') || f.endsWith('.tsbuildinfo')), `no tests, no .tsbuildinfo: ${paths.join(', ')}`);

  // Installed elsewhere: the tarball unpacked as node_modules/@gluon/examples, beside this
  // repository's built @gluon/client (a link, as an install of its own tarball would put it).
  const app = join(work, 'app');
  const scope = join(app, 'node_modules', '@gluon');
  mkdirSync(join(scope, 'examples'), { recursive: true });
  await run('tar', ['-xzf', join(work, filename), '-C', join(scope, 'examples'), '--strip-components=1'], { timeout: 60_000 });
  symlinkSync(join(root, 'packages', 'client'), join(scope, 'client'), 'dir');
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  writeFileSync(join(app, 'main.mjs'), [
    "import { LocalCluster, remoteFrom } from '@gluon/client';",
    "const { inc, add } = remoteFrom('@gluon/examples/tasks');",
    'const cluster = await LocalCluster.start({ nWorkers: 1, dashboard: false });',
    'try {',
    '  const client = await cluster.client();',
    '  console.log(`total ${await client.submit(add, ...client.map(inc, [1, 2, 3])).result()}`);',
    '} finally { await cluster.close(); }',
  ].join('\n'));
  const out = await run(process.execPath, ['main.mjs'], { cwd: app, timeout: 120_000 });
  t.match(out.stdout, /^total 9$/m, 'a LocalCluster in the other directory ran the installed @gluon/examples/tasks');
});
