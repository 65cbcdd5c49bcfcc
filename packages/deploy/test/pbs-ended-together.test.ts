import t from 'tap';
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PBSCluster } from '@gluon/deploy';
import { PBS_NO_HISTORY } from '../src/pbs.js';
import { clusterLog, fakePbs, repo } from './helpers.js';

/**
 * Many jobs ending at once (a farm's walltime, a queue purged): the look asks their final states
 * with one `qstat -x -f ID…` naming them all, not one qstat per job (a process and a round trip to
 * the server each, four at a time before). The stand-in qstat (test/fixtures/pbs-bin) logs each
 * -x call's ids, one call a line; it goes on past an unknown job and exits 153, as OpenPBS's does.
 */
const { dir, read } = fakePbs(t);

/**
 * Scales a new cluster (its log `lines`) to `n` jobs that stay queued, then ends them all between
 * two looks with `end(ids)`: every look fails while the stand-in's server is down, and once one has
 * failed none is under way.
 */
async function endTogether(cluster: PBSCluster, n: number, end: (ids: string[]) => void, said: (what: string, ok: () => boolean) => Promise<void>, lines: string[]): Promise<string[]> {
  await cluster.scale(n);
  const ids = cluster.jobList.map((j) => j.id);
  writeFileSync(join(dir, 'qstat-down'), '');
  await said('a look failing', () => lines.some((l) => l.includes('qstat: cannot reach the server')));
  end(ids);
  rmSync(join(dir, 'qstat-down'));
  return ids;
}

const calls = () => read('xq.log').trim().split('\n').filter(Boolean).map((l) => l.split(' '));

t.test('six jobs that end in the same look: their final states asked with one qstat -x -f naming all six', async (t) => {
  const { lines, log, until } = clusterLog(() => read('xq.log'));
  process.env.FAKE_PBS_QUEUED = '1'; // the jobs stay queued: none ends before the test ends them
  const cluster = await PBSCluster.start({ host: '127.0.0.1', cores: 1, cwd: repo, pollIntervalMs: 100, pendingNoticeMs: Infinity, maxFailedJobs: 100, log });
  t.teardown(async () => { delete process.env.FAKE_PBS_QUEUED; await cluster.close(); });
  const before = calls().length;
  const ids = await endTogether(cluster, 6, (ids) => execFileSync('qdel', ids), until, lines);
  t.equal(ids.length, 6, 'six jobs queued');
  await until('six jobs said ended', () => lines.filter((l) => l.includes('ended before its worker joined')).length === 6);
  const made = calls().slice(before);
  t.same(made, [ids], 'one qstat -x -f, naming the six jobs (six calls, four at a time, before)');
  const said = lines.filter((l) => l.includes('ended before its worker joined'));
  t.same(said.map((l) => /job (\S+) ended/.exec(l)![1]), ids, 'each said once, in the order the jobs were submitted');
  t.ok(said.every((l) => l.includes(`(${PBS_NO_HISTORY}); read `)), 'each with the state qstat -x gave (no job history: unknown)');
  await cluster.close();
});

t.test('with job history: a job qstat no longer knows loses none of the others\' states', async (t) => {
  // qstat prints the records it has and "Unknown Job Id" for the purged one, and exits 153.
  const { lines, log, until } = clusterLog(() => read('xq.log'));
  process.env.FAKE_PBS_QUEUED = '1';
  writeFileSync(join(dir, 'history'), '');
  const cluster = await PBSCluster.start({ host: '127.0.0.1', cores: 1, cwd: repo, pollIntervalMs: 100, pendingNoticeMs: Infinity, maxFailedJobs: 100, log });
  t.teardown(async () => { delete process.env.FAKE_PBS_QUEUED; rmSync(join(dir, 'history'), { force: true }); await cluster.close(); });
  const before = calls().length;
  const ids = await endTogether(cluster, 3, (ids) => {
    writeFileSync(join(dir, 'purged'), `${ids[1]}\n`);
    execFileSync('qdel', ids);
  }, until, lines);
  await until('three jobs said ended', () => lines.filter((l) => / job \S+ (ended|was cancelled) before its worker joined/.test(l)).length === 3);
  t.same(calls().slice(before), [ids], 'one qstat -x -f naming the three');
  t.ok(lines.includes(`pbs cluster: job ${ids[0]} was cancelled before its worker joined (F deleted (substate 91)); not counted as a failed job`), 'the first: its history record, a qdel');
  t.ok(lines.some((l) => l.startsWith(`pbs cluster: job ${ids[1]} ended before its worker joined (${PBS_NO_HISTORY}); read `)), 'the purged one: unknown to qstat -x');
  t.ok(lines.includes(`pbs cluster: job ${ids[2]} was cancelled before its worker joined (F deleted (substate 91)); not counted as a failed job`), 'the last: its record, read past the unknown one');
  t.same(lines.filter((l) => l.includes('final state')), [], 'nothing said missing');
  await cluster.close();
});

t.test('a qstat -x -f whose output names none of the jobs: said once, naming the command; the jobs are still said ended', async (t) => {
  const { lines, log, until } = clusterLog(() => read('xq.log'));
  process.env.FAKE_PBS_QUEUED = '1';
  const garbled = join(dir, 'garbled-x-output');
  writeFileSync(garbled, 'qstat: PBS is busy, please try later\n');
  const cluster = await PBSCluster.start({ host: '127.0.0.1', cores: 1, cwd: repo, pollIntervalMs: 100, pendingNoticeMs: Infinity, maxFailedJobs: 100, log });
  t.teardown(async () => { delete process.env.FAKE_PBS_QUEUED; delete process.env.FAKE_PBS_X_OUTPUT; await cluster.close(); });
  const ids = await endTogether(cluster, 2, (ids) => {
    process.env.FAKE_PBS_X_OUTPUT = garbled;
    execFileSync('qdel', ids);
  }, until, lines);
  await until('two jobs said ended', () => lines.filter((l) => l.includes('ended before its worker joined')).length === 2);
  const problem = lines.filter((l) => l.includes('final state'));
  t.same(problem, [`pbs cluster: qstat -x -f ${ids.join(' ')} exited 0 but printed no record of job(s) ${ids.join(', ')} (nor "Unknown Job Id"): their final state is not known, and they are judged without it; it printed "qstat: PBS is busy, please try later"`], 'one line naming the command, the jobs and what it printed');
  t.ok(lines.filter((l) => l.includes('ended before its worker joined')).every((l) => /ended before its worker joined; read /.test(l)), 'each job said ended, with no state');
  await cluster.close();
});
