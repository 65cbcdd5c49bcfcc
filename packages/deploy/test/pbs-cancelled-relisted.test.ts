import t from 'tap';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PBSCluster } from '@gluon/deploy';
import { clusterLog, fakePbs, GATED_TASK, gatedTask, printLinesIfFailed, repo } from './helpers.js';

/**
 * A job the cluster cancelled stays cancelled for as long as it is tracked. `scale(1)` of two
 * running jobs cancels one; the batch system lists it while its worker finishes a running task (a
 * held task here; Slurm lists it R, then CG). One listing that misses it (a server failing over,
 * the stand-in's `hide-once`) let the cluster forget that it had cancelled it, and the next listing
 * took it back as a running job of its own: a job too many, cancelled again and said as the
 * cluster's own surplus (`cancelled job(s) … as a surplus: … (a retiring worker seen working
 * again, or a job back in the listing)`), counted ended twice on the dashboard. Seen once on the
 * real Slurm under adapt (7 December 2026): `cancelled job(s) 788_1 (running), 788_0 (running):
 * adapt's target fell to 0 …` said twice for the same jobs.
 */
const { dir, read } = fakePbs(t);

t.test('a cancelled job that one listing missed and the next lists again stays cancelled: said and counted once', async (t) => {
  const { lines, log, until } = clusterLog(() => cluster.jobList);
  printLinesIfFailed(t, lines);
  const cluster = await PBSCluster.start({ host: '127.0.0.1', cores: 1, cwd: repo, pollIntervalMs: 250, pendingNoticeMs: Infinity, workerExtraArgs: ['--allow-module', GATED_TASK], log });
  t.teardown(() => cluster.close());
  await cluster.scale(2);
  await cluster.waitForWorkers(2);
  // A task held on each worker (one thread each): whichever job scale(1) cancels, its worker
  // finishes the task before it leaves, and qstat lists the job meanwhile.
  const tasks = [await gatedTask(cluster, join(dir, 'gate-a'), until), await gatedTask(cluster, join(dir, 'gate-b'), until)];
  const both = cluster.jobList.map((j) => j.id);
  await cluster.scale(1);
  const kept = cluster.jobList.map((j) => j.id);
  t.equal(kept.length, 1, 'scale(1) keeps one job');
  const gone = both.find((id) => !kept.includes(id))!;
  const looks = () => read('qstat-u').split('\n').filter(Boolean).length;
  // A look that listed the cancelled job (its worker still runs the held task).
  const after = looks();
  await until(`a look after scale(1), job ${gone} still running`, () => looks() >= after + 2);
  t.ok(existsSync(join(dir, 'jobs', `${gone}.pid`)), `job ${gone} is still listed (its worker finishes its task)`);
  // One listing misses it, and the next lists it again.
  writeFileSync(join(dir, 'hide-once'), `${gone}\n`);
  await until('the listing that missed it', () => !existsSync(join(dir, 'hide-once')));
  const missed = looks();
  await until('the look that listed it again, and the start of the next', () => looks() >= missed + 2);
  t.same(lines.filter((l) => /cancelled job\(s\)/.test(l)), [], `no cancel said as the cluster's own: scale(1) asked for job ${gone}'s`);
  t.same(cluster.jobList.map((j) => j.id), kept, `job ${gone} is no job of the cluster again`);
  t.ok(!read('qdel-calls').split('\n').some((c) => c.split(' ').includes(kept[0]!)), `the kept job ${kept[0]} was never deleted`);
  const state = await (await fetch(new URL('api/state', cluster.dashboardDirectUrl))).json() as { topics: Record<string, { value: unknown }> };
  const rows = state.topics['batch jobs']!.value as { job: string; ended: string }[];
  t.same(rows.filter((r) => r.job === gone).map((r) => r.ended), ['cancelled by this cluster (fewer jobs wanted)'], `one row for job ${gone} on the dashboard`);
  t.match(state.topics['batch job counts']!.value, { done: 1, failed: 0 }, 'counted ended once');
  for (const task of tasks) task.open();
  for (const task of tasks) await task.result().catch(() => {});
  await cluster.close();
});
