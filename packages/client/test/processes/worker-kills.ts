/**
 * Repeated worker kills, as issue #11 states them: four workers, one killed with SIGKILL every
 * 2 s (the process whose threads run the tasks; LocalCluster starts no supervisor in between)
 * and a replacement started, while a 20,000-task map and a treeReduce over it run. The result
 * must be exact: no leaf lost, none counted twice. The scenario is chaos.ts's (shared with
 * processes/chaos.ts and bench/chaos.ts); this is its full-size, clock-paced form, bounded to 5 kills.
 */
import t from 'tap';
import { runChaos } from '../chaos.js';

t.test('a worker SIGKILLed every 2 s during a 20,000-task map + treeReduce: exact result, nothing lost or counted twice', async (t) => {
  const r = await runChaos({ n: 20_000, leafMs: 2, fanIn: 16, nWorkers: 4, killEveryMs: 2000, maxKills: 5 });
  t.equal(r.value, r.expected, `the sum over 20,000 distinct leaves is exact (${r.value}) after ${r.kills} kill(s)`);
  t.ok(r.kills >= 2, `workers were killed while it ran (${r.kills})`);
  t.ok(r.leafRuns >= r.leafTasks, `every leaf ran (${r.leafRuns} runs of ${r.leafTasks} leaves)`);
  t.comment(`runs per task ${((r.leafRuns + r.totalRuns) / (r.leafTasks + r.totalTasks)).toFixed(3)}, ${r.seconds.toFixed(1)} s`);
});
