/**
 * Lineage recompute under worker loss: a 20,000-leaf map and a treeReduce (fan-in 8) of their
 * sum on a LocalCluster of 3 worker processes × 1 thread, while one worker process (the one
 * running tasks) is killed with SIGKILL every 2.5 s and a replacement started. Prints runs per
 * task (every run started counts, including those a kill cut short; target ≤ 2×) and whether the
 * sum is exact. Run with `npx tsx bench/chaos.ts` (after `npx tsc -b`); `--n 5000` for a shorter
 * run; kills stop after `--max-kills` (40). Writes bench/results/chaos.json.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runChaos } from '../packages/client/test/chaos.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: { n: { type: 'string', default: '20000' }, 'leaf-ms': { type: 'string', default: '2' }, 'max-kills': { type: 'string', default: '40' } },
});
const n = Number(values.n);
const leafMs = Number(values['leaf-ms']);
// Bounded: after this many kills (100 s of them) the cluster is left alone to finish.
const maxKills = Number(values['max-kills']);

const r = await runChaos({ n, leafMs, fanIn: 8, nWorkers: 3, killEveryMs: 2500, maxKills, log: (l) => console.log(l) });
const runsPerTask = (r.leafRuns + r.totalRuns) / (r.leafTasks + r.totalTasks);
const rows = [
  ['tasks (leaves + treeReduce)', `${r.leafTasks} + ${r.totalTasks}`],
  ['runs started (leaves + treeReduce)', `${r.leafRuns} + ${r.totalRuns}`],
  ['runs per task', `${runsPerTask.toFixed(3)} (target ≤ 2)`],
  ['runs per leaf', (r.leafRuns / r.leafTasks).toFixed(3)],
  ['runs per treeReduce task', (r.totalRuns / r.totalTasks).toFixed(3)],
  ['workers killed', String(r.kills)],
  ['finished while the kills went on', r.finishedUnderKills ? 'yes' : 'NO (only after they stopped)'],
  ['result exact', r.value === r.expected ? `yes (${r.value})` : `NO: ${r.value}, expected ${r.expected}`],
  ['seconds', r.seconds.toFixed(1)],
];
console.log(`\nchaos: ${n} leaves of ${leafMs} ms + treeReduce fan-in 8, 3 workers × 1 thread, SIGKILL one every 2.5 s\n`);
for (const [k, v] of rows) console.log(`${k.padEnd(36)} ${v}`);
const out = join(root, 'bench', 'results');
if (!existsSync(out)) mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'chaos.json'), `${JSON.stringify({
  date: new Date().toISOString(), node: process.version, n, leafMs, fanIn: 8, workers: 3, killEveryMs: 2500,
  leafTasks: r.leafTasks, totalTasks: r.totalTasks, leafRuns: r.leafRuns, totalRuns: r.totalRuns, runsPerTask,
  kills: r.kills, finishedUnderKills: r.finishedUnderKills, exact: r.value === r.expected, seconds: r.seconds,
}, null, 2)}\n`);
if (r.value !== r.expected) process.exitCode = 1;
