/**
 * What this client's heap keeps per future that is done with but not released: the state of
 * `await client.submit(inc, i).result()` until the client's next major collection finds the
 * future (V8 clears a FinalizationRegistry's targets only then), so what every scavenge of the
 * client copies, and what fills its old generation, in bench/scheduler.ts (b). N sequential round
 * trips on a LocalCluster with their futures kept in an array, the heap measured after full
 * collections before and after them; with SNAP=DIR, heap snapshots there as well (compare them by
 * constructor). Not a test.
 *
 *   npx tsx bench/client-held.ts        N=5000 round trips (default)
 */
import { setFlagsFromString, writeHeapSnapshot } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { join } from 'node:path';
import { LocalCluster, remoteFrom } from '@gluon/client';
import { envInt, envString } from './env.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const { inc } = remoteFrom<typeof import('@gluon/examples/tasks')>('@gluon/examples/tasks');
const N = envInt('N', 5000, 1, 1e7);
const SNAP = envString('SNAP');

const cluster = await LocalCluster.start({ nWorkers: 2, nthreads: 1, cwd: process.cwd() });
try {
  const client = await cluster.client();
  // Warm, released: the code paths and the client's tables, not held futures.
  for (let i = 0; i < 2000; i++) {
    const f = client.submit(inc, -1e6 - i);
    await f.result();
    f.release();
  }
  await client.whenSent();
  gc();
  gc();
  const before = process.memoryUsage().heapUsed;
  if (SNAP) writeHeapSnapshot(join(SNAP, 'before.heapsnapshot'));
  const held: unknown[] = [];
  for (let i = 0; i < N; i++) {
    const f = client.submit(inc, i);
    await f.result();
    held.push(f);
  }
  gc();
  gc();
  const after = process.memoryUsage().heapUsed;
  if (SNAP) writeHeapSnapshot(join(SNAP, 'after.heapsnapshot'));
  console.log(`${N} futures done with and held: ${((after - before) / N).toFixed(0)} bytes of this client's heap each (8 of them the array's slot)`);
  held.length = 0;
} finally {
  await cluster.close();
}
