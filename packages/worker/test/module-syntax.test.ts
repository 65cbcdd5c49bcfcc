/**
 * A task module with a syntax error: every task of it failed with "SyntaxError: Unexpected number"
 * and a stack of Node's loader alone, naming neither the file nor the line (Node's import() gives
 * neither for a module that does not parse). The error now names both and shows the line.
 */
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ThreadPool } from '@gluon/worker';

t.test('a task module that does not parse names its file and line', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gluon-syntax-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'broken-tasks.mjs');
  writeFileSync(file, 'export function ok() { return 1; }\nexport function f( { return 1 }\n');
  const url = pathToFileURL(file).href;
  const pool = new ThreadPool(1, 'syntax-test', () => {});
  t.teardown(() => pool.close());
  for (const key of ['f-1', 'f-2']) {
    const r = await pool.run({ key, url, exportName: 'f', args: [], data: {} });
    t.match(r, { ok: false, error: { name: 'SyntaxError' } }, key);
    if (r.ok) return;
    t.equal(r.error.message, `Unexpected number (task module ${url}, line 2: export function f( { return 1 })`, `${key}: ${r.error.message}`);
    t.match(r.error.stack, new RegExp(`^SyntaxError: Unexpected number \\(task module ${url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}, line 2`), 'the stack leads with the same');
  }
  // Fixed, the module loads in a fresh pool (Node keeps a module's failure for the thread's life).
  writeFileSync(file, 'export function f() { return 7; }\n');
  const fresh = new ThreadPool(1, 'syntax-test-2', () => {});
  t.teardown(() => fresh.close());
  t.match(await fresh.run({ key: 'f-3', url, exportName: 'f', args: [], data: {} }), { ok: true, value: 7 });
});
