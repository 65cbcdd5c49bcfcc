/**
 * The dashboard says when the cluster is stuck for memory (tasks wait, every worker is paused
 * over its memory limit; memory-stall.ts): a banner above the panels and a `stuck` entry in the
 * event log, gone (and an `unstuck` entry) once a worker can start tasks again. A real scheduler,
 * real workers under a 1 MiB limit (paused at their first sample), and Debian's chromium. Skips
 * without /usr/bin/chromium.
 */
import t from 'tap';
import { inProcessCluster } from '../fixtures/in-process.js';
import { startWorker } from '@gluon/worker';
import { chromiumSkip, openPage } from '../fixtures/browser.js';
import { fixturesDir, fx, repo } from '../fixtures/dashboard-run.js';
import { until } from '../../../../test/helpers/until.js';

const skip = chromiumSkip();

t.test('stuck for memory: a banner and a log entry, both cleared when it ends', { skip }, async (t) => {
  const { s, workers, connect } = await inProcessCluster(t, { host: '127.0.0.1', port: 0, dashboardPort: 0, memoryStallMs: 300, log: () => {} });
  workers.push(await startWorker({ scheduler: s.address, nthreads: 1, name: 'tiny', memoryLimit: 2 ** 20, cwd: repo, allowModules: [fixturesDir], log: () => {} }));
  await until(() => s.snapshot().workers.some((w) => w.paused), 'the worker reports it is paused');
  const { page, errors } = await openPage(t, s.dashboardUrl!);
  t.equal(await page.isVisible('#alert'), false, 'no banner while nothing waits');
  const client = await connect('stuck-test');
  const futures = client.map(fx.noop, [1, 2]);
  await page.waitForSelector('#alert:not([hidden])', { timeout: 60_000 });
  t.match(await page.textContent('#alert'), /stuck: 2 task\(s\) wait and all 1 worker\(s\) have been paused for memory .*: tiny at ws:\/\/127\.0\.0\.1:\d+ \(RSS \d+ MiB, limit 1 MiB\)/, 'the banner says why, with the figures');
  t.match(await page.textContent('#log .log-entry.kind-stuck'), /stuck: 2 task\(s\) wait/, 'and the event log');

  workers.push(await startWorker({ scheduler: s.address, nthreads: 1, name: 'roomy', cwd: repo, allowModules: [fixturesDir], log: () => {} }));
  t.same(await client.gather(futures), [1, 2]);
  await page.waitForSelector('#alert', { state: 'hidden', timeout: 60_000 });
  t.match(await page.textContent('#log .log-entry.kind-unstuck'), /no longer stuck for memory/, 'the end is logged, the banner gone');
  t.same(errors, [], 'no errors in the page');
});
