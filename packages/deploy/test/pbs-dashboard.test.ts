import t from 'tap';
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PBSCluster } from '@gluon/deploy';
import { clusterLog, fakePbs, oneJoinedJob, repo } from './helpers.js';

/**
 * The batch jobs on the scheduler's dashboard (job-view.ts), published through the cluster's own
 * client, read back from the scheduler's api/state as the page gets them, with the PBS stand-ins
 * (test/fixtures/pbs-bin). slurm-dashboard.test shows them in chromium against the real Slurm;
 * this one needs neither.
 */
const { dir } = fakePbs(t);

type Topics = Record<string, { value: unknown }>;

t.test('the jobs\' rows and counts reach the scheduler, and follow a job that ends', async (t) => {
  const { lines, log } = clusterLog();
  const cluster = await PBSCluster.start({ host: '127.0.0.1', cores: 1, cwd: repo, pollIntervalMs: 250, log });
  t.teardown(() => cluster.close());
  /** Waits (bounded generously) for the published topics to satisfy `ok`; returns them. */
  const published = async (ok: (rows: Record<string, string>[], counts: Record<string, number>) => boolean) => {
    let topics: Topics = {};
    for (let i = 0; i < 1200; i++) {
      topics = ((await (await fetch(new URL('api/state', cluster.dashboardDirectUrl))).json()) as { topics: Topics }).topics;
      const rows = (topics['batch jobs']?.value ?? []) as Record<string, string>[];
      const counts = (topics['batch job counts']?.value ?? {}) as Record<string, number>;
      if (ok(rows, counts)) return { rows, counts };
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`not published after 120 s: ${JSON.stringify(topics)}; log ${JSON.stringify(lines)}`);
  };
  const first = await oneJoinedJob(cluster);
  const running = await published((rows) => rows[0]?.worker === `gluon-worker-${first}`);
  t.match(running.rows, [{ job: first, state: 'running', worker: `gluon-worker-${first}`, ended: '' }], 'the job, running, naming its worker');
  t.same(running.counts, { pending: 0, running: 1, requeued: 0, failed: 0, done: 0 });

  // Ended from outside (qdel by the user): shown done, and its replacement live.
  execFileSync('qdel', [first]);
  const after = await published((rows, counts) => counts.done === 1 && rows.some((r) => r.job !== first && r.state === 'running'));
  t.match(after.rows.find((r) => r.job === first), { state: 'done', worker: `gluon-worker-${first}` }, 'the qdel\'d job shows done, with the worker it ran');
  t.same(lines.filter((l) => l.includes('cannot show its jobs')), [], 'every publish went through');
  await cluster.close();
});

t.test('while qstat fails the rows say they are the last listed, with when and why; current again once it answers', async (t) => {
  // They kept the last listing's states as if current: a job that ended meanwhile still running.
  const { lines, log, said } = clusterLog();
  const cluster = await PBSCluster.start({ host: '127.0.0.1', cores: 1, cwd: repo, pollIntervalMs: 250, log });
  t.teardown(() => cluster.close());
  const published = async (ok: (rows: Record<string, string>[], counts: Record<string, unknown>) => boolean) => {
    let topics: Topics = {};
    for (let i = 0; i < 1200; i++) {
      topics = ((await (await fetch(new URL('api/state', cluster.dashboardDirectUrl))).json()) as { topics: Topics }).topics;
      const rows = (topics['batch jobs']?.value ?? []) as Record<string, string>[];
      const counts = (topics['batch job counts']?.value ?? {}) as Record<string, unknown>;
      if (ok(rows, counts)) return { rows, counts };
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`not published after 120 s: ${JSON.stringify(topics)}; log ${JSON.stringify(lines)}`);
  };
  const id = await oneJoinedJob(cluster);
  await published((rows) => rows[0]?.state === 'running');
  writeFileSync(join(dir, 'qstat-down'), '');
  await said(/qstat -u \S+ failed \(exit 1\): qstat: cannot reach the server/);
  const stale = await published((rows) => rows[0]?.state !== 'running');
  t.match(stale.rows[0], { job: id, state: /^running \(stale: as listed at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\)$/ }, 'the job\'s row says its state is the last listed, and when');
  t.match(stale.counts.listing, /^stale: the batch system has not listed the jobs since \S+Z \(failing since \S+Z: qstat -u \S+ failed \(exit 1\): qstat: cannot reach the server\); the live jobs' states are the last listed$/, 'the counts say why');
  // jobList said `running` with nothing to tell it was the last listing's, not the batch system's now.
  t.match(cluster.listingStale, /^the batch system has not listed the jobs since \S+Z \(failing since \S+Z: qstat -u \S+ failed \(exit 1\): qstat: cannot reach the server\)$/, 'the cluster says its jobList is the last listed, and why');
  const listedAt = cluster.jobList.find((j) => j.id === id)?.listedAt;
  t.ok(listedAt !== undefined && new Date(listedAt).toISOString().replace(/\.\d+Z$/, 'Z') <= /since (\S+Z) \(/.exec(cluster.listingStale!)![1]!, `the job says when it was last listed (${listedAt}), not later than the listing it is stale since`);
  rmSync(join(dir, 'qstat-down'));
  t.match(await said(/lists the jobs again/), /^pbs cluster: the batch system lists the jobs again after \d+ s of failed looks \(the last: qstat -u \S+ failed \(exit 1\): qstat: cannot reach the server\); the dashboard's job states are current again$/);
  const back = await published((rows, counts) => rows[0]?.state === 'running' && !('listing' in counts));
  t.match(back.rows[0], { job: id, state: 'running' }, 'current again');
  t.equal(cluster.listingStale, undefined, 'the jobList is current again');
  t.ok(cluster.jobList.find((j) => j.id === id)!.listedAt! > listedAt!, 'listed again since');
  await cluster.close();
});
