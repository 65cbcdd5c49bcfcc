import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SlurmCluster } from '@gluon/deploy';
import { chromiumSkip, openPage } from '../../scheduler/test/fixtures/browser.js';
import { holdSlurm, slurmJobOptions, slurmMissing } from './helpers.js';

/**
 * The batch jobs on the scheduler's dashboard (job-view.ts), on the real Slurm of
 * scripts/setup-slurm.sh and Debian's chromium (each skipped, saying why, where absent): three
 * one-core jobs on the two CPUs of the file's slice of the node, so two run and one pends; the
 * page's counts and rows are squeue's. Then a running job is scancelled: it shows as done, saying how it ended, and the
 * page again agrees with squeue. Before, the dashboard had no view of the jobs at all.
 */
const why = slurmMissing(true) ?? (chromiumSkip() || undefined);
if (why) {
  t.skip(`the batch jobs on the dashboard: ${why}`, () => {});
} else {
  await holdSlurm();
  const work = mkdtempSync(join(tmpdir(), 'gluon-slurm-dashboard-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  // Its own name: squeue lists the jobs of that name, and a job of another run (another checkout's
  // CI on the same Slurm, or one left by a run that was killed) would be taken for this one's.
  const name = `gluon-dash-${process.pid}`;

  /** squeue's listing of this test's jobs: id → R (running) or PD (pending), as the cluster reads it. */
  const squeue = (): Map<string, string> => new Map(execFileSync('squeue', ['--array', '--noheader', '--format=%i %t', `--name=${name}`], { encoding: 'utf8' })
    .trim().split('\n').filter(Boolean).map((l) => l.trim().split(/\s+/) as [string, string]));
  /** squeue's states as the dashboard's: pending (PD, and the requeue states), running (R, CG, …). */
  const asView = (st: string) => (['PD', 'CF', 'RD', 'RQ', 'RH', 'RF', 'SE'].includes(st) ? 'pending' : 'running');

  t.test('the dashboard shows each batch job, its state, worker and since when, and counts that are squeue\'s', async (t) => {
    // Loopback, no token: the page needs no login.
    const cluster = await SlurmCluster.start({ ...slurmJobOptions(work, name), log: () => {} });
    t.teardown(() => cluster.close());
    const { page, errors } = await openPage(t, cluster.dashboardDirectUrl!);
    /** The page's two cards: counts (state → n) and rows (job → its cells). */
    const shown = () => page.evaluate(() => {
      const cells = (sel: string) => [...document.querySelectorAll(`.result[data-topic="${sel}"] tbody tr`)].map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? ''));
      return { counts: Object.fromEntries(cells('batch job counts').map(([k, v]) => [k!, Number(v)])), rows: cells('batch jobs') };
    });
    /**
     * Waits for the page and squeue to agree while neither changes (the page read before and after
     * squeue): returns what both said. Bounded generously; the jobs settle within a few looks.
     */
    const agreeing = async (want: (c: Record<string, number>, rows: string[][]) => boolean) => {
      for (let i = 0; i < 600; i++) {
        const before = await shown();
        const q = squeue();
        const after = await shown();
        const live = before.rows.filter((r) => r[1] === 'pending' || r[1] === 'running' || r[1] === 'requeued');
        const same = JSON.stringify(before) === JSON.stringify(after);
        const matches = live.length === q.size && live.every((r) => q.has(r[0]!) && asView(q.get(r[0]!)!) === (r[1] === 'requeued' ? 'pending' : r[1]));
        if (same && matches && want(before.counts, before.rows)) return { page: before, squeue: q };
        await page.waitForTimeout(250);
      }
      throw new Error(`the page never agreed with squeue: ${JSON.stringify(await shown())} vs ${JSON.stringify([...squeue()])}`);
    };

    await cluster.scale(3);
    await cluster.waitForWorkers(2, 240_000);
    // The workers joined (waitForWorkers read it from the scheduler): shown from the next look on.
    // Waited for as the check below reads it, the worker's bare name: a wait that took any worker
    // cell for settled let a "(not connected)" one through (job-view-joined.test has the look that
    // showed it so).
    const first = await agreeing((c, rows) => c.running === 2 && c.pending === 1 && rows.every((r) => r[1] !== 'running' || r[2] === `${name}-${r[0]}`));
    const states = [...first.squeue.values()];
    t.same({ running: states.filter((s) => asView(s) === 'running').length, pending: states.filter((s) => asView(s) === 'pending').length },
      { running: first.page.counts.running, pending: first.page.counts.pending + first.page.counts.requeued! }, `squeue lists what the page counts: ${JSON.stringify(first.page.counts)}`);
    t.same(Object.keys(first.page.counts), ['pending', 'running', 'requeued', 'failed', 'done']);
    const headers = await page.evaluate(() => [...document.querySelectorAll('.result[data-topic="batch jobs"] thead th')].map((th) => th.textContent));
    t.same(headers, ['job', 'state', 'worker', 'since', 'ended'], 'the table\'s columns');
    const live = new Set(await cluster.liveWorkerNames());
    for (const [id, state, worker, since] of first.page.rows) {
      t.equal(worker, state === 'running' ? `${name}-${id}` : '', `job ${id} (${state}) names its worker once it joined`);
      if (worker) t.ok(live.has(worker!), `${worker} is connected to the scheduler`);
      t.ok(Date.parse(since!) <= Date.now(), `job ${id} ${state} since ${since}`);
    }

    // scancel of a running job: its worker retires, the job ends and is replaced.
    const victim = first.page.rows.find((r) => r[1] === 'running')![0]!;
    execFileSync('scancel', [victim]);
    const second = await agreeing((c) => c.done >= 1 && c.running + c.pending === 3);
    const row = second.page.rows.find((r) => r[0] === victim)!;
    t.equal(row[1], 'done', `job ${victim} shows done`);
    t.equal(row[2], `${name}-${victim}`, 'with the worker it ran');
    t.match(row[4], /^(its worker retired, then the job ended|ended) \(CANCELLED/, `and how it ended: ${row[4]}`);
    t.equal(second.page.counts.failed, 0, 'a scancel of a running job is no failure');
    t.same(errors, [], 'no errors in the page');
  });
}
