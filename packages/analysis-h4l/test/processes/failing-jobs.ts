/**
 * A batch run whose jobs all end before their worker joins (a bad --job-prologue, no node on the
 * nodes): once the cluster gives up submitting (max_failed_jobs in a row), the run ends at once
 * with exit 1, naming every job of the streak, its output file and what to do, and writes nothing
 * (until 6 December 2026 only the last job was named). It waited
 * on for workers that could not come until worker_timeout_s (120 s from a job running), then
 * ended blaming the wait: 'no worker … took a task within 120 s: … raise worker_timeout_s'.
 */
import t from 'tap';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { generateDataset } from '../../src/generate/index.js';
import { CLI, cliSandbox } from '../cli-sandbox.js';
import { failedJobsLine, runWithFailingJobs } from '../failing-jobs-run.js';

const { tmp } = cliSandbox(t, 'h4l-failing-jobs-');

t.test('gluon-h4l run --cluster pbs whose jobs end before their worker joins: ends when the cluster gives up, naming every job', async (t) => {
  const data = path.join(tmp, 'data');
  await generateDataset({ outDir: data, scale: 0.01, seed: 1, samples: ['data_A'] });
  const out = path.join(tmp, 'out');
  const r = await runWithFailingJobs(t, CLI, ['run', '--no-config', '--data-dir', data, '--out', out], tmp);
  t.same(r.exit, [1, null], `exit 1\n${r.stdout}\n${r.stderr}`);
  const named = failedJobsLine('gluon-h4l run: ', r.logs).exec(r.stderr);
  t.ok(named, `the run says why it ended, every job and the file to read, and what to fix:\n${r.stderr}`);
  t.not(named?.[1], named?.[2], 'both jobs, not only the last');
  t.notMatch(r.stderr, 'worker_timeout_s', 'not blamed on the wait for workers');
  t.notOk(existsSync(path.join(out, 'run.json')), 'no outputs written');
  t.comment(`ended ${r.endedAfterGiveUpMs} ms after the cluster gave up`);
});
