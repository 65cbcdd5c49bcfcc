import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalCluster } from '@gluon/client';
import { SlurmCluster } from '@gluon/deploy';
import { clusterLog, holdSlurm, oneJoinedJob, slurmJobOptions, slurmMissing } from './helpers.js';

/**
 * A frozen node, on the real Slurm of scripts/setup-slurm.sh (skipped, saying why, where there is
 * none): `scontrol suspend` stops the running job's processes (SIGSTOP), as a hung node would. Its
 * worker stops answering, the scheduler drops it after its heartbeat TTL (4 s here: the cluster
 * attaches to a scheduler of the test's own), and the job stays listed running (squeue: S). The
 * cluster says so once, does not replace the job, and says when the worker is back after
 * `scontrol resume`. Before, nothing was said: one worker fewer, in silence, until the walltime.
 */
const why = slurmMissing(true);
if (why) {
  t.skip(`SlurmCluster and a suspended job: ${why}`, () => {});
} else {
  await holdSlurm();
  const work = mkdtempSync(join(tmpdir(), 'gluon-slurm-suspend-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));

  t.test('scontrol suspend of a running job: its absent worker said once, the job not replaced, its return said', async (t) => {
    const local = await LocalCluster.start({ nWorkers: 0, host: '127.0.0.1', heartbeatTtl: '4s' });
    t.teardown(() => local.close());
    const { lines, log, said } = clusterLog();
    const cluster = await SlurmCluster.start({
      ...slurmJobOptions(work, 'gluon-susp'), scheduler: local.schedulerAddress, dashboardUrl: local.dashboardDirectUrl!, jobArrays: false, log,
      // Said 2 s after the scheduler dropped the worker (its heartbeat TTL, 4 s here), not the default 15 s.
      absentNoticeMs: 2000,
    });
    t.teardown(() => cluster.close());
    const id = await oneJoinedJob(cluster);

    execFileSync('scontrol', ['suspend', id]);
    const line = await said(/left the scheduler/);
    t.match(line, new RegExp(`^slurm cluster: job ${id} is running but its worker gluon-susp-${id} left the scheduler \\d+ s ago without saying it was leaving .*\\(scancel ${id} to replace it now\\)$`));
    t.equal(execFileSync('squeue', ['--noheader', '--format=%t', `--jobs=${id}`], { encoding: 'utf8' }).trim(), 'S', 'squeue lists it suspended');
    t.same(cluster.jobList.map((j) => [j.id, j.state]), [[id, 'running']], 'not replaced: one job, still running');
    t.same(await cluster.liveWorkerNames(), [], 'its worker is not counted');

    execFileSync('scontrol', ['resume', id]);
    t.match(await said(/is connected again/), new RegExp(`^slurm cluster: job ${id}'s worker gluon-susp-${id} is connected again after \\d+ s away$`));
    await cluster.waitForWorkers(1, 240_000);
    t.same(cluster.jobList.map((j) => j.id), [id], 'the same job, one submission in all');
    t.equal(lines.filter((l) => /left the scheduler/.test(l)).length, 1, 'said once');
  });
}
