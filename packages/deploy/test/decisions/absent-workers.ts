import t from 'tap';
import { ABSENT_NOTICE_MS, absenceLine, absenceLook } from '../../src/absent-workers.js';

/**
 * A running job whose worker left the scheduler without saying so (a frozen node): said once after
 * ABSENT_NOTICE_MS, and when it is back. slurm-suspend.test freezes a real job with scontrol suspend.
 */

/** Looks of one job at 2 s intervals: its worker live or not; returns each look's news. */
function looks(live: boolean[]): string[] {
  let since: number | undefined;
  let said = false;
  return live.map((l, i) => {
    const r = absenceLook(since, said, l, i * 2000);
    since = r.since;
    said = r.said;
    return r.news;
  });
}

t.test('said once after the bound, again when back; a short absence (a job ending) is not said', async (t) => {
  const away = Array.from({ length: Math.ceil(ABSENT_NOTICE_MS / 2000) + 3 }, () => false);
  const news = looks([true, ...away, true, true]);
  t.equal(news.filter((n) => n === 'absent').length, 1, 'said once');
  t.equal(news.indexOf('absent'), 1 + Math.ceil(ABSENT_NOTICE_MS / 2000), `at the first look ${ABSENT_NOTICE_MS / 1000} s after the worker was first missed`);
  t.same(news.slice(-2), ['back', 'none'], 'back, said once');
  t.same(looks([true, false, false, false, true]), ['none', 'none', 'none', 'none', 'none'], 'away 6 s: nothing said');
});

t.test('the lines name the job, the worker, how long, and how to replace it', async (t) => {
  t.equal(absenceLine('slurm', '431', 'gluon-worker-431', 'absent', 41_000, 'scancel'),
    'slurm cluster: job 431 is running but its worker gluon-worker-431 left the scheduler 41 s ago without saying it was leaving (a frozen or suspended node, a cut network, the worker killed); ' +
    'the job is not replaced while it runs, as its worker may come back: the cluster has one worker fewer until then (scancel 431 to replace it now)');
  t.equal(absenceLine('pbs', '12.pbs', 'gluon-worker-12.pbs', 'back', 95_400, 'qdel'), 'pbs cluster: job 12.pbs\'s worker gluon-worker-12.pbs is connected again after 95 s away');
});
