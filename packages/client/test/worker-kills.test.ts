/**
 * Repeated worker kills: four workers, one of them killed with SIGKILL every 2 s (the process
 * whose threads run the tasks; there is no supervisor in between) and a replacement started,
 * while a 20,000-task map and a treeReduce over it run. The result must be exact: every leaf
 * counted once, none lost (the combine carries the count along with the sum).
 */
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import t from 'tap';
import { Client, remoteFrom } from '@gluon/client';
import { startScheduler, startWorker, type Proc } from '../../worker/test/procs.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = join(here, 'fixtures');
const { slowIdentity, sumCount } = remoteFrom<typeof import('./fixtures/tasks.mjs')>(pathToFileURL(join(fixtures, 'tasks.mjs')));

const MAX_KILLS = 5;
const procs: Proc[] = [];
t.teardown(() => {
  for (const p of procs) p.kill('SIGKILL');
});

t.test('a worker SIGKILLed every 2 s during a 20,000-task map + treeReduce: exact result, nothing lost or counted twice', async (t) => {
  // Kills count against the tasks they interrupt; this test is about correctness, so no task
  // should fail for having been on too many killed workers.
  const s = await startScheduler(0, ['--allowed-failures', '1000', '--heartbeat-ttl', '10s']);
  procs.push(s.proc);
  const workerArgs = ['--nthreads', '1', '--allow-module', fixtures];
  const live: Proc[] = [];
  const add = async () => {
    const w = await startWorker(s.address, workerArgs);
    procs.push(w.proc);
    live.push(w.proc);
  };
  for (let i = 0; i < 4; i++) await add();
  const client = await Client.connect(s.address);
  t.teardown(() => client.close());

  const n = 20_000;
  const leaves = client.map(slowIdentity, Array.from({ length: n }, (_, i) => i), Array.from({ length: n }, () => 2));
  const total = client.treeReduce(sumCount, leaves, { fanIn: 16 });
  client.release(leaves);

  let finished = false;
  let kills = 0;
  const killer = (async () => {
    // Bounded: at most MAX_KILLS kills (each loses the results only its victim held, which are
    // recomputed), and it stops as soon as the run is over.
    for (let round = 0; round < MAX_KILLS && !finished; round++) {
      await new Promise((r) => setTimeout(r, 2000));
      if (finished) break;
      const victim = live.splice(kills % live.length, 1)[0]!;
      victim.kill('SIGKILL');
      await victim.exited();
      kills++;
      await add();
    }
  })();
  const got = await total.result().finally(() => (finished = true));
  await killer;
  t.same(got, { sum: (n * (n - 1)) / 2, count: n }, `exact: ${n} leaves, each counted once, after ${kills} kill(s)`);
  t.ok(kills >= 2, `workers were killed during the run (${kills})`);
});
