/**
 * The analysis as a person watches it: a LocalCluster with its dashboard, chromium on the
 * dashboard page, and a notebook-selection run over a small generated dataset with one broken
 * file. The Results panel must end on the run's m4l histogram by group, and the Failures panel
 * must list the skipped file. Skips when chromium is absent (scripts/setup-test-env.sh).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { LocalCluster } from '@gluon/client';
import { chromiumSkip, launch } from '../../scheduler/test/fixtures/browser.js';
import { generateDataset } from '../src/generate/index.js';
import { publishedM4l } from '../src/groups.js';
import { runAnalysis } from '../src/run.js';

const dir = mkdtempSync(join(tmpdir(), 'h4l-dashboard-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test('the m4l histogram by group and a skipped bad file show in a real browser', { skip: chromiumSkip() }, async (t) => {
  await generateDataset({ outDir: dir, scale: 0.02, seed: 5 });
  writeFileSync(join(dir, 'Data', 'data_A.4lep.root'), 'this is not a ROOT file\n');
  const cluster = await LocalCluster.start({ nWorkers: 2, cwd: fileURLToPath(new URL('..', import.meta.url)) });
  t.teardown(() => cluster.close());
  const browser = await launch(t);
  const page = browser.pages()[0] ?? (await browser.newPage());
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(cluster.dashboardUrl!);
  await page.waitForSelector('#conn.up', { timeout: 120_000 });

  const client = await cluster.client();
  const report = await runAnalysis({ dataDir: dir, selection: 'notebook', nWorkers: 0, chunkSize: 2000, lumiFb: 10, skipBadFiles: true, client });
  t.ok(report.result.chunks > 4, `several chunks, so the histogram was published as they merged (${report.result.chunks})`);
  t.same(report.files.filter((f) => f.status === 'skipped').map((f) => f.file), [join(dir, 'Data', 'data_A.4lep.root')]);

  // The last publish carries every chunk; the run's own result (merged on the workers, in another
  // order) must agree with it up to rounding.
  const final = publishedM4l(report.result) as { groups: Record<string, { values: number[]; style?: string }> };
  const expected = Object.values(final.groups).filter((g) => g.style !== 'points').flatMap((g) => g.values).reduce((a, b) => a + b, 0);
  t.ok(expected > 0, 'the simulated groups have entries');
  const card = page.locator('.result[data-topic="h4l/m4l"]');
  await card.waitFor({ timeout: 120_000 });
  // The sum is of the simulated groups only: a publish with all of them but not yet a chunk of
  // Data reaches it too, so the wait is also for every group's name in the legend (the last
  // publish), not only for the sum.
  await page.waitForFunction(([e, names]) => {
    const el = document.querySelector('.result[data-topic="h4l/m4l"]') as HTMLElement | null;
    const sum = Number(el?.dataset.sum);
    return Math.abs(sum - e) <= 1e-9 * Math.max(1, e) && names.every((n) => el!.textContent!.includes(n));
  }, [expected, Object.keys(final.groups)] as const, { timeout: 120_000 });
  t.pass('the Results card ends on the run\'s stacked m4l total');
  const legend = await card.textContent();
  for (const name of Object.keys(final.groups)) t.match(legend, name, `the legend names ${name}`);
  t.equal(await card.locator('canvas').count(), 1, 'drawn on a uPlot canvas');
  // The signal peaks where the Higgs is.
  const signal = Object.entries(final.groups).find(([name]) => /signal/i.test(name))![1].values;
  const peak = 80 + 5 * signal.indexOf(Math.max(...signal));
  t.ok(peak >= 115 && peak < 135, `the signal group peaks in the bin at ${peak}–${peak + 5} GeV`);

  const skipped = page.locator('#failures .failure.skipped');
  await skipped.first().waitFor({ timeout: 120_000 });
  t.match(await skipped.first().textContent(), /data_A\.4lep\.root/, 'the Failures panel lists the skipped file');
  t.same(pageErrors, [], 'no errors in the page');
});
