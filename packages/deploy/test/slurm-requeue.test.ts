import t from 'tap';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { remoteFrom } from '@gluon/client';
import { SlurmCluster } from '@gluon/deploy';
import { fixtures, holdSlurm, printLinesIfFailed, removeJobLogsAfter, repo, slurmMissing, within } from './helpers.js';

/**
 * `scontrol requeue` of a running job on the real Slurm of scripts/setup-slurm.sh (skipped, saying
 * why, where there is none): Slurm stops the job's worker and puts the job back in the queue
 * (PENDING, BeginTime 120 s ahead). The cluster logs it as requeued, counts it as a pending job
 * (no replacement is submitted), not as a worker and not as a failure, and its worker joins again
 * when it reruns. Before, nothing was said, and the job kept `joined` from its first run.
 */
/**
 * Resolves once the clock is in a later whole second than `ms`, a Date.now() read after `scontrol
 * requeue` returned. The requeue's kill revokes the job's credential on the node as of that second
 * (slurmctld stamps the kill within the requeue call), and slurmd refuses to launch the job again
 * with a credential not newer in whole seconds (`ctime <= revoked`): slurmctld logs 'Killing
 * non-startable batch JobId=…: Job credential revoked' and ends the job FAILED, exit code 1:0, before
 * its script runs. Slurm's requeue holds the job (BeginTime 121 s ahead) for this very reason
 * (job_mgr.c: "The time stamp on the new batch launch credential must be larger than the time stamp
 * on the revoke request"); the tests' `StartTime=now` skips that hold, so it waits for this instead.
 */
async function laterSecondThan(ms: number): Promise<void> {
  const next = (Math.floor(ms / 1000) + 1) * 1000;
  while (Date.now() < next) await new Promise((r) => setTimeout(r, next - Date.now()));
}

const why = slurmMissing(true);
if (why) {
  t.skip(`SlurmCluster and a requeued job: ${why}`, () => {});
} else {
  await holdSlurm();
  const work = mkdtempSync(join(tmpdir(), 'gluon-slurm-requeue-'));
  removeJobLogsAfter(t, work);
  // The real sbatch, each submission noted: a replacement submitted and then cancelled as a
  // surplus once the requeued job ran again would leave no other trace.
  const submissions = join(work, 'submissions');
  const real = execFileSync('bash', ['-c', 'command -v sbatch'], { encoding: 'utf8' }).trim();
  writeFileSync(join(work, 'sbatch'), `#!/usr/bin/env bash\necho "$*" >> ${JSON.stringify(submissions)}\nexec ${JSON.stringify(real)} "$@"\n`);
  chmodSync(join(work, 'sbatch'), 0o755);
  process.env.PATH = `${work}:${process.env.PATH}`;
  // Each job's output file holds all its runs (by default Slurm empties it when a requeued job
  // runs again); printed if the test fails.
  const APPEND = '--open-mode=append';

  t.test('scontrol requeue of a running job: logged as requeued, pending, not replaced nor failed; its worker joins again', async (t) => {
    const lines: string[] = [];
    printLinesIfFailed(t, lines);
    const waiters: { re: RegExp; resolve: (line: string) => void }[] = [];
    /** Resolves with the first log line matching `re` (said before or after). */
    const said = (re: RegExp) => within(new Promise<string>((resolve) => {
      const seen = lines.find((l) => re.test(l));
      if (seen) resolve(seen);
      else waiters.push({ re, resolve });
    }), `a log line ${re}`);
    const cluster = await SlurmCluster.start({
      host: '127.0.0.1', cores: 1, memory: '512MiB', walltime: '00:10:00', cwd: repo, logDirectory: work, pollIntervalMs: 500, jobName: 'gluon-rq',
      token: 'slurm-requeue-test', maxFailedJobs: 1, jobExtra: [APPEND],
      log: (l) => { lines.push(l); for (const w of waiters.filter((x) => x.re.test(l))) w.resolve(l); },
    });
    t.teardown(() => cluster.close());
    await cluster.scale(1);
    await cluster.waitForWorkers(1, 240_000);
    const id = cluster.jobList[0]!.id;
    t.ok(cluster.jobList[0]!.joined, `job ${id}'s worker joined`);

    execFileSync('scontrol', ['requeue', id]);
    const requeuedBy = Date.now();
    const line = await said(/was requeued/);
    t.equal(line, `slurm cluster: job ${id} was requeued: its worker has left, and the job waits in the queue to run again (BeginTime); counted as pending, not as a worker nor as a failed job`);
    const [job, ...more] = cluster.jobList;
    t.same(more.map((j) => j.id), [], 'no replacement submitted: the requeued job will run again');
    t.match(job, { id, state: 'pending', requeued: true, requeues: 1, joined: false, retiring: false }, 'the job is pending again, its worker not counted');
    t.same(await cluster.liveWorkerNames(), [], 'its old worker is no worker of the cluster');

    // Slurm holds a requeued job 120 s (its BeginTime); let it start now, in a later second than
    // the requeue. In the same second its launch was refused as revoked, 1 run in 12 here
    // (when the scheduler ran at once), and the job ended FAILED, exit code 1:0.
    await laterSecondThan(requeuedBy);
    execFileSync('scontrol', ['update', `JobId=${id}`, 'StartTime=now']);
    await cluster.waitForWorkers(1, 240_000);
    t.same(cluster.jobList.map((j) => j.id), [id], 'one job');
    t.match(cluster.jobList[0], { id, state: 'running', requeued: false, requeues: 1, joined: true }, 'the same job runs again, its worker joined');
    t.equal(readFileSync(submissions, 'utf8').trim().split('\n').length, 1, 'one submission in all: no replacement was submitted');
    t.same(lines.filter((l) => /ended before|gave up|not submitting/.test(l)), [], 'no failure said');
    const failed = await Promise.race([cluster.whenFailed(), Promise.resolve(undefined)]);
    t.equal(failed, undefined, 'the cluster did not give up (maxFailedJobs 1)');
    t.equal(lines.filter((l) => /was requeued/.test(l)).length, 1, 'the requeue was said once');
  });

  t.test('scontrol requeue of a job whose worker takes a while to leave: the replacement is the surplus cancelled, said once; the requeued job runs again', async (t) => {
    // The worker finishes its running task before it leaves (Slurm lists the job R, then CG,
    // meanwhile): seen retiring, it is replaced; once the job is pending again one job is too many.
    // Before, the look cancelled the newest pending job, the requeued one, with nothing said.
    const lines: string[] = [];
    printLinesIfFailed(t, lines);
    const cluster = await SlurmCluster.start({
      host: '127.0.0.1', cores: 1, memory: '512MiB', walltime: '00:10:00', cwd: repo, logDirectory: work, pollIntervalMs: 500, jobName: 'gluon-rq2',
      token: 'slurm-requeue-test', maxFailedJobs: 1, jobExtra: [APPEND], workerExtraArgs: ['--allow-module', join(fixtures, 'gated-task.mjs')],
      log: (l) => lines.push(l),
    });
    t.teardown(() => cluster.close());
    const until = async (what: string, ok: () => boolean) => {
      for (let i = 0; i < 2400 && !ok(); i++) await new Promise((r) => setTimeout(r, 100));
      if (!ok()) throw new Error(`${what}: not after 240 s; jobs ${JSON.stringify(cluster.jobList)}; log ${JSON.stringify(lines)}`);
    };
    await cluster.scale(1);
    await cluster.waitForWorkers(1, 240_000);
    const id = cluster.jobList[0]!.id;
    const gate = join(work, `gate-${id}`);
    const client = await cluster.client();
    const { untilFile } = remoteFrom<typeof import('./fixtures/gated-task.mjs')>(pathToFileURL(join(fixtures, 'gated-task.mjs')));
    const task = client.submit(untilFile, gate, `${gate}.started`);
    await until('the gated task running on the worker', () => existsSync(`${gate}.started`));
    const before = readFileSync(submissions, 'utf8');
    execFileSync('scontrol', ['requeue', id]);
    const requeuedBy = Date.now();
    // Slurm SIGKILLs it KillWait (5 s here) after the SIGTERM: about ten looks see it retiring.
    await until('the requeue said', () => lines.some((l) => /was requeued/.test(l)));
    writeFileSync(gate, '');
    void task.result().catch(() => {});
    await until('one job left', () => cluster.jobList.length === 1);
    t.same(cluster.jobList.map((j) => j.id), [id], 'the requeued job is kept');
    t.match(cluster.jobList[0], { state: 'pending', requeued: true, rerun: true }, 'pending, to run again');
    const cancels = lines.filter((l) => /cancel/.test(l));
    t.equal(cancels.length, 1, 'one cancel said');
    t.match(cancels[0], new RegExp(`^slurm cluster: cancelled job\\(s\\) \\d+ \\((running|pending)\\) as a surplus: 2 working job\\(s\\) listed for a target of 1: job\\(s\\) ${id} were requeued by the batch system after their retiring worker had been replaced; kept to run again, the replacement is the surplus$`), 'the cancel is said once, with the job and why');
    t.equal(readFileSync(submissions, 'utf8').slice(before.length).trim().split('\n').length, 1, 'one replacement submitted');
    await laterSecondThan(requeuedBy);
    execFileSync('scontrol', ['update', `JobId=${id}`, 'StartTime=now']);
    await until('the requeued job running again, its worker joined', () => cluster.jobList.length === 1 && cluster.jobList[0]!.joined);
    t.match(cluster.jobList, [{ id, state: 'running', requeued: false, rerun: false, joined: true }], 'the same job runs again');
    t.same(lines.filter((l) => /ended before|gave up|not submitting/.test(l)), [], 'no failure said');
    await cluster.close();
  });
}
