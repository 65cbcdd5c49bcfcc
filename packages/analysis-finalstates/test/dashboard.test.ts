/**
 * The run as a person watches it: chromium on a LocalCluster's dashboard while a 2-worker run
 * goes over the real 4ℓ data in small chunks. The client publishes growing totals on
 * `finalstates/events` (the first after the first chunk, the last after all: at least two), the
 * Results panel's table never shrinks and ends on the run's events per final state. (How many
 * intermediate totals the page sees depends on the machine's speed: the dashboard sends the
 * latest value per topic every 250 ms.) Skips when chromium or the shared data is absent.
 */
import t from 'tap';
import { fileURLToPath } from 'node:url';
import { LocalCluster } from '@gluon/client';
import { chromiumSkip, launch } from '../../scheduler/test/fixtures/browser.js';
import { EVENTS_TOPIC, listFiles, mergeConfig, physicsOptions, runFinalStates } from '@gluon/analysis-finalstates';
import { OPENDATA, HAVE_OPENDATA, NO_OPENDATA } from './data-path.js';

t.test('the Results panel shows events per final state growing live', { skip: chromiumSkip() || (!HAVE_OPENDATA && NO_OPENDATA) }, async (t) => {
  const cluster = await LocalCluster.start({ nWorkers: 2, cwd: fileURLToPath(new URL('..', import.meta.url)) });
  t.teardown(() => cluster.close());
  const browser = await launch(t);
  const page = browser.pages()[0] ?? (await browser.newPage());
  await page.goto(cluster.dashboardUrl!);
  await page.waitForSelector('#conn.up', { timeout: 120_000 });
  // Every time the card changes, the page records the total of its table.
  await page.evaluate((topic) => {
    const w = window as unknown as { totals: number[] };
    w.totals = [];
    const sum = () => {
      const card = document.querySelector(`.result[data-topic="${topic}"]`);
      if (!card) return;
      let s = 0;
      for (const row of card.querySelectorAll('tr')) {
        const cells = row.querySelectorAll('td');
        if (cells.length >= 2) s += Number(cells[cells.length - 1].textContent!.replace(/[^0-9.]/g, ''));
      }
      if (w.totals.at(-1) !== s) w.totals.push(s);
    };
    new MutationObserver(sum).observe(document.body, { subtree: true, childList: true, characterData: true });
  }, EVENTS_TOPIC);

  const client = await cluster.client();
  t.teardown(() => client.close());
  // What the client publishes, as it goes (the real publish still runs).
  const published: number[] = [];
  const publish = client.publish.bind(client);
  client.publish = (topic: string, value: unknown) => {
    if (topic === EVENTS_TOPIC) published.push(Object.values(value as Record<string, number>).reduce((a, b) => a + b, 0));
    return publish(topic, value);
  };
  const report = await runFinalStates({ files: listFiles(OPENDATA), physics: physicsOptions(mergeConfig({}, {})), nWorkers: 0, chunkSize: 8, client });
  const expected = Object.values(report.result.finalStates).reduce((a, b) => a + b, 0);
  t.ok(report.result.chunks > 50, `${report.result.chunks} chunks`);
  await page.waitForFunction((e) => ((window as unknown as { totals: number[] }).totals.at(-1) ?? -1) === e, expected, { timeout: 120_000 });
  t.ok(published.length >= 2, `published ${published.length} times: ${published.join(' → ')}`);
  t.ok(published.every((v, i) => i === 0 || v > published[i - 1]), 'the published totals grow');
  t.equal(published.at(-1), expected, 'the last is the events of every final state');
  const totals = await page.evaluate(() => (window as unknown as { totals: number[] }).totals);
  t.ok(totals.every((v, i) => i === 0 || v > totals[i - 1]), `the page's table only grew: ${totals.join(' → ')}`);
  t.equal(totals.at(-1), expected, 'and ends on the events of every final state');
  const text = await page.locator(`.result[data-topic="${EVENTS_TOPIC}"]`).textContent();
  for (const fs of ['2e_2m', '4e', '4m']) t.match(text, fs, `the table names ${fs}`);
});
