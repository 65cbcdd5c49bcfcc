import t from 'tap';
import { listingAnswered, listingFailed, NO_LISTING, staleListing } from '../../src/listing-health.js';
import { jobView, type LiveJob } from '../../src/job-view.js';

/**
 * While the batch system does not answer (slurmctld down: squeue fails), the jobs' states are the
 * last listing's: the dashboard says so, with when that listing was and what the batch system said,
 * and the look that lists them again says the listing is back (listing-health.ts, job-view.ts).
 * pbs-dashboard.test runs it with the PBS stand-ins' qstat failing.
 */

const t0 = Date.UTC(2026, 11, 5, 8, 1, 2);
const down = 'squeue --array --noheader --Format=JobArrayID:0 ,StateCompact:0 ,RestartCnt:0 ,Reason:0 --user=me failed (exit 1): slurm_load_jobs error: Unable to contact slurm controller (connect failure)';
const job = (id: string, o: Partial<LiveJob> = {}): LiveJob => ({ id, state: 'running', requeued: false, joined: true, workerName: `gluon-worker-${id}`, since: t0 - 60_000, ...o });

t.test('the listing failing: stale since its first failure, as of the last listing, with the last error', async (t) => {
  let h = listingAnswered(NO_LISTING, t0, 'slurm').health;
  t.equal(staleListing(h), undefined, 'listed: current');
  h = listingFailed(h, down, t0 + 2000);
  h = listingFailed(h, `${down} again`, t0 + 4000);
  t.same(staleListing(h), { lastListed: '2026-12-05T08:01:02Z', since: '2026-12-05T08:01:04Z', error: `${down} again` });
  const back = listingAnswered(h, t0 + 62_000, 'slurm');
  t.equal(back.line, `slurm cluster: the batch system lists the jobs again after 60 s of failed looks (the last: ${down} again); the dashboard's job states are current again`);
  t.equal(staleListing(back.health), undefined, 'current again');
  t.equal(listingAnswered(back.health, t0 + 66_000, 'slurm').line, undefined, 'said once');
  t.same(staleListing(listingFailed(NO_LISTING, down, t0)), { lastListed: 'never', since: '2026-12-05T08:01:02Z', error: down }, 'never listed');
});

t.test('the view while the listing fails: live rows say they are the last listed, the counts say why', async (t) => {
  const stale = staleListing(listingFailed({ lastListed: t0 }, down, t0 + 2000));
  const { rows, counts } = jobView([job('11'), job('12', { state: 'pending', joined: false })], [], { failed: 0, done: 1 }, undefined, stale);
  t.same(rows.map((r) => [r.job, r.state]), [
    ['11', 'running (stale: as listed at 2026-12-05T08:01:02Z)'],
    ['12', 'pending (stale: as listed at 2026-12-05T08:01:02Z)'],
  ]);
  t.same(counts, {
    pending: 1, running: 1, requeued: 0, failed: 0, done: 1,
    listing: `stale: the batch system has not listed the jobs since 2026-12-05T08:01:02Z (failing since 2026-12-05T08:01:04Z: ${down}); the live jobs' states are the last listed`,
  });
  const current = jobView([job('11')], [], { failed: 0, done: 1 });
  t.same([current.rows[0]!.state, 'listing' in current.counts], ['running', false], 'listed: as before, no listing entry');
});
