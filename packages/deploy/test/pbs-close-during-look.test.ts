import t from 'tap';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PBSCluster } from '@gluon/deploy';
import { clusterLog, fakePbs, oneJoinedJob, printLinesIfFailed, repo } from './helpers.js';

/**
 * close() called while a look is reading the batch system (the PBS stand-ins hold that look's
 * `qstat -u` until the test lets it go): close() sets the target to none and waits for the look,
 * which then cancels the running job itself. That cancel was said as the cluster's own surplus,
 * blaming "a retiring worker seen working again, or a job back in the listing" for what was the
 * caller's close().
 */
const { dir } = fakePbs(t);

t.test('a look under way when close() comes says its cancels are the close\'s, not a surplus', async (t) => {
  const { lines, log, until } = clusterLog();
  printLinesIfFailed(t, lines);
  const cluster = await PBSCluster.start({ host: '127.0.0.1', cores: 1, cwd: repo, pollIntervalMs: 250, log });
  t.teardown(() => cluster.close());
  const id = await oneJoinedJob(cluster);
  writeFileSync(join(dir, 'qstat-hold'), '');
  await until('a look held in its qstat -u', () => existsSync(join(dir, 'qstat-held')));
  const closed = cluster.close();
  writeFileSync(join(dir, 'qstat-release'), '');
  await closed;
  t.same(lines.filter((l) => /surplus/.test(l)), [], 'no cancel said as a surplus');
  t.same(lines.filter((l) => l.includes('cancelled job(s)')), [`pbs cluster: cancelled job(s) ${id} (running): the cluster is closing (close())`], 'the look\'s cancel said as the close\'s');
  t.same(cluster.jobList, [], 'no job left');
});
