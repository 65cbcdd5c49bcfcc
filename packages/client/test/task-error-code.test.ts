/**
 * A failed task's error code reaches the client's TaskError (protocol 19): a library's
 * `Object.assign(new Error(…), { code })` and Node's system errors (`code`, `errno`, `syscall`,
 * `path`), so a script can branch on `err.code`; it was lost on the way. Codes that cannot travel
 * (over the protocol's bound, with a control character, not a string or number, a getter that
 * throws) are left out by the worker, which stays connected: the scheduler would have refused the
 * whole message and closed it. On a real LocalCluster.
 */
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import t from 'tap';
import { remoteFrom, TaskError, type Future } from '@gluon/client';
import { sharedCluster } from './shared-cluster.js';

const here = dirname(fileURLToPath(import.meta.url));
const { inc } = remoteFrom<typeof import('@gluon/examples/tasks')>('@gluon/examples/tasks');
const fx = remoteFrom<typeof import('./fixtures/tasks.mjs')>(pathToFileURL(join(here, 'fixtures/tasks.mjs')));

const { cluster, client } = await sharedCluster(t, { nWorkers: 1, allowModules: [join(here, 'fixtures')] });

async function taskError(f: Future<unknown>): Promise<TaskError> {
  const err = await f.result().then(() => new Error('the task did not fail'), (e: unknown) => e);
  if (!(err instanceof TaskError)) throw err;
  return err;
}

t.test('a code thrown by a task is the TaskError\'s, and its dependents\'', async (t) => {
  const failed = client.submit(fx.failWithCode, 'BAD_INPUT');
  const err = await taskError(failed);
  t.equal(err.code, 'BAD_INPUT');
  t.equal(err.remoteName, 'Error');
  t.match(err.message, /failed with a code/);
  const dependent = await taskError(client.submit(inc, failed as Future<never>));
  t.equal(dependent.code, 'BAD_INPUT', 'a dependent failing with it carries it too');
  t.equal((await taskError(client.submit(fx.failWithCode, 42))).code, '42', 'a number arrives as its decimal string');
  t.equal((await taskError(client.submit(fx.throwCodeObject, 'PLAIN'))).code, 'PLAIN', 'from a thrown object that is not an Error too');
  t.equal((await taskError(client.submit(fx.failWithCode, undefined))).code, undefined, 'none: undefined');
});

t.test('a system error keeps code, errno, syscall and path', async (t) => {
  const path = join(here, 'fixtures', 'no-such-file.txt');
  const err = await taskError(client.submit(fx.readMissing, path));
  t.match(err, { code: 'ENOENT', errno: -constants.errno.ENOENT, syscall: 'open', path });
  t.match(err.message, /ENOENT: no such file or directory/);
});

t.test('codes that cannot travel are left out; the worker stays connected and the error arrives', async (t) => {
  const worker = (await taskError(client.submit(fx.failWithCode, 'first'))).worker;
  const cases: Array<[string, Future<unknown>]> = [
    ['a code over 256 characters', client.submit(fx.failWithCode, 'x'.repeat(10_000))],
    ['a code with a line break', client.submit(fx.failWithCode, 'A\nB')],
    ['a code that is an object', client.submit(fx.failWithCode, { nested: 1 })],
    ['a code getter that throws', client.submit(fx.failWithThrowingCode)],
  ];
  for (const [what, f] of cases) {
    const err = await taskError(f);
    t.equal(err.code, undefined, `${what}: no code`);
    t.equal(err.worker, worker, `${what}: failed on the same worker, still connected`);
  }
  t.equal(await client.submit(inc, 1).result(), 2, 'an ordinary task runs afterwards');
  t.equal(cluster.workers.length, 1, 'the worker is still running');
});
