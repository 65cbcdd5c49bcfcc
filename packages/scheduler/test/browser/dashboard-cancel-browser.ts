/**
 * Cancelled tasks on the dashboard: the header's counts add up to the tasks the client submitted,
 * as its futures say (finished, erred, cancelled). A cancelled task was in no count: after 6
 * tasks finished and 5 were cancelled the header said `6/6 tasks done` and the tab `✓ done 6/6`,
 * for 11 futures. A real scheduler and worker in this process, a real client, Debian's chromium;
 * skips without /usr/bin/chromium.
 */
import { writeFileSync } from 'node:fs';
import t from 'tap';
import { startWorker } from '@gluon/worker';
import { inProcessCluster } from '../fixtures/in-process.js';
import { chromiumSkip, openPage } from '../fixtures/browser.js';
import { fixturesDir, fx, gates, repo } from '../fixtures/dashboard-run.js';

const skip = chromiumSkip();

t.test('cancelled tasks are counted apart in the header and the Progress panel: done + cancelled = submitted', { skip }, async (t) => {
  const { s, workers, connect } = await inProcessCluster(t, { host: '127.0.0.1', port: 0, dashboardPort: 0, log: () => {} });
  workers.push(await startWorker({ scheduler: s.address, nthreads: 3, name: 'w', cwd: repo, allowModules: [fixturesDir], log: () => {} }));
  const gate = gates(t)('never');
  const { page, errors } = await openPage(t, s.dashboardUrl!);
  const client = await connect('cancel-test');
  // One run (the header counts the current run): two tasks hold two of the worker's threads,
  // three more wait on one of them, and six finish on the third thread meanwhile.
  const held = client.map(fx.gated, [gate, gate], [1, 2]);
  const waiting = client.map(fx.after, [held[0]!, held[0]!, held[0]!], [7, 8, 9]);
  const done = client.map(fx.noop, [1, 2, 3, 4, 5, 6]);
  t.same(await client.gather(done), [1, 2, 3, 4, 5, 6]);
  await page.waitForFunction(() => document.querySelector('tr[data-group="gated"] td.state-processing')?.textContent === '2', null, { timeout: 60_000 });
  await client.cancel([...held]);
  const futures = [...done, ...held, ...waiting];
  // The dependents hear of it from the scheduler: wait for every future to settle.
  await Promise.allSettled(futures.map((f) => f.result()));
  const says = { finished: 0, cancelled: 0 } as Record<string, number>;
  for (const f of futures) says[f.status] = (says[f.status] ?? 0) + 1;
  t.same(says, { finished: 6, cancelled: 5 }, 'the client: 6 finished, 5 cancelled (3 depended on a cancelled task)');
  const header = `6/${futures.length} tasks done · 5 cancelled`;
  await page.waitForFunction((h) => document.querySelector('#totals')?.textContent?.includes(h), header, { timeout: 60_000 });
  t.match(await page.textContent('#totals'), header, 'the header counts them apart, adding up to the 11 tasks');
  t.match(await page.title(), /^✓ done 6\/11 · 5 cancelled · Gluon scheduler /, 'and the tab title');
  t.equal(await page.textContent('tr[data-group="gated"] td.state-cancelled'), '2', 'the Progress panel: the 2 cancelled gated tasks');
  t.equal(await page.textContent('tr[data-group="after"] td.state-cancelled'), '3', 'and the 3 that waited on one');
  writeFileSync(gate, ''); // lets go any thread still in a gated task
  t.same(errors, [], 'no errors in the page');
});
