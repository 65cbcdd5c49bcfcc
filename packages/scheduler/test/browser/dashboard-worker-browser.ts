/**
 * A worker's own page in Debian's chromium, against a real LocalCluster (2 workers × 1 thread):
 * the tasks assigned to it now, its results by group, its transfers, and the lines it logged
 * (a task over the memory limit makes each worker log that it stopped it). Skips without
 * /usr/bin/chromium.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { LocalCluster, TaskError } from '@gluon/client';
import { chromiumSkip, openPage } from '../fixtures/browser.js';
import { CLUSTER, fx, gates, outDir } from '../fixtures/dashboard-run.js';
import { memoryDashboard } from '../fixtures/memory-dashboard.js';
import type { WorkerRow } from '../../src/dashboard/source.js';

const MiB = 1 << 20;
const skip = chromiumSkip();

t.test('a worker\'s page: its tasks now, results by group, transfers and log lines', { skip }, async (t) => {
  const cluster = await LocalCluster.start({ nWorkers: 2, nthreads: 1, memoryLimit: '300MiB', ...CLUSTER });
  t.teardown(() => cluster.close());
  const gate = gates(t)('open');
  const names = cluster.workers.map((w) => w.name).sort();
  const { page, errors: pageErrors } = await openPage(t, cluster.dashboardUrl!);
  await page.waitForFunction(() => document.querySelectorAll('#workers tr[data-worker].alive').length === 2, null, { timeout: 120_000 });
  const links = await page.$$eval('#workers a.worker-link', (as) => as.map((a) => a.getAttribute('href')));
  t.ok(links.length === 2 && links.every((l) => /^worker\?id=w\d+$/.test(l ?? '')) && links[0] !== links[1], `each worker's name links to its own page, by id (${links.join(', ')})`);
  const client = await cluster.client();
  // The pages are opened by name, as links were made before ids: a name one worker has is its page.
  const open = async (name: string) => {
    await page.goto(new URL(`worker?name=${encodeURIComponent(name)}`, cluster.dashboardUrl!).href);
    await page.waitForSelector('#conn.up', { timeout: 120_000 });
  };

  // Tasks now: three gated tasks, held executing; each page lists exactly those sent to it.
  const held = client.map(fx.gated, [0, 1, 2].map(() => gate), [0, 1, 2]);
  const seen: string[] = [];
  for (const name of names) {
    await open(name);
    await page.waitForFunction(() => document.querySelectorAll('#worker-tasks tr[data-key]').length > 0, null, { timeout: 120_000 });
    const keys = await page.$$eval('#worker-tasks tr[data-key]', (trs) => trs.map((tr) => tr.getAttribute('data-key')!));
    t.equal(await page.textContent('dd[data-figure="assigned"]'), String(keys.length), `${name}: its assigned figure is its list's length (${keys.length})`);
    t.ok(keys.every((k) => k.startsWith('gated-')), `${name}: gated tasks only`);
    seen.push(...keys);
  }
  t.same(seen.sort(), held.map((f) => f.key).sort(), 'between them the two pages list the three tasks, each once');
  writeFileSync(gate, '');
  await client.gather(held);

  // Results by group, and transfers: two 32 KiB results, one per worker, summed on one of them.
  const parts = client.map(fx.bigWork, [1, 2], [30, 30]);
  const total = client.submit(fx.sumAll, ...parts);
  t.equal(await total.result(), 5);
  const pages: Record<string, { stored: Record<string, [number, number]>; transfers: Array<{ direction: string; peer: string; bytes: number }> }> = {};
  for (const name of names) {
    await open(name);
    // Every result is shown once the page has polled after the run.
    await page.waitForFunction(() => document.querySelector('#worker-stored tr[data-group="bigWork"], #worker-stored p.empty') !== null, null, { timeout: 120_000 });
    const stored = Object.fromEntries(await page.$$eval('#worker-stored tr[data-group]', (trs) => trs.map((tr) => [tr.getAttribute('data-group'), [Number(tr.getAttribute('data-count')), Number(tr.getAttribute('data-bytes'))]])));
    const transfers = await page.$$eval('#worker-transfers tr[data-direction]', (trs) => trs.map((tr) => ({ direction: tr.getAttribute('data-direction')!, peer: tr.getAttribute('data-peer')!, bytes: Number(tr.getAttribute('data-bytes')) })));
    pages[name] = { stored, transfers };
  }
  const big = names.map((n) => pages[n]!.stored.bigWork ?? [0, 0]);
  t.equal(big[0]![0] + big[1]![0], 2, 'two bigWork results between the two workers');
  for (const [n, b] of big) if (n) t.ok(b / n >= 32 * 1024 && b / n < 32 * 1024 + 256, `each bigWork result is 32 KiB (${b / n} bytes with its header)`);
  t.equal(names.reduce((a, n) => a + (pages[n]!.stored.gated?.[0] ?? 0), 0), 3, 'the three gated results are listed by group too');
  const inbound = names.flatMap((n) => pages[n]!.transfers.filter((x) => x.direction === 'in').map((x) => ({ ...x, to: n })));
  t.ok(inbound.length >= 1, 'the worker that ran the sum fetched the other part');
  for (const x of inbound) {
    t.not(x.peer, x.to, `${x.to} fetched from ${x.peer}`);
    const out = pages[x.peer]!.transfers.find((y) => y.direction === 'out' && y.peer === x.to && y.bytes === x.bytes);
    t.ok(out, `${x.peer}'s page lists the same transfer going out to ${x.to} (${x.bytes} bytes)`);
    t.ok(x.bytes >= 32 * 1024, 'a 32 KiB part moved');
  }

  // Log lines: a task holding 350 MiB under a 300 MiB limit is stopped by the worker running it,
  // which says so in its log, shown on its page. The task holds its memory until stopped (120 s
  // at most), so the monitor's sampling cannot miss it.
  const huge = client.submit(fx.sizedHeld, 350 * MiB);
  await t.rejects(huge.result(), TaskError, 'the task over the memory limit fails');
  // The line left the worker before the failure did, on the same connection: no waiting needed.
  let found = '';
  for (const name of names) {
    await open(name);
    await page.waitForFunction(() => (document.querySelector('#worker-log') as HTMLElement).dataset.lines !== undefined, null, { timeout: 120_000 });
    const lines = await page.$$eval('#worker-log .log-entry', (es) => es.map((e) => e.textContent ?? ''));
    const line = lines.find((l) => l.includes(`stopped task ${huge.key}`));
    if (line) found = `${name}: ${line}`;
  }
  t.match(found, new RegExp(`RSS of \\d+ MiB is over its memory limit of 300 MiB: stopped task ${huge.key}`), `a worker's page shows its log line (${found.slice(0, 160)})`);
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'worker-page.png'), await page.screenshot({ fullPage: true, type: 'png' }));
  t.same(pageErrors, [], 'no errors in the pages');
  // The futures are kept to the end: a future collected releases its result, and the pages'
  // results by group, read above, would miss it.
  t.equal([...held, ...parts, total].filter((f) => f.status === 'finished').length, 6, 'the gated tasks, the parts and their sum were held to the end');
});

t.test('a gone worker\'s page: its figures read – as its Workers row does, not 0 B of memory', { skip }, async (t) => {
  // Found by the operator trial: a worker stopped with SIGTERM had a page saying memory 0 B,
  // executing 0 and results 0 (0 B) under status gone (a gone row's figures are zeroed: they
  // described a process that is gone), where its Workers row says –.
  const { source, d, page, errors } = await memoryDashboard(t);
  const row: WorkerRow = {
    id: 'w1', name: 'left', address: 'ws://127.0.0.1:4001', host: 'n1', nthreads: 2, cpu: 40, rss: 150 * MiB, memoryLimit: 160 * MiB,
    executing: 1, queued: 1, stored: 3, storedBytes: 3 * MiB, lastSeen: Date.now(), alive: true,
  };
  source.emit({ kind: 'worker', row });
  source.emit({ kind: 'worker-log', worker: 'left', workerId: 'w1', time: Date.now(), text: 'a line it logged' });
  await page.goto(new URL('worker?id=w1', d.url).href);
  await page.waitForFunction(() => document.querySelector('dd[data-figure="memory"]')?.textContent === '150 MiB of 160 MiB (94%)', null, { timeout: 60_000 });
  // It leaves: the scheduler's row for a gone worker, as journal.ts's workerRow makes it.
  source.emit({ kind: 'worker', row: { ...row, cpu: 0, rss: 0, executing: 0, queued: 0, stored: 0, storedBytes: 0, alive: false } });
  await page.waitForFunction(() => document.querySelector('dd[data-figure="status"]')?.textContent === 'gone', null, { timeout: 60_000 });
  const figures = await page.$$eval('dd[data-figure]', (dds) => Object.fromEntries(dds.map((dd) => [dd.getAttribute('data-figure'), dd.textContent])));
  t.match(figures, { status: 'gone', CPU: '–', memory: '–', executing: '–', assigned: '–', results: '–' }, 'no figure of a process that is gone');
  t.match(figures.heartbeat, /^gone [\d.]+ s ago$/, 'its heartbeat says when it went, as its Workers row does');
  t.equal(await page.getAttribute('#worker-log', 'data-lines'), '1', 'its log is kept');
  t.same(errors, []);
});
