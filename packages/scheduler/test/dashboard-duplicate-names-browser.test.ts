/**
 * Two live workers under one name (two hosts started with the same `--name`): each has its own
 * page. The page was keyed by name, so both Workers-table links led to one page, and one worker's
 * figures, tasks and log hid the other's. A real scheduler with two real workers both named
 * `dup`, and Debian's chromium. Skips without /usr/bin/chromium.
 */
import t from 'tap';
import { inProcessCluster } from './fixtures/in-process.js';
import { startWorker } from '@gluon/worker';
import { chromiumSkip, openPage } from './fixtures/browser.js';
import { fixturesDir, fx, repo } from './fixtures/dashboard-run.js';
import { until } from '../../../test/helpers/until.js';

const skip = chromiumSkip();

t.test('two workers named alike: two links, two pages, each with its own figures', { skip }, async (t) => {
  const { s, workers, connect } = await inProcessCluster(t, { host: '127.0.0.1', port: 0, dashboardPort: 0, log: () => {} });
  for (let i = 0; i < 2; i++) workers.push(await startWorker({ scheduler: s.address, nthreads: 1, name: 'dup', cwd: repo, allowModules: [fixturesDir], log: () => {} }));
  await until(() => s.snapshot().workers.filter((w) => w.alive).length === 2, 'both workers register');
  const client = await connect('dup-test');
  // Results on both (the least occupied worker takes each task), then the page of each.
  const held = client.map(fx.bigWork, [1, 2, 3, 4], [30, 30, 30, 30]);
  t.equal((await client.gather(held)).length, 4);
  const rows = s.snapshot().workers;
  t.ok(rows.every((r) => r.stored > 0), `both hold results (${rows.map((r) => r.stored).join(', ')})`);

  const { page, errors } = await openPage(t, s.dashboardUrl!);
  await page.waitForFunction(() => document.querySelectorAll('#workers a.worker-link').length === 2, null, { timeout: 30_000 });
  const links = await page.$$eval('#workers a.worker-link', (as) => as.map((a) => ({ href: a.getAttribute('href')!, text: a.textContent })));
  t.same(links.map((l) => l.text), ['dup', 'dup'], 'both rows show the name');
  t.equal(new Set(links.map((l) => l.href)).size, 2, `two links, one per worker (${links.map((l) => l.href).join(', ')})`);
  const seen = new Set<string>();
  for (const { href } of links) {
    await page.goto(new URL(href, s.dashboardUrl!).href);
    await page.waitForSelector('#conn.up', { timeout: 30_000 });
    const summary = (await page.textContent('#worker-summary')) ?? '';
    const row = rows.find((r) => summary.includes(r.address.replace(/^ws:\/\//, '')));
    t.ok(row, `the page says which worker it is: its address (${summary})`);
    if (!row) continue;
    seen.add(row.id);
    t.equal(await page.textContent('#worker-name'), 'dup');
    await page.waitForSelector('#worker-stored tr[data-group="bigWork"]', { timeout: 30_000 });
    t.equal(Number(await page.getAttribute('#worker-stored tr[data-group="bigWork"]', 'data-count')), row.stored, `its own results: ${row.stored}`);
  }
  t.equal(seen.size, 2, 'the two pages are of the two workers');

  // An old link by name: ambiguous here, so the page lists both, each linked to its own page.
  await page.goto(new URL('worker?name=dup', s.dashboardUrl!).href);
  await page.waitForSelector('#worker-now a.worker-link', { timeout: 30_000 });
  const matches = await page.$$eval('#worker-now a.worker-link', (as) => as.map((a) => a.getAttribute('href')));
  t.same(matches.sort(), links.map((l) => l.href).sort(), 'the name\'s page lists the workers of that name');
  t.match(await page.textContent('#worker-now'), /2 workers are named "dup"/);
  t.same(errors, [], 'no errors in the pages');
  t.equal(held.length, 4, 'the results were held throughout');
});
