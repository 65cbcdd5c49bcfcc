/**
 * The Memory, Occupancy and Scheduler panels in Debian's chromium, against a real LocalCluster
 * (scheduler + 2 worker processes × 1 thread) running work whose figures are known: tasks held
 * executing behind a gate file, and one result of a known size. Skips without /usr/bin/chromium.
 */
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { LocalCluster } from '@gluon/client';
import { chromiumSkip, openPage } from '../fixtures/browser.js';
import { CLUSTER, fx, gates, outDir } from '../fixtures/dashboard-run.js';

const MiB = 1 << 20;
const skip = chromiumSkip();

/** Resident memory of a process, from /proc (bytes). */
function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

t.test('memory, occupancy and the scheduler\'s own figures match the run', { skip }, async (t) => {
  const cluster = await LocalCluster.start({ nWorkers: 2, nthreads: 1, memoryLimit: '600MiB', ...CLUSTER });
  t.teardown(() => cluster.close());
  const gate = gates(t)('open');
    const { page, errors: pageErrors } = await openPage(t, cluster.dashboardUrl!);
  const client = await cluster.client();

  // Occupancy: three tasks that stay executing until the gate opens. Each worker (1 thread)
  // takes at most threads + 1 = 2, placed on the least loaded: one worker gets 2 (1 executing,
  // 1 waiting for its thread), the other 1. Executing comes with the workers' heartbeats.
  const held = client.map(fx.gated, [0, 1, 2].map(() => gate), [0, 1, 2]);
  await page.waitForFunction(() => {
    const cells = (sel: string) => [...document.querySelectorAll(`#occupancy ${sel}`)].map((td) => Number(td.textContent));
    return cells('td.assigned').sort().join() === '1,2' && cells('td.executing').join() === '1,1';
  }, null, { timeout: 60_000 });
  const rows = await page.$$eval('#occupancy tr[data-worker]', (trs) => trs.map((tr) => ({
    name: tr.getAttribute('data-worker'), assigned: Number(tr.querySelector('.assigned')!.textContent), executing: Number(tr.querySelector('.executing')!.textContent),
  })));
  t.same(new Set(rows.map((r) => r.name)), new Set(cluster.workers.map((w) => w.name)), 'a row per worker, by name');
  t.same(rows.map((r) => r.assigned).sort(), [1, 2], 'three tasks assigned: 2 on one worker, 1 on the other');
  t.match(await page.textContent('#occupancy .occ-summary'), /3 assigned, 2 executing on 2 workers/);
  // Imbalance: loads per thread 2 and 1, mean 1.5 → the busiest has 1.33×.
  t.equal(Number(await page.getAttribute('#occupancy .occ-summary', 'data-imbalance')).toFixed(2), '1.33', 'the imbalance is max/mean of the loads per thread');
  writeFileSync(gate, '');
  t.same(await client.gather(held), [0, 1, 2], 'the gated tasks return once the gate opens');
  await page.waitForFunction(() => [...document.querySelectorAll('#occupancy td.assigned')].every((td) => td.textContent === '0'), null, { timeout: 60_000 });
  t.pass('and occupancy falls back to 0 assigned everywhere');

  // Memory: one result of exactly 450 MiB held by one worker, whose RSS goes to ~80-90% of its
  // 600 MiB limit: the panel shows the held bytes exactly, the RSS as /proc says, and a warning.
  const big = client.submit(fx.sized, 450 * MiB);
  await client.wait([big]);
  t.equal(big.status, 'finished', 'the 450 MiB result is stored on a worker');
  // Held bytes are read from the scheduler's records at each sample, RSS comes with the worker's
  // heartbeat: wait for a sample after a heartbeat that saw the result in memory (RSS ≥ held).
  await page.waitForFunction((bytes) => Object.values(JSON.parse((document.querySelector('#memory') as HTMLElement).dataset.latest || '{}') as Record<string, { held: number; rss: number }>).some((w) => w.held >= bytes && w.rss >= bytes), 450 * MiB, { timeout: 60_000 });
  const latest = JSON.parse((await page.getAttribute('#memory', 'data-latest'))!) as Record<string, { held: number; rss: number; limit: number; paused: boolean }>;
  const holder = Object.entries(latest).find(([, w]) => w.held >= 450 * MiB)!;
  t.ok(holder[1].held >= 450 * MiB && holder[1].held < 450 * MiB + 4096, `results held by ${holder[0]}: ${holder[1].held} bytes (the result's 450 MiB and its wire header)`);
  t.equal(holder[1].limit, 600 * MiB, 'its limit is the 600 MiB it was started with');
  const pid = cluster.workers.find((w) => w.name === holder[0])!.pid;
  const procRss = rssOf(pid);
  t.ok(Math.abs(holder[1].rss - procRss) / procRss < 0.25, `its RSS ${(holder[1].rss / MiB).toFixed(0)} MiB is what /proc says (${(procRss / MiB).toFixed(0)} MiB)`);
  const cluster1 = JSON.parse((await page.getAttribute('#memory', 'data-cluster'))!) as { held: number; rss: number; limit: number };
  t.equal(cluster1.held, Object.values(latest).reduce((a, w) => a + w.held, 0), 'the cluster total is the sum of the workers\' held bytes');
  t.equal(cluster1.limit, 1200 * MiB, 'and of their limits');
  if (holder[1].rss >= 0.8 * 600 * MiB) {
    const warning = page.locator(`#memory .mem-warning[data-worker="${holder[0]}"]`);
    await warning.waitFor({ timeout: 120_000 });
    t.match(await warning.textContent(), holder[1].paused ? /is paused/ : /is at \d+% of its memory limit/, 'a warning names the worker near its limit');
  } else {
    t.comment(`worker RSS only ${(holder[1].rss / MiB).toFixed(0)} MiB: below 80% of 600 MiB, no warning expected`);
    t.equal(await page.locator('#memory .mem-warning').count(), 0, 'no warning below 80%');
  }
  t.equal(await page.locator(`#memory .mem-warning[data-worker="${Object.keys(latest).find((n) => n !== holder[0])}"]`).count(), 0, 'none for the other worker');

  // The scheduler's own figures, in the header and the panel: its RSS as /proc says.
  await page.waitForFunction(() => Number((document.querySelector('#scheduler-stats') as HTMLElement).dataset.samples) >= 3, null, { timeout: 120_000 });
  const self = await page.$eval('#scheduler-stats', (e) => ({ ...(e as HTMLElement).dataset }));
  const schedRss = rssOf(cluster.schedulerProcess.pid);
  t.ok(Math.abs(Number(self.rss) - schedRss) / schedRss < 0.25, `scheduler RSS ${(Number(self.rss) / MiB).toFixed(0)} MiB is what /proc says (${(schedRss / MiB).toFixed(0)} MiB)`);
  t.ok(Number(self.cpu) >= 0 && Number(self.cpu) <= 250, `scheduler CPU ${Number(self.cpu).toFixed(1)}%`);
  t.ok(Number(self.lagMax) >= 0 && Number(self.lagMax) >= Number(self.lagMean), `loop lag max ${Number(self.lagMax).toFixed(2)} ms ≥ mean ${Number(self.lagMean).toFixed(2)} ms`);
  t.match(await page.textContent('#self'), /^scheduler CPU \d+% · RSS [\d.]+ MiB · loop lag [\d.]+ ms$/, 'the header shows them');
  client.release([big]);
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'memory-occupancy.png'), await page.screenshot({ fullPage: true, type: 'png' }));
  t.same(pageErrors, [], 'no errors in the page');
});
