import t from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { remoteFrom, type Future } from '@gluon/client';
import { SlurmCluster } from '@gluon/deploy';
import { fixtures, holdSlurm, repo, slurmMissing, within } from './helpers.js';

/**
 * Workers with a lifetime on a real Slurm (scripts/setup-slurm.sh; skipped, saying why, where
 * there is none): their jobs retire by themselves and scale(n) replaces them, while a run that
 * goes on past their lifetime completes with the right result and no task run twice. Each task
 * run writes a line in a file of its own, so the test says how many tasks ran again.
 */
const why = slurmMissing(true);
if (why) {
  t.skip(`SlurmCluster jobs retiring at their lifetime: ${why}`, () => {});
} else {
  await holdSlurm();
  const squeueIds = () => execFileSync('squeue', ['--array', '-h', '-o', '%i'], { encoding: 'utf8' }).split('\n').map((s) => s.trim()).filter(Boolean);
  const work = mkdtempSync(join(tmpdir(), 'gluon-slurm-life-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  const fx = remoteFrom<typeof import('./fixtures/counted-tasks.mjs')>(pathToFileURL(join(fixtures, 'counted-tasks.mjs')));
  const N = 12;
  const LEN = 4096;

  /** Waits, bounded, until `pred` holds (checked every 250 ms: squeue and the job list are polled, as the cluster does). */
  async function until(what: string, pred: () => boolean, ms = 240_000): Promise<void> {
    await within((async () => {
      while (!pred()) await new Promise((r) => setTimeout(r, 250));
    })(), what, ms);
  }

  t.test('jobs whose workers have a short lifetime retire and are replaced, while a run longer than it completes with the right result', async (t) => {
    const cluster = await SlurmCluster.start({
      host: '127.0.0.1', cores: 1, memory: '1GiB', walltime: '00:15:00', cwd: repo, logDirectory: work, pollIntervalMs: 500, jobName: 'gluon-life',
      lifetime: '20s', lifetimeStagger: '4s', workerExtraArgs: ['--allow-module', join(fixtures, 'counted-tasks.mjs')],
    });
    t.teardown(() => cluster.close());
    t.match(cluster.scriptFor(2), /--lifetime 20s --lifetime-stagger 4s --death-timeout 1m --allow-module/, 'the array job\'s worker has the lifetime (and the default death timeout)');
    await cluster.scale(2);
    await cluster.waitForWorkers(2, 240_000);
    const first = cluster.jobList.map((j) => j.id);
    const client = await cluster.client();
    const parts = Array.from({ length: N }, (_, i) => client.submit(fx.countedRamp, join(work, `ramp-${i}`), LEN) as Future<Float64Array>);
    // Computed, their values left on the workers (exception() does not fetch them).
    t.same(await Promise.all(parts.map((p) => p.exception())), parts.map(() => undefined), `the ${N} parts are computed`);

    // The run goes on past the lifetime: its total is asked for once both first jobs have retired
    // and ended, and a job submitted to replace one has a worker that joined.
    await until('the first jobs to end', () => !squeueIds().some((id) => first.includes(id)));
    await until('a replacement job\'s worker to join', () => cluster.jobList.some((j) => !first.includes(j.id) && j.joined));
    const total = client.submit(fx.totalLength, ...parts);
    t.equal(await within(total.result(), 'the total'), N * LEN, 'the total is right');

    const replaced = cluster.jobList.filter((j) => !first.includes(j.id)).map((j) => j.id);
    t.ok(replaced.length >= 1, `scale(2) replaced the retired jobs ${first.join(', ')} with ${replaced.join(', ')}`);
    for (const id of first) {
      const out = readFileSync(join(work, `gluon-life-${id}.out`), 'utf8');
      t.match(out, /lifetime of [\d.]+ s reached: handing back queued work/, `job ${id}'s worker retired at its lifetime`);
      t.match(out, /the scheduler says: retired: /, `job ${id}'s worker left once the scheduler said so`);
    }
    const runs = Array.from({ length: N }, (_, i) => {
      const f = join(work, `ramp-${i}`);
      return existsSync(f) ? readFileSync(f, 'utf8').trim().split('\n').length : 0;
    });
    t.ok(runs.every((n) => n >= 1), 'every part ran');
    // Both first workers retire within seconds of each other: the last has no running worker to
    // move to, so the scheduler holds it (within its grace) until a replacement joins; of two held
    // at once, the first hands its results to the later and leaves, so that its slot frees for a
    // replacement (this file's slice of the node has 2 CPUs: the replacements start only as the first jobs end).
    // Before, the last one's results were computed again: 12 of 12 parts ran twice in 3 of 4 runs.
    t.comment(`runs per part: ${runs.join(' ')} (${runs.filter((n) => n > 1).length} of ${N} ran again)`);
    t.same(runs, runs.map(() => 1), 'no part ran again: every retirement had its results copied');
    await cluster.close();
    t.same(squeueIds().filter((id) => [...first, ...replaced].includes(id)), [], 'after close() squeue lists none of its jobs');
  });
}
