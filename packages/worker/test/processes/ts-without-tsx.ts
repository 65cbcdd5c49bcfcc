/**
 * A TypeScript task module on a worker installed without tsx. Node 22.18+ and 24 strip types
 * themselves (`process.features.typescript`), as `node tasks.ts` does: the worker imports the
 * module as it is. It used to refuse it on every Node with "this task module is TypeScript;
 * install tsx …", which named no module. Where Node cannot (Node 20), the refusal names the module.
 */
import { cpSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import t from 'tap';
import { RawClient, repo, start, startScheduler, type Proc, endWithCase } from '../procs.js';

const procs: Proc[] = [];
const clients: RawClient[] = [];
t.teardown(() => {
  for (const c of clients) c.close();
  for (const p of procs) p.kill('SIGKILL');
});

t.test('a .ts task module runs on a worker without tsx where Node strips types, else its refusal names it', async (t) => {
  endWithCase(t, { procs, clients });
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'gluon-no-tsx-')));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  // An install of @gluon/worker that has its dependencies and not tsx (this repository has it).
  const mods = join(root, 'node_modules');
  const worker = join(mods, '@gluon', 'worker');
  mkdirSync(worker, { recursive: true });
  for (const f of ['package.json', 'bin', 'dist']) cpSync(join(repo, 'packages', 'worker', f), join(worker, f), { recursive: true });
  symlinkSync(join(repo, 'packages', 'protocol'), join(mods, '@gluon', 'protocol'), 'dir');
  for (const dep of ['ws', 'nanoid', 'p-queue']) symlinkSync(join(repo, 'node_modules', dep), join(mods, dep), 'dir');
  let tsxFound = true;
  try { createRequire(join(worker, 'dist', 'thread.js')).resolve('tsx/esm/api'); } catch { tsxFound = false; }
  if (tsxFound) return void t.plan(0, `tsx resolves from ${worker} (a node_modules above ${root}?): nothing to test`);

  const tasks = join(root, 'tasks.ts');
  writeFileSync(tasks, 'export function triple(x: number): number {\n  return 3 * x;\n}\n');
  const s = await startScheduler();
  procs.push(s.proc);
  const w = start(join(worker, 'bin', 'gluon-worker.js'), [s.address, '--nthreads', '1', '--allow-module', tasks], {}, [], { cwd: root });
  procs.push(w);
  await w.waitFor(/^worker \S+ at ws:\/\/\S+ connected to /m);
  const client = await RawClient.connect(s.address);
  clients.push(client);
  const key = 'triple-1';
  client.conn.send({ op: 'update-graph', tasks: [{ key, fn: { module: pathToFileURL(tasks).href, export: 'triple' }, args: [2], deps: [] }], wants: [key] });
  const res = (await client.results([key])).get(key)!;
  if ((process.features as { typescript?: unknown }).typescript) {
    t.same([res.op, res.value], ['key-in-memory', 6], `Node ${process.version} strips the types: the task ran (${JSON.stringify(res.error ?? '')})`);
  } else {
    t.equal(res.op, 'task-erred');
    t.match((res.error as { message?: string }).message, `task module ${pathToFileURL(tasks).href} is TypeScript: install tsx where the worker runs (Node ${process.version} cannot strip types; 22.18+ and 24 do), or compile it to JavaScript`);
  }
});
