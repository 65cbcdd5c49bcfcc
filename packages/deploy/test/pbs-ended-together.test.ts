import t from 'tap';
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PBSCluster } from '@gluon/deploy';
import { END_STATE_QUERIES } from '../src/end-states.js';
import { PBS_NO_HISTORY } from '../src/pbs.js';
import { clusterLog, fakePbs, repo } from './helpers.js';

/**
 * Many jobs ending at once (a farm's walltime, a queue purged): the look asks each one's final state
 * (`qstat -x -f ID`, one round trip to the server per job) a few at a time, not one after the
 * other. The stand-in qstat (test/fixtures/pbs-bin) logs each such call and how many were under way
 * as it started; with FAKE_PBS_X_OVERLAP each waits until that many were, so calls a look makes
 * together are seen together however loaded the machine (and calls made one by one never are).
 */
const { dir, read } = fakePbs(t);

t.test('six jobs that end in the same look: each one\'s final state asked once, END_STATE_QUERIES at a time', async (t) => {
  const { lines, log, until } = clusterLog(() => read('xq.log'));
  process.env.FAKE_PBS_QUEUED = '1'; // the jobs stay queued: none ends before the test ends them
  process.env.FAKE_PBS_X_OVERLAP = String(END_STATE_QUERIES);
  const cluster = await PBSCluster.start({ host: '127.0.0.1', cores: 1, cwd: repo, pollIntervalMs: 100, pendingNoticeMs: Infinity, maxFailedJobs: 100, log });
  t.teardown(async () => { delete process.env.FAKE_PBS_QUEUED; delete process.env.FAKE_PBS_X_OVERLAP; await cluster.close(); });
  await cluster.scale(6);
  const ids = cluster.jobList.map((j) => j.id);
  t.equal(ids.length, 6, 'six jobs queued');
  // All six must leave the listing between two looks: every look fails from here on (qstat
  // cannot reach the server), and once one has failed none is under way; then the six go.
  writeFileSync(join(dir, 'qstat-down'), '');
  await until('a look failing', () => lines.some((l) => l.includes('qstat: cannot reach the server')));
  execFileSync('qdel', ids);
  rmSync(join(dir, 'qstat-down'));
  await until('six jobs said ended', () => lines.filter((l) => l.includes('ended before its worker joined')).length === 6);

  const calls = read('xq.log').trim().split('\n').map((l) => l.split(' '));
  const starts = calls.filter(([what]) => what === 'start');
  t.same(starts.map(([, id]) => id).sort(), [...ids].sort(), 'one qstat -x -f per ended job, each job once');
  t.equal(calls.filter(([what]) => what === 'end').length, 6, 'all six returned');
  const most = Math.max(...starts.map(([, , n]) => Number(n)));
  t.equal(most, END_STATE_QUERIES, `at most ${END_STATE_QUERIES} under way at once, and that many were (one at a time before)`);
  const said = lines.filter((l) => l.includes('ended before its worker joined'));
  t.same(said.map((l) => /job (\S+) ended/.exec(l)![1]), ids, 'each said once, in the order the jobs were submitted');
  t.ok(said.every((l) => l.includes(`(${PBS_NO_HISTORY}); read `)), 'each with the state qstat -x gave');
  await cluster.close();
});
