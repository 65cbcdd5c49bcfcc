import t from 'tap';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { remoteFrom, type Future } from '@gluon/client';
import { SlurmCluster } from '@gluon/deploy';
import { fixtures, holdSlurm, repo, slurmMissing, within } from './helpers.js';

/**
 * scale(1) with a short worker lifetime on a real Slurm (scripts/setup-slurm.sh; skipped, saying
 * why, where there is none): the cluster submits a retiring worker's replacement when the worker
 * says it is leaving, not once its job has ended, so the retiring worker, held by the scheduler
 * with the results only it has, hands them to the replacement and leaves. Read from the
 * scheduler's event log (worker joined / removed, with times): after the first worker joined,
 * there is always a worker connected. Before, the replacement was submitted only after the held
 * worker's grace ran out and its job ended: no worker for seconds, and its results computed again.
 */
const why = slurmMissing(true);
if (why) {
  t.skip(`SlurmCluster replacing retiring jobs at once: ${why}`, () => {});
} else {
  await holdSlurm();
  const work = mkdtempSync(join(tmpdir(), 'gluon-slurm-repl-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  const fx = remoteFrom<typeof import('./fixtures/counted-tasks.mjs')>(pathToFileURL(join(fixtures, 'counted-tasks.mjs')));
  const N = 6;
  const LEN = 4096;
  const RETIREMENTS = 2;

  interface Entry { time: number; kind: string; text: string }
  async function schedulerLog(cluster: SlurmCluster): Promise<Entry[]> {
    const res = await fetch(new URL('api/state', cluster.dashboardDirectUrl), { headers: { authorization: `Bearer ${cluster.token}` } });
    return ((await res.json()) as { log: Entry[] }).log;
  }

  t.test('scale(1) with a lifetime: each retiring worker\'s replacement joins before it leaves; a worker is connected throughout', async (t) => {
    const cluster = await SlurmCluster.start({
      host: '127.0.0.1', cores: 1, memory: '1GiB', walltime: '00:15:00', cwd: repo, logDirectory: work, pollIntervalMs: 500, jobName: 'gluon-repl',
      lifetime: '12s', token: 'slurm-replace-test', workerExtraArgs: ['--allow-module', join(fixtures, 'counted-tasks.mjs')],
    });
    t.teardown(() => cluster.close());
    await cluster.scale(1);
    await cluster.waitForWorkers(1, 240_000);
    const client = await cluster.client();
    const parts = Array.from({ length: N }, (_, i) => client.submit(fx.countedRamp, join(work, `ramp-${i}`), LEN) as Future<Float64Array>);
    t.same(await Promise.all(parts.map((p) => p.exception())), parts.map(() => undefined), `the ${N} parts are computed, held on the worker`);

    // Wait (bounded) for RETIREMENTS workers to have left: the event, read from the scheduler.
    let log: Entry[] = [];
    await within((async () => {
      for (;;) {
        log = await schedulerLog(cluster);
        if (log.filter((e) => e.kind === 'worker-removed').length >= RETIREMENTS) return;
        await new Promise((r) => setTimeout(r, 250));
      }
    })(), `${RETIREMENTS} workers retiring`, 300_000);
    const total = client.submit(fx.totalLength, ...parts);
    t.equal(await within(total.result(), 'the total'), N * LEN, 'the total is right');

    // Connected workers over time, from the scheduler's events.
    let connected = 0;
    const counts: string[] = [];
    let lowest = Infinity;
    for (const e of log) {
      if (e.kind === 'worker-added') connected++;
      else if (e.kind === 'worker-removed') connected--;
      else continue;
      counts.push(`${e.kind === 'worker-added' ? '+' : '-'}${connected}`);
      lowest = Math.min(lowest, connected);
    }
    t.comment(`connected workers after each join (+) and leave (-): ${counts.join(' ')}`);
    const held = log.filter((e) => /waited [\d.]+ s for a worker to take its results/.test(e.text)).map((e) => e.text);
    t.comment(held.join('\n') || 'no retiree waited for a replacement');
    t.ok(lowest >= 1, `a worker was connected throughout (the fewest: ${lowest})`);

    const runs = Array.from({ length: N }, (_, i) => {
      const f = join(work, `ramp-${i}`);
      return existsSync(f) ? readFileSync(f, 'utf8').trim().split('\n').length : 0;
    });
    t.same(runs, runs.map(() => 1), `no part ran again: each retiree handed its results to its replacement (runs per part: ${runs.join(' ')})`);
    t.ok(cluster.jobList.length <= 2, `at most one job besides the working one (listed: ${cluster.jobList.map((j) => `${j.id} ${j.state}${j.retiring ? ' retiring' : ''}`).join(', ')})`);
    await cluster.close();
  });
}
