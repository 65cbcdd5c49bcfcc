/**
 * Test files are TypeScript compiled by tsx (`--import=tsx` in each .taprc), not by tap's ts-node,
 * which loaded the TypeScript compiler twice in every test process only to transpile (type checking
 * is `npm run typecheck`'s, before tap). And a worker thread a test starts runs tsx but none of
 * tap's loaders (ts-node, mocks, coverage: test/helpers/untraced-children.mjs), which cost 1.1
 * CPU-s more a thread.
 */
import t from 'tap';
import { Worker } from 'node:worker_threads';

function threadArgv(options?: { execArgv: string[] }): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL('../fixtures/thread-argv.ts', import.meta.url), options);
    w.once('message', (m: string[]) => { resolve(m); void w.terminate(); });
    w.once('error', reject);
    w.once('exit', (code) => reject(new Error(`the thread exited (code ${code}) without answering`)));
  });
}

t.test('the test process runs without ts-node', async (t) => {
  // ts-node's register() marks the process with this symbol (tap's preload calls it unless its
  // TypeScript plugin is told to load nothing: TAP_TYPE_STRIP_ONLY=1 in .taprc's test-env).
  t.ok((process as unknown as Record<symbol, unknown>)[Symbol.for('ts-node.register.instance')] === undefined, 'ts-node is not registered');
  t.ok(process.execArgv.includes('--import=tsx'), `tsx is preloaded (${process.execArgv.join(' ')})`);
  t.not(process.env.TAP_TYPE_STRIP_ONLY, '1', 'and tap is not left asking for Node\'s type stripping in what this process starts');
  t.notMatch(process.env.NODE_OPTIONS ?? '', /strip-types/, 'nor passing it on in NODE_OPTIONS');
});

t.test('a worker thread runs TypeScript through tsx, without tap\'s loaders', async (t) => {
  const argv = await threadArgv();
  t.match(argv.join(' '), /thread-tsx\.mjs/, `tsx, registered as a thread can (${argv.join(' ')})`);
  t.notMatch(argv.join(' '), /@tapjs|untraced-children|--import=tsx\b/, 'no tap loader, nor the test process\'s preloads');
  const given = [`--import=${new URL('../helpers/thread-tsx.mjs', import.meta.url).href}`, '--no-warnings'];
  t.same(await threadArgv({ execArgv: given }), given, 'an execArgv given is kept as given');
});
