/**
 * A task module with a syntax error: every task of it failed with "SyntaxError: Unexpected number"
 * and a stack of Node's loader alone, naming neither the file nor the line (Node's import() gives
 * neither for a module that does not parse). The error now names both and shows the line.
 */
import t from 'tap';
import { cpSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ThreadPool } from '@gluon/worker';
import { checkLocation, moduleKindHint } from '../../src/syntax-location.js';

const here = dirname(fileURLToPath(import.meta.url));

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

t.test('ES module syntax in a file Node loads as CommonJS says why and what to do', async (t) => {
  // `npm init -y` writes "type": "commonjs": a tasks.js (or, where Node strips types, tasks.ts)
  // with `export` beside it failed with a bare "Unexpected token 'export'"; Node's advice is a
  // warning on the worker's stderr, which a user of the cluster does not see. The pool runs in a
  // plain node process: this one's tsx (--import) reaches its threads on Node 22+ and would
  // compile the file as an ES module.
  const dir = mkdtempSync(join(tmpdir(), 'gluon-cjs-kind-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const pkg = join(dir, 'package.json');
  writeFileSync(pkg, JSON.stringify({ name: 'etl', version: '1.0.0', type: 'commonjs' }));
  const js = join(dir, 'etl-tasks.js');
  writeFileSync(js, 'const rate = 2;\nexport function double(x) { return rate * x; }\n');
  const imp = join(dir, 'import-tasks.js');
  writeFileSync(imp, "import { join } from 'node:path';\nexport const f = () => join('a', 'b');\n");
  const runner = join(dir, 'run.mjs');
  const index = pathToFileURL(join(here, '..', '..', 'dist', 'index.js')).href;
  writeFileSync(runner, `import { ThreadPool } from ${JSON.stringify(index)};
const pool = new ThreadPool(1, 'cjs-kind-test', () => {});
const out = [];
for (const [url, exportName] of ${JSON.stringify([[pathToFileURL(js).href, 'double'], [pathToFileURL(imp).href, 'f']])}) {
  out.push(await pool.run({ key: exportName + '-1', url, exportName, args: [2], data: {} }));
}
await pool.close();
process.stdout.write(JSON.stringify(out));
`);
  const stdout = await new Promise<string>((resolve, reject) => execFile(process.execPath, [runner], { cwd: dir, timeout: 120_000 }, (err, out) => (err ? reject(err) : resolve(out))));
  const [r, i] = JSON.parse(stdout) as Array<{ ok: boolean; error?: { name: string; message: string; stack: string } }>;
  const advice = `Node loads etl-tasks.js as CommonJS (${pkg} has "type": "commonjs"), where import and export statements are not allowed: rename it .mjs, set "type": "module" in ${pkg}, or write it as CommonJS (exports.name = …)`;
  t.match(r, { ok: false, error: { name: 'SyntaxError' } });
  t.equal(r?.error?.message, `Unexpected token 'export' (task module ${pathToFileURL(js).href}, line 2: export function double(x) { return rate * x; }): ${advice}`);
  t.match(r?.error?.stack, /^SyntaxError: Unexpected token 'export' \(task module /, 'the stack leads with the same');
  t.notMatch(r?.error?.stack, /\^\^\^/, "Node's caret pointer is not left in the stack");
  t.match(i, { ok: false, error: { message: /^Cannot use import statement outside a module \(task module \S+, line 1: import \{ join \} from 'node:path';\): Node loads import-tasks\.js as CommonJS/ } });
});

t.test('the line quoted is the file\'s as written, not the code Node parsed after stripping its types', async (t) => {
  // A data engineer's ttasks.cts read "line 1: export function double(x        )         { return x * 2; }":
  // Node quotes the line with its types blanked out.
  const stderr = '/w/ttasks.cts:1\nexport function double(x        )         { return x * 2; }\n^^^^^^\n\nSyntaxError: Unexpected token \'export\'';
  const source = 'export function double(x: number): number { return x * 2; }\n';
  t.equal(checkLocation(stderr, '/w/ttasks.cts', source), 'line 1: export function double(x: number): number { return x * 2; }');
  t.equal(checkLocation(stderr, '/w/ttasks.cts'), 'line 1: export function double(x        )         { return x * 2; }', 'without the file, Node\'s quote');
  t.equal(checkLocation('/w/a.mjs:2\nx\n', '/w/a.mjs', `ok\n${'y'.repeat(500)}\n`), `line 2: ${'y'.repeat(200)}…`, 'a long line is cut');
  const strips = (process.features as { typescript?: unknown }).typescript;
  if (!strips) return void t.comment(`Node ${process.version} does not strip types: the pool part needs 22.18+`);
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'gluon-cts-line-')));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // An install of @gluon/worker without tsx (this repository has it, and tsx compiles a .cts that
  // Node's own stripping refuses), as in a user's directory.
  const worker = join(dir, 'node_modules', '@gluon', 'worker');
  mkdirSync(worker, { recursive: true });
  for (const f of ['package.json', 'dist']) cpSync(join(here, '..', '..', f), join(worker, f), { recursive: true });
  symlinkSync(join(here, '..', '..', '..', 'protocol'), join(dir, 'node_modules', '@gluon', 'protocol'), 'dir');
  for (const dep of ['ws', 'nanoid', 'p-queue']) symlinkSync(join(here, '..', '..', '..', '..', 'node_modules', dep), join(dir, 'node_modules', dep), 'dir');
  try {
    createRequire(join(worker, 'dist', 'thread.js')).resolve('tsx/esm/api');
    return void t.comment(`tsx resolves from ${worker} (a node_modules above ${dir}?): the pool part is not run`);
  } catch { /* none: Node strips the types, as for the user */ }
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'etl', version: '1.0.0', type: 'commonjs' }));
  const cts = join(dir, 'ttasks.cts');
  writeFileSync(cts, `const rate: number = 2;\nexport function double(x: number): number { return rate * x; }\n`);
  const runner = join(dir, 'run.mjs');
  writeFileSync(runner, `import { ThreadPool } from '@gluon/worker';
const pool = new ThreadPool(1, 'cts-line-test', () => {});
const r = await pool.run({ key: 'double-1', url: ${JSON.stringify(pathToFileURL(cts).href)}, exportName: 'double', args: [2], data: {} });
await pool.close();
process.stdout.write(JSON.stringify(r));
`);
  // Without NODE_OPTIONS: tap's --import=tsx there would load the .cts through tsx too.
  const env = { ...process.env, NODE_OPTIONS: '' };
  const stdout = await new Promise<string>((resolve, reject) => execFile(process.execPath, [runner], { cwd: dir, env, timeout: 120_000 }, (err, out) => (err ? reject(err) : resolve(out))));
  const r = JSON.parse(stdout) as { ok: boolean; error?: { message: string } };
  t.match(r, { ok: false, error: { message: /, line 2: export function double\(x: number\): number \{ return rate \* x; \}\): Node loads a \.cts file as CommonJS/ } }, r.error?.message ?? 'ok');
});

t.test('moduleKindHint: the advice for each kind of file and package', async (t) => {
  const msg = "Unexpected token 'export'";
  t.equal(moduleKindHint(msg, '/w/tasks.ts', { path: '/w/package.json', type: 'commonjs' }),
    'Node loads tasks.ts as CommonJS (/w/package.json has "type": "commonjs"), where import and export statements are not allowed: rename it .mts, set "type": "module" in /w/package.json, or write it as CommonJS (exports.name = …)');
  t.match(moduleKindHint(msg, '/w/tasks.js', { path: '/w/package.json', type: undefined }), /^Node loads tasks\.js as CommonJS \(\/w\/package\.json has no "type"\), .* rename it \.mjs, /);
  t.match(moduleKindHint(msg, '/w/tasks.js', null), /\(no package\.json above it says "type": "module"\), .* set "type": "module" in a package\.json beside it, /);
  t.equal(moduleKindHint('Cannot use import statement outside a module', '/w/tasks.cjs', null),
    'Node loads a .cjs file as CommonJS, where import and export statements are not allowed: rename it .mjs, or write it as CommonJS (exports.name = …)');
  t.match(moduleKindHint(msg, '/w/tasks.cts', null), /a \.cts file .* rename it \.mts,/);
  t.equal(moduleKindHint(msg, '/w/tasks.mjs', null), null, 'an ES module file: another cause');
  t.equal(moduleKindHint('Unexpected number', '/w/tasks.js', null), null, 'another syntax error');
});
