/**
 * The processes a test starts run without tap's coverage loader (@tapjs/processinfo): the
 * preload test/helpers/untraced-children.mjs, named in every .taprc (test/processes/package-tap.ts),
 * takes it out of what tap adds to each spawn's NODE_OPTIONS. With it every node process a test
 * started cost over twice the CPU (the suite starts over a thousand). Fails if the preload is not
 * loaded or tap adds its loader some other way.
 */
import t from 'tap';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { withoutProcessinfo } from '../helpers/processinfo-options.mjs';
import { threadExecArgv } from '../helpers/thread-options.mjs';

const printOptions = ['-e', 'process.stdout.write(JSON.stringify(process.env.NODE_OPTIONS ?? null))'];
const loader = 'file:///x/node_modules/@tapjs/processinfo/dist/esm/import.mjs';

t.test('a node process started from a test has no processinfo loader, and keeps the NODE_OPTIONS it was given', async (t) => {
  t.equal(JSON.parse(execFileSync(process.execPath, printOptions, { encoding: 'utf8' })), null, 'execFileSync with this process\'s environment: none left');
  const given = { ...process.env, NODE_OPTIONS: '--max-old-space-size=200' };
  const { stdout } = await promisify(execFile)(process.execPath, printOptions, { env: given });
  // (tap's hook rewrites NODE_OPTIONS with each option in quotes.)
  t.match(JSON.parse(stdout), /^"?--max-old-space-size=200"?$/, 'execFile with NODE_OPTIONS of its own: those, nothing added');
  const child = spawn(process.execPath, printOptions, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  await new Promise((r) => child.on('close', r));
  t.equal(JSON.parse(out), null, 'spawn');
  t.notMatch(process.env.NODE_OPTIONS ?? '', /@tapjs\/processinfo/, 'nor in this process\'s environment, for what copies it');
});

t.test('withoutProcessinfo takes out the loader however it is written, and nothing else', async (t) => {
  t.equal(withoutProcessinfo(`"--import=${loader}"`), '', 'quoted whole, as tap writes it');
  t.equal(withoutProcessinfo(`--max-old-space-size=100 "--import=${loader}" --trace-warnings`), '--max-old-space-size=100 --trace-warnings');
  t.equal(withoutProcessinfo(`--import=${loader}`), '', 'bare');
  t.equal(withoutProcessinfo(`--import ${loader} --inspect`), '--inspect', 'as two words');
  t.equal(withoutProcessinfo(`"--loader=${loader.replace('import.mjs', 'loader.mjs')}" --no-warnings`), '--no-warnings', 'the old --loader form');
  t.equal(withoutProcessinfo('--import=tsx --enable-source-maps'), '--import=tsx --enable-source-maps', 'another --import is kept');
  t.equal(withoutProcessinfo(undefined), undefined);
});

t.test('threadExecArgv keeps a thread\'s flags, registers tsx as a thread can, and drops tap\'s loaders and the preload', async (t) => {
  const tap = (name: string) => `--import=file:///x/node_modules/@tapjs/${name}/dist/esm/import.mjs`;
  const threadTsx = `--import=${new URL('../helpers/thread-tsx.mjs', import.meta.url).href}`;
  t.same(threadExecArgv([tap('typescript'), tap('mock'), '--enable-source-maps', tap('processinfo'), '--import=tsx', '--import=./test/helpers/untraced-children.mjs']),
    [threadTsx, '--enable-source-maps'], 'what tap and .taprc give a test process (tsx once, as a thread registers it)');
  t.same(threadExecArgv(['--loader=file:///x/node_modules/@tapjs/mock/dist/esm/loader.mjs', '--max-old-space-size=200']), [threadTsx, '--max-old-space-size=200'], 'the old --loader form');
  t.same(threadExecArgv(['--import=file:///x/other/import.mjs']), [threadTsx, '--import=file:///x/other/import.mjs'], 'another --import is kept');
});
