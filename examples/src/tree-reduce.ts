/**
 * Merging many results on the cluster: 2,000 tasks each fill a 100-bin histogram, and a tree of
 * merge tasks (8 inputs each) combines them on the workers, so only one histogram comes back.
 *
 *   npx tsc -b examples && node examples/dist/tree-reduce.js [nTasks]
 */
import { LocalCluster, remoteFrom } from '@gluon/client';

const { histogram, mergeHistograms } = remoteFrom<typeof import('./tasks.js')>('@gluon/examples/tasks');
const nTasks = Number(process.argv[2] ?? 2000);
if (!Number.isInteger(nTasks) || nTasks < 1) throw new RangeError(`nTasks must be a positive integer, got ${process.argv[2]}`);

const cluster = await LocalCluster.start({ nWorkers: 2 });
try {
  const client = await cluster.client();
  const t0 = performance.now();
  const parts = client.map(histogram, Array.from({ length: nTasks }, (_, i) => i + 1));
  const total = client.treeReduce(mergeHistograms, parts, { fanIn: 8 });
  client.release(parts); // the tree holds what it still needs; freed as it is merged
  const h = await total.result();
  const ms = performance.now() - t0;
  const entries = h.reduce((a, b) => a + b, 0);
  const peak = h.indexOf(Math.max(...h));
  console.log(`${nTasks} histograms merged on the workers in ${ms.toFixed(0)} ms`);
  console.log(`entries: ${entries} (expected ${nTasks * 10_000}); fullest bin: ${peak} with ${h[peak]}`);
} finally {
  await cluster.close();
}
