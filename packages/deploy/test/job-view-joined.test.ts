import t from 'tap';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PBSCluster } from '@gluon/deploy';
import { clusterLog, fakePbs, repo, until } from './helpers.js';

/**
 * The batch jobs' view (job-view.ts) names a job's worker as connected once it joined, even when
 * the look that publishes it read the scheduler before the worker connected: `waitForWorkers`
 * (liveWorkerNames) saw it join in between. Before, that look published its own, older reading of
 * the connected workers beside the job marked joined from the newer one, and the view said
 * "gluon-worker-N (not connected)" of a connected worker until the next look. Forced here with the
 * PBS stand-ins: the worker held in the job's prologue, the look held in qstat -u.
 */
const { dir, submittedBy } = fakePbs(t);

t.test('a worker that joins while a look reads the batch system is shown connected by that look', async (t) => {
  const gates = mkdtempSync(join(tmpdir(), 'gluon-job-view-joined-'));
  t.teardown(() => rmSync(gates, { recursive: true, force: true }));
  const holdWorker = join(gates, 'hold-worker');
  writeFileSync(holdWorker, '');
  const { lines, log } = clusterLog();
  // No timed looks while the test runs (only those scale() asks for): the view read at the end is
  // the held look's.
  const cluster = await PBSCluster.start({
    host: '127.0.0.1', cores: 1, cwd: repo, pollIntervalMs: 3_600_000, log,
    prologue: [`for i in $(seq 2400); do [ -e '${holdWorker}' ] || break; sleep 0.05; done`],
  });
  t.teardown(() => { rmSync(holdWorker, { force: true }); writeFileSync(join(dir, 'qstat-release'), ''); return cluster.close(); });
  await cluster.scale(1);
  const [id] = submittedBy(cluster);
  t.ok(id, 'a job was submitted');

  // The next look reads the scheduler (no worker: it waits in the prologue), then waits in qstat -u.
  writeFileSync(join(dir, 'qstat-hold'), '');
  const look = cluster.scale(1);
  await until('the look to be held in qstat -u', () => existsSync(join(dir, 'qstat-held')), () => lines.join('\n'));
  rmSync(holdWorker);
  await cluster.waitForWorkers(1, 120_000);
  writeFileSync(join(dir, 'qstat-release'), '');
  await look;

  const topics = ((await (await fetch(new URL('api/state', cluster.dashboardDirectUrl))).json()) as { topics: Record<string, { value: unknown }> }).topics;
  const rows = (topics['batch jobs']?.value ?? []) as Record<string, string>[];
  t.match(rows, [{ job: id, state: 'running' }], 'the job, running');
  t.equal(rows[0]?.worker, `gluon-worker-${id}`, 'named by its worker, connected');
  await cluster.close();
});
