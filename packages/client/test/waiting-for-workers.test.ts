/**
 * A script run against a scheduler with no worker started (`npx gluon-scheduler`, then the
 * script, the `gluon-worker` forgotten): its tasks waited for ever and nothing was said, in the
 * client or the scheduler's log, since the scheduler says `no-workers` only after there were
 * workers. Now the client says it once its tasks have waited 10 s, and when a worker joins.
 * Real scheduler and worker processes.
 */
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import t from 'tap';
import { Client, LocalCluster, remoteFrom, type ClusterWarning } from '@gluon/client';
import { startScheduler, startWorker, type Proc } from '../../worker/test/procs.js';
import { until } from '../../../test/helpers/until.js';

const here = dirname(fileURLToPath(import.meta.url));
const { incAfter } = remoteFrom<typeof import('./fixtures/tasks.mjs')>(pathToFileURL(join(here, 'fixtures/tasks.mjs')));

const procs: Proc[] = [];
t.teardown(() => { for (const p of procs) p.kill('SIGKILL'); });

// These two at once, each on a scheduler and worker of its own: both wait over 10 s by design (the
// notice's delay; a task that outlasts it), and the file took the sum. Not the LocalCluster case: its
// client's lines on stderr would be read by the first case's capture of stderr.
t.test('a scheduler no worker has joined, and one whose worker runs the tasks', { jobs: 2 }, async (t) => {
  t.test('tasks on a scheduler no worker has joined: the client says so after 10 s, and when a worker joins', async (t) => {
    const s = await startScheduler(0);
    procs.push(s.proc);
    const client = await Client.connect(s.address, { name: 'no-worker-yet' });
    t.teardown(() => client.close());
    const heard: Array<ClusterWarning & { active: boolean }> = [];
    client.onWarning((w) => { if (w.kind === 'waiting-for-workers') heard.push(w); });
    // What the client writes to stderr, as a user sees it.
    const said: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
      said.push(String(chunk));
      return write(chunk, ...rest);
    }) as typeof process.stderr.write;
    t.teardown(() => { process.stderr.write = write; });

    const result = client.submit(incAfter, 1, 0).result();
    await until(() => heard.length === 1, 'the waiting-for-workers notice');
    const text = `waiting for workers: tasks of this client have waited 10 s and the scheduler at ${s.address} has told of no worker: `
      + `none has joined it (start workers for it: gluon-worker ${s.address}); the tasks run once one joins`;
    t.same(heard.map((w) => [w.active, w.text]), [[true, text]], 'heard once, naming the scheduler and what to start');
    t.same(client.warnings.map((w) => w.kind), ['waiting-for-workers'], 'in force in client.warnings');
    t.ok(said.includes(`gluon client: ${text}\n`), 'and said on stderr');
    t.equal(s.proc.output().includes('stuck'), false, 'which the scheduler does not say: no worker has ever joined it');

    procs.push((await startWorker(s.address, ['--allow-module', join(here, 'fixtures')])).proc);
    t.equal(await result, 2, 'the task runs once a worker joined');
    await until(() => heard.length === 2, 'the end of the notice');
    t.same(heard.slice(1).map((w) => [w.active, w.text]), [[false, 'no longer waiting for workers: a worker joined']]);
    t.same(client.warnings, [], 'no longer in force');
    t.ok(said.includes('gluon client: no longer waiting for workers: a worker joined\n'), 'its end said on stderr');
  });

  t.test('a client whose tasks run on a worker hears no such notice', async (t) => {
    const s = await startScheduler(0);
    procs.push(s.proc);
    procs.push((await startWorker(s.address, ['--allow-module', join(here, 'fixtures')])).proc);
    const client = await Client.connect(s.address, { name: 'with-worker' });
    t.teardown(() => client.close());
    const heard: ClusterWarning[] = [];
    client.onWarning((w) => heard.push(w));
    // The task outlasts the notice's 10 s: waiting for a running task is not waiting for workers.
    t.equal(await client.submit(incAfter, 1, 12_000).result(), 2);
    t.same(heard, [], 'nothing said');
  });
});

t.test('a LocalCluster of no workers: the notice names addWorker(), and ends when it is called', async (t) => {
  const cluster = await LocalCluster.start({ nWorkers: 0, dashboard: false, allowModules: [join(here, 'fixtures')] });
  t.teardown(() => cluster.close());
  const client = await cluster.client();
  const heard: Array<ClusterWarning & { active: boolean }> = [];
  client.onWarning((w) => { if (w.kind === 'waiting-for-workers') heard.push(w); });
  const result = client.submit(incAfter, 2, 0).result();
  await until(() => heard.length === 1, 'the waiting-for-workers notice');
  t.match(heard[0]!.text, /has told of no worker: none has joined it \(add one with cluster\.addWorker\(\)\); the tasks run once one joins$/);
  await cluster.addWorker();
  t.equal(await result, 3);
  await until(() => heard.length === 2, 'the end of the notice');
  t.equal(heard[1]!.active, false);
});

t.test('workersHelp: a string or false; anything else is refused, naming it', async (t) => {
  for (const bad of ['', '  ', 5, true]) {
    await t.rejects(Client.connect('ws://127.0.0.1:1', { workersHelp: bad as never }),
      { name: 'TypeError', message: /^Client\.connect: workersHelp must be a non-empty string \(how to add workers\) or false \(say nothing\), got / });
  }
});
