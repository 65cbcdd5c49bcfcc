/**
 * Workers started with different allow-lists, end to end: a real scheduler, real workers (each
 * with its own `allowModules`, as `gluon-worker --allow-module` gives them) and a client, on
 * loopback in this process. A task whose module one worker refuses runs on the one that accepts
 * it; a module no worker accepts fails naming the module and each worker's reason; a worker whose
 * allowed path does not exist yet makes the tasks wait, and runs them once the path appears.
 * The rules themselves are tested without sockets in units/module-refusals.ts.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import t from 'tap';
import { remote, TaskError, type ClusterWarning } from '@gluon/client';
import { startWorker } from '@gluon/worker';
import { inProcessCluster } from '../fixtures/in-process.js';
import { until } from '../../../../test/helpers/until.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const quiet = () => {};

/** A directory of task code: `<dir>/tasks.mjs` exporting `tag(x)` = `<name>:<x>`. */
function taskDir(root: string, name: string, write = true): string {
  const dir = join(root, name);
  if (write) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'tasks.mjs'), `export const tag = (x) => ${JSON.stringify(`${name}:`)} + x;\n`);
  }
  return dir;
}

const tagOf = (dir: string) => remote<(x: number) => string>(pathToFileURL(join(dir, 'tasks.mjs')), 'tag');

t.test('a task whose module one worker refuses runs on the other; a module none allows fails naming both reasons', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'gluon-refused-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const a = taskDir(root, 'a');
  const b = taskDir(root, 'b');
  const c = taskDir(root, 'c');
  const { s, workers, connect } = await inProcessCluster(t, { host: '127.0.0.1', port: 0, dashboard: false, log: quiet, allowedFailures: 1 });
  const logOf = { wa: [] as string[], wb: [] as string[] };
  workers.push(await startWorker({ scheduler: s.address, nthreads: 1, name: 'wa', cwd: repo, allowModules: [a], log: (l) => logOf.wa.push(l) }));
  workers.push(await startWorker({ scheduler: s.address, nthreads: 1, name: 'wb', cwd: repo, allowModules: [b], log: (l) => logOf.wb.push(l) }));
  await until(() => s.state.workers.size === 2, 'both workers register');
  const client = await connect('refused-test');

  // Both workers are idle, so tasks go to both: wb refuses a's and wa refuses b's.
  const fromA = client.map(tagOf(a), Array.from({ length: 12 }, (_, i) => i));
  const fromB = client.map(tagOf(b), Array.from({ length: 12 }, (_, i) => i));
  t.same(await client.gather(fromA), Array.from({ length: 12 }, (_, i) => `a:${i}`), 'every task of a ran (on wa)');
  t.same(await client.gather(fromB), Array.from({ length: 12 }, (_, i) => `b:${i}`), 'every task of b ran (on wb)');

  const none = client.map(tagOf(c), [1, 2, 3]);
  for (const f of none) {
    const err = (await f.result().then(() => null, (e: unknown) => e)) as TaskError;
    t.type(err, TaskError);
    t.equal(err.kind, 'not-allowed');
    t.equal(err.key, f.key, 'the error names the task');
    t.match(err.message, new RegExp(`^task ${f.key} failed: ModuleNotAllowedError: no connected worker accepts module ${pathToFileURL(join(c, 'tasks.mjs')).href}: `));
    t.match(err.message, /worker wa, worker wb: file .*\/c\/tasks\.mjs is not under any --allow-module directory/, 'each worker and its reason');
  }
  t.equal(await client.submit(tagOf(a), 99).result(), 'a:99', 'the cluster still runs what it can');

  // Each worker's own log says which module it refuses and why, once per module however many of
  // its tasks it was sent: before, a worker refusing everything (started where the task code is
  // not installed) joined and ran nothing without a word; only the dashboard's event log said why.
  // Both refused c's module (its error names both); the other's only if it was sent one of its tasks.
  const refusing = (lines: string[], dir: string) => lines.filter((l) => l.startsWith(`refusing the tasks of module ${pathToFileURL(join(dir, 'tasks.mjs')).href}: `));
  for (const [name, own, other] of [['wa', a, b], ['wb', b, a]] as const) {
    const said = refusing(logOf[name], c);
    t.equal(said.length, 1, `${name} says once that it refuses c's module: ${JSON.stringify(logOf[name])}`);
    t.match(said[0], /: file .*\/c\/tasks\.mjs is not under any --allow-module directory .*; the scheduler gives them to workers that accept it$/, 'with the reason');
    t.same(refusing(logOf[name], own), [], `${name} says nothing of the module it runs`);
    t.ok(refusing(logOf[name], other).length <= 1, `${name} says at most once that it refuses the other's module`);
  }
});

t.test('a worker whose allowed path does not exist yet: the tasks wait, said to the client, and run once it appears', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'gluon-refused-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const later = taskDir(root, 'later', false);
  const { s, workers, connect } = await inProcessCluster(t, { host: '127.0.0.1', port: 0, dashboard: false, log: quiet, heartbeatTtlMs: 3000 });
  const lines: string[] = [];
  workers.push(await startWorker({ scheduler: s.address, nthreads: 1, name: 'wl', cwd: repo, allowModules: [later], log: (l) => lines.push(l) }));
  t.match(lines, [/warning: --allow-module .*later: no such file or directory .*; its tasks are refused until it exists/]);
  await until(() => s.state.workers.size === 1, 'the worker registers');
  const client = await connect('refused-later-test');
  const warned: Array<ClusterWarning & { active: boolean }> = [];
  client.onWarning((w) => warned.push(w));

  const fs = client.map(tagOf(later), [1, 2]);
  await until(() => warned.some((w) => w.kind === 'refused-module' && w.active), 'the client is told the tasks wait');
  const w = warned.find((x) => x.kind === 'refused-module')!;
  t.equal(w.about, pathToFileURL(join(later, 'tasks.mjs')).href);
  t.match(w.text, /every connected worker refuses it \(worker wl: file .*later\/tasks\.mjs does not exist on this worker \(not on this worker yet: --allow-module .*later: no such file or directory/);
  t.match(w.text, /They wait up to 60 s \(--refusal-wait\)/);
  t.equal(fs[0]!.status, 'pending', 'not failed');

  taskDir(root, 'later');
  t.same(await client.gather(fs), ['later:1', 'later:2'], 'they run once the path appears');
  await until(() => warned.some((x) => x.kind === 'refused-module' && !x.active), 'the end of the wait is said');
  t.ok(lines.some((l) => /module file:.*later\/tasks\.mjs is allowed now; telling the scheduler/.test(l)), 'the worker says so in its log');
});

t.test('a package not installed where the worker runs: its tasks fail at once, and once it is installed the worker accepts it without a restart', async (t) => {
  // Nothing told the worker to expect the package (no --allow-module), so its refusal is not
  // waited for; but a package that declares its task module needs only installing (the refusal
  // says so), and the scheduler sends a refusing worker none of that module's tasks, so the
  // worker re-checks it itself. Before, the refusal lasted until the worker restarted.
  const root = mkdtempSync(join(tmpdir(), 'gluon-refused-pkg-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const { s, workers, connect } = await inProcessCluster(t, { host: '127.0.0.1', port: 0, dashboard: false, log: quiet });
  const lines: string[] = [];
  workers.push(await startWorker({ scheduler: s.address, nthreads: 1, name: 'wp', cwd: root, log: (l) => lines.push(l) }));
  await until(() => s.state.workers.size === 1, 'the worker registers');
  const client = await connect('refused-package-test');
  const warned: ClusterWarning[] = [];
  client.onWarning((w) => warned.push(w));
  const tag = remote<(x: number) => string>('gluon-late-pkg/tasks', 'tag');

  const err = (await client.submit(tag, 1).result().then(() => null, (e: unknown) => e)) as TaskError;
  t.type(err, TaskError);
  t.equal(err.kind, 'not-allowed');
  t.match(err.message, /worker wp: package gluon-late-pkg is not installed where the worker runs/);
  t.same(warned.filter((w) => w.kind === 'refused-module'), [], 'failed at once: no wait of --refusal-wait for an install nothing said was coming');

  const pkg = join(root, 'node_modules', 'gluon-late-pkg');
  mkdirSync(pkg, { recursive: true });
  writeFileSync(join(pkg, 'tasks.mjs'), 'export const tag = (x) => "late:" + x;\n');
  writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'gluon-late-pkg', type: 'module', exports: { './tasks': './tasks.mjs' }, gluon: { tasks: ['./tasks'] } }));
  const ws = [...s.state.workers.values()][0]!;
  await until(() => ws.refusals === null, 'the worker tells the scheduler it accepts the module now');
  t.ok(lines.some((l) => /module gluon-late-pkg\/tasks is allowed now; telling the scheduler/.test(l)), 'the worker says so in its log');
  t.equal(await client.submit(tag, 2).result(), 'late:2', 'a task submitted again runs on it');
});
