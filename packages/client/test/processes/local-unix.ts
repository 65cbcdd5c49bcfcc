/**
 * A LocalCluster's own workers and clients reach its scheduler through a Unix socket in a private
 * directory (a frame costs less there than over TCP loopback), while `schedulerAddress` stays
 * the TCP address other programs use; the directory is gone once the cluster closes.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { Client, LocalCluster, remoteFrom } from '@gluon/client';

const tasks = remoteFrom<typeof import('@gluon/examples/tasks')>('@gluon/examples/tasks');
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');

/** How many sockets /proc/net/unix lists at `path`: the listening one and each connection accepted on it. */
function socketsAt(path: string): number {
  return readFileSync('/proc/net/unix', 'utf8').split('\n').filter((l) => l.endsWith(` ${path}`)).length;
}

t.test('workers and clients of a LocalCluster connect through its Unix socket', { skip: process.platform === 'win32' && 'no Unix sockets on Windows' }, async (t) => {
  const cluster = await LocalCluster.start({ nWorkers: 2, nthreads: 1, cwd: repo });
  let closed = false;
  t.teardown(() => (closed ? undefined : cluster.close()));
  const local = cluster.localAddress;
  t.match(local, /^ws\+unix:\/.+\/scheduler-\d+\.sock:\/$/);
  t.match(cluster.schedulerAddress, /^ws:\/\/127\.0\.0\.1:\d+$/, 'the public address is still TCP');
  const path = /^ws\+unix:(.+):\/$/.exec(local!)![1]!;
  t.ok(existsSync(path));

  const client = await cluster.client();
  t.equal(await client.submit(tasks.inc, 41).result(), 42);
  if (process.platform === 'linux') {
    // The listening socket, and one accepted per worker and per client.
    t.equal(socketsAt(path), 1 + 2 + 1, 'both workers and the client are connected through it');
  }
  // Other programs still reach the scheduler over TCP.
  const other = await Client.connect(cluster.schedulerAddress);
  t.equal(await other.submit(tasks.inc, 1).result(), 2);
  await other.close();

  await cluster.close();
  closed = true;
  t.notOk(existsSync(dirname(path)), 'its directory is removed on close');
});

t.test('with TLS the cluster connects over TCP (no TLS on a Unix socket)', async (t) => {
  const cluster = await LocalCluster.start({ nWorkers: 1, nthreads: 1, cwd: repo, tls: true });
  t.teardown(() => cluster.close());
  t.equal(cluster.localAddress, undefined);
  const client = await cluster.client();
  t.equal(await client.submit(tasks.inc, 1).result(), 2);
});
