/**
 * Worker processes killed (SIGKILL) while a map + treeReduce runs, with replacements started:
 * the sum is exact (no result lost or counted twice) and every leaf ran. A small version of
 * bench/chaos.ts (which reports runs per task); kills are tied to progress (after 250, 750 and
 * 1,250 of 2,000 leaves finished), not to the clock.
 */
import t from 'tap';
import { runChaos } from '../chaos.js';

t.test('three workers killed during a 2,000-leaf map + treeReduce: the sum is exact', async (t) => {
  const r = await runChaos({ n: 2000, leafMs: 1, fanIn: 8, nWorkers: 3, killAtLeaves: [250, 750, 1250], maxKills: 3 });
  t.equal(r.value, r.expected, `the sum is exact (${r.value})`);
  t.equal(r.kills, 3, 'three workers were killed while it ran');
  t.ok(r.leafRuns >= r.leafTasks, `every leaf ran (${r.leafRuns} runs of ${r.leafTasks} leaves)`);
  t.ok(r.totalRuns >= r.totalTasks, `every treeReduce task ran (${r.totalRuns} runs of ${r.totalTasks})`);
  // A count, not a time: only the tasks a killed worker was running (a few each) run again;
  // results the client already has, or the scheduler keeps inline, are not recomputed.
  t.ok(r.leafRuns + r.totalRuns <= 1.25 * (r.leafTasks + r.totalTasks), `little is run twice (${r.leafRuns + r.totalRuns} runs of ${r.leafTasks + r.totalTasks} tasks)`);
  t.comment(`runs per task: ${((r.leafRuns + r.totalRuns) / (r.leafTasks + r.totalTasks)).toFixed(2)} in ${r.seconds.toFixed(1)} s`);
});
