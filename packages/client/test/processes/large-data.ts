/**
 * Values larger than a frame travel in chunks; values over the message budget fail what needs
 * them at once, with the key, the size and the limit. The cluster runs with 1 MiB frames and an
 * 8 MiB budget, so 5 MiB values stand for "bigger than a frame" and 9 MiB for "over budget"
 * (the defaults are 256 MiB and 1 GiB; the code paths are the same).
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import t from 'tap';
import { Client, LocalCluster, remoteFrom, ResultTooLargeError, TaskError } from '@gluon/client';
import * as local from '../fixtures/large.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../../../..');
const fixture = join(here, '../fixtures/large.mjs');
const { bigArray, checksum } = remoteFrom<typeof import('../fixtures/large.mjs')>(pathToFileURL(fixture));
const MiB = 1024 * 1024;

/** The same values and checksum as the tasks make, computed here by the fixture's own code. */
const pattern = local.bigArray;
const localChecksum = local.checksum;

/** Index of the first element that differs (or the shorter length); -1 when equal. */
function firstDifference(a: Float64Array, b: Float64Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

t.test('large values with 1 MiB frames and an 8 MiB budget', async (t) => {
  const cluster = await LocalCluster.start({
    nWorkers: 2, nthreads: 1, dashboard: false, cwd: repo, allowModules: [join(here, '..')], maxFrameBytes: '1MiB', maxMessageBytes: '8MiB',
  });
  t.teardown(() => cluster.close());
  const client = await cluster.client();

  await t.test('a 5 MiB argument, dependency and result arrive intact', async (t) => {
    const arg = pattern(5 * MiB, 3);
    t.same(await client.submit(checksum, arg).result(), localChecksum(arg), 'argument: client → scheduler → worker');

    const parts = [0, 1, 2, 3].map((i) => client.submit(bigArray, 5 * MiB, i));
    await client.wait(parts);
    const holders = new Set(parts.map((p) => p.state.workers[0]));
    t.equal(holders.size, 2, 'the parts live on both workers, so the sum needs a transfer');
    const total = client.submit(checksum, ...parts);
    t.same(await total.result(), localChecksum(...[0, 1, 2, 3].map((i) => pattern(5 * MiB, i))), 'dependencies: worker → worker');

    const back = await parts[2]!.result();
    t.ok(back instanceof Float64Array, 'result: worker → client, as a Float64Array');
    t.equal(firstDifference(back, pattern(5 * MiB, 2)), -1, 'every element in its place');
  });

  await t.test('over the budget: the call or the task fails at once, naming key, size and limit', async (t) => {
    const huge = [0, 1].map((i) => client.submit(bigArray, 9 * MiB, i));
    await client.wait(huge);
    t.equal(new Set(huge.map((h) => h.state.workers[0])).size, 2, 'one on each worker');

    const err = await huge[0]!.result().then(() => null, (e: unknown) => e);
    t.type(err, ResultTooLargeError, 'result(): not fetchable, and said so without retrying');
    t.match((err as Error).message, huge[0]!.key);
    t.match((err as Error).message, /9\.0 MiB \(9437\d+ bytes\), over .*message limit of 8\.0 MiB \(8388608 bytes\)/);

    const dependent = client.submit(checksum, ...huge);
    const depErr = await dependent.result().then(() => null, (e: unknown) => e);
    t.type(depErr, TaskError, 'a dependent on another worker fails instead of refetching forever');
    t.equal((depErr as TaskError).kind, 'too-large');
    t.match((depErr as Error).message, /cannot get its dependency bigArray-\w+ from ws:\/\/.*9\.0 MiB.*limit of 8\.0 MiB/);

    const argErr = await client.submit(checksum, pattern(9 * MiB, 1)).result().then(() => null, (e: unknown) => e);
    t.type(argErr, TaskError, 'an argument over the budget fails its task instead of hanging');
    t.equal((argErr as TaskError).kind, 'too-large');
    t.match((argErr as Error).message, /task checksum-\w+ \(its arguments\) encodes to 9\.0 MiB .* over .*8\.0 MiB/);

    const small = pattern(1024, 5);
    t.same(await client.submit(checksum, small).result(), localChecksum(small), 'the client and the cluster still work');
    const logs = Object.values(cluster.logs()).join('');
    t.notMatch(logs, /could not fetch/, 'no worker went into a fetch-retry loop');
  });
});

t.test('size limits out of range are refused at once, naming the option and the range', async (t) => {
  await t.rejects(Client.connect('ws://127.0.0.1:1', { maxMessageBytes: 10 }), { name: 'RangeError', message: /maxMessageBytes must be an integer number of bytes from 65536 to 4294967296, got 10/ });
  await t.rejects(Client.connect('ws://127.0.0.1:1', { maxFrameBytes: 1.5 }), { name: 'RangeError', message: /maxFrameBytes must be an integer/ });
});
