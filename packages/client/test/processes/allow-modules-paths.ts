/**
 * LocalCluster's `allowModules`: a relative path is taken from the script's working directory
 * (where its other paths are taken from), whatever the cluster's `cwd` (the workers' working
 * directory) is, and one that names nothing is refused by start(), naming the absolute path it
 * looked at. The workers took a relative entry from their own working directory: with a `cwd`
 * given, the entry named another place (its tasks refused, then failed after the scheduler's
 * --refusal-wait), and a missing one was a warning in a worker's hidden stderr.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import t from 'tap';
import { LocalCluster, remote } from '@gluon/client';
import { allowModulePaths } from '../../src/local-cluster-values.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '../fixtures');

t.test('a relative entry that names nothing: refused before anything starts, naming the absolute path and the directory it was taken from', async (t) => {
  await t.rejects(LocalCluster.start({ nWorkers: 1, allowModules: ['@gluon/examples', './no-such-tasks'] }), {
    name: 'RangeError',
    message: `LocalCluster: allowModules[1] "./no-such-tasks": no such file or directory: ${join(process.cwd(), 'no-such-tasks')} (a relative entry is taken from this script's working directory, ${process.cwd()})`,
  });
  await t.rejects(LocalCluster.start({ nWorkers: 1, allowModules: ['file:///nowhere-gluon/x.mjs'] }), {
    name: 'RangeError', message: 'LocalCluster: allowModules[0] "file:///nowhere-gluon/x.mjs": no such file or directory: /nowhere-gluon/x.mjs',
  });
});

t.test('entries as the workers get them: relative paths made absolute from the base, the rest as given', async (t) => {
  t.same(allowModulePaths(['./fixtures', '../test', '.', '@acme/tasks', fixtures, pathToFileURL(fixtures).href], dirname(fixtures)),
    [fixtures, dirname(fixtures), dirname(fixtures), '@acme/tasks', fixtures, pathToFileURL(fixtures).href]);
  t.throws(() => allowModulePaths(['@acme/tasks', 'file://host/x.mjs']), { name: 'RangeError', message: 'LocalCluster: allowModules[1] "file://host/x.mjs" is not a valid file URL' });
  t.same(allowModulePaths(['fixtures', '.fixtures'], dirname(fixtures)), ['fixtures', '.fixtures'], 'names without ./ are package names, as the workers read them');
});

t.test('a relative entry is the script\'s, not the workers\' cwd: its tasks run on a cluster whose cwd is elsewhere', async (t) => {
  const elsewhere = mkdtempSync(join(tmpdir(), 'lc-allow-cwd-'));
  t.teardown(() => rmSync(elsewhere, { recursive: true, force: true }));
  const rel = `./${relative(process.cwd(), fixtures)}`;
  const cluster = await LocalCluster.start({ nWorkers: 1, dashboard: false, cwd: elsewhere, allowModules: [rel] });
  t.teardown(() => cluster.close());
  const client = await cluster.client();
  const incAfter = remote(pathToFileURL(join(fixtures, 'tasks.mjs')), 'incAfter');
  t.equal(await client.submit(incAfter, 1, 0).result(), 2, `${rel} (from ${process.cwd()}) allowed the fixtures on a worker running in ${elsewhere}`);
});

t.test('a file URL object is an entry, as remote() takes it: the module it names runs', async (t) => {
  // allowModules: [tasks] beside remoteFrom(tasks), tasks = new URL('./tasks.mjs', import.meta.url),
  // was refused with 'must be an array of module specifiers, got ["file:///…/tasks.mjs"]'.
  const tasks = pathToFileURL(join(fixtures, 'tasks.mjs'));
  const cluster = await LocalCluster.start({ nWorkers: 1, dashboard: false, allowModules: [tasks] });
  t.teardown(() => cluster.close());
  const client = await cluster.client();
  t.equal(await client.submit(remote(tasks, 'incAfter'), 1, 0).result(), 2);
  await t.rejects(LocalCluster.start({ nWorkers: 1, dashboard: false, allowModules: [pathToFileURL(join(fixtures, 'no-such-tasks.mjs'))] }),
    { name: 'RangeError', message: /^LocalCluster: allowModules\[0\] "file:\/\/\/\S+no-such-tasks\.mjs": no such file or directory: / }, 'one naming nothing is refused as its href would be');
});

t.test('a tsx script\'s `./tasks.js` that exists only as tasks.ts: allowed as the .ts file remote() names, and its task runs', async (t) => {
  // remote() already mapped new URL('./tasks.js', import.meta.url) to tasks.ts; allowModules
  // refused the same URL with 'no such file or directory: …/tasks.js'.
  const dir = mkdtempSync(join(tmpdir(), 'lc-allow-ts-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n'); // a user's ESM project, as the client README's
  writeFileSync(join(dir, 'tasks.ts'), 'export function inc(x: number): number {\n  return x + 1;\n}\n');
  const asJs = pathToFileURL(join(dir, 'tasks.js'));
  t.same(allowModulePaths([asJs.href, './tasks.js'], dir), [pathToFileURL(join(dir, 'tasks.ts')).href, join(dir, 'tasks.ts')]);
  t.throws(() => allowModulePaths(['./tasks.mjs'], dir), { name: 'RangeError', message: `LocalCluster: allowModules[0] "./tasks.mjs": no such file or directory: ${join(dir, 'tasks.mjs')} (a relative entry is taken from this script's working directory, ${dir})` },
    'a .mjs with no tasks.mts beside it is still refused, naming the file looked for');
  const cluster = await LocalCluster.start({ nWorkers: 1, dashboard: false, allowModules: [asJs] });
  t.teardown(() => cluster.close());
  const client = await cluster.client();
  t.equal(await client.submit(remote(asJs, 'inc'), 41).result(), 42);
});
