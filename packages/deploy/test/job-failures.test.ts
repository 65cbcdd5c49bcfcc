import t from 'tap';
import { countEndedJob, endedWithoutWorkerLine, gaveUpMessage } from '../src/job-failures.js';
import { parseScontrolEnd } from '../src/slurm.js';
import { parseQstatEnd, PBS_NO_HISTORY } from '../src/pbs.js';

t.test('countEndedJob: jobs ending without a worker count up to the limit; one whose worker joined resets the count', async (t) => {
  let n = 0;
  const seen: boolean[] = [];
  for (const joined of [false, false, true, false, false, false]) {
    const r = countEndedJob(n, { joined }, 3);
    n = r.consecutive;
    seen.push(r.giveUp);
  }
  t.same(seen, [false, false, false, false, false, true], 'gives up at the third in a row after the reset, not at the fourth overall');
  t.same(countEndedJob(0, { joined: false }, 1), { consecutive: 1, giveUp: true });
});

t.test('the messages name the job, its final state when known, and the file to read', async (t) => {
  const job = { id: '12_3', joined: false, state: 'FAILED, exit code 127:0', outputFile: '/logs/gluon-worker-12_3.out' };
  t.equal(endedWithoutWorkerLine('slurm', job), 'slurm cluster: job 12_3 ended before its worker joined (FAILED, exit code 127:0); read /logs/gluon-worker-12_3.out');
  t.equal(endedWithoutWorkerLine('pbs', { ...job, state: undefined }), 'pbs cluster: job 12_3 ended before its worker joined; read /logs/gluon-worker-12_3.out');
  t.equal(gaveUpMessage('slurm', 5, job), 'slurm cluster: 5 jobs in a row ended before their worker joined; not submitting more. The last, job 12_3, ended FAILED, exit code 127:0: read /logs/gluon-worker-12_3.out (the worker command is in jobScript())');
});

t.test('final states as scontrol and qstat -x -f print them', async (t) => {
  t.same(parseScontrolEnd('JobId=41 JobName=gluon-worker UserId=root(0) JobState=FAILED Reason=NonZeroExitCode Dependency=(null) Requeue=1 Restarts=0 BatchFlag=1 Reboot=0 ExitCode=127:0 RunTime=00:00:00'), { state: 'FAILED, exit code 127:0', cancelled: false });
  t.equal(parseScontrolEnd('slurm_load_jobs error: Invalid job id specified'), undefined);
  t.same(parseQstatEnd('Job Id: 12.server\n    Job_Name = gluon-worker\n    job_state = F\n    substate = 92\n    Exit_status = 127\n'), { state: 'F, exit status 127', cancelled: false });
  // A server without job history (job_history_enable = False, PBS's default) knows no ended job:
  // said so, and counted, as a qdel cannot be told from a failure. Before: no state, and nothing said why.
  t.same(parseQstatEnd('qstat: Unknown Job Id 12.server'), { state: PBS_NO_HISTORY, cancelled: false });
  t.equal(parseQstatEnd(''), undefined);
  // OpenPBS: MOM kills a job over its walltime with Exit_status -29 (JOB_EXEC_KILL_WALLTIME): FAILED (93), a failure.
  t.same(parseQstatEnd('Job Id: 14.server\n    job_state = F\n    substate = 93\n    Exit_status = -29\n'), { state: 'F, exit status -29', cancelled: false });
});

t.test('a job cancelled before its worker joined (scancel, qdel, or the batch system stopping it) is no failure: it neither counts nor resets', async (t) => {
  const scancelled = parseScontrolEnd('JobId=42 JobName=gluon-worker JobState=CANCELLED Reason=None Dependency=(null) ExitCode=0:0 RunTime=00:00:03');
  t.same(scancelled, { state: 'CANCELLED, exit code 0:0', cancelled: true });
  const qdeleted = parseQstatEnd('Job Id: 13.server\n    Job_Name = gluon-worker\n    job_state = F\n    substate = 91\n    Exit_status = 271\n');
  t.same(qdeleted, { state: 'F deleted (substate 91), exit status 271', cancelled: true });
  // Deleted while queued: no Exit_status; an array's subjob ends in X (expired), not F.
  t.same(parseQstatEnd('Job Id: 15.server\n    job_state = F\n    substate = 91\n'), { state: 'F deleted (substate 91)', cancelled: true });
  t.same(parseQstatEnd('Job Id: 16[2].server\n    job_state = X\n    substate = 91\n    Exit_status = 0\n'), { state: 'X deleted (substate 91), exit status 0', cancelled: true });
  const byCluster = ['PREEMPTED', 'DEADLINE', 'REVOKED', 'CANCELLED+'].map((s) => parseScontrolEnd(`JobId=43 JobState=${s} ExitCode=0:15`)?.cancelled);
  t.same(byCluster, [true, true, true, true], 'stopped by Slurm itself, not by a fault of the job');
  const failures = ['FAILED', 'NODE_FAIL', 'BOOT_FAIL', 'OUT_OF_MEMORY', 'TIMEOUT', 'COMPLETED'].map((s) => parseScontrolEnd(`JobId=44 JobState=${s} ExitCode=1:0`)?.cancelled);
  t.same(failures, [false, false, false, false, false, false], 'real failures (and a job that ended by itself) still count');

  // Two failures, three cancels, one more failure: with limit 3 the third failure gives up, not the cancels.
  let n = 0;
  const giveUps: boolean[] = [];
  for (const cancelled of [false, false, true, true, true, false]) {
    const r = countEndedJob(n, { joined: false, cancelled }, 3);
    n = r.consecutive;
    giveUps.push(r.giveUp);
  }
  t.same(giveUps, [false, false, false, false, false, true]);

  const line = endedWithoutWorkerLine('slurm', { id: '42', joined: false, ...scancelled!, outputFile: '/logs/gluon-worker-42.out' });
  t.equal(line, 'slurm cluster: job 42 was cancelled before its worker joined (CANCELLED, exit code 0:0); not counted as a failed job');
});
