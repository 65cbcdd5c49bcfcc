import t from 'tap';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SlurmCluster } from '@gluon/deploy';
import { clusterLog, GATED_TASK, gatedTask, holdSlurm, printLinesIfFailed, removeJobLogsAfter, slurmJobOptions, slurmMissing } from './helpers.js';

/**
 * A scale-down on the real Slurm of scripts/setup-slurm.sh (skipped, saying why, where there is
 * none): `scale(1)` of two running jobs cancels one, and Slurm keeps listing it (R, then CG) while
 * its worker finishes its running task, until SIGKILL after KillWait (5 s here). Before, the next
 * look took the job back as a running one of the cluster's ("a job back in the listing"),
 * cancelled it again, logged that as the cluster's own surplus cancel (`cancelled job(s) 943
 * (running) as a surplus: … (a retiring worker seen working again, or a job back in the
 * listing)`, a cause that had not happened) and counted it ended twice: the dashboard's `batch
 * job counts` said `done: 2` for one job, and `batch jobs` had two rows for it.
 */
const why = slurmMissing(true);
if (why) {
  t.skip(`SlurmCluster scale-down: ${why}`, () => {});
} else {
  await holdSlurm();
  const work = mkdtempSync(join(tmpdir(), 'gluon-slurm-scale-down-'));
  removeJobLogsAfter(t, work);
  // The real squeue, each listing kept (one block per call, ended by a line `---`): the test waits
  // for a look that saw the cancelled job still listed, and for the look after it to start.
  const listings = join(work, 'listings');
  const real = execFileSync('bash', ['-c', 'command -v squeue'], { encoding: 'utf8' }).trim();
  writeFileSync(join(work, 'squeue'), `#!/usr/bin/env bash
out=$(${JSON.stringify(real)} "$@"); status=$?
printf '%s\\n---\\n' "$out" >> ${JSON.stringify(listings)}
[ -n "$out" ] && printf '%s\\n' "$out"
exit $status
`);
  chmodSync(join(work, 'squeue'), 0o755);
  process.env.PATH = `${work}:${process.env.PATH}`;
  const calls = () => (existsSync(listings) ? readFileSync(listings, 'utf8').split('---\n').slice(0, -1) : []);

  t.test('scale(1) of two running jobs: the job cancelled stays cancelled while Slurm still lists it; said and counted once', async (t) => {
    const { lines, log, until } = clusterLog(() => cluster.jobList, 240_000);
    printLinesIfFailed(t, lines);
    const token = 'slurm-scale-down-test';
    const cluster = await SlurmCluster.start({ ...slurmJobOptions(work, 'gluon-sd'), token, workerExtraArgs: ['--allow-module', GATED_TASK], log });
    t.teardown(() => cluster.close());
    await cluster.scale(2);
    await cluster.waitForWorkers(2, 240_000);
    // One task held on each worker (one thread each): whichever job scale(1) cancels, its worker
    // finishes a task before it leaves, and Slurm lists the job meanwhile.
    const gates = [join(work, 'gate-a'), join(work, 'gate-b')];
    const tasks = [await gatedTask(cluster, gates[0]!, until), await gatedTask(cluster, gates[1]!, until)];
    const both = cluster.jobList.map((j) => j.id);

    await cluster.scale(1);
    const kept = cluster.jobList.map((j) => j.id);
    t.equal(kept.length, 1, 'scale(1) keeps one job');
    const gone = both.find((id) => !kept.includes(id))!;
    const from = calls().length;
    const listedIn = (block: string) => new RegExp(`^\\s*${gone}\\s`, 'm').test(block);
    // A look after the scale-down that listed the cancelled job, and the start of the next look
    // (looks never overlap: that one has planned, cancelled and logged).
    let seenAt = -1;
    await until(`a look listing the cancelled job ${gone}, and the look after it`, () => {
      const all = calls();
      if (seenAt < 0) seenAt = all.findIndex((b, i) => i >= from && listedIn(b));
      return seenAt >= 0 && all.length > seenAt + 1;
    });
    t.same(lines.filter((l) => /cancelled job\(s\)/.test(l)), [], `no cancel of ${gone} said as the cluster's own: scale(1) asked for it`);
    t.same(cluster.jobList.map((j) => j.id), kept, `job ${gone} is no job of the cluster again`);
    const state = await (await fetch(new URL('api/state', cluster.dashboardDirectUrl), { headers: { authorization: `Bearer ${token}` } })).json() as
      { topics: Record<string, { value: unknown }> };
    const rows = state.topics['batch jobs']!.value as { job: string; ended: string }[];
    t.same(rows.filter((r) => r.job === gone).map((r) => r.ended), ['cancelled by this cluster (fewer jobs wanted)'], `one row for job ${gone} on the dashboard`);
    t.match(state.topics['batch job counts']!.value, { done: 1, failed: 0 }, 'counted ended once');

    for (const g of gates) writeFileSync(g, '');
    await tasks[0]!.result().catch(() => {});
    await tasks[1]!.result().catch(() => {});
    await cluster.close();
  });
}
