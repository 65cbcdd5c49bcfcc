import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SlurmCluster } from '@gluon/deploy';
import { clusterLog, GATED_TASK, gatedTask, holdSlurm, oneJoinedJob, printLinesIfFailed, removeJobLogsAfter, slurmJobOptions, slurmMissing } from './helpers.js';

/**
 * A walltime shorter than a task, on the real Slurm of scripts/setup-slurm.sh (skipped, saying
 * why, where there is none): a one-minute job whose worker (no lifetime) runs a task that does
 * not end. Slurm kills the job at its walltime (TIMEOUT); the cluster says so, naming the job,
 * its state and the walltime, and why the task would never finish. Before, nothing was said: the
 * task started again on each replacement, each killed in turn, and the client waited in silence
 * (the scheduler does not count a worker that left on SIGTERM against the task).
 */
const why = slurmMissing(true);
if (why) {
  t.skip(`SlurmCluster and a job killed at its walltime: ${why}`, () => {});
} else {
  await holdSlurm();
  const work = mkdtempSync(join(tmpdir(), 'gluon-slurm-walltime-'));
  removeJobLogsAfter(t, work);

  t.test('a job killed at its walltime while its worker runs a task: said once, with the job, TIMEOUT and the walltime', async (t) => {
    const { lines, log, said, until } = clusterLog(() => cluster.jobList, 300_000);
    printLinesIfFailed(t, lines);
    const cluster = await SlurmCluster.start({
      ...slurmJobOptions(work, 'gluon-wt'), walltime: '00:01:00', lifetime: false, token: 'slurm-walltime-test', workerExtraArgs: ['--allow-module', GATED_TASK], log,
    });
    t.teardown(() => cluster.close());
    const id = await oneJoinedJob(cluster);
    const gate = join(work, 'gate');
    const task = await gatedTask(cluster, gate, until);
    // Slurm ends the job within a minute or so of its time limit (it checks limits periodically).
    const line = await said(/killed at its walltime/);
    t.match(line, new RegExp(`^slurm cluster: job ${id} was killed at its walltime 00:01:00 \\(TIMEOUT, exit code \\d+:\\d+\\) with its worker connected; `
      + 'the workers have no lifetime \\(lifetime: false, --lifetime none\\), .*a task that takes longer than the walltime never finishes; raise the walltime'));
    await until('the replacement job submitted', () => cluster.jobList.some((j) => j.id !== id));
    t.equal(lines.filter((l) => /killed at its walltime/.test(l)).length, 1, 'said once');
    t.same(lines.filter((l) => /ended before|gave up/.test(l)), [], 'not taken for a failed job: its worker had joined');
    writeFileSync(gate, '');
    void task.result().catch(() => {});
    await cluster.close();
  });
}
