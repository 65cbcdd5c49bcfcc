import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SlurmCluster } from '@gluon/deploy';
import { holdSlurm, repo, slurmMissing, within } from './helpers.js';

/**
 * Jobs Slurm does not start (no free CPU, priority, a QOS limit, a hold) left a script waiting for
 * workers silent for minutes. Against the real one-node Slurm of scripts/setup-slurm.sh: held jobs
 * (`--hold`, pending whatever else the machine's Slurm runs) must be said pending, with their ids
 * and squeue's reason, and said started once released. Skips without a running Slurm.
 */
const why = slurmMissing();
if (why) {
  t.skip(`SlurmCluster pending jobs: ${why}`, () => {});
} else {
  await holdSlurm();
  t.test('held jobs: the cluster says they are pending and why, then that they started', async (t) => {
    const work = mkdtempSync(join(tmpdir(), 'gluon-slurm-pending-'));
    const name = `gsp-${process.pid}`;
    const lines: string[] = [];
    const waiters: (() => void)[] = [];
    const log = (line: string) => { lines.push(line); for (const w of waiters.splice(0)) w(); };
    /** The first logged line matching `re`, waited for (a hang bound, not a timing assertion). */
    const lineMatching = (re: RegExp, what: string) => within(new Promise<string>((resolve) => {
      const look = () => { const l = lines.find((x) => re.test(x)); if (l) resolve(l); else waiters.push(look); };
      look();
    }), `${what} (logged so far: ${JSON.stringify(lines)})`);
    const cluster = await SlurmCluster.start({
      host: '127.0.0.1', cores: 1, memory: '256MiB', walltime: '00:10:00', cwd: repo, logDirectory: work, jobName: name,
      jobExtra: ['--hold'], pollIntervalMs: 500, pendingNoticeMs: 1000, log,
    });
    t.teardown(async () => {
      await cluster.close().catch(() => {});
      try { execFileSync('scancel', ['-n', name]); } catch { /* none left */ }
      rmSync(work, { recursive: true, force: true });
    });
    await cluster.scale(2);
    const ids = cluster.jobList.map((j) => j.id);
    const array = /^(\d+)_0$/.exec(ids[0] ?? '')?.[1];
    t.ok(array, `one array job of two tasks (${ids.join(', ')})`);
    const pending = await lineMatching(/pending for/, 'the pending notice');
    t.match(pending, new RegExp(`^slurm cluster: 2 job\\(s\\) pending for \\d+ s: ${array}_0, ${array}_1 \\(JobHeldUser: held by the user`), `said: ${pending}`);
    t.equal(lines.filter((l) => /pending for/.test(l)).length, 1, 'said once while the reason stays');

    execFileSync('scontrol', ['release', array!]);
    const started = await lineMatching(/no job pending any more/, 'the started notice');
    t.match(started, new RegExp(`^slurm cluster: no job pending any more after \\d+ s; started: ${array}_0, ${array}_1$`), `said: ${started}`);
    await cluster.waitForWorkers(2, 180_000);
    await cluster.close();
  });
}
