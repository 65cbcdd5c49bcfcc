import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PBSCluster } from '@gluon/deploy';
import { FORGET_AFTER_LOOKS } from '../src/job-cluster.js';
import { MAX_VIEW_ROWS } from '../src/job-view.js';
import { clusterLog, fakePbs, repo, within } from './helpers.js';

/**
 * A long-running cluster submits and ends jobs for as long as it lives (worker lifetimes, adapt,
 * failures): it kept every one it ever submitted in its map of jobs, thousands on a farm, each
 * looked at by every look. An ended job is forgotten a few looks after the batch system stopped
 * listing it; the dashboard's counts still cover every job. With the PBS stand-ins
 * (test/fixtures/pbs-bin): jobs whose `node` is /bin/false end as soon as they start.
 */
const { dir, read } = fakePbs(t);

type Topics = Record<string, { value: unknown }>;

t.test('jobs that keep ending: the map of jobs stays bounded, and the dashboard still counts them all', async (t) => {
  const { lines, log, until } = clusterLog();
  const cluster = await PBSCluster.start({ host: '127.0.0.1', cores: 1, cwd: repo, node: '/bin/false', pollIntervalMs: 100, pendingNoticeMs: Infinity, maxFailedJobs: 10_000, log });
  t.teardown(() => cluster.close());
  // Private, read here only: nothing outside the cluster shows how many jobs it still tracks.
  const tracked = () => (cluster as unknown as { jobs: Map<string, unknown> }).jobs.size;
  const submitted = () => Number(read('seq') || 0);
  const live = 4;
  const from = submitted();
  await cluster.scale(live);
  let most = 0;
  await until('80 jobs submitted', () => {
    most = Math.max(most, tracked());
    return submitted() - from >= 80;
  });
  // Each look ends at most `live` jobs and keeps them FORGET_AFTER_LOOKS looks: a bound that does not grow with time.
  const bound = live * (FORGET_AFTER_LOOKS + 1);
  t.ok(most <= bound, `at most ${bound} jobs tracked at once, seen ${most}, over ${submitted() - from} submitted`);
  await cluster.scale(0);
  const total = submitted() - from;
  // Every job submitted ended, failed (before its worker joined) or cancelled by scale(0) (done).
  const { counts, rows } = await within((async () => {
    for (;;) {
      const { topics } = (await (await fetch(new URL('api/state', cluster.dashboardDirectUrl))).json()) as { topics: Topics };
      const counts = (topics['batch job counts']?.value ?? {}) as Record<string, number>;
      const rows = (topics['batch jobs']?.value ?? []) as unknown[];
      if ((counts.failed ?? 0) + (counts.done ?? 0) === total && counts.pending === 0 && counts.running === 0) return { counts, rows };
      await new Promise((r) => setTimeout(r, 100));
    }
  })(), `the ${total} jobs counted on the dashboard`);
  t.equal(rows.length, Math.min(total, MAX_VIEW_ROWS), `the newest ended jobs shown, at most ${MAX_VIEW_ROWS} (of ${total})`);
  t.equal(lines.filter((l) => l.includes('ended before its worker joined')).length, counts.failed, 'each failed job said once');
  await cluster.close();
  t.ok(tracked() <= bound, 'closed: still bounded');
});

t.test('a job one listing missed, listed again before it is forgotten, is still the cluster\'s: close() cancels it', async (t) => {
  // Why an ended job is kept FORGET_AFTER_LOOKS looks: forgotten at once, it would run on untracked,
  // its worker connected, until its walltime.
  process.env.FAKE_PBS_QUEUED = '1';
  const { lines, log, until } = clusterLog(() => cluster.jobList);
  const cluster = await PBSCluster.start({ host: '127.0.0.1', cores: 1, cwd: repo, pollIntervalMs: 250, pendingNoticeMs: Infinity, log });
  t.teardown(async () => { delete process.env.FAKE_PBS_QUEUED; await cluster.close(); });
  await cluster.scale(1);
  const [id] = cluster.jobList.map((j) => j.id);
  writeFileSync(join(dir, 'hide-once'), `${id}\n`);
  await until('the job taken for ended', () => lines.some((l) => l.includes(`job ${id} ended before its worker joined`)));
  await until('the job back in the listing', () => cluster.jobList.some((j) => j.id === id));
  const before = read('qdel-calls').trim().split('\n').filter(Boolean).length;
  await cluster.close();
  const calls = read('qdel-calls').trim().split('\n').filter(Boolean).slice(before);
  t.ok(calls.some((c) => c.split(' ').includes(id!)), `close() deleted it (${calls.join('; ') || 'no qdel'})`);
});
