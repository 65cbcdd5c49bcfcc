import t from 'tap';
import { countEndedJob, endedWithoutWorkerLine, gaveUpMessage } from '../../src/job-failures.js';
import { parseScontrolEnd } from '../../src/slurm.js';
import { parseQstatEnds, PBS_NO_HISTORY, qstatEndStates } from '../../src/pbs.js';
import { BatchCommandError } from '../../src/commands.js';

/** The final state of the one job `qstat -x -f ID` printed, if any. */
const parseQstatEnd = (out: string) => [...parseQstatEnds(out).values()][0];

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
  // Over ssh each host runs its own script (gluon-cluster ssh prints each): jobScript() is only the
  // first worker host's, so the give-up pointed at the wrong one for every other host.
  const session = { id: 'node9-5', joined: false, outputFile: 'what its ssh session printed: ssh: Could not resolve hostname node9: Temporary failure in name resolution' };
  t.equal(gaveUpMessage('ssh', 5, session), 'ssh cluster: 5 jobs in a row ended before their worker joined; not submitting more. The last, job node9-5, ended: read what its ssh session printed: ssh: Could not resolve hostname node9: Temporary failure in name resolution (what runs on each host is in hostScript(host))');
});

t.test('final states as scontrol and qstat -x -f print them', async (t) => {
  t.same(parseScontrolEnd('JobId=41 JobName=gluon-worker UserId=root(0) JobState=FAILED Reason=NonZeroExitCode Dependency=(null) Requeue=1 Restarts=0 BatchFlag=1 Reboot=0 ExitCode=127:0 RunTime=00:00:00'), { state: 'FAILED, exit code 127:0', cancelled: false });
  t.equal(parseScontrolEnd('slurm_load_jobs error: Invalid job id specified'), undefined);
  t.same(parseQstatEnd('Job Id: 12.server\n    Job_Name = gluon-worker\n    job_state = F\n    substate = 92\n    Exit_status = 127\n'), { state: 'F, exit status 127', cancelled: false });
  // A server without job history (job_history_enable = False, PBS's default) knows no ended job:
  // said so, and counted, as a qdel cannot be told from a failure. Before: no state, and nothing said why.
  t.same(parseQstatEnd('qstat: Unknown Job Id 12.server'), { state: PBS_NO_HISTORY, cancelled: false, unknown: true });
  t.equal(parseQstatEnd(''), undefined);
  // OpenPBS: MOM kills a job over its walltime with Exit_status -29 (JOB_EXEC_KILL_WALLTIME): FAILED (93), a failure, and a walltime kill (walltime-kills.ts).
  t.same(parseQstatEnd('Job Id: 14.server\n    job_state = F\n    substate = 93\n    Exit_status = -29\n'), { state: 'F, exit status -29', cancelled: false, walltime: true });
});

/**
 * Torque's qstat -x is XML, not PBS Pro's text: `<?xml version="1.0"?>`, then one line
 * `<Data><Job><Job_Id>…</Job_Id>…</Job></Data>`, each attribute an element (resources nested), its
 * value escaped (&lt; &gt; &amp; &quot; &apos;), the exit status lower-case (exit_status). Written after
 * Torque's source (adaptivecomputing/torque: src/cmds/qstat.c create_full_job_xml and
 * display_statjob, src/cmds/MXML.c MXMLSetVal, pbs_ifl.h's attribute names), as a completed job
 * (state C, kept for keep_completed) whose node binary was missing prints it.
 */
const torqueEnded = (state: string, exit?: string) => '<?xml version="1.0"?>\n<Data><Job><Job_Id>4807.torque01.cluster.example.org</Job_Id>' +
  '<Job_Name>gluon-worker</Job_Name><Job_Owner>ana@login1.cluster.example.org</Job_Owner><resources_used><cput>00:00:00</cput>' +
  '<mem>0kb</mem><vmem>0kb</vmem><walltime>00:00:01</walltime></resources_used>' +
  `<job_state>${state}</job_state><queue>batch</queue><server>torque01.cluster.example.org</server><Checkpoint>u</Checkpoint>` +
  '<ctime>1796424000</ctime><Error_Path>login1.cluster.example.org:/home/ana/gluon-worker.e4807</Error_Path><exec_host>node07/0</exec_host>' +
  '<Hold_Types>n</Hold_Types><Join_Path>n</Join_Path><Keep_Files>n</Keep_Files><Mail_Points>a</Mail_Points><mtime>1796424003</mtime>' +
  '<Output_Path>login1.cluster.example.org:/home/ana/gluon-worker.o4807</Output_Path><Priority>0</Priority><qtime>1796424000</qtime>' +
  '<Rerunable>True</Rerunable><Resource_List><nodes>1:ppn=1</nodes><walltime>00:10:00</walltime><nodect>1</nodect></Resource_List>' +
  '<session_id>21345</session_id><Variable_List>PBS_O_QUEUE=batch,PBS_O_HOME=/home/ana,PBS_O_WORKDIR=/home/ana/run</Variable_List>' +
  '<euser>ana</euser><egroup>ana</egroup><queue_type>E</queue_type>' +
  '<comment>Job started on Fri Dec 04 at 22:40 &amp; &lt;exit_status&gt;0&lt;/exit_status&gt;</comment><etime>1796424000</etime>' +
  `${exit === undefined ? '' : `<exit_status>${exit}</exit_status>`}<submit_args>-</submit_args><start_time>1796424001</start_time>` +
  '<start_count>1</start_count><fault_tolerant>False</fault_tolerant><comp_time>1796424002</comp_time><job_radix>0</job_radix>' +
  '<total_runtime>1.04</total_runtime><submit_host>login1.cluster.example.org</submit_host><init_work_dir>/home/ana/run</init_work_dir>' +
  '<request_version>1</request_version></Job></Data>\n';

t.test('Torque\'s qstat -x (XML): the job state and exit status, never a cancel', async (t) => {
  // Before: parsed as PBS Pro's text, so no state at all ("ended before its worker joined; read …").
  t.same(parseQstatEnd(torqueEnded('C', '127')), { state: 'C, exit status 127', cancelled: false }, 'a missing node binary: exit status 127');
  // Torque marks no qdel (no history substate; the exit status of a deleted job is the site's
  // exit_code_canceled_job, unset by default): a job killed while running (271, 256 + SIGTERM) counts.
  t.same(parseQstatEnd(torqueEnded('C', '271')), { state: 'C, exit status 271', cancelled: false });
  t.same(parseQstatEnd(torqueEnded('E')), { state: 'E', cancelled: false }, 'still exiting: no exit status yet');
  // An ended job Torque no longer keeps (deleted while queued: purged at once; or past keep_completed):
  // "Unknown Job Id" on stderr, an empty document on stdout; runCommand gives both.
  t.same(parseQstatEnd('qstat: Unknown Job Id Error 4808.torque01.cluster.example.org\n<?xml version="1.0"?>\n<Data></Data>\n'), { state: PBS_NO_HISTORY, cancelled: false, unknown: true });
  t.equal(parseQstatEnd('<?xml version="1.0"?>\n<Data></Data>\n'), undefined);
});

t.test('qstat -x -f ID… for all of a look\'s ended jobs: each matched to its id, an unknown one losing none of the others', async (t) => {
  const ids = ['21.pbs01', '22.pbs01', '23[4].pbs01', '24.pbs01'];
  // OpenPBS goes on past an unknown operand (stderr, first in a failed runCommand's output), names
  // the server in full, wraps long values, and exits 153.
  const out = [
    'qstat: Unknown Job Id 22.pbs01.cluster.example.org',
    'Job Id: 21.pbs01.cluster.example.org',
    '    Job_Name = gluon-worker',
    '    job_state = F',
    '    substate = 93',
    '    Exit_status = 127',
    '    comment = Job run at Sat Dec 05 at 04:40 on (node07:ncpus=1) and failed; a long comment that PBS wr',
    '\taps onto the next line',
    '',
    'Job Id: 23[4].pbs01.cluster.example.org',
    '    job_state = X',
    '    substate = 91',
    '',
    'Job Id: 24.pbs01.cluster.example.org',
    '    job_state = F',
    '    substate = 92',
    '    Exit_status = 0',
    '',
  ].join('\n');
  const failed = new BatchCommandError(['qstat', '-x', '-f', ...ids], 153, out);
  const got = qstatEndStates(ids, out, failed);
  t.same([...got.states], [
    ['21.pbs01', { state: 'F, exit status 127', cancelled: false }],
    ['22.pbs01', { state: PBS_NO_HISTORY, cancelled: false, unknown: true }],
    ['23[4].pbs01', { state: 'X deleted (substate 91)', cancelled: true }],
    ['24.pbs01', { state: 'F, exit status 0', cancelled: false }],
  ]);
  t.equal(got.problem, undefined, 'every job answered for: no problem');
  // Torque: one XML document per job, its unknown jobs said either way its qstat says them.
  const doc = (id: string, state: string, exit: string) => `<?xml version="1.0"?>\n<Data><Job><Job_Id>${id}</Job_Id><job_state>${state}</job_state><exit_status>${exit}</exit_status></Job></Data>\n`;
  const torque = `qstat: Unknown Job Id Error 31.t01\nqstat: Error (15001 - Unknown Job Id) getting status of job 33.t01\n${doc('30.t01', 'C', '0')}${doc('32.t01', 'C', '127')}`;
  t.same([...qstatEndStates(['30.t01', '31.t01', '32.t01', '33.t01'], torque).states].map(([id, s]) => [id, s.state]),
    [['30.t01', 'C, exit status 0'], ['31.t01', PBS_NO_HISTORY], ['32.t01', 'C, exit status 127'], ['33.t01', PBS_NO_HISTORY]]);
});

t.test('qstat -x -f ID… that leaves a job unanswered: a problem naming the command, the jobs and what it said', async (t) => {
  const record = 'Job Id: 41.pbs01\n    job_state = F\n    substate = 92\n    Exit_status = 1\n';
  const half = qstatEndStates(['41.pbs01', '42.pbs01'], record);
  t.same([...half.states.keys()], ['41.pbs01'], 'the job it printed keeps its state');
  t.equal(half.problem, `qstat -x -f 41.pbs01 42.pbs01 exited 0 but printed no record of job(s) 42.pbs01 (nor "Unknown Job Id"): their final state is not known, and they are judged without it; it printed ${JSON.stringify(record.trim())}`);
  const down = new BatchCommandError(['qstat', '-x', '-f', '41.pbs01'], 1, 'qstat: cannot connect to server pbs01 (errno=111)\n');
  t.equal(qstatEndStates(['41.pbs01'], down.output, down).problem,
    'qstat -x -f 41.pbs01 failed (exit 1) and gave no record of job(s) 41.pbs01 (nor "Unknown Job Id"): their final state is not known, and they are judged without it; it printed "qstat: cannot connect to server pbs01 (errno=111)"');
  const gone = new BatchCommandError(['qstat'], 'ENOENT', 'qstat is not installed or not on PATH');
  t.match(qstatEndStates(['41.pbs01'], gone.output, gone).problem, /^qstat -x -f 41\.pbs01 failed \(ENOENT\) and gave no record/);
  t.match(qstatEndStates(['41.pbs01'], 'Job Id: 41.pbs01\n    Job_Name = gluon-worker\n').problem, /no record of job\(s\) 41\.pbs01/, 'a record without a job_state is none');
  t.match(qstatEndStates(['41.pbs01'], '').problem, /; it printed nothing$/);
  const many = Array.from({ length: 300 }, (_, i) => `${100 + i}.pbs01`);
  const all = qstatEndStates(many, '').problem!;
  t.ok(all.startsWith('qstat -x -f 100.pbs01 101.pbs01 102.pbs01 103.pbs01 104.pbs01 105.pbs01 … (300 jobs) exited 0 but printed no record of job(s) 100.pbs01, 101.pbs01, 102.pbs01, 103.pbs01, 104.pbs01, 105.pbs01, … (300 jobs) '), 'hundreds of jobs: a line, not a page');
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
