import t from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { PBSCluster } from '@gluon/deploy';
import { PBS_NO_HISTORY } from '../src/pbs.js';
import { fetchLoad } from '../src/adapt.js';
import { running } from '../../../test/helpers/process-tree.js';
import { clusterLog, endWithoutClose, fakePbs, GATED_TASK, gatedTask, oneJoinedJob, repo, sumThrough, within } from './helpers.js';

/**
 * PBSCluster against stand-ins for qsub/qstat/qdel (test/fixtures/pbs-bin) that run each job
 * script on this machine: no PBS server is available here. What is real: the script PBSCluster
 * generates runs as written and its worker joins; scale, close and the job bookkeeping.
 */
const { dir, read, submittedBy, untilWritten } = fakePbs(t);

/**
 * Runs a rerun job again with the stand-in qrun, once the cluster said it was requeued: a look
 * listed it queued (Q) alone, which the stand-in qstat does only once its processes have exited,
 * as qrun needs (it refuses a job still exiting). Tried every 100 ms before, until qrun took it.
 */
function qrunRequeued(id: string): void {
  execFileSync('qrun', [id], { stdio: 'pipe' });
}

// The cases below these five run together: these change what every job of the stand-ins sees
// (qstat failing, the environment qsub reads) or count every cluster's looks (qstat -u calls).
t.test('close() cancels every job even when the job listing fails (qstat killed by the same Ctrl-C)', async (t) => {
  const cluster = await PBSCluster.start({ host: '127.0.0.1', cores: 1, memory: '1GiB', walltime: '00:10:00', queue: 'batch', cwd: repo, pollIntervalMs: 250 });
  t.teardown(() => cluster.close());
  await cluster.scale(1);
  await cluster.waitForWorkers(1, 120_000);
  const ids = cluster.jobList.map((j) => j.id);
  t.equal(ids.length, 1);
  writeFileSync(join(dir, 'qstat-fails'), '3');
  await cluster.close();
  const deleted = readFileSync(join(dir, 'deleted'), 'utf8').trim().split('\n');
  t.ok(deleted.includes(ids[0]!), `qdel was called for ${ids[0]} although qstat failed`);
  t.same(cluster.jobList, [], 'no job left');
});

t.test('qstat -u cuts a long job id (OpenPBS: 15 characters, the last one *): the job is still the one qsub named, not ended', async (t) => {
  // qsub prints 23.pbs-server01.example.org, qstat -u lists 23.pbs-server0*. The cluster looked
  // the listing up by the id qsub printed, so the job seemed to end at every look: it was judged
  // (qstat -x -f), counted as a job that ended without its worker, and another submitted.
  process.env.FAKE_PBS_SERVER = 'pbs-server01.example.org';
  t.teardown(() => { delete process.env.FAKE_PBS_SERVER; });
  const lines: string[] = [];
  const cluster = await PBSCluster.start({ host: '127.0.0.1', cores: 1, cwd: repo, pollIntervalMs: 250, log: (l) => lines.push(l) });
  t.teardown(() => cluster.close());
  const seq = () => Number(read('seq') || 0);
  const looks = () => read('qstat-u').length / 2;
  const before = seq();
  await cluster.scale(1);
  const [id] = cluster.jobList.map((j) => j.id);
  t.match(id, /^\d+\.pbs-server01\.example\.org$/, 'tracked by the id qsub printed');
  // Five looks after one that listed the job running: each would have found it ended.
  await untilWritten('the job listed running', () => cluster.jobList[0]?.state === 'running');
  const from = looks();
  await untilWritten('five more looks', () => looks() >= from + 5);
  t.ok(looks() >= from + 5, 'five more looks');
  t.equal(seq() - before, 1, 'one job submitted in all');
  t.same(cluster.jobList.map((j) => [j.id, j.state]), [[id, 'running']], 'the job is listed running under its own id');
  t.same(lines, [], 'nothing said: no job ended');
  await cluster.waitForWorkers(1, 120_000);
  await cluster.close();
  t.ok(readFileSync(join(dir, 'deleted'), 'utf8').split('\n').includes(id!), 'close() cancelled it by its whole id');
});

t.test('qrerun of a job whose worker takes a while to leave: its worker, closing while the job is listed R, is not taken for a retiring one; no replacement, the job runs again', async (t) => {
  // PBS lists a rerun job R while MOM stops it; its worker, SIGTERM'd and finishing a running task,
  // is seen closing meanwhile. Taken for a retiring worker, it was replaced, and a job too many
  // submitted (what made the first qrerun case flaky under load). Only a worker leaving because its
  // lifetime ended retires; this one's job is taken as listed, and runs again once queued.
  const { lines, log, said, until } = clusterLog(() => cluster.jobList, undefined, untilWritten);
  const cluster = await PBSCluster.start({ host: '127.0.0.1', cores: 1, cwd: repo, pollIntervalMs: 250, maxFailedJobs: 1, workerExtraArgs: ['--allow-module', GATED_TASK], log });
  t.teardown(() => cluster.close());
  const seq = () => Number(read('seq') || 0);
  const looks = () => read('qstat-u').length / 2;
  const before = seq();
  const id = await oneJoinedJob(cluster);
  const task = await gatedTask(cluster, join(dir, `gate-${id}`), until);
  execFileSync('qrerun', [id]);
  // The worker says it is closing, and five looks see it so while its job is still listed R (the task holds it).
  const worker = cluster.jobList[0]!.workerName;
  await untilWritten('its worker said closing on the dashboard', async () => (await fetchLoad(cluster.dashboardDirectUrl!)).closing.includes(worker));
  const from = looks();
  await until('five more looks', () => looks() >= from + 5);
  t.same(cluster.jobList.map((j) => [j.id, j.state, j.retiring]), [[id, 'running', false]], 'its job is listed running, not retiring');
  t.equal(seq() - before, 1, 'no replacement submitted');
  task.open();
  t.equal(await within(task.result(), 'the gated task'), 'released');
  await said(/was requeued/);
  qrunRequeued(id);
  await cluster.waitForWorkers(1, 120_000);
  t.match(cluster.jobList, [{ id, state: 'running', requeued: false, requeues: 1, joined: true }], 'the rerun job runs again, its worker joined');
  t.equal(seq() - before, 1, 'one submission in all');
  t.notOk(read('deleted').split('\n').includes(id), 'the rerun job was never cancelled');
  t.same(lines.filter((l) => /cancel|ended before|gave up|not submitting/.test(l)), [], 'no cancel nor failure said');
  await cluster.close();
});

t.test('a submission refused on every look (adapt) is logged once, not every look', async (t) => {
  // It was a node warning per look ("(node:PID) Warning: pbs cluster: qsub … failed"), every 2 s
  // for as long as gluon-cluster pbs --adapt ran.
  const lines: string[] = [];
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.message);
  process.on('warning', onWarning);
  process.env.FAKE_PBS_QSUB_FAILS = 'Unauthorized Request (account nope)';
  const refused = join(dir, 'refused');
  const attempts = () => (existsSync(refused) ? readFileSync(refused, 'utf8').split('\n').filter(Boolean).length : 0);
  const before = attempts();
  const cluster = await PBSCluster.start({ host: '127.0.0.1', cores: 1, cwd: repo, pollIntervalMs: 100, log: (l) => lines.push(l) });
  t.teardown(async () => { delete process.env.FAKE_PBS_QSUB_FAILS; process.off('warning', onWarning); await cluster.close(); });
  cluster.adapt({ minimum: 1, maximum: 2, intervalMs: 100 });
  // Wait for five refused submissions (each look submits once: the stand-in qsub counts them in a file).
  await untilWritten('five refused submissions', () => attempts() - before >= 5);
  t.ok(attempts() - before >= 5, `five looks submitted and were refused (${attempts() - before})`);
  const said = lines.filter((l) => l.includes('Unauthorized Request (account nope)'));
  t.equal(said.length, 1, `the refusal is logged once:\n${lines.join('\n')}`);
  t.match(said[0], /^qsub failed \(exit 1\): qsub: Unauthorized Request \(account nope\) \(retrying every 100 ms; said again only if it changes\)$/);
  t.same(warnings.filter((w) => w.includes('Unauthorized')), [], 'no process warnings');
});

t.test('jobs PBS keeps queued are said pending with qstat -f\'s comment as the reason', async (t) => {
  // qstat -u gives no reason: the notice said only "2 job(s) pending for 0 s: 1.x, 2.x".
  const { lines, log, said } = clusterLog();
  process.env.FAKE_PBS_QUEUED = '1';
  // Long enough for the fake qstat -f to wrap it onto a tab-indented line, as PBS does.
  process.env.FAKE_PBS_COMMENT = 'Not Running: Insufficient amount of resource: ncpus (R: 1 A: 0 T: 2)';
  const cluster = await PBSCluster.start({ host: '127.0.0.1', cores: 1, cwd: repo, pollIntervalMs: 100, pendingNoticeMs: 0, log });
  t.teardown(async () => { delete process.env.FAKE_PBS_QUEUED; delete process.env.FAKE_PBS_COMMENT; await cluster.close(); });
  cluster.scale(2);
  await said(/pending for/);
  const pending = lines.filter((l) => l.includes('pending for'));
  t.equal(pending.length, 1, `said once:\n${lines.join('\n')}`);
  t.match(pending[0], /^pbs cluster: 2 job\(s\) pending for \d+ s: \d+\.fakepbs, \d+\.fakepbs \(Not Running: Insufficient amount of resource: ncpus \(R: 1 A: 0 T: 2\)\)$/);
});

t.test('cases that share nothing but the stand-ins, run together: each waits on its own cluster\'s events', { jobs: 4 }, async (t) => {
  t.test('jobs start workers that join, run a workload, and scale(0)/close() leave no job', async (t) => {
    const cluster = await PBSCluster.start({ host: '127.0.0.1', cores: 1, memory: '1GiB', walltime: '00:10:00', queue: 'batch', cwd: repo, pollIntervalMs: 250 });
    t.teardown(() => cluster.close());
    await cluster.scale(2);
    t.equal(cluster.jobList.length, 2, 'two jobs submitted');
    const ids = cluster.jobList.map((j) => j.id);
    t.same(submittedBy(cluster), ids, 'qsub received the two');
    t.equal(read(`jobs/${ids[0]}.sh`), cluster.jobScript(), 'qsub received exactly jobScript()');
    await cluster.waitForWorkers(2, 120_000);
    t.equal(await sumThrough(cluster, 40, 20), (40 * 39) / 2, 'the workload ran on the PBS workers');

    await cluster.scale(0);
    t.same(cluster.jobList, [], 'scale(0) cancelled both jobs');
    // The other cases' jobs are in the stand-ins' files too; this cluster's two, in the order it cancelled them.
    const deleted = read('deleted').trim().split('\n');
    t.same(deleted.filter((id) => ids.includes(id)).sort(), [...ids].sort(), 'qdel was called for each, once');
    await cluster.scale(1);
    await cluster.waitForWorkers(1, 120_000);
    await cluster.close();
    t.same(cluster.jobList, [], 'close() cancelled the last job');
    for (const f of submittedBy(cluster).map((id) => `${id}.pid`)) {
      const pid = Number(read(`jobs/${f}`));
      // The stand-in writes jobs/ID.ended once the job's process has exited (pbs-start-job.sh).
      await untilWritten(`job ${f.replace('.pid', '')} exiting`, () => !running(pid));
      t.notOk(running(pid), `job ${f.replace('.pid', '')} has exited`);
    }
    t.ok(existsSync(dir));
  });

  t.test('adapt: jobs follow the scheduler\'s load up to the maximum, and back to the minimum when idle', async (t) => {
    const cluster = await PBSCluster.start({ host: '127.0.0.1', cores: 1, cwd: repo, pollIntervalMs: 250 });
    t.teardown(() => cluster.close());
    cluster.adapt({ minimum: 0, maximum: 2, intervalMs: 250, waitCount: 2 });
    t.equal(cluster.jobList.length, 0, 'no load, no jobs');
    const sum = sumThrough(cluster, 80, 30);
    let most = 0;
    // Each qsub writes its job's files: the jobs adapt submits are seen as they are submitted.
    await untilWritten('the maximum of 2 jobs', () => (most = Math.max(most, cluster.jobList.length)) >= 2);
    t.equal(most, 2, 'the load of 80 tasks brought the maximum of 2 jobs');
    t.equal(await sum, (80 * 79) / 2, 'the work ran on the jobs adapt submitted');
    await untilWritten('back to no job', () => cluster.jobList.length === 0);
    t.equal(cluster.jobList.length, 0, 'idle again: back to the minimum of 0 jobs');
    await cluster.close();
  });

  t.test('close() cancels the jobs still listed, not those already ended', async (t) => {
    // It named every job of the cluster's life (thousands on a farm with worker lifetimes), each a
    // request to the batch server and an error; the stand-in qdel, as one stopping at its first
    // error, then left the live job to the second try 10 s later.
    const lines: string[] = [];
    const cluster = await PBSCluster.start({ host: '127.0.0.1', cores: 1, cwd: repo, pollIntervalMs: 250, log: (l) => lines.push(l) });
    t.teardown(() => cluster.close());
    await cluster.scale(1);
    await cluster.waitForWorkers(1, 120_000);
    const [first] = cluster.jobList.map((j) => j.id);
    execFileSync('qdel', [first!]);
    await untilWritten('a replacement listed running', () => cluster.jobList.some((j) => j.id !== first && j.state === 'running'));
    const [replacement, ...more] = cluster.jobList.map((j) => j.id);
    t.ok(replacement && replacement !== first && more.length === 0, `one replacement listed (${replacement})`);
    // Those naming this cluster's jobs: the other cases run beside this one.
    const calls = () => read('qdel-calls').trim().split('\n').filter((c) => c.split(' ').some((id) => id === first || id === replacement));
    const before = calls().length;
    await cluster.close();
    // A job still listed 10 s after its qdel is deleted again (a loaded machine's worker may take that
    // long to exit): what matters is that no call names the ended job.
    const made = calls().slice(before);
    t.equal(made[0], replacement, 'the first qdel names the live job alone');
    t.same(made.filter((c) => c !== replacement), [], `no qdel names the ended job ${first} (${made.length} call(s))`);
    t.same(cluster.jobList, [], 'no job left');
  });

  t.test('the worker of a job the cluster cancelled, still finishing a task, is no live worker of the cluster', async (t) => {
    // It was counted (the job was no longer listed, but still tracked): waitForWorkers(1) returned on
    // it while the job meant to run was still pending (pbs.test's qrerun case, under load).
    const { log } = clusterLog();
    const cluster = await PBSCluster.start({ host: '127.0.0.1', cores: 1, cwd: repo, pollIntervalMs: 250, workerExtraArgs: ['--allow-module', GATED_TASK], log });
    t.teardown(() => cluster.close());
    const id = await oneJoinedJob(cluster);
    const task = await gatedTask(cluster, join(dir, `gate-cancelled-${id}`));
    void task.result().catch(() => {});
    await cluster.scale(0);
    t.same(cluster.jobList, [], 'the job is cancelled');
    // Its worker cannot leave before the gate opens: it is still connected to the scheduler.
    t.same(await cluster.liveWorkerNames(), [], 'its worker is not counted');
    task.open();
    await cluster.close();
  });

  t.test('a worker that is closing (its job SIGTERM\'d, finishing a task) is no live worker: waitForWorkers does not count it', async (t) => {
    // It was counted while it finished its task and handed its results over: waitForWorkers(1)
    // returned on a worker that takes no more tasks (a walltime kill, a preemption, a retirement).
    const { log, until } = clusterLog(() => cluster.jobList, undefined, untilWritten);
    const cluster = await PBSCluster.start({ host: '127.0.0.1', cores: 1, cwd: repo, pollIntervalMs: 250, workerExtraArgs: ['--allow-module', GATED_TASK], log });
    t.teardown(() => cluster.close());
    const id = await oneJoinedJob(cluster);
    const task = await gatedTask(cluster, join(dir, `gate-closing-${id}`), until);
    // Its worker can join before any look has listed the job (looks are slower with the other
    // cases beside this one): the job is still 'pending' then, and the message below names it so.
    await until('its job listed running', () => cluster.jobList[0]?.state === 'running');
    const worker = cluster.jobList[0]!.workerName;
    process.kill(Number(read(`jobs/${id}.pid`)), 'SIGTERM');
    await untilWritten('its worker said closing on the dashboard', async () => (await fetchLoad(cluster.dashboardDirectUrl!)).closing.includes(worker));
    t.same(await cluster.liveWorkerNames(), [], 'not a live worker of the cluster');
    await t.rejects(cluster.waitForWorkers(1, 0), { message: new RegExp(`^pbs cluster: 0 of 1 workers connected after 0 ms; jobs: ${id} running`) }, 'waitForWorkers does not count it');
    task.open();
    await within(task.result(), 'the gated task');
    await cluster.close();
  });

  t.test('logDirectory is created before the first job is submitted, and one that cannot be is refused naming it', async (t) => {
    const logs = join(dir, 'logs-not-yet', 'nested');
    const cluster = await PBSCluster.start({ host: '127.0.0.1', cores: 1, cwd: repo, pollIntervalMs: 250, logDirectory: logs });
    t.teardown(() => cluster.close());
    t.notOk(existsSync(logs), 'nothing is created before a job is submitted');
    await cluster.scale(1);
    t.ok(existsSync(logs), 'the log directory exists once a job was submitted');
    await cluster.close();
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    const bad = await PBSCluster.start({ host: '127.0.0.1', cores: 1, cwd: repo, logDirectory: join(file, 'logs') });
    t.teardown(() => bad.close());
    await t.rejects(bad.scale(1), { message: `pbs cluster: logDirectory ${join(file, 'logs')} cannot be created (ENOTDIR); the jobs write their output there` });
    t.same(bad.jobList, [], 'nothing was submitted');
    // Under /proc no directory can be made, and Node's recursive mkdir spun there for ever (the
    // CLI's `--log-directory /proc/x` hung after printing the scheduler's address).
    if (existsSync('/proc/self')) {
      const proc = await PBSCluster.start({ host: '127.0.0.1', cores: 1, cwd: repo, logDirectory: '/proc/gluon-no-such-dir/logs' });
      t.teardown(() => proc.close());
      await t.rejects(proc.scale(1), { message: 'pbs cluster: logDirectory /proc/gluon-no-such-dir/logs cannot be created (ENOENT); the jobs write their output there' });
      t.same(proc.jobList, [], 'nothing was submitted under /proc');
    }
  });

  t.test('jobs that end before their worker joins are each logged once, and after maxFailedJobs in a row the cluster stops submitting and fails naming the last', async (t) => {
    const lines: string[] = [];
    const logs = join(dir, 'failing-logs');
    // A missing node binary on the compute node: the job ends at once, no worker ever joins.
    const cluster = await PBSCluster.start({ host: '127.0.0.1', cores: 1, cwd: repo, pollIntervalMs: 250, node: '/nonexistent/node', logDirectory: logs, maxFailedJobs: 3, log: (l) => lines.push(l) });
    t.teardown(() => cluster.close());
    await cluster.scale(1);
    const err = await within(cluster.whenFailed(), 'the cluster giving up');
    // The stand-in qstat keeps no ended jobs, as a PBS server without job history: the lines say so.
    const ended = lines.filter((l) => l.includes(`ended before its worker joined (${PBS_NO_HISTORY}); read `));
    const ids = ended.map((l) => /job (\S+) ended/.exec(l)![1]!);
    t.equal(ids.length, 3, `three jobs logged: ${ids.join(', ')}`);
    t.equal(new Set(ids).size, 3, 'each job once');
    for (const id of ids) {
      const seq = id.split('.')[0];
      t.ok(ended.some((l) => l.includes(`job ${id} `) && l.includes(`read ${join(logs, `gluon-worker.o${seq}`)} (errors: ${join(logs, `gluon-worker.e${seq}`)})`)), `the line for ${id} names its output and error files`);
    }
    const last = ids[2]!;
    t.match(err.message, `pbs cluster: 3 jobs in a row ended before their worker joined; not submitting more. The last, job ${last}, ended ${PBS_NO_HISTORY}: read ${join(logs, `gluon-worker.o${last.split('.')[0]}`)}`);
    t.ok(lines.includes(err.message), 'the give-up is logged too');
    const submitted = () => submittedBy(cluster).length;
    const before = submitted();
    await t.rejects(cluster.scale(1), err, 'scale() fails with the same error');
    await t.rejects(cluster.waitForWorkers(1, 120_000), err, 'waitForWorkers() fails with it');
    t.throws(() => cluster.adapt({ maximum: 2 }), err, 'adapt() too');
    t.equal(submitted(), before, 'nothing more was submitted');
    t.same(cluster.jobList, [], 'no job left');
  });

  t.test('a job whose worker joined and then ended is normal churn: not logged, not counted, replaced', async (t) => {
    const lines: string[] = [];
    const cluster = await PBSCluster.start({ host: '127.0.0.1', cores: 1, cwd: repo, pollIntervalMs: 250, maxFailedJobs: 1, log: (l) => lines.push(l) });
    t.teardown(() => cluster.close());
    await cluster.scale(1);
    await cluster.waitForWorkers(1, 120_000);
    const [first] = cluster.jobList.map((j) => j.id);
    // The job ends (killed by the batch system, say) after its worker joined.
    process.kill(-Number(readFileSync(join(dir, 'jobs', `${first}.pid`), 'utf8')), 'SIGKILL');
    await untilWritten('a replacement submitted', () => cluster.jobList.some((j) => j.id !== first));
    const next = cluster.jobList.find((j) => j.id !== first);
    t.ok(next, `job ${next?.id} replaces ${first}: with maxFailedJobs 1 the cluster did not give up`);
    t.same(lines, [], 'nothing logged for a job whose worker had joined');
    await cluster.waitForWorkers(1, 120_000);
    await cluster.close();
  });

  t.test('a job whose worker retired (its lifetime ended) is replaced: scale(n) keeps n jobs', async (t) => {
    const lines: string[] = [];
    // No walltime here: the lifetime is given, short, so the job ends by its worker retiring.
    const cluster = await PBSCluster.start({ host: '127.0.0.1', cores: 1, cwd: repo, pollIntervalMs: 250, maxFailedJobs: 1, lifetime: '3s', log: (l) => lines.push(l) });
    t.teardown(() => cluster.close());
    t.match(cluster.jobScript(), /--lifetime 3s --death-timeout 1m$/m, 'the job script shows the lifetime (and the default death timeout)');
    await cluster.scale(1);
    await cluster.waitForWorkers(1, 120_000);
    const [first] = cluster.jobList.map((j) => j.id);
    // Its worker retires by itself after 3 s; the job ends, and the next look submits another.
    await untilWritten('a replacement submitted', () => cluster.jobList.some((j) => j.id !== first));
    const next = cluster.jobList.find((j) => j.id !== first);
    t.ok(next, `job ${next?.id} replaces ${first}, whose worker retired`);
    const out = readFileSync(join(dir, 'jobs', `${first}.out`), 'utf8');
    t.match(out, /lifetime of 3\.0 s reached: handing back queued work/, 'the first job ended by its lifetime');
    t.same(lines, [], 'a retired job is normal churn: nothing logged, not counted as a failure');
    await cluster.waitForWorkers(1, 120_000);
    await cluster.close();
  });

  t.test('qrerun of a running job: logged as requeued once, counted pending, not replaced nor failed; its worker joins again', async (t) => {
    // PBS's qrerun (the stand-in acts as OpenPBS's req_rerun.c and MOM do): the job's processes get
    // SIGTERM, it is listed running until they exit, then queued (Q) under the same id; qrun starts it again.
    const { lines, log, said } = clusterLog();
    const cluster = await PBSCluster.start({ host: '127.0.0.1', cores: 1, cwd: repo, pollIntervalMs: 250, maxFailedJobs: 1, log });
    t.teardown(() => cluster.close());
    const id = await oneJoinedJob(cluster);
    execFileSync('qrerun', [id]);
    t.equal(await said(/was requeued/), `pbs cluster: job ${id} was requeued: its worker leaves, and the job waits in the queue to run again; counted as pending, not as a worker nor as a failed job`);
    t.match(cluster.jobList.find((j) => j.id === id), { state: 'pending', requeued: true, requeues: 1, joined: false, retiring: false }, 'pending again, its worker not counted');
    t.same(await cluster.liveWorkerNames(), [], 'its old worker is no worker of the cluster');
    qrunRequeued(id);
    await cluster.waitForWorkers(1, 120_000);
    t.same(cluster.jobList.map((j) => j.id), [id], 'one job: the rerun one');
    t.match(cluster.jobList[0], { id, state: 'running', requeued: false, requeues: 1, joined: true }, 'running again, its worker joined');
    t.same(submittedBy(cluster), [id], 'one submission in all: no replacement was submitted');
    t.same(lines.filter((l) => /ended before|gave up|not submitting/.test(l)), [], 'no failure said');
    t.equal(lines.filter((l) => /was requeued/.test(l)).length, 1, 'said once');
    await cluster.close();
  });

  t.test('qrerun of a job whose worker is retiring (its lifetime ended): the pending rerun job, not its running replacement, is the surplus cancelled, and the cancel is said', async (t) => {
    // The worker's lifetime ends while a task holds it: it retires, and its replacement is submitted
    // at once (the stand-in qsub starts it). qrerun then queues the retiring job again once its
    // worker has left: one job is a surplus, and the pending one goes, as any pending job before a
    // running one (a running worker may hold results). f2a5e87 cancelled the running replacement.
    const { lines, log, until } = clusterLog(() => cluster.jobList, undefined, untilWritten);
    const cluster = await PBSCluster.start({ host: '127.0.0.1', cores: 1, cwd: repo, pollIntervalMs: 250, maxFailedJobs: 1, lifetime: '30s', workerExtraArgs: ['--allow-module', GATED_TASK], log });
    t.teardown(() => cluster.close());
    await cluster.scale(1);
    const id = cluster.jobList[0]!.id;
    // Submitted before the worker exists: it runs as the worker registers, which its lifetime counts
    // from. The lifetime (waited out in full) also bounds the rest of the test for the replacement,
    // which has the same lifetime and must not retire before the last look: 30 s, not less, for a
    // loaded machine.
    const task = await gatedTask(cluster, join(dir, `gate-${id}`), until);
    await until('the worker retiring by its lifetime', () => cluster.jobList.find((j) => j.id === id)?.retiring === true);
    await until('a replacement listed running', () => cluster.jobList.some((j) => j.id !== id && j.state === 'running'));
    const replacement = cluster.jobList.find((j) => j.id !== id)!.id;
    const deletedBefore = read('deleted');
    execFileSync('qrerun', [id]);
    task.open();
    t.equal(await within(task.result(), 'the gated task'), 'released');
    // The worker leaves, its job is queued again (requeued), and the look finds one job too many.
    await until('one job left', () => cluster.jobList.length === 1);
    t.same(cluster.jobList.map((j) => j.id), [replacement], 'the running replacement is kept');
    const mine = submittedBy(cluster);
    t.same(read('deleted').slice(deletedBefore.length).trim().split('\n').filter((d) => mine.includes(d)), [id], 'qdel was run for the pending rerun job, and for nothing else of this cluster\'s');
    t.same(lines.filter((l) => /cancel/.test(l)), [
      `pbs cluster: cancelled job(s) ${id} (pending) as a surplus: 2 working job(s) listed for a target of 1: job(s) ${id} were requeued by the batch system after their retiring worker had been replaced, and the replacement is running; a pending job is cancelled before a running one (a running worker may hold results)`,
    ], 'the cancel is said once, with the job and why');
    t.equal(lines.filter((l) => /was requeued/.test(l)).length, 1, 'the requeue said once');
    await cluster.close();
  });

  t.test('a script that ends without close() (Ctrl-C, SIGTERM, an uncaught error) cancels its jobs on the way out', { jobs: 3 }, async (t) => {
    // They stayed queued, or ran with a worker dialling the dead scheduler until their walltime.
    const deleted = () => (existsSync(join(dir, 'deleted')) ? readFileSync(join(dir, 'deleted'), 'utf8').split('\n') : []);
    const listed = () => readdirSync(join(dir, 'jobs')).filter((f) => f.endsWith('.pid'))
      .filter((f) => running(Number(readFileSync(join(dir, 'jobs', f), 'utf8')))).map((f) => f.replace('.pid', ''));
    // Each script has a scheduler and jobs of its own: the three end together.
    for (const how of ['SIGINT', 'SIGTERM', 'throw'] as const) {
      t.test(how, async (t) => {
        const end = await endWithoutClose('pbs', how);
        t.equal(end.ids.length, 2, `${how}: two jobs were submitted (${end.ids.join(', ')})`);
        if (how === 'throw') t.equal(end.code, 1, 'an uncaught error still exits 1');
        else t.equal(end.signal, how, `the script still ended by ${how}`);
        t.same(end.ids.filter((id) => !deleted().includes(id)), [], `${how}: qdel was called for each job`);
        t.match(end.stderr, `pbs cluster: the process is ending without close(): qdel ${end.ids.join(' ')}: done`, 'and it says so');
        await untilWritten(`${how}: the jobs exiting`, () => !end.ids.some((id) => listed().includes(id)));
        t.same(end.ids.filter((id) => listed().includes(id)), [], `${how}: no job is left running`);
        rmSync(end.logDirectory, { recursive: true, force: true });
      });
    }
  });

  t.test('started for other hosts (the default 0.0.0.0), dashboardUrl names this host, and the cluster reads its workers through it', async (t) => {
    // It was http://0.0.0.0:PORT/ (gluon-cluster alone rewrote it): a script printed an address nobody can open.
    const cluster = await PBSCluster.start({ cores: 1, cwd: repo, pollIntervalMs: 250 });
    t.teardown(() => cluster.close());
    t.match(cluster.dashboardUrl, new RegExp(`^http://${hostname().replace(/\./g, '\\.')}:\\d+/$`), `dashboardUrl ${cluster.dashboardUrl}`);
    t.match(cluster.schedulerAddress, new RegExp(`^ws://${hostname().replace(/\./g, '\\.')}:\\d+$`), 'as the scheduler address does');
    await cluster.scale(1);
    await cluster.waitForWorkers(1, 120_000);
    t.equal((await cluster.liveWorkerNames()).length, 1, 'the worker is read from the dashboard at that address');
    await cluster.close();
  });

  t.test('with dashboardLink (a proxy in front), dashboardUrl is the link and the cluster still reads its workers where the dashboard is served', async (t) => {
    // Before, dashboardLink was refused as an unknown option and nothing could name the proxy's address.
    const cluster = await PBSCluster.start({ cores: 1, cwd: repo, pollIntervalMs: 250, dashboardLink: 'http://127.0.0.1:1/proxy/{host}/{port}/' }); // nothing listens at the link's port 1
    t.teardown(() => cluster.close());
    t.match(cluster.dashboardDirectUrl, new RegExp(`^http://${hostname().replace(/\./g, '\\.')}:\\d+/$`), `dashboardDirectUrl ${cluster.dashboardDirectUrl}`);
    t.equal(cluster.dashboardUrl, `http://127.0.0.1:1/proxy/${hostname()}/${new URL(cluster.dashboardDirectUrl!).port}/`);
    await cluster.scale(1);
    await cluster.waitForWorkers(1, 120_000);
    t.equal((await cluster.liveWorkerNames()).length, 1, 'the worker is read from the dashboard where it is served, not through the link');
    await cluster.close();
  });
});
