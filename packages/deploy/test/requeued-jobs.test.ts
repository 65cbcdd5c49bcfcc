import t from 'tap';
import { parseQstat, parseSqueue, pendingNotice, type ListedJob } from '@gluon/deploy';
import { requeuedLine, requeuedNow, type JobBefore } from '../src/requeued-jobs.js';

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
    ['7', { state: 'running' }],
    ['8', { state: 'running' }],
    ['9', { state: 'pending', reason: 'BeginTime' }],
  ]);
});

/** Runs one job's looks through the rule as the cluster does; returns the looks (0-based) that said "requeued". */
function requeues(looks: { listed: ListedJob; joinedBefore?: boolean }[]): number[] {
  let before: JobBefore = { state: 'pending', joined: false, requeued: false };
  const said: number[] = [];
  looks.forEach(({ listed, joinedBefore }, i) => {
    if (joinedBefore) before = { ...before, joined: true };
    if (requeuedNow(before, listed)) {
      said.push(i);
      before = { state: listed.state, joined: false, requeued: true };
    } else before = { state: listed.state, joined: before.joined, requeued: before.requeued && listed.state !== 'running' };
  });
  return said;
}
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

t.test('a job pending from its submission, or running throughout, was not requeued', async (t) => {
  t.same(requeues([{ listed: pd('Resources') }, { listed: pd('Priority') }, { listed: run }, { listed: run }]), []);
  t.notOk(requeuedNow({ state: 'gone', joined: true, requeued: false }, pd()), 'a job already gone is not judged');
});

t.test('the lines: the requeue said once, and the pending notice marks the requeued job', async (t) => {
  t.equal(requeuedLine('slurm', '272', pd('BeginTime'), 1),
    'slurm cluster: job 272 was requeued: its worker has left, and the job waits in the queue to run again (BeginTime); counted as pending, not as a worker nor as a failed job');
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
