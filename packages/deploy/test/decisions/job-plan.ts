/**
 * A batch cluster's look (job-plan.ts), without a batch system: retiring jobs are replaced at once,
 * never cancelled, and a retirement that ends otherwise (the worker back, the job failing) never
 * leaves more jobs than the target plus the retiring ones. A small model of the batch system
 * applies each look's plan and the events between looks.
 */
import t from 'tap';
import { cancelLine, isRetiring, planLook, type LookPlan, type PlanJob } from '../../src/job-plan.js';

const job = (id: string, state: PlanJob['state'] = 'running', retiring = false): PlanJob => ({ id, state, retiring });

t.test('isRetiring: a worker that says its lifetime ended, or said so and has stopped or gone while its job is listed', async (t) => {
  t.equal(isRetiring(false, 'retiring'), true);
  t.equal(isRetiring(true, 'absent'), true, 'it said so at the last look and has left; the job is ending');
  t.equal(isRetiring(true, 'closing'), true, 'it said so at the last look and is stopped now: still ending');
  t.equal(isRetiring(false, 'closing'), false, 'closing for another reason (a SIGTERM: qrerun, qdel, a walltime kill): its job is taken as listed');
  t.equal(isRetiring(false, 'absent'), false, 'vanished without saying so (a cut connection, or not joined yet): it may come back');
  t.equal(isRetiring(true, 'running'), false, 'seen running again: working');
  t.equal(isRetiring(false, 'running'), false);
});

t.test('scale: a retiring job is replaced at once and not cancelled', async (t) => {
  const jobs = [job('1', 'running', true), job('2')];
  t.same(planLook({ jobs, target: 2 }), { target: 2, idleLooks: 0, submit: 1, cancel: [] }, 'one replacement: two working jobs again');
  t.same(planLook({ jobs: [...jobs, job('3', 'pending')], target: 2 }), { target: 2, idleLooks: 0, submit: 0, cancel: [] }, 'its replacement pending: nothing more');
  t.same(planLook({ jobs, target: 0, asked: true }), { target: 0, idleLooks: 0, submit: 0, cancel: ['2'], why: 'asked' }, 'scale(0) cancels the working job; the retiring one ends by itself');
  t.same(planLook({ jobs: [job('1', 'running', true), job('2', 'running', true)], target: 1 }).submit, 1, 'both retiring: one replacement for a target of one');
});

t.test('scale down cancels pending working jobs first, then the newest running', async (t) => {
  const jobs = [job('1'), job('2'), job('3', 'running', true), job('4', 'pending'), job('5')];
  t.same(planLook({ jobs, target: 2 }).cancel, ['4', '5']);
  t.same(planLook({ jobs, target: 1 }).cancel, ['4', '5', '2']);
});

t.test('a rerun job (requeued after its retiring worker was replaced): a running replacement is kept and the pending rerun job cancelled; a pending replacement goes first; said with why', async (t) => {
  // The steps as qstat -u lists them (pbs.test runs them with the stand-in qrerun): 1 R, its worker
  // retiring; 2 submitted for it and R; 1 queued again (Q), requeued, pending: two working, target 1.
  const rerun: PlanJob = { ...job('1', 'pending'), rerun: true };
  const plan = planLook({ jobs: [rerun, job('2')], target: 1 });
  t.same(plan, { target: 1, idleLooks: 0, submit: 0, cancel: ['1'], why: 'surplus' }, 'the pending rerun job, not the running replacement (before f2a5e87\'s choice: the replacement, whose worker may hold results)');
  t.same(planLook({ jobs: [rerun, job('2', 'pending')], target: 1 }).cancel, ['2'], 'both pending: the replacement');
  t.same(planLook({ jobs: [rerun, job('2'), job('3', 'pending')], target: 1 }).cancel, ['3', '1'], 'pending ones first, the other before the rerun job');
  t.same(planLook({ jobs: [rerun, job('2'), job('3', 'pending')], target: 0, asked: true }).cancel, ['3', '1', '2'], 'scale(0): pending ones, then the running');
  t.same(planLook({ jobs: [job('1', 'pending'), job('2')], target: 1 }).cancel, ['1'], 'a job requeued without a replacement is an ordinary pending job');
  t.equal(cancelLine('pbs', plan, [rerun, job('2')]),
    'pbs cluster: cancelled job(s) 1 (pending) as a surplus: 2 working job(s) listed for a target of 1: job(s) 1 were requeued by the batch system after their retiring worker had been replaced, and the replacement is running; a pending job is cancelled before a running one (a running worker may hold results)');
  const both = [rerun, job('2', 'pending')];
  t.equal(cancelLine('pbs', planLook({ jobs: both, target: 1 }), both),
    'pbs cluster: cancelled job(s) 2 (pending) as a surplus: 2 working job(s) listed for a target of 1: job(s) 1 were requeued by the batch system after their retiring worker had been replaced; kept to run again, the replacement is the surplus');
  const other = planLook({ jobs: [job('1'), job('2', 'pending')], target: 1 });
  t.equal(cancelLine('slurm', other, [job('1'), job('2', 'pending')]),
    'slurm cluster: cancelled job(s) 2 (pending) as a surplus: 2 working job(s) listed for a target of 1 (a retiring worker seen working again, or a job back in the listing)');
  t.equal(cancelLine('pbs', planLook({ jobs: [job('1'), job('2')], target: 1, asked: true }), [job('1'), job('2')]), undefined, 'a cancel scale(n) asked for is the caller\'s: not said');
  t.equal(cancelLine('pbs', planLook({ jobs: [job('1')], target: 1 }), [job('1')]), undefined, 'no cancel, no line');
});

t.test('adapt: the target follows the load counting working jobs only, and agrees with scale about the retiring', async (t) => {
  const opts = { minimum: 0, maximum: 4 };
  const load = { outstanding: 4, workers: 4 };
  const jobs = [job('1', 'running', true), job('2'), job('3'), job('4')];
  t.same(planLook({ jobs, target: 4, adapt: { load, opts, cores: 1, idleLooks: 0 } }), { target: 4, idleLooks: 0, submit: 1, cancel: [] }, 'four tasks, three working: the retiring job is replaced');
  // Idle: down only after waitCount (3) idle looks, and then only working jobs are cancelled.
  let idleLooks = 0;
  const plans: LookPlan[] = [];
  for (let i = 0; i < 3; i++) {
    const p = planLook({ jobs, target: 4, adapt: { load: { outstanding: 0, workers: 4 }, opts, cores: 1, idleLooks } });
    idleLooks = p.idleLooks;
    plans.push(p);
  }
  t.same(plans.map((p) => p.cancel.length), [0, 0, 3], 'the third idle look cancels the three working jobs');
  t.same(plans[2]!.cancel.sort(), ['2', '3', '4'], 'never the retiring one');
  t.equal(plans[2]!.why, 'adapt');
  t.equal(cancelLine('pbs', plans[2]!, jobs), 'pbs cluster: cancelled job(s) 2 (running), 3 (running), 4 (running): adapt\'s target fell to 0 (the scheduler\'s load); 3 working job(s) listed for a target of 0', 'adapt\'s cancels are the cluster\'s own: said');
});

/**
 * A model batch system: jobs are pending until a slot frees (`slots` of them), then run; their
 * worker joins on the next step. Each step: the events given for it, then one look whose plan is
 * applied. Returns, per look, the working and listed counts after it.
 */
function run(target: number, slots: number, steps: ((jobs: Model[]) => void)[]): { working: number; listed: number; submitted: number }[] {
  const jobs: Model[] = [];
  let next = 1;
  const out: { working: number; listed: number; submitted: number }[] = [];
  for (const events of steps) {
    events(jobs);
    // The batch system starts pending jobs while slots are free.
    for (const j of jobs) if (j.state === 'pending' && jobs.filter((o) => o.state === 'running').length < slots) j.state = 'running';
    for (const j of jobs) j.retiring = isRetiring(j.retiring, j.seen);
    const plan = planLook({ jobs: jobs.map((j) => job(j.id, j.state, j.retiring)), target });
    for (const id of plan.cancel) jobs.splice(jobs.findIndex((j) => j.id === id), 1);
    for (let i = 0; i < plan.submit; i++) jobs.push({ id: String(next++), state: 'pending', joined: false, seen: 'absent', retiring: false });
    out.push({ working: jobs.filter((j) => !j.retiring).length, listed: jobs.length, submitted: next - 1 });
    // Running jobs' workers join before the next look.
    for (const j of jobs) if (j.state === 'running' && !j.joined) { j.joined = true; j.seen = 'running'; }
  }
  return out;
}
interface Model { id: string; state: 'pending' | 'running'; joined: boolean; seen: 'running' | 'retiring' | 'closing' | 'absent'; retiring: boolean }
const idle = () => {};
const retire = (id: string) => (jobs: Model[]) => { jobs.find((j) => j.id === id)!.seen = 'retiring'; };
const stop = (id: string) => (jobs: Model[]) => { jobs.find((j) => j.id === id)!.seen = 'closing'; };
const leave = (id: string) => (jobs: Model[]) => { jobs.find((j) => j.id === id)!.seen = 'absent'; };
const end = (id: string) => (jobs: Model[]) => { jobs.splice(jobs.findIndex((j) => j.id === id), 1); };
const back = (id: string) => (jobs: Model[]) => { jobs.find((j) => j.id === id)!.seen = 'running'; };

t.test('model: a retirement is replaced at the look that sees it; working jobs never fall below the target, jobs never exceed it plus the retiring', async (t) => {
  // scale(2) on three slots: job 1 retires, leaves, its job ends; then job 2 does.
  const r = run(2, 3, [idle, idle, retire('1'), idle, leave('1'), end('1'), retire('2'), leave('2'), end('2'), idle]);
  t.same(r.map((x) => x.working), [2, 2, 2, 2, 2, 2, 2, 2, 2, 2], 'two working jobs after every look');
  t.same(r.map((x) => x.listed), [2, 2, 3, 3, 3, 2, 3, 3, 2, 2], 'three listed only while one retires');
  t.equal(r.at(-1)!.submitted, 4, 'four jobs submitted in all: the two and one replacement each');
});

t.test('model: a retirement that ends with the worker running again leaves a surplus the next look cancels (the pending replacement)', async (t) => {
  // Two slots, both taken: the replacement stays pending; the worker comes back running.
  const r = run(2, 2, [idle, idle, retire('1'), back('1'), idle]);
  t.same(r.map((x) => x.listed), [2, 2, 3, 2, 2], 'the replacement (job 3) is cancelled when job 1 is working again');
  t.same(r.map((x) => x.submitted), [2, 2, 3, 3, 3], 'and nothing more is submitted');
});

t.test('model: a worker that vanishes without saying it is leaving (a cut connection) and comes back costs no job', async (t) => {
  const r = run(2, 3, [idle, idle, leave('1'), leave('1'), back('1'), idle]);
  t.same(r.map((x) => x.submitted), [2, 2, 2, 2, 2, 2], 'nothing submitted while it is away');
  t.same(r.map((x) => x.listed), [2, 2, 2, 2, 2, 2]);
});

t.test('model: a retiring job that fails, or a replacement that fails, is replaced once', async (t) => {
  // Job 1 retires and is killed mid-retirement (its job ends at once): its replacement stands.
  const a = run(1, 2, [idle, idle, retire('1'), end('1'), idle]);
  t.same(a.map((x) => [x.listed, x.submitted]), [[1, 1], [1, 1], [2, 2], [1, 2], [1, 2]], 'one replacement, not two');
  // The replacement (job 2) fails before its worker joins: one more, and the retiring job stays.
  const b = run(1, 2, [idle, idle, retire('1'), end('2'), idle]);
  t.same(b.map((x) => [x.listed, x.submitted]), [[1, 1], [1, 1], [2, 2], [2, 3], [2, 3]], 'job 3 replaces the failed replacement; never more than target + retiring');
});

t.test('model: a worker stopped by a SIGTERM (not its lifetime) is replaced when its job is gone, not while it is listed', async (t) => {
  // scale(2) on three slots: job 1's worker is SIGTERM'd (a rerun, a cancel, a walltime kill) and closes; its job is still listed.
  const r = run(2, 3, [idle, idle, stop('1'), stop('1'), leave('1'), end('1'), idle]);
  t.same(r.map((x) => x.submitted), [2, 2, 2, 2, 2, 3, 3], 'its replacement is submitted at the look that sees its job gone');
  t.same(r.map((x) => x.listed), [2, 2, 2, 2, 2, 2, 2], 'never a job more than the target');
});

t.test('close() during a look: every working job is cancelled, said as the close\'s', async (t) => {
  const jobs = [job('1'), job('2', 'running', true), job('3', 'pending')];
  const plan = planLook({ jobs, target: 2, closing: true, adapt: { load: { outstanding: 9, workers: 2 }, opts: { maximum: 4 }, cores: 1, idleLooks: 0 } });
  t.same(plan, { target: 0, idleLooks: 0, submit: 0, cancel: ['3', '1'], why: 'closing' }, 'no target, whatever adapt or scale last said; the retiring job ends by itself (close() cancels it)');
  t.equal(cancelLine('pbs', plan, jobs), 'pbs cluster: cancelled job(s) 3 (pending), 1 (running): the cluster is closing (close())',
    'not "as a surplus: … (a retiring worker seen working again, or a job back in the listing)"');
});
