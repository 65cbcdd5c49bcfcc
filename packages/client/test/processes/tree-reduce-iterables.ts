/**
 * treeReduce's inputs, the type and the call agreeing: an array or another iterable of futures,
 * delayed calls and plain values of the combined type. The type took arrays of futures and
 * delayed calls only, while the call took plain values (handed to `combine` as they are) and
 * checked any iterable, then failed on one that is not an array (`Cannot read properties of
 * undefined`). The compile-time half (`typeChecks`, never called) is checked by `npm run
 * typecheck`: each @ts-expect-error line must fail to compile, or tsc reports it as unused.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import t from 'tap';
import { Client, delayed, LocalCluster, remote, remoteFrom, type Future } from '@gluon/client';

const here = dirname(fileURLToPath(import.meta.url));
const { inc, histogram } = remoteFrom<typeof import('@gluon/examples/tasks')>('@gluon/examples/tasks');
const sum = remote<(parts: number[]) => number>(pathToFileURL(join(here, '../fixtures/tasks.mjs')), 'sumAll');

/** Compile-time checks only (see the file comment). */
function typeChecks(client: Client): void {
  const f = client.submit(inc, 1);
  const mixed: Future<number> = client.treeReduce(sum, [f, 5, delayed(inc)(1)]);
  const fromSet: Future<number> = client.treeReduce(sum, new Set([f, 2]));
  // @ts-expect-error a string is not a number
  client.treeReduce(sum, [f, 'x']);
  // @ts-expect-error a histogram's future is not a number's
  client.treeReduce(sum, [f, client.submit(histogram, 1)]);
  // @ts-expect-error one future, not an iterable of them
  client.treeReduce(sum, f);
  void mixed; void fromSet;
}
void typeChecks;

t.test('treeReduce takes plain values and any iterable, built at once or as it is sent', async (t) => {
  const cluster = await LocalCluster.start({ nWorkers: 1, cwd: resolve(here, '../../../..'), allowModules: [join(here, '../fixtures')] });
  t.teardown(() => cluster.close());
  // Slices of 4 tasks: a tree over more inputs than that is built as it is sent (LazySubmit.tree).
  for (const graphSliceTasks of [49_152, 4]) {
    const client = await Client.connect(cluster.schedulerAddress, { graphSliceTasks });
    t.teardown(() => client.close());
    const at = `graphSliceTasks ${graphSliceTasks}`;
    const xs = client.map(inc, [0, 1, 2, 3, 4, 5]); // 1..6
    t.equal(await client.treeReduce(sum, [...xs, 100, delayed(inc)(9)], { fanIn: 2 }).result(), 21 + 100 + 10, `${at}: an array of futures, a plain value and a delayed call`);
    t.equal(await client.treeReduce(sum, new Set(xs), { fanIn: 2 }).result(), 21, `${at}: a Set of futures`);
    function* values(): Generator<number | Future<number>> {
      yield 1000;
      yield* xs;
    }
    t.equal(await client.treeReduce(sum, values(), { fanIn: 3 }).result(), 1021, `${at}: a generator`);
    t.equal(await client.treeReduce(sum, [7]).result(), 7, `${at}: one plain value: one combine of it`);
  }
});
