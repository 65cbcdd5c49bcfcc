import t from 'tap';
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PBSCluster, type JobQueueCluster } from '@gluon/deploy';
import { clusterLog, fakePbs, oneJoinedJob, repo } from './helpers.js';

/**
 * The batch jobs on the scheduler's dashboard (job-view.ts), published through the cluster's own
 * client, read back from the scheduler's api/state as the page gets them, with the PBS stand-ins
 * (test/fixtures/pbs-bin). slurm-dashboard.test shows them in chromium against the real Slurm;
 * this one needs neither.
 */
const { dir, untilWritten } = fakePbs(t);

type Topics = Record<string, { value: unknown }>;

/**
 * Waits for the cluster's published jobs (api/state's topics, as the page gets them) to satisfy
 * `ok`, and returns them: looked at each time the stand-ins write a file (each look runs qstat,
 * and a look publishes), bounded generously. Fetched every 100 ms before.
 */
async function published(cluster: JobQueueCluster, lines: string[], ok: (rows: Record<string, string>[], counts: Record<string, unknown>) => boolean) {
  let topics: Topics = {};
  let seen: { rows: Record<string, string>[]; counts: Record<string, unknown> } | undefined;
  await untilWritten('the jobs published', async () => {
    topics = ((await (await fetch(new URL('api/state', cluster.dashboardDirectUrl))).json()) as { topics: Topics }).topics;
    const rows = (topics['batch jobs']?.value ?? []) as Record<string, string>[];
    const counts = (topics['batch job counts']?.value ?? {}) as Record<string, unknown>;
    if (ok(rows, counts)) seen = { rows, counts };
    return seen !== undefined;
  }, () => `${JSON.stringify(topics)}; log ${JSON.stringify(lines)}`);
  return seen!;
}

t.test('the jobs\' rows and counts reach the scheduler, and follow a job that ends', async (t) => {
  const { lines, log } = clusterLog();
  const cluster = await PBSCluster.start({ host: '127.0.0.1', cores: 1, cwd: repo, pollIntervalMs: 250, log });
  t.teardown(() => cluster.close());
  const first = await oneJoinedJob(cluster);
  const running = await published(cluster, lines, (rows) => rows[0]?.worker === `gluon-worker-${first}`);
  t.match(running.rows, [{ job: first, state: 'running', worker: `gluon-worker-${first}`, ended: '' }], 'the job, running, naming its worker');
  t.same(running.counts, { pending: 0, running: 1, requeued: 0, failed: 0, done: 0 });

  // Ended from outside (qdel by the user): shown done, and its replacement live.
  execFileSync('qdel', [first]);
  const after = await published(cluster, lines, (rows, counts) => counts.done === 1 && rows.some((r) => r.job !== first && r.state === 'running'));
  t.match(after.rows.find((r) => r.job === first), { state: 'done', worker: `gluon-worker-${first}` }, 'the qdel\'d job shows done, with the worker it ran');
  t.same(lines.filter((l) => l.includes('cannot show its jobs')), [], 'every publish went through');
  await cluster.close();
});

t.test('while qstat fails the rows say they are the last listed, with when and why; current again once it answers', async (t) => {
  // They kept the last listing's states as if current: a job that ended meanwhile still running.
  const { lines, log, said } = clusterLog();
  const cluster = await PBSCluster.start({ host: '127.0.0.1', cores: 1, cwd: repo, pollIntervalMs: 250, log });
  t.teardown(() => cluster.close());
  const id = await oneJoinedJob(cluster);
  await published(cluster, lines, (rows) => rows[0]?.state === 'running');
  writeFileSync(join(dir, 'qstat-down'), '');
  await said(/qstat -u \S+ failed \(exit 1\): qstat: cannot reach the server/);
  const stale = await published(cluster, lines, (rows) => rows[0]?.state !== 'running');
  t.match(stale.rows[0], { job: id, state: /^running \(stale: as listed at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\)$/ }, 'the job\'s row says its state is the last listed, and when');
  t.match(stale.counts.listing, /^stale: the batch system has not listed the jobs since \S+Z \(failing since \S+Z: qstat -u \S+ failed \(exit 1\): qstat: cannot reach the server\); the live jobs' states are the last listed$/, 'the counts say why');
  // jobList said `running` with nothing to tell it was the last listing's, not the batch system's now.
  t.match(cluster.listingStale, /^the batch system has not listed the jobs since \S+Z \(failing since \S+Z: qstat -u \S+ failed \(exit 1\): qstat: cannot reach the server\)$/, 'the cluster says its jobList is the last listed, and why');
  const listedAt = cluster.jobList.find((j) => j.id === id)?.listedAt;
  t.ok(listedAt !== undefined && new Date(listedAt).toISOString().replace(/\.\d+Z$/, 'Z') <= /since (\S+Z) \(/.exec(cluster.listingStale!)![1]!, `the job says when it was last listed (${listedAt}), not later than the listing it is stale since`);
  rmSync(join(dir, 'qstat-down'));
  t.match(await said(/lists the jobs again/), /^pbs cluster: the batch system lists the jobs again after \d+ s of failed looks \(the last: qstat -u \S+ failed \(exit 1\): qstat: cannot reach the server\); the dashboard's job states are current again$/);
  const back = await published(cluster, lines, (rows, counts) => rows[0]?.state === 'running' && !('listing' in counts));
  t.match(back.rows[0], { job: id, state: 'running' }, 'current again');
  t.equal(cluster.listingStale, undefined, 'the jobList is current again');
  t.ok(cluster.jobList.find((j) => j.id === id)!.listedAt! > listedAt!, 'listed again since');
  await cluster.close();
});
