/** The README's example: a LocalCluster, a map, a dependency, a tree reduction. */
import { LocalCluster, remoteFrom } from '@gluon/client';

type Tasks = typeof import('./tasks.js');
const { inc, add, histogram, mergeHistograms } = remoteFrom<Tasks>('@gluon/examples/tasks');

const cluster = await LocalCluster.start({ nWorkers: 2 });
try {
  const client = await cluster.client();
  const xs = client.map(inc, [1, 2, 3, 4, 5]); // five tasks
  const total = client.submit(add, ...xs); // depends on all five
  console.log('sum of inc(1..5) =', await total.result()); // 20

  const parts = client.map(histogram, Array.from({ length: 200 }, (_, i) => i + 1));
  const merged = await client.treeReduce(mergeHistograms, parts, { fanIn: 8 }).result();
  console.log('entries in the merged histogram:', merged.reduce((a, b) => a + b, 0)); // 2000000
  if (cluster.dashboardUrl) console.log('dashboard was at', cluster.dashboardUrl);
} finally {
  await cluster.close();
}
