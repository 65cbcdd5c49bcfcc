/**
 * One LocalCluster that all of a test file's subtests share, and a client of it: started at the
 * file's top level (`const { cluster, client } = await sharedCluster(t, {...})`), closed when the
 * file's tests are done. Its processes run in the repository (so `@gluon/examples/tasks`
 * resolves) unless `cwd` says otherwise.
 *
 * tap runs teardowns last-registered first: one the file registers after this call (letting go
 * of tasks that block a thread, say) runs before the cluster is closed.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Test } from 'tap';
import { LocalCluster, type Client, type LocalClusterOptions } from '@gluon/client';

export const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export async function sharedCluster(t: Test, options: LocalClusterOptions): Promise<{ cluster: LocalCluster; client: Client }> {
  const cluster = await LocalCluster.start({ cwd: repo, ...options });
  t.teardown(() => cluster.close());
  return { cluster, client: await cluster.client() };
}
