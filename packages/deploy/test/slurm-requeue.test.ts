import t from 'tap';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SlurmCluster } from '@gluon/deploy';
import { clusterLog, GATED_TASK, gatedTask, holdSlurm, oneJoinedJob, printLinesIfFailed, removeJobLogsAfter, slurmJobOptions, slurmMissing } from './helpers.js';

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

/**
 * Resolves once squeue lists job `id` as `state` (compact), polling; rejects after a generous bound.
 * A requeued job is listed CG until its stopped run has ended, then PD: a StartTime=now given while
 * it is CG is undone as the requeue completes (Slurm then sets BeginTime 121 s ahead again).
 */
async function untilListed(id: string, state: string): Promise<void> {
  const listed = () => execFileSync('squeue', ['-h', '-j', id, '-o', '%t'], { encoding: 'utf8' }).trim();
  for (let i = 0; i < 2400 && listed() !== state; i++) await new Promise((r) => setTimeout(r, 100));
  if (listed() !== state) throw new Error(`job ${id}: squeue lists it "${listed()}", not ${state}, after 240 s`);
}

/**
 * `scontrol requeue` of a running job on the real Slurm of scripts/setup-slurm.sh (skipped, saying
 * why, where there is none): Slurm stops the job's worker and puts the job back in the queue
 * (PENDING, BeginTime 120 s ahead). The cluster logs it as requeued, counts it as a pending job
 * (no replacement is submitted), not as a worker and not as a failure, and its worker joins again
 * when it reruns. Before, nothing was said, and the job kept `joined` from its first run.
 */
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
    const { lines, log, said } = clusterLog();
    printLinesIfFailed(t, lines);
    const cluster = await SlurmCluster.start({ ...slurmJobOptions(work, 'gluon-rq'), token: 'slurm-requeue-test', maxFailedJobs: 1, jobExtra: [APPEND], log });
    t.teardown(() => cluster.close());
    const id = await oneJoinedJob(cluster);
    t.ok(cluster.jobList[0]!.joined, `job ${id}'s worker joined`);

    execFileSync('scontrol', ['requeue', id]);
    const requeuedBy = Date.now();
    const line = await said(/was requeued/);
    // Said at the first look after the requeue: Slurm counts it at once (RestartCnt), while it
    // still lists the stopped run CG (no reason then) or already PD (reason BeginTime).
    t.match(line, new RegExp(`^slurm cluster: job ${id} was requeued: its worker leaves, and the job waits in the queue to run again( \\(BeginTime\\))?; counted as pending, not as a worker nor as a failed job$`));
    const [job, ...more] = cluster.jobList;
    t.same(more.map((j) => j.id), [], 'no replacement submitted: the requeued job will run again');
    t.match(job, { id, state: 'pending', requeued: true, requeues: 1, joined: false, retiring: false }, 'the job is pending again, its worker not counted');
    t.same(await cluster.liveWorkerNames(), [], 'its old worker is no worker of the cluster');

    // Slurm holds a requeued job 120 s (its BeginTime); let it start now, in a later second than
    // the requeue. In the same second its launch was refused as revoked, 1 run in 12 here
    // (when the scheduler ran at once), and the job ended FAILED, exit code 1:0.
    await untilListed(id, 'PD');
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

  t.test('scontrol requeue of a job whose worker takes a while to leave: requeued at once by its restart count, not replaced; it runs again', async (t) => {
    // The worker finishes its running task before it leaves, and Slurm lists the job CG meanwhile
    // (SIGKILL after KillWait, 5 s here), its restart count already 1. Before, a look in those
    // seconds saw the worker closing, took it for a retiring one and replaced it; once the job was
    // pending again the replacement was cancelled as the surplus (f2a5e87): a job submitted and
    // cancelled for nothing, and with scale(1) a running replacement cancelled while the requeued
    // job waited out its BeginTime. The look now reads the scheduler first and squeue after: the
    // count has risen by the time the worker is seen leaving.
    const { lines, log, until } = clusterLog(() => cluster.jobList, 240_000);
    printLinesIfFailed(t, lines);
    const cluster = await SlurmCluster.start({
      ...slurmJobOptions(work, 'gluon-rq2'), token: 'slurm-requeue-test', maxFailedJobs: 1, jobExtra: [APPEND], workerExtraArgs: ['--allow-module', GATED_TASK], log,
    });
    t.teardown(() => cluster.close());
    const id = await oneJoinedJob(cluster);
    const task = await gatedTask(cluster, join(work, `gate-${id}`), until);
    const before = readFileSync(submissions, 'utf8');
    execFileSync('scontrol', ['requeue', id]);
    const requeuedBy = Date.now();
    // Said while the worker still runs its task (the gate is shut until then).
    await until('the requeue said', () => lines.some((l) => /was requeued/.test(l)));
    t.match(cluster.jobList, [{ id, state: 'pending', requeued: true, rerun: false, retiring: false }], 'requeued while its worker finishes its task: pending, not retiring, no replacement');
    task.open();
    void task.result().catch(() => {});
    await untilListed(id, 'PD');
    t.same(cluster.jobList.map((j) => j.id), [id], 'the requeued job is the only one');
    t.same(lines.filter((l) => /cancel/.test(l)), [], 'nothing cancelled');
    t.equal(readFileSync(submissions, 'utf8'), before, 'no replacement submitted');
    await laterSecondThan(requeuedBy);
    execFileSync('scontrol', ['update', `JobId=${id}`, 'StartTime=now']);
    await until('the requeued job running again, its worker joined', () => cluster.jobList.length === 1 && cluster.jobList[0]!.joined);
    t.match(cluster.jobList, [{ id, state: 'running', requeued: false, rerun: false, joined: true }], 'the same job runs again');
    t.equal(readFileSync(submissions, 'utf8'), before, 'still no replacement submitted');
    t.same(lines.filter((l) => /ended before|gave up|not submitting/.test(l)), [], 'no failure said');
    t.equal(lines.filter((l) => /was requeued/.test(l)).length, 1, 'the requeue was said once');
    await cluster.close();
  });
}
