import t from 'tap';
import { execFileSync } from 'node:child_process';
import { userInfo } from 'node:os';
import { PBSCluster } from '@gluon/deploy';
import { clusterLog, fakePbs, printLinesIfFailed, repo } from './helpers.js';

/**
 * A worker whose lifetime ends and that has nothing to hand over retires and leaves at once: with
 * its job, between two looks of the cluster, which never sees it retiring (the scheduler's row for
 * it said `lifetime` only while it was closing). Its job's end was shown as a plain `ended`, and,
 * with a lifetime shorter than a look, as a job that ended before its worker joined: a failure,
 * counted towards maxFailedJobs. The PBS stand-ins run the job here; the looks come only when the
 * test calls scale().
 */
fakePbs(t);
// The two cases share nothing but the stand-ins' directory (each reads its own job): run together,
// their two lifetimes are waited out once. Their looks (scale(), which may qsub) take turns: the
// stand-in qsub numbers a job by reading, then writing a file, and two at once could take one number.
t.jobs = 2;
let looking: Promise<unknown> = Promise.resolve();
const look = (cluster: PBSCluster): Promise<void> => {
  const next = looking.then(() => cluster.scale(1));
  looking = next.catch(() => {});
  return next;
};

type State = { workers: { name: string; alive: boolean; lifetime?: boolean }[]; topics: Record<string, { value: unknown }> };

for (const seen of [true, false]) t.test(`a job whose worker ${seen ? 'was seen joined, then ' : ''}retired at the end of its lifetime between two looks is shown retired, not as a plain end${seen ? '' : ' nor a failure'}`, async (t) => {
  const { lines, log } = clusterLog();
  printLinesIfFailed(t, lines);
  const cluster = await PBSCluster.start({ host: '127.0.0.1', cores: 1, cwd: repo, lifetime: '6s', pollIntervalMs: 3_600_000, log });
  t.teardown(() => cluster.close());
  let state: State = { workers: [], topics: {} };
  const read = async () => { state = (await (await fetch(new URL('api/state', cluster.dashboardDirectUrl))).json()) as State; };
  await look(cluster);
  const [id] = cluster.jobList.map((j) => j.id);
  const worker = `gluon-worker-${id}`;
  // waitForWorkers() reads the scheduler's workers: it sees the worker join (no look does).
  if (seen) await cluster.waitForWorkers(1);
  // Its lifetime ends: it retires and leaves, and its job ends; no look in between.
  // Its own line: the other case's job ids (1.fakepbs beside 11.fakepbs) must not count.
  const listed = () => execFileSync('qstat', ['-u', userInfo().username], { encoding: 'utf8' }).split('\n').some((l) => l.startsWith(`${id} `));
  let gone = false;
  for (let i = 0; i < 1200 && !(gone && !listed()); i++) {
    await read();
    gone = state.workers.some((w) => w.name === worker && !w.alive);
    await new Promise((r) => setTimeout(r, 100));
  }
  t.ok(gone && !listed(), `worker ${worker} left and job ${id} ended before the next look`);
  await look(cluster); // the next look
  let row: Record<string, string> | undefined;
  for (let i = 0; i < 1200 && !row; i++) {
    await read();
    row = ((state.topics['batch jobs']?.value ?? []) as Record<string, string>[]).find((r) => r.job === id);
    if (!row) await new Promise((r) => setTimeout(r, 100));
  }
  t.match(row, { state: 'done', worker, ended: /^its worker retired, then the job ended/ }, 'its row says its worker retired');
  t.same(lines.filter((l) => l.includes('before its worker joined')), [], 'not said to have ended before its worker joined');
  await cluster.close();
});
