/**
 * A worker thread a test starts runs tsx but none of tap's loaders (ts-node, mocks, coverage:
 * test/helpers/untraced-children.mjs), which cost 1.1 CPU-s more a thread.
 */
import t from 'tap';
import { Worker } from 'node:worker_threads';

function threadArgv(options?: { execArgv: string[] }): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL('./fixtures/thread-argv.ts', import.meta.url), options);
    w.once('message', (m: string[]) => { resolve(m); void w.terminate(); });
    w.once('error', reject);
    w.once('exit', (code) => reject(new Error(`the thread exited (code ${code}) without answering`)));
  });
}

t.test('a worker thread runs TypeScript through tsx, without tap\'s loaders', async (t) => {
  const argv = await threadArgv();
  t.match(argv.join(' '), /thread-tsx\.mjs/, `tsx, registered as a thread can (${argv.join(' ')})`);
  t.notMatch(argv.join(' '), /@tapjs|untraced-children/, 'no tap loader, nor the test process\'s preload');
  const given = [`--import=${new URL('./helpers/thread-tsx.mjs', import.meta.url).href}`, '--no-warnings'];
  t.same(await threadArgv({ execArgv: given }), given, 'an execArgv given is kept as given');
});
