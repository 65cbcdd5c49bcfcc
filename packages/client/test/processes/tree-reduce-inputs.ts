/**
 * What treeReduce frees and what it leaves to the caller, as the client README's treeReduce row
 * says: the tree's intermediate results are freed as they are merged, but the input futures the
 * caller passed stay held until the caller releases them (the README said "inputs are freed as
 * they are merged"). Counted on a real LocalCluster from the scheduler's own figures (the
 * dashboard's `api/state`: the results each worker holds).
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import t from 'tap';
import { LocalCluster, remoteFrom } from '@gluon/client';

const here = dirname(fileURLToPath(import.meta.url));
const { inc } = remoteFrom<typeof import('@gluon/examples/tasks')>('@gluon/examples/tasks');
const { sumAll } = remoteFrom<typeof import('../fixtures/tasks.mjs')>(pathToFileURL(join(here, '../fixtures/tasks.mjs')));

t.test('after a treeReduce its inputs stay held until released; its intermediate results do not', async (t) => {
  const cluster = await LocalCluster.start({ nWorkers: 2, cwd: resolve(here, '../../../..'), allowModules: [join(here, '../fixtures')] });
  t.teardown(() => cluster.close());
  const client = await cluster.client();
  /** The results the live workers hold, as the scheduler counts them. */
  const held = async (): Promise<number> => {
    const state = await (await fetch(new URL('api/state', cluster.dashboardUrl))).json() as { workers: Array<{ stored: number; alive: boolean }> };
    return state.workers.filter((w) => w.alive).reduce((a, w) => a + w.stored, 0);
  };
  /** Resolves once the workers hold `n` results (the scheduler frees them on later turns); fails after 120 s. */
  const holding = async (n: number, what: string): Promise<void> => {
    const deadline = Date.now() + 120_000;
    for (let got = await held(); got !== n; got = await held()) {
      if (Date.now() > deadline) throw new Error(`${what}: the workers hold ${got} results, not ${n}, after 120 s`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const n = 64;
  const inputs = client.map(inc, Array.from({ length: n }, (_, i) => i));
  const root = client.treeReduce(sumAll, inputs, { fanIn: 4 }); // 16 + 4 + 1 merge tasks
  t.equal(await root.result(), (n * (n + 1)) / 2, 'the sum');
  await holding(n + 1, 'merged');
  t.pass(`merged: the ${n} inputs and the root are held, none of the 20 merges' results`);
  client.release(inputs);
  await holding(1, 'inputs released');
  t.pass('released: only the root is held');
});
