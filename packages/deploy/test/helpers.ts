/** What the launcher tests share: paths, and a workload run through a launched cluster. */
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { remoteFrom, type Future } from '@gluon/client';
import type { JobQueueCluster } from '@gluon/deploy';

export const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

type Tasks = typeof import('@gluon/examples/tasks');
const { sleep, add } = remoteFrom<Tasks>('@gluon/examples/tasks');

/**
 * `n` tasks of `ms` each (task i returns i) and their sum, through the cluster's workers.
 * `midRun` runs once the first task has finished (e.g. to kill a job); resolves with the sum.
 */
export async function sumThrough(cluster: JobQueueCluster, n: number, ms: number, midRun?: () => Promise<void>): Promise<number> {
  const client = await cluster.client();
  // sleep returns its second argument (typed unknown): here a number.
  const parts = Array.from({ length: n }, (_, i) => client.submit(sleep, ms, i) as Future<number>);
  const total = client.submit(add, ...parts);
  if (midRun) {
    await parts[0]!.result();
    await midRun();
  }
  return (await total.result()) as number;
}

/**
 * A lease on the machine-wide Slurm for this test process (scripts/setup-slurm.sh hold): another
 * checkout's `setup-slurm.sh stop` then leaves Slurm running until this process has exited.
 * Best effort: without one (not root), the tests still run.
 */
export function holdSlurm(): void {
  spawnSync('bash', [join(repo, 'scripts/setup-slurm.sh'), 'hold', String(process.pid)], { stdio: 'ignore', timeout: 180_000 });
}

/** Resolves with what `p` gives, or rejects after a generous bound (a hang, not a timing assertion). */
export function within<T>(p: Promise<T>, what: string, ms = 180_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms`)), ms); })]).finally(() => clearTimeout(timer));
}
