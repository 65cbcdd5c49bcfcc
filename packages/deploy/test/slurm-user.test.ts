import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SlurmCluster } from '@gluon/deploy';
import { holdSlurm, repo, slurmMissing } from './helpers.js';

/**
 * USER set but empty (a cron job's or container's environment) made the cluster list its jobs
 * with `squeue --user=`, which lists none: each look took every job for ended and submitted it
 * again, and close() found nothing left to wait for. The jobs are held (`--hold`), so they stay
 * listed whatever the machine's Slurm is busy with, and take no CPU: this file does not wait for
 * the node (holdSlurm). Skips without a running Slurm.
 */
const why = slurmMissing();
if (why) {
  t.skip(`SlurmCluster with an empty USER: ${why}`, () => {});
} else {
  await holdSlurm({ node: false });
  t.test('an empty USER: a second scale(1) keeps the one job, and close() cancels it', async (t) => {
    const work = mkdtempSync(join(tmpdir(), 'gluon-slurm-user-'));
    const name = `gsu-${process.pid}`;
    const listed = () => execFileSync('squeue', ['--array', '-h', '-n', name, '-o', '%i'], { encoding: 'utf8' }).split('\n').filter(Boolean);
    const saved = process.env.USER;
    process.env.USER = '';
    t.teardown(() => {
      if (saved === undefined) delete process.env.USER; else process.env.USER = saved;
      try { execFileSync('scancel', ['-n', name]); } catch { /* none */ }
      rmSync(work, { recursive: true, force: true });
    });
    // Its own scheduler on loopback: attached to an address nothing listens on, each look waited
    // 10 s on the connection that shows the jobs on the dashboard. The held jobs never run.
    const cluster = await SlurmCluster.start({ host: '127.0.0.1', jobName: name, walltime: '00:05:00', memory: '256MiB', cwd: repo, logDirectory: work, jobExtra: ['--hold'] });
    await cluster.scale(1);
    const first = cluster.jobList.map((j) => j.id);
    t.equal(first.length, 1);
    await cluster.scale(1);
    t.same(cluster.jobList.map((j) => j.id), first, 'the same job: it was listed, not taken for ended');
    t.same(listed(), first, 'squeue lists that one job only');
    await cluster.close();
    t.same(listed(), [], 'close() left no job');
  });
}
