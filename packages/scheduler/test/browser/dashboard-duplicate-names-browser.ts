/**
 * Two live workers under one name (two hosts started with the same `--name`): each has its own
 * page. The page was keyed by name, so both Workers-table links led to one page, and one worker's
 * figures, tasks and log hid the other's. A real scheduler with two real workers both named
 * `dup`, and Debian's chromium. Skips without /usr/bin/chromium.
 */
import t from 'tap';
import { inProcessCluster } from '../fixtures/in-process.js';
import { startWorker } from '@gluon/worker';
import { chromiumSkip, openPage } from '../fixtures/browser.js';
import { fixturesDir, fx, repo } from '../fixtures/dashboard-run.js';
import { until } from '../../../../test/helpers/until.js';
import type { ClusterEvent } from '../../src/dashboard/source.js';
import type { Page } from 'playwright-core';

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
  await page.waitForFunction(() => document.querySelectorAll('#workers a.worker-link').length === 2, null, { timeout: 120_000 });
  const links = await page.$$eval('#workers a.worker-link', (as) => as.map((a) => ({ href: a.getAttribute('href')!, text: a.textContent })));
  t.same(links.map((l) => l.text).sort(), ['dup (id w1)', 'dup (id w2)'], 'both rows show the name, each with its id');
  t.equal(new Set(links.map((l) => l.href)).size, 2, `two links, one per worker (${links.map((l) => l.href).join(', ')})`);
  const seen = new Set<string>();
  for (const { href } of links) {
    await page.goto(new URL(href, s.dashboardUrl!).href);
    await page.waitForSelector('#conn.up', { timeout: 120_000 });
    const summary = (await page.textContent('#worker-summary')) ?? '';
    const row = rows.find((r) => summary.includes(r.address.replace(/^ws:\/\//, '')));
    t.ok(row, `the page says which worker it is: its address (${summary})`);
    if (!row) continue;
    seen.add(row.id);
    t.equal(await page.textContent('#worker-name'), 'dup', 'its page: the name, the address beside it');
    await page.waitForSelector('#worker-stored tr[data-group="bigWork"]', { timeout: 120_000 });
    t.equal(Number(await page.getAttribute('#worker-stored tr[data-group="bigWork"]', 'data-count')), row.stored, `its own results: ${row.stored}`);
  }
  t.equal(seen.size, 2, 'the two pages are of the two workers');

  // An old link by name: ambiguous here, so the page lists both, each linked to its own page.
  await page.goto(new URL('worker?name=dup', s.dashboardUrl!).href);
  await page.waitForSelector('#worker-now a.worker-link', { timeout: 120_000 });
  const matches = await page.$$eval('#worker-now a.worker-link', (as) => as.map((a) => a.getAttribute('href')));
  t.same(matches.sort(), links.map((l) => l.href).sort(), 'the name\'s page lists the workers of that name');
  t.match(await page.textContent('#worker-now'), /2 workers are named "dup"/);
  t.same(errors, [], 'no errors in the pages');
  t.equal(held.length, 4, 'the results were held throughout');
});

/**
 * Hovers the middle of the bar of task `key`; the tooltip shown, as `{label: value}`. Its bar may
 * be a neighbour on the same row when the window is wide (its `key` line says which).
 */
async function hover(page: Page, key: string): Promise<Record<string, string>> {
  await page.waitForFunction((k) => !!(document.querySelector('#stream') as any).barCenter?.(k, 0), key, { timeout: 120_000 });
  // The stream redraws as time passes: a bar can move between reading its centre and the mouse
  // arriving, which then rests on empty space and never shows the tip (a one-shot hover failed so
  // at load ~30). Each try reads the centre again; the bound is generous, not a timing assertion.
  for (let tries = 1; ; tries++) {
    const at = await page.evaluate((k) => (document.querySelector('#stream') as any).barCenter(k, 0), key);
    await page.mouse.move(at.x + 40, at.y + 40);
    await page.mouse.move(at.x, at.y, { steps: 2 });
    const shown = await page.waitForFunction(() => !(document.querySelector('.stream-tip') as HTMLElement).hidden, null, { timeout: 3_000 }).then(() => true, () => false);
    if (shown) break;
    if (tries === 20) throw new Error(`hovering the bar of ${key} showed no tooltip in ${tries} tries`);
  }
  return page.$$eval('.stream-tip > div', (divs) => Object.fromEntries(divs.map((d) => [d.querySelector('b')!.textContent!.trim(), d.textContent!.slice(d.querySelector('b')!.textContent!.length)])));
}

t.test('two workers named alike: their task-stream rows, event-log lines, failures and memory series are apart', { skip }, async (t) => {
  // By name, the two workers' single threads were one stream row (`dup #0`), the log said
  // "worker dup joined" twice with nothing to tell them apart, and the memory panel kept one.
  const { s, workers, connect } = await inProcessCluster(t, { host: '127.0.0.1', port: 0, dashboardPort: 0, log: () => {} });
  const ranOn = new Map<string, string>();
  s.subscribe((e: ClusterEvent) => { if (e.kind === 'task-done') ranOn.set(e.key, e.workerId ?? '?'); });
  for (let i = 0; i < 2; i++) workers.push(await startWorker({ scheduler: s.address, nthreads: 1, name: 'dup', cwd: repo, allowModules: [fixturesDir], log: () => {} }));
  await until(() => s.snapshot().workers.filter((w) => w.alive).length === 2, 'both workers register');
  const ids = s.snapshot().workers.map((w) => w.id).sort();
  const client = await connect('dup-stream-test');
  const held = client.map(fx.bigWork, [1, 2, 3, 4], [30, 30, 30, 30]);
  t.equal((await client.gather(held)).length, 4);
  t.same([...new Set(held.map((f) => ranOn.get(f.key)))].sort(), ids, 'the tasks ran on both workers');
  const boom = client.submit(fx.explodeOnPurpose, 'on purpose');
  await t.rejects(boom.result(), /on purpose/);

  const { page, errors } = await openPage(t, s.dashboardUrl!);
  const label = (id: string) => `dup (id ${id})`;
  // The four tasks' bars drawn: then the rows they are on.
  await page.waitForFunction((n) => Number((document.querySelector('#stream') as HTMLElement).dataset.bars) >= n, 4, { timeout: 120_000 });
  const rows = JSON.parse((await page.getAttribute('#stream', 'data-rows')) ?? '[]') as string[];
  t.same(rows.filter((r) => r.endsWith('#0')), ids.map((id) => `${label(id)} #0`), `a row per worker's thread, labelled apart (${rows.join(', ')})`);

  // The event log: each worker-added line links its own worker, by id, labelled apart.
  await page.waitForSelector('#log .kind-worker-added', { timeout: 120_000 });
  const joined = await page.$$eval('#log .kind-worker-added', (es) => es.map((e) => ({ text: e.lastElementChild!.textContent, href: e.querySelector('a.worker-link')?.getAttribute('href') })));
  t.same(joined.map((j) => j.href).sort(), ids.map((id) => `worker?id=${id}`), 'each joined line links its worker\'s page');
  t.same(joined.map((j) => j.text!.replace(/ joined at .*/, '')).sort(), ids.map((id) => `worker ${label(id)}`), 'and names it apart');
  // The failure: its row and its log line link the worker it failed on.
  const failedOn = s.snapshot().failures.find((f) => f.key === boom.key)?.workerId ?? '';
  t.ok(ids.includes(failedOn), `it failed on one of them (${failedOn})`);
  await page.waitForSelector('#failures .failure', { timeout: 120_000 });
  const links = (sel: string) => page.$$eval(sel, (as) => as.map((a) => [a.getAttribute('href'), a.textContent]));
  t.same(await links('#failures .failure a.worker-link'), [[`worker?id=${failedOn}`, label(failedOn)]], 'the failure links the worker it failed on');
  t.same(await links('#log .kind-erred a.worker-link'), [[`worker?id=${failedOn}`, label(failedOn)]], 'so does its log line');

  // Memory and occupancy: one series and one row per worker, labelled apart.
  await page.waitForFunction(() => Number((document.querySelector('#memory') as HTMLElement).dataset.samples) > 0, null, { timeout: 120_000 });
  t.same(Object.keys(JSON.parse((await page.getAttribute('#memory', 'data-latest')) ?? '{}')).sort(), ids.map(label), 'a memory series per worker');
  t.same((await page.$$eval('#occupancy tr[data-worker]', (trs) => trs.map((tr) => tr.getAttribute('data-worker')))).sort(), ids.map(label), 'an occupancy row per worker');
  // Last (it moves the mouse): each bar's tooltip names the worker it ran on.
  for (const f of held.slice(0, 2)) {
    const tip = await hover(page, f.key);
    t.ok(ranOn.has(tip.key!), `a task's tooltip (${tip.key})`);
    t.equal(tip.worker, label(ranOn.get(tip.key!)!), `${tip.key}'s bar names the worker it ran on`);
  }
  t.same(errors, [], 'no errors in the page');
  t.equal(held.length, 4, 'the results were held throughout');
});
