/**
 * The dashboard as a person sees it: a real LocalCluster (scheduler + 2 worker processes), a
 * known workload, and Debian's chromium driven by playwright-core reading the page. Skips with a
 * message when /usr/bin/chromium is absent (scripts/setup-test-env.sh installs it).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { LocalCluster, TaskError } from '@gluon/client';
import { histogramFor } from './fixtures/dashboard-tasks.mjs';
import { MemorySource } from './fixtures/memory-source.js';
import { colourStats, decodePng } from './fixtures/png.js';
import { chromiumSkip, launch } from './fixtures/browser.js';
import { startDashboard } from '../src/dashboard/server.js';
import { CLUSTER, fx, outDir } from './fixtures/dashboard-run.js';

const N = 200;
const skip = chromiumSkip();

t.test('dashboard in a real browser', { skip }, async (t) => {
  const cluster = await LocalCluster.start({ nWorkers: 2, nthreads: 2, memoryLimit: '1GiB', ...CLUSTER });
  t.teardown(() => cluster.close());
  t.ok(cluster.dashboardUrl, 'the LocalCluster reports a dashboard URL');
  const browser = await launch(t);
  const page = browser.pages()[0] ?? (await browser.newPage());
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(m.text());
  });
  await page.goto(cluster.dashboardUrl!);
  await page.waitForSelector('#conn.up', { timeout: 120_000 });
  // The workers table before the work: two live rows, nothing stored yet.
  await page.waitForFunction(() => document.querySelectorAll('#workers tr[data-worker].alive').length === 2, null, { timeout: 120_000 });
  const storedBefore = await page.$$eval('#workers td.stored', (tds) => tds.map((td) => Number(td.textContent)));
  t.same(storedBefore, [0, 0], 'no results stored before the workload');

  const client = await cluster.client();
  const futures = client.map(fx.work, Array.from({ length: N }, (_, i) => i));
  const failing = client.submit(fx.explodeOnPurpose, 'deliberate dashboard failure');
  const publisher = client.submit(fx.publishResults, 'test/m4l', 3);
  client.publish('client/summary', { tasks: N, note: 'published by the client' });
  const values = await client.gather(futures);
  t.equal(values.reduce((a: number, b: number) => a + b, 0), (N * (N + 1)) / 2, 'the workload computed the right values');
  await t.rejects(failing.result(), TaskError, 'the failing task fails');
  t.equal(await publisher.result(), 3);

  // Progress: the group of N work tasks reaches N/N with the right N.
  await page.waitForFunction((n) => document.querySelector('tr[data-group="work"] td.n-of-n')?.textContent === `${n}/${n}`, N, { timeout: 120_000 });
  t.equal(await page.textContent('tr[data-group="work"] td.n-of-n'), `${N}/${N}`, `progress shows ${N}/${N}`);
  // The failure may land in the push after the one that completed the work group.
  await page.waitForFunction(() => document.querySelector('tr[data-group="explodeOnPurpose"] td.state-erred')?.textContent === '1', null, { timeout: 120_000 });
  t.equal(await page.textContent('tr[data-group="explodeOnPurpose"] td.state-erred'), '1', 'the failing group shows one erred task');
  t.match(await page.textContent('#totals'), /2 workers/, 'the header counts two workers');

  // Workers: the same two rows, now holding the results.
  await page.waitForFunction((n) => {
    const cells = [...document.querySelectorAll('#workers td.stored')].map((td) => Number(td.textContent));
    return cells.length === 2 && cells.reduce((a, b) => a + b, 0) >= n;
  }, N, { timeout: 120_000 });
  const workerRows = await page.$$eval('#workers tr[data-worker]', (trs) => trs.map((tr) => ({ name: tr.getAttribute('data-worker'), alive: tr.classList.contains('alive'), threads: tr.children[3]?.textContent })));
  t.equal(workerRows.length, 2, 'two worker rows');
  t.ok(workerRows.every((r) => r.alive && r.threads === '2'), 'both alive with 2 threads each');
  const memText = await page.$$eval('#workers .membar', (bars) => bars.map((b) => b.textContent));
  t.equal(memText.length, 2, 'an RSS-against-limit bar per worker');
  t.ok(memText.every((x) => /MiB \/ 1\.0 GiB/.test(x ?? '')), `RSS shown against the 1 GiB limit: ${memText.join(', ')}`);

  // Failures: the failing task with its exception and remote stack; the published skip too.
  const failure = page.locator('#failures .failure[data-key^="explodeOnPurpose"]');
  await failure.waitFor({ timeout: 120_000 });
  t.match(await failure.textContent(), /RangeError: deliberate dashboard failure/, 'the exception is shown');
  t.match(await failure.locator('pre.stack').textContent(), /explodeOnPurpose/, 'the remote stack names the task function');
  t.match(await failure.textContent(), /retries used 0/);
  t.match(await page.textContent('#failures .failure.skipped'), /broken-sample\.root.*not a ROOT file/s, 'a bad-file skip published by a task is listed');

  // Task stream: bars for the executions.
  await page.waitForFunction((n) => Number((document.querySelector('#stream') as HTMLElement).dataset.bars) >= n, N, { timeout: 120_000 });
  t.ok(Number(await page.getAttribute('#stream', 'data-bars')) >= N, 'the task stream has a bar per task');

  // Results: the published histogram (stacked bars) with the expected total.
  const hist = page.locator('.result[data-topic="test/m4l"]');
  await hist.waitFor({ timeout: 120_000 });
  const published = histogramFor(3);
  const expected = [...published.groups['ZZ*'].values, ...published.groups['H→ZZ*→4ℓ'].values].reduce((a, b) => a + b, 0);
  t.equal(Number(await hist.getAttribute('data-sum')), expected, 'the histogram card holds the published stack');
  t.match(await hist.textContent(), /H→ZZ\*→4ℓ/, 'the legend names the groups');
  t.equal(await hist.locator('canvas').count(), 1, 'drawn on a uPlot canvas');
  t.match(await page.textContent('.result[data-topic="client/summary"]'), /published by the client/, 'a value published by the client is shown');
  t.match(await page.textContent('#log'), /worker-added/, 'the event log lists the workers joining');

  // Throughput got points; then the screenshot of the status page after the run.
  await page.waitForFunction(() => Number((document.querySelector('#throughput') as HTMLElement).dataset.points) > 2, null, { timeout: 120_000 });
  // One more render after them (the task stream, following now, is redrawn at every push and
  // clock tick), so ages and charts are settled for the picture: waited for, not slept on.
  const drawn = await page.$eval('#stream', (e) => Number((e as HTMLElement).dataset.draws));
  await page.waitForFunction((d) => Number((document.querySelector('#stream') as HTMLElement).dataset.draws) > d, drawn, { timeout: 120_000 });
  mkdirSync(outDir, { recursive: true });
  const png = await page.screenshot({ fullPage: true, type: 'png' });
  writeFileSync(join(outDir, 'dashboard.png'), png);
  // Judged on the first screenful (the full page grows with the panels below, mostly background).
  const pixels = decodePng(await page.screenshot({ type: 'png' }));
  const stats = colourStats(pixels);
  t.ok(pixels.width >= 1000 && pixels.height >= 800, `screenshot is ${pixels.width}×${pixels.height}`);
  t.ok(stats.distinct >= 40, `screenshot has ${stats.distinct} distinct colours (not blank)`);
  t.ok(stats.dominantShare < 0.9, `no single colour covers ${(stats.dominantShare * 100).toFixed(0)}% of it`);
  t.same(pageErrors, [], 'no errors in the page');
  // The futures are kept to the end: a future collected releases its result, and the workers'
  // stored results waited for above would never reach N.
  t.same([futures.filter((f) => f.status === 'finished').length, failing.status], [N, 'error'], 'the work and the failure were held to the end');
});

t.test('task stream: transfers get a row per receiving worker, drawn as red hatched bars', { skip }, async (t) => {
  const source = new MemorySource({ workers: [] });
  const d = await startDashboard(source, { host: '127.0.0.1', port: 0, feed: { intervalMs: 100 } });
  t.teardown(() => d.close());
  const browser = await launch(t);
  const page = browser.pages()[0] ?? (await browser.newPage());
  await page.goto(d.url);
  await page.waitForSelector('#conn.up', { timeout: 120_000 });
  const now = Date.now();
  source.emit({ kind: 'task-done', key: 'load-1', group: 'load', worker: 'w1', thread: 0, start: now - 3000, stop: now - 2000 });
  source.emit({ kind: 'task-done', key: 'load-2', group: 'load', worker: 'w2', thread: 0, start: now - 3000, stop: now - 2000 });
  source.emit({ kind: 'task-done', key: 'load-3', group: 'load', worker: 'w2', thread: 1, start: now - 3000, stop: now - 2000 });
  source.emit({ kind: 'transfer', keys: ['load-1'], from: 'w1', to: 'w2', start: now - 2000, stop: now - 1000, bytes: 800_000 });
  await page.waitForFunction(() => Number((document.querySelector('#stream') as HTMLElement).dataset.bars) === 4, null, { timeout: 120_000 });
  const rows = JSON.parse((await page.getAttribute('#stream', 'data-rows')) ?? '[]');
  t.same(rows, ['w1 #0', 'w2 #0', 'w2 #1', 'w2 transfers'], 'the thread rows unchanged, the transfer on its own row after the receiver\'s threads');
  // Red is reserved for transfers (the group palette has none): the stream shows some now.
  const png = await page.locator('#stream').screenshot({ type: 'png' });
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'stream-transfers.png'), png);
  const pixels = decodePng(png);
  let red = 0;
  for (let i = 0; i < pixels.rgba.length; i += 4) if (pixels.rgba[i]! > 170 && pixels.rgba[i + 1]! < 100 && pixels.rgba[i + 2]! < 100) red++;
  t.ok(red > 50, `the transfer bar is drawn in red (${red} red pixels)`);
});

t.test('with a token: the login form once, then the dashboard through its cookie', { skip }, async (t) => {
  const token = 'browser-token-' + Math.random().toString(36).slice(2);
  const source = new MemorySource({ workers: [] });
  const d = await startDashboard(source, { host: '127.0.0.1', port: 0, token, prefix: '/proxied/gluon' });
  t.teardown(() => d.close());
  const browser = await launch(t);
  const page = browser.pages()[0] ?? (await browser.newPage());
  // Behind a proxy that keeps the prefix, nothing the login form makes the browser ask for may
  // fall outside it: a page without an icon of its own sends the browser to /favicon.ico, the
  // proxy's root (another site's, or a 401 from Gluon and an error in the console).
  const requested: string[] = [];
  page.on('request', (r) => requested.push(new URL(r.url()).pathname));
  const icon = page.waitForRequest((r) => new URL(r.url()).pathname === '/proxied/gluon/assets/favicon.svg', { timeout: 60_000 });
  const iconStatus = page.waitForResponse((r) => new URL(r.url()).pathname === '/proxied/gluon/assets/favicon.svg', { timeout: 60_000 });
  await page.goto(d.url);
  t.equal(await page.locator('input[name=token]').count(), 1, 'the front page asks for the token');
  await icon;
  t.equal((await iconStatus).status(), 200, 'the login form\'s icon is served without a session');
  t.same(requested.filter((p) => !p.startsWith('/proxied/gluon/')), [], 'the login form asks for nothing outside the prefix');
  await page.fill('input[name=token]', 'wrong');
  await page.click('button[type=submit]');
  t.match(await page.textContent('body'), /Wrong token/);
  await page.fill('input[name=token]', token);
  await page.click('button[type=submit]');
  await page.waitForSelector('#conn.up', { timeout: 120_000 });
  t.equal(new URL(page.url()).pathname, '/proxied/gluon/', 'back on the dashboard, under the prefix');
  source.emit({ kind: 'publish', topic: 'answer', value: 42, time: Date.now() });
  await page.waitForSelector('.result[data-topic="answer"] .big', { timeout: 120_000 });
  t.equal(await page.textContent('.result[data-topic="answer"] .big'), '42', 'live values arrive through the cookie-authenticated feed');
  const cookies = await browser.cookies();
  const port = new URL(d.url).port;
  // The session, and the device cookie that lets this browser past a guesser's throttle (5066282).
  t.same(cookies.map((c) => [c.name, c.httpOnly, c.sameSite, c.path]).sort(), [[`gluon_dashboard_${port}`, true, 'Strict', '/proxied/gluon'], [`gluon_device_${port}`, true, 'Strict', '/proxied/gluon']]);
  await page.reload();
  await page.waitForSelector('#conn.up', { timeout: 120_000 });
  t.pass('a reload needs no second login');
  await page.click('form.logout button');
  await page.waitForSelector('input[name=token]', { timeout: 120_000 });
  // The device cookie stays: it grants nothing, and it is what keeps this browser's next login unthrottled.
  t.same((await browser.cookies()).map((c) => c.name), [`gluon_device_${port}`], 'Log out: the session cookie is gone and the login form is back');
  await page.goto(`${d.url}api/state`);
  t.match(await page.textContent('body'), /requires the scheduler token/, 'and the old session no longer opens the state');
});

t.test('two dashboards on one host (two ports, same path): logging into one keeps the other logged in', { skip }, async (t) => {
  // Browsers keep cookies per host and path, not per port: both dashboards set gluon_dashboard at
  // /, so the second login replaced the first one's session and that dashboard asked again.
  const a = await startDashboard(new MemorySource({ workers: [] }), { host: '127.0.0.1', port: 0, token: 'token-a' });
  t.teardown(() => a.close());
  const b = await startDashboard(new MemorySource({ workers: [] }), { host: '127.0.0.1', port: 0, token: 'token-b' });
  t.teardown(() => b.close());
  const browser = await launch(t);
  const page = browser.pages()[0] ?? (await browser.newPage());
  for (const [d, token] of [[a, 'token-a'], [b, 'token-b']] as const) {
    await page.goto(d.url);
    await page.fill('input[name=token]', token);
    await page.click('button[type=submit]');
    await page.waitForSelector('#conn.up', { timeout: 120_000 });
  }
  t.equal((await browser.cookies()).filter((c) => c.name.startsWith('gluon_dashboard_')).length, 2, 'one session cookie per dashboard');
  for (const d of [a, b]) {
    await page.goto(d.url);
    await page.waitForSelector('#conn.up, input[name=token]', { timeout: 120_000 });
    t.equal(await page.$('input[name=token]') === null, true, `${d.url} is still logged in, not asking for its token`);
  }
});

t.test('with a token: no console error on the login form, after a wrong token, or once logged in', { skip }, async (t) => {
  // Chromium logs every page answered with an error status as a console error ("Failed to load
  // resource: … 401"): the login form, a page the browser is meant to show, was served as a 401.
  const source = new MemorySource({ workers: [] });
  const d = await startDashboard(source, { host: '127.0.0.1', port: 0, token: 'console-token' });
  t.teardown(() => d.close());
  const browser = await launch(t);
  const page = browser.pages()[0] ?? (await browser.newPage());
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`${page.url()}: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`${page.url()}: ${m.text()}`);
  });
  await page.goto(d.url);
  await page.waitForSelector('input[name=token]');
  t.same(errors.splice(0), [], 'the login form');
  await page.fill('input[name=token]', 'wrong');
  await page.click('button[type=submit]');
  await page.waitForSelector('p.err');
  t.match(await page.textContent('p.err'), /Wrong token/);
  t.same(errors.splice(0), [], 'the login form again, saying the token was wrong');
  await page.fill('input[name=token]', 'console-token');
  await page.click('button[type=submit]');
  await page.waitForSelector('#conn.up', { timeout: 120_000 });
  source.emit({ kind: 'publish', topic: 'answer', value: 42, time: Date.now() });
  await page.waitForSelector('.result[data-topic="answer"] .big', { timeout: 120_000 });
  t.same(errors.splice(0), [], 'the dashboard once logged in');
  await page.click('form.logout button');
  await page.waitForSelector('input[name=token]', { timeout: 120_000 });
  t.same(errors.splice(0), [], 'logged out: the login form');
});
