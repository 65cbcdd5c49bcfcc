import t from 'tap';
import { countEndedJob, endedWithoutWorkerLine, gaveUpMessage } from '../src/job-failures.js';
import { parseScontrolEnd } from '../src/slurm.js';
import { parseQstatEnd } from '../src/pbs.js';

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
  t.equal(parseScontrolEnd('JobId=41 JobName=gluon-worker UserId=root(0) JobState=FAILED Reason=NonZeroExitCode Dependency=(null) Requeue=1 Restarts=0 BatchFlag=1 Reboot=0 ExitCode=127:0 RunTime=00:00:00'), 'FAILED, exit code 127:0');
  t.equal(parseScontrolEnd('slurm_load_jobs error: Invalid job id specified'), undefined);
  t.equal(parseQstatEnd('Job Id: 12.server\n    Job_Name = gluon-worker\n    job_state = F\n    Exit_status = 127\n'), 'F, exit status 127');
  t.equal(parseQstatEnd('qstat: Unknown Job Id 12.server'), undefined);
});
