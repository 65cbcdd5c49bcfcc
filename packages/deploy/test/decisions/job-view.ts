import t from 'tap';
import { endedView, jobView, liveState, MAX_VIEW_ROWS, type LiveJob } from '../../src/job-view.js';

/** The dashboard's view of the batch jobs (job-view.ts); slurm-dashboard.test shows it in chromium against squeue. */

const at = Date.UTC(2026, 11, 4, 22, 58, 1, 250);
const job = (id: string, o: Partial<LiveJob> = {}): LiveJob => ({ id, state: 'pending', requeued: false, joined: false, workerName: `gluon-worker-${id}`, since: at, ...o });

t.test('live jobs: pending, running (its worker named once it joined), requeued; counted as the batch system lists them', async (t) => {
  const { rows, counts } = jobView([job('11', { state: 'running', joined: true }), job('12', { state: 'running' }), job('13'), job('14', { requeued: true })], [], { failed: 0, done: 0 });
  t.same(rows, [
    { job: '11', state: 'running', worker: 'gluon-worker-11', since: '2026-12-04T22:58:01Z', ended: '' },
    { job: '12', state: 'running', worker: '', since: '2026-12-04T22:58:01Z', ended: '' },
    { job: '13', state: 'pending', worker: '', since: '2026-12-04T22:58:01Z', ended: '' },
    { job: '14', state: 'requeued', worker: '', since: '2026-12-04T22:58:01Z', ended: '' },
  ]);
  t.same(counts, { pending: 1, running: 2, requeued: 1, failed: 0, done: 0 }, 'squeue would list 2 running, 2 pending (the requeued one among them)');
  t.equal(liveState({ state: 'gone', requeued: false }), 'pending');
});

t.test('ended jobs: failed only without a worker and not cancelled; every other end is done, saying how', async (t) => {
  const base = { joined: true, retiring: false, workerName: 'gluon-worker-20', outputFile: '/logs/gluon-worker-20.out' };
  t.same(endedView({ ...base, id: '20', retiring: true, state: 'CANCELLED, exit code 0:15', cancelled: true }, at),
    { id: '20', state: 'done', worker: 'gluon-worker-20', since: at, why: 'its worker retired, then the job ended (CANCELLED, exit code 0:15)' }, 'scancel of a running job');
  t.same(endedView({ ...base, id: '21', state: 'TIMEOUT, exit code 0:0', cancelled: false }, at).why, 'ended (TIMEOUT, exit code 0:0)', 'the walltime, its worker killed before it retired');
  t.same(endedView({ ...base, id: '22', joined: false, state: 'FAILED, exit code 127:0', cancelled: false }, at),
    { id: '22', state: 'failed', worker: '', since: at, why: 'ended before its worker joined (FAILED, exit code 127:0); read /logs/gluon-worker-20.out' });
  t.same(endedView({ ...base, id: '23', joined: false, state: 'CANCELLED, exit code 0:0', cancelled: true }, at).state, 'done', 'a cancel before joining is no failure');
  t.same(endedView({ ...base, id: '24', byCluster: true }, at).why, 'cancelled by this cluster (fewer jobs wanted)');
});

t.test('rows: the live jobs, then the ended ones newest first, at most MAX_VIEW_ROWS; the counts cover every ended job', async (t) => {
  const ended = Array.from({ length: 150 }, (_, i) => endedView({ id: `e${i}`, joined: true, retiring: true, workerName: `w${i}`, outputFile: '' }, at + i * 1000));
  const { rows, counts } = jobView([job('1')], ended.slice(-MAX_VIEW_ROWS), { failed: 3, done: 150 });
  t.equal(rows.length, MAX_VIEW_ROWS);
  t.same(rows.slice(0, 3).map((r) => r.job), ['1', 'e149', 'e148']);
  t.same(counts, { pending: 1, running: 0, requeued: 0, failed: 3, done: 150 });
});

t.test('a running job whose worker joined and is not connected now (a frozen node) says so in its worker cell', async (t) => {
  const { rows } = jobView([job('31', { state: 'running', joined: true }), job('32', { state: 'running', joined: true })], [], { failed: 0, done: 0 }, new Set(['gluon-worker-31']));
  t.same(rows.map((r) => r.worker), ['gluon-worker-31', 'gluon-worker-32 (not connected)']);
});
