/**
 * Losing a worker mid-graph: kill -9 one of two workers while a 2,000-task graph with
 * cross-worker dependencies runs; every future must still resolve to the right value (lost
 * results are recomputed from the graph).
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import t from 'tap';
import { ClientClosedError, LocalCluster, remoteFrom, type Future } from '@gluon/client';
import { SCHEDULER_ENV } from '@gluon/scheduler/v8-flags';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../../../..');
const { add, histogram, sleep, inc } = remoteFrom<typeof import('@gluon/examples/tasks')>('@gluon/examples/tasks');
const { incAfter } = remoteFrom<typeof import('../fixtures/tasks.mjs')>(pathToFileURL(join(here, '../fixtures/tasks.mjs')));

t.test('kill -9 of a worker while 2,000 tasks run: every future is still correct', async (t) => {
  const cluster = await LocalCluster.start({ nWorkers: 2, nthreads: 1, dashboard: false, cwd: repo, allowModules: [join(here, '../fixtures')] });
  t.teardown(() => cluster.close());
  const client = await cluster.client();
  // A result too large to ride inline: the client must fetch it from its holder, which we kill.
  const big = client.submit(histogram, 11, 10_000, 100_000);
  await client.wait([big]);
  const holder = big.state.workers[0];
  const victim = cluster.workers.find((w) => w.address === holder);
  t.ok(victim, `the large result lives on a known worker (${holder})`);
  const n = 1000;
  // 1,000 leaves taking ~1 ms each, and 1,000 sums that each need two leaves, usually from
  // both workers, so results move between workers and some live only on the victim.
  const leaves: Array<Future<number>> = [];
  for (let i = 0; i < n; i++) leaves.push(client.submit(incAfter, i, 1));
  const sums = leaves.map((_, i) => client.submit(add, leaves[i]!, leaves[(i * 7 + 3) % n]!));
  const expected = sums.map((_, i) => i + 1 + ((i * 7 + 3) % n) + 1);

  // Kill once a fair part of the graph is done, but well before the end.
  let done = 0;
  for await (const _ of client.asCompleted(leaves)) {
    if (++done === 150) break;
  }
  process.kill(victim!.pid, 'SIGKILL');
  t.pass(`killed ${victim!.name} (pid ${victim!.pid}) after ${done} leaves finished`);

  const got = await client.gather(sums);
  let wrong = 0;
  for (let i = 0; i < n; i++) if (got[i] !== expected[i]) wrong++;
  t.equal(wrong, 0, 'all 1,000 sums are right');
  const leafValues = await client.gather(leaves);
  t.same(leafValues, leaves.map((_, i) => i + 1), 'all 1,000 leaves are right, including those lost with the worker');
  const h = await big.result();
  t.equal(h.length, 100_000);
  t.equal(h.reduce((a, b) => a + b, 0), 10_000, 'the large result, lost with its holder, was recomputed and fetched from the survivor');
});

t.test('a LocalCluster whose scheduler process dies fails pending futures at once, saying so', async (t) => {
  const cluster = await LocalCluster.start({ nWorkers: 1, nthreads: 1, dashboard: false, cwd: repo, allowModules: [join(here, '../fixtures')] });
  t.teardown(() => cluster.close());
  const client = await cluster.client();
  t.equal(await client.submit(inc, 1).result(), 2);
  const environ = readFileSync(`/proc/${cluster.schedulerProcess.pid}/environ`, 'utf8').split('\0');
  for (const [k, v] of Object.entries(SCHEDULER_ENV)) t.ok(environ.includes(`${k}=${v}`), `the scheduler runs with ${k}=${v}`);
  const pending = client.submit(sleep.with({ pure: false }), 2000, 'never seen');
  process.kill(cluster.schedulerProcess.pid, 'SIGKILL');
  const err = await pending.result().then(() => null, (e: unknown) => e);
  t.type(err, ClientClosedError);
  t.match((err as Error).message, new RegExp(`the LocalCluster's scheduler process \\(pid ${cluster.schedulerProcess.pid}\\) exited \\(SIGKILL\\) before sleep-`));
  t.equal(pending.status, 'lost');
  t.throws(() => client.submit(inc, 2), ClientClosedError, 'a closed client refuses new work');
});
