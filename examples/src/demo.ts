/**
 * `npm run demo`: a LocalCluster with two workers runs a small task graph — a map, a random
 * graph of dependent tasks checked against in-process evaluation, and a tree reduction — and
 * prints what happened. No downloads, no configuration.
 */
import { LocalCluster, remoteFrom, type Future } from '@gluon/client';
import * as local from './tasks.js';

const { inc, add, histogram, mergeHistograms } = remoteFrom<typeof local>('@gluon/examples/tasks');

const t0 = performance.now();
const cluster = await LocalCluster.start({ nWorkers: 2, nthreads: 1 });
try {
  const client = await cluster.client();
  console.log(`cluster up in ${(performance.now() - t0).toFixed(0)} ms: scheduler ${cluster.schedulerAddress}, workers ${cluster.workers.map((w) => w.name).join(', ')}`);
  if (cluster.dashboardUrl) console.log(`dashboard: ${cluster.dashboardUrl}`);

  let t = performance.now();
  const incremented = await client.gather(client.map(inc, Array.from({ length: 10_000 }, (_, i) => i)));
  console.log(`map: 10,000 tasks in ${(performance.now() - t).toFixed(0)} ms (last value ${incremented.at(-1)})`);

  // A graph where each task adds up to three earlier results.
  t = performance.now();
  let seed = 7;
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const futures: Array<Future<number>> = [];
  const expected: number[] = [];
  for (let i = 0; i < 1000; i++) {
    const deps = i === 0 ? [] : Array.from({ length: Math.floor(rand() * 4) }, () => Math.floor(rand() * i));
    futures.push(deps.length ? client.submit(add, i, ...deps.map((j) => futures[j]!)) : client.submit(inc, i));
    expected.push(deps.length ? local.add(i, ...deps.map((j) => expected[j]!)) : local.inc(i));
  }
  const got = await client.gather(futures);
  const ok = got.every((v, i) => v === expected[i]);
  console.log(`graph: 1,000 dependent tasks in ${(performance.now() - t).toFixed(0)} ms, ${ok ? 'all equal to in-process evaluation' : 'MISMATCH'}`);

  t = performance.now();
  const parts = client.map(histogram, Array.from({ length: 2000 }, (_, i) => i + 1));
  const merged = await client.treeReduce(mergeHistograms, parts, { fanIn: 8 }).result();
  console.log(`treeReduce: 2,000 histograms merged on the workers in ${(performance.now() - t).toFixed(0)} ms, ${merged.reduce((a, b) => a + b, 0)} entries`);
  if (!ok) process.exitCode = 1;
} finally {
  await cluster.close();
}
