import t from 'tap';
import { parseQstat, parseSqueue, pendingNotice, type ListedJob } from '@gluon/deploy';
import { requeuedLine, requeuedNow, requeuedState, stillRequeued, type JobBefore } from '../../src/requeued-jobs.js';

/**
 * A requeued job (scontrol requeue, a preemption or node failure that requeues) is not-yet-running:
 * pending, its worker gone and expected back; not a worker, not retiring, not a failure. The real
 * Slurm's side of it is in slurm-requeue.test.
 */

t.test('squeue: the requeue states are pending and marked requeued; RD is pending; the rest running', async (t) => {
  // Before, every state but PD and CF read as running: a job held in REQUEUE_HOLD counted as a working job.
  const jobs = parseSqueue('1 RQ None\n2 RH JobHeldUser\n3 RF None\n4 SE JobHeldAdmin\n5 RD ResvDeleted\n6 R None\n7 CG None\n8 S None\n9 PD BeginTime\n');
  t.same([...jobs], [
    ['1', { state: 'pending', requeued: true }],
    ['2', { state: 'pending', reason: 'JobHeldUser', requeued: true }],
    ['3', { state: 'pending', requeued: true }],
    ['4', { state: 'pending', reason: 'JobHeldAdmin', requeued: true }],
    ['5', { state: 'pending', reason: 'ResvDeleted' }],
    ['6', { state: 'running' }],
    ['7', { state: 'running', completing: true }],
    ['8', { state: 'running' }],
    ['9', { state: 'pending', reason: 'BeginTime' }],
  ]);
});

/**
 * Runs one job's looks through the rule as the cluster does; returns the looks (0-based) that said
 * "requeued", and the state the job counted in after each look.
 */
function requeueLooks(looks: { listed: ListedJob; joinedBefore?: boolean }[]): { said: number[]; states: string[] } {
  let before: JobBefore = { state: 'pending', joined: false, requeued: false };
  const said: number[] = [];
  const states: string[] = [];
  looks.forEach(({ listed, joinedBefore }, i) => {
    if (joinedBefore) before = { ...before, joined: true };
    const restarts = listed.restarts ?? before.restarts;
    if (requeuedNow(before, listed)) {
      said.push(i);
      before = { state: requeuedState(true, listed), joined: false, requeued: true, restarts };
    } else {
      const requeued = before.requeued && stillRequeued(listed);
      before = { state: requeuedState(requeued, listed), joined: before.joined, requeued, restarts };
    }
    states.push(before.state);
  });
  return { said, states };
}
const requeues = (looks: { listed: ListedJob; joinedBefore?: boolean }[]): number[] => requeueLooks(looks).said;
const pd = (reason?: string): ListedJob => ({ state: 'pending', ...(reason ? { reason } : {}) });
const run: ListedJob = { state: 'running' };

t.test('a job seen running, then pending again, was requeued: said once, and again only after it ran again', async (t) => {
  t.same(requeues([{ listed: pd('Priority') }, { listed: run }, { listed: pd('BeginTime') }, { listed: pd('BeginTime') }, { listed: pd('Resources') }, { listed: run }, { listed: run }]), [2]);
  t.same(requeues([{ listed: run }, { listed: pd('BeginTime') }, { listed: run }, { listed: pd('BeginTime') }, { listed: pd() }]), [1, 3], 'requeued twice');
});

t.test('squeue naming the requeue (RQ, RH, …) says it even for a job never seen running; once per requeue', async (t) => {
  const rq: ListedJob = { state: 'pending', requeued: true };
  t.same(requeues([{ listed: pd() }, { listed: rq }, { listed: rq }, { listed: pd('BeginTime') }, { listed: run }]), [1]);
});

t.test('a job whose worker joined between looks, pending again without being seen running, was requeued', async (t) => {
  t.same(requeues([{ listed: pd() }, { listed: pd('BeginTime'), joinedBefore: true }, { listed: pd('BeginTime') }]), [1]);
});

t.test('squeue with the restart count: the count, and CG marked completing', async (t) => {
  const jobs = parseSqueue('101 R 0 None\n102 CG 1 None\n103 PD 1 BeginTime\n104_2 PD 0 ReqNodeNotAvail, UnavailableNodes:n1\n105 RQ 2 None\n');
  t.same([...jobs], [
    ['101', { state: 'running', restarts: 0 }],
    ['102', { state: 'running', restarts: 1, completing: true }],
    ['103', { state: 'pending', reason: 'BeginTime', restarts: 1 }],
    ['104_2', { state: 'pending', reason: 'ReqNodeNotAvail, UnavailableNodes:n1', restarts: 0 }],
    ['105', { state: 'pending', requeued: true, restarts: 2 }],
  ]);
});

t.test('Slurm: the restart count says the requeue while the stopped run is still listed CG; pending from then until it runs again', async (t) => {
  // As slurm-requeue.test's squeue -O showed look by look (22.05.8): R 0, then CG 1 at once (the
  // worker still finishing a task, KillWait), then PD 1 BeginTime, then R 1 once it runs again.
  const look = (line: string) => ({ listed: parseSqueue(line).get('1')! });
  const [r0, cg1, pd1, r1, cg2, pd2] = ['1 R 0 None', '1 CG 1 None', '1 PD 1 BeginTime', '1 R 1 None', '1 CG 2 None', '1 PD 2 BeginTime'].map(look);
  t.same(requeueLooks([r0!, cg1!, cg1!, pd1!, r1!]), { said: [1], states: ['running', 'pending', 'pending', 'pending', 'running'] },
    'said at the first CG look, once; counted pending while CG; running again at R');
  t.same(requeues([r0!, cg1!, pd1!, r1!, cg2!, pd2!]), [1, 4], 'requeued twice');
  t.same(requeueLooks([r0!, look('1 CG 0 None')]), { said: [], states: ['running', 'running'] }, 'a run ending (CG, the count unchanged) is no requeue');
  t.same(requeues([look('1 PD 0 Priority'), look('1 PD 1 BeginTime')]), [1], 'requeued between looks, never seen running: the count says so');
});

t.test('a job pending from its submission, or running throughout, was not requeued', async (t) => {
  t.same(requeues([{ listed: pd('Resources') }, { listed: pd('Priority') }, { listed: run }, { listed: run }]), []);
  t.notOk(requeuedNow({ state: 'gone', joined: true, requeued: false }, pd()), 'a job already gone is not judged');
});

t.test('the lines: the requeue said once, and the pending notice marks the requeued job', async (t) => {
  t.equal(requeuedLine('slurm', '272', pd('BeginTime'), 1),
    'slurm cluster: job 272 was requeued: its worker leaves, and the job waits in the queue to run again (BeginTime); counted as pending, not as a worker nor as a failed job');
  const forged = requeuedLine('slurm', '272', pd('Bad\nslurm cluster: forged\u001b[2J'), 2);
  t.match(forged, /^slurm cluster: job 272 was requeued \(2 times now\): /);
  t.notMatch(forged, /\u001b|\nslurm/, 'a reason (text a job\'s owner can set) cannot forge a line nor rewrite the terminal');
  const r = pendingNotice('slurm', { since: 0, announced: '', ids: [] }, new Map([['272', { ...pd('BeginTime'), requeued: true }], ['273', pd('BeginTime')]]), 31_000, 30_000);
  t.same(r.lines, ['slurm cluster: 2 job(s) pending for 31 s: 272 (requeued), 273 (BeginTime: its start time has not come)']);
});

t.test('PBS qrerun, as qstat -u lists it look by look: running (R, then E while it exits), then queued (Q) under the same id: said once', async (t) => {
  // OpenPBS (src/server/req_rerun.c): the job stays R (substate 60, RERUN) while MOM stops its
  // processes (SIGTERM, then SIGKILL after kill_delay), E while it exits, then Q with run_count 1.
  const head = 'pbs01:\n                                                            Req\'d  Req\'d   Elap\nJob ID          Username Queue    Jobname    SessID NDS TSK Memory Time  S Time\n--------------- -------- -------- ---------- ------ --- --- ------ ----- - -----\n';
  const listing = (sess: string, st: string, elap: string) => `${head}4321.pbs01      ana      workq    gluon-work ${sess}   1   1    1gb 00:10 ${st} ${elap}\n`;
  const looks = [listing('  --  ', 'Q', '  -- '), listing(' 24817', 'R', '00:00'), listing(' 24817', 'R', '00:03'), listing(' 24817', 'E', '00:03'), listing('  --  ', 'Q', '  -- '), listing('  --  ', 'Q', '  -- '), listing(' 25102', 'R', '00:00')]
    .map((out) => ({ listed: parseQstat(out).get('4321.pbs01')! }));
  t.same(looks.map((l) => l.listed.state), ['pending', 'running', 'running', 'running', 'pending', 'pending', 'running']);
  t.same(requeues(looks), [4], 'said at the look that found it queued again, once');
});
