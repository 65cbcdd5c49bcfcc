/**
 * A batch run (--cluster pbs) whose jobs all end before their worker joins: once the cluster gives
 * up submitting, gluon-finalstates ends with exit 1, naming every job and its output file, and
 * writes nothing. It has no worker timeout, so it waited for ever for workers that could not come.
 */
import t from 'tap';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateDataset } from '@gluon/analysis-h4l/generate';
import { failedJobsLine, runWithFailingJobs } from '../../../analysis-h4l/test/failing-jobs-run.js';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

t.test('gluon-finalstates --cluster pbs whose jobs end before their worker joins: ends when the cluster gives up, naming every job', async (t) => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'fs-failing-jobs-'));
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
  const data = path.join(tmp, 'data');
  await generateDataset({ outDir: data, scale: 0.01, seed: 9, samples: ['data_A'] });
  const runDir = path.join(tmp, 'run');
  const r = await runWithFailingJobs(t, CLI, ['--data-dir', data, '--run-dir', runDir], tmp);
  t.same(r.exit, [1, null], `exit 1, not waiting for ever\n${r.stdout}\n${r.stderr}`);
  const named = failedJobsLine('gluon-finalstates: ', r.logs).exec(r.stderr);
  t.ok(named, `the run says why it ended, every job and the file to read, and what to fix:\n${r.stderr}`);
  t.not(named?.[1], named?.[2], 'both jobs, not only the last');
  t.notOk(existsSync(path.join(runDir, 'run.json')), 'no outputs written');
});
