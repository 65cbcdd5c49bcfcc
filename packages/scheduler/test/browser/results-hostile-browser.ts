/**
 * Published values a publisher (any client, any task) chose to be hostile, as a real browser
 * shows them on the Results panel: whatever they hold, they are drawn or named as not drawable,
 * style nothing but their own swatch, and never stop the other topics or the panels drawn after
 * Results (the event log, the header). Skips when /usr/bin/chromium is absent.
 */
import t, { type Test } from 'tap';
import { chromiumSkip } from '../fixtures/browser.js';
import { memoryDashboard } from '../fixtures/memory-dashboard.js';

const skip = chromiumSkip();

async function open(t: Test) {
  const { source, page, errors } = await memoryDashboard(t);
  const publish = (topic: string, value: unknown) => source.emit({ kind: 'publish', topic, value, time: Date.now() });
  return { source, page, errors, publish };
}

t.test('a published colour styles its swatch only', { skip }, async (t) => {
  const { page, errors, publish } = await open(t);
  // As style="background:…", this covered the whole page in red.
  publish('h/evil', { lo: 0, hi: 2, nbins: 2, groups: { evil: { values: [1, 2], color: 'red; position:fixed; left:0; top:0; width:100vw; height:100vh; z-index:99999' } } });
  publish('h/fine', { lo: 0, hi: 2, nbins: 2, groups: { fine: { values: [1, 2], color: 'rgb(1, 2, 3)' } } });
  await page.waitForFunction(() => document.querySelectorAll('#results .legend i').length === 2, null, { timeout: 60_000 });
  const swatches = await page.$$eval('#results .legend i', (is) => is.map((i) => {
    const s = getComputedStyle(i);
    const r = i.getBoundingClientRect();
    return { position: s.position, background: s.backgroundColor, width: r.width, height: r.height };
  }));
  t.not(swatches[0]!.position, 'fixed', 'the hostile colour positions nothing');
  t.ok(swatches[0]!.width < 100 && swatches[0]!.height < 100, `its swatch stays a swatch (${swatches[0]!.width}×${swatches[0]!.height} px)`);
  t.equal(swatches[1]!.background, 'rgb(1, 2, 3)', 'a colour is still a colour');
  t.same(errors, []);
});

t.test('bins a value asks for but does not give are named, and stop nothing else', { skip }, async (t) => {
  const { page, errors, publish, source } = await open(t);
  // 2^32 bins threw "Invalid array length" on every render, before the event log and the header
  // were drawn; 1e9 hung the page (an array of 1e9 edges), each from a value of ~60 bytes.
  publish('a/huge', { lo: 0, hi: 1, nbins: 2 ** 32, groups: { a: [1] } });
  publish('b/big', { lo: 0, hi: 1, nbins: 1e9, groups: { a: [1] } });
  // 400,000 edges and 100,000 empty groups (within the 2 MiB a shown value may have): 4e10 cells.
  publish('c/cells', { edges: new Array(400_000).fill(0), groups: Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [String(i), []])) });
  publish('z/after', 42);
  source.emit({ kind: 'log', entry: { time: Date.now(), kind: 'info', text: 'logged after the hostile topics' } });
  await page.waitForFunction(() => document.querySelector('#results [data-topic="z/after"] .big')?.textContent === '42', null, { timeout: 60_000 });
  await page.waitForFunction(() => /logged after the hostile topics/.test(document.getElementById('log')?.textContent ?? ''), null, { timeout: 60_000 });
  const text = (topic: string) => page.textContent(`#results [data-topic="${topic}"] .body`);
  t.match(await text('a/huge'), 'not drawn as a histogram: nbins is 4294967296, more than the 1 values of its longest group');
  t.match(await text('b/big'), 'not drawn as a histogram: nbins is 1000000000, more than the 1 values of its longest group');
  t.match(await text('c/cells'), 'not drawn as a histogram: 399999 bins × 100000 groups is over the 2000000 cells a histogram is drawn with');
  t.same(errors, []);
});
