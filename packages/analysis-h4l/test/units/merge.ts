/** Results merge exactly; groups sum and scale per selection; the h4l/m4l published shape; chunking. */
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { mergeResults, selectColumns, sampleByName, groupHistograms, publishedM4l, splitRanges, EntryCache,
  frameworkScale, makeChunks, scheduleChunks, type AnalysisResult, type CountResult } from '@gluon/analysis-h4l';
import { columns, lep } from '../events.js';

const ev = (m: number) => ({ leps: [lep(m, 1, 13), lep(m, -1, 13, { phi: Math.PI }), lep(20, 1, 11, { phi: 1 }), lep(20, -1, 11, { phi: -1 })] });
function resultFor(sample: string, selection: 'notebook' | 'framework', evs = [ev(50), ev(60)]): AnalysisResult {
  const cols = { ...columns(evs), mcWeight: [2, 2], scaleFactor_PILEUP: [1, 1], scaleFactor_ELE: [1, 1], scaleFactor_MUON: [1, 1], scaleFactor_LepTRIGGER: [1, 1] };
  const out = selectColumns(cols, sampleByName(sample), { selection, lumiFb: 10 });
  return { selection, samples: { [sample]: { sample, ...out } }, events: evs.length, chunks: 1, skipped: [] };
}

t.test('merging is exact and order-independent for counts; inputs untouched', async (t) => {
  const a = resultFor('data_A', 'notebook'), b = resultFor('data_A', 'notebook', [ev(70)]), c = resultFor('Zee', 'notebook');
  const m1 = mergeResults([a, b, c]), m2 = mergeResults([mergeResults([c, b]), a]);
  t.same(Array.from(m1.samples.data_A.hists.m4l.sumw), Array.from(m2.samples.data_A.hists.m4l.sumw));
  t.equal(m1.samples.data_A.cutflow.raw[0], 3);
  t.equal(m1.events, 5); t.equal(m1.chunks, 3);
  t.equal(a.samples.data_A.cutflow.raw[0], 2, 'input not modified');
  t.throws(() => mergeResults([a, resultFor('data_A', 'framework')]), /different|selections/);
  t.throws(() => mergeResults([]), /nothing to merge/);
});

t.test('groups: A sums weighted samples; B scales by lumi × xsec / sumw and ZZ × 1.3', async (t) => {
  const a = mergeResults([resultFor('Zee', 'notebook'), resultFor('Zmumu', 'notebook'), resultFor('data_B', 'notebook')]);
  const g = groupHistograms(a);
  t.same(Object.keys(g), ['data', 'Zttbar']);
  const zsum = a.samples.Zee.hists.m4l.sumw.reduce((x, y) => x + y, 0) + a.samples.Zmumu.hists.m4l.sumw.reduce((x, y) => x + y, 0);
  t.ok(Math.abs(g.Zttbar.m4l.sumw.reduce((x, y) => x + y, 0) - zsum) < 1e-15);
  const b = mergeResults([resultFor('llll', 'framework')]);
  const gb = groupHistograms(b);
  const raw = b.samples.llll.hists.mass_ext_four_lep.sumw.reduce((x, y) => x + y, 0);
  const scaled = gb.ZZ.mass_ext_four_lep.sumw.reduce((x, y) => x + y, 0);
  t.ok(Math.abs(scaled / raw - frameworkScale(sampleByName('llll'), 10064) * 1.3) < 1e-12);
  const pub = publishedM4l(a) as { nbins: number; groups: Record<string, { values: number[]; style?: string; color: string }> };
  t.equal(pub.nbins, 34);
  t.same(Object.keys(pub.groups), ['Background Z,tt̄', 'Data']);
  t.equal(pub.groups.Data.style, 'points');
  t.equal(pub.groups['Background Z,tt̄'].color, '#6b59d3');
  t.equal(pub.groups.Data.values.length, 34);
});

t.test('chunking and the entry cache', async (t) => {
  t.same(splitRanges(10, 4), [{ entryStart: 0, entryStop: 3 }, { entryStart: 3, entryStop: 6 }, { entryStart: 6, entryStop: 10 }]);
  t.same(splitRanges(0, 4), []);
  t.same(splitRanges(5, 100), [{ entryStart: 0, entryStop: 5 }]);
  t.throws(() => splitRanges(5, 0), /chunk size must be at least 1/);
  // With cluster boundaries: whole clusters grouped up to the chunk size, big clusters split.
  t.same(splitRanges(554_279, 100_000, [0, 100_000, 200_000, 300_000, 400_000, 500_000, 554_279]).map((r) => r.entryStop),
    [100_000, 200_000, 300_000, 400_000, 500_000, 554_279], 'chunks end on the 100k baskets, not at n/6');
  t.same(splitRanges(90, 40, [0, 15, 30, 45, 60, 75, 90]), [{ entryStart: 0, entryStop: 30 }, { entryStart: 30, entryStop: 60 }, { entryStart: 60, entryStop: 90 }]);
  t.same(splitRanges(520, 100, [0, 10, 500, 520]).map((r) => [r.entryStart, r.entryStop]),
    [[0, 10], [10, 108], [108, 206], [206, 304], [304, 402], [402, 500], [500, 520]], 'a cluster over the chunk size is split evenly');
  t.same(splitRanges(10, 4, [0, 3]), splitRanges(10, 4), 'boundaries that do not describe n are ignored');

  // Submission order: largest first; the last 15% of the events in pieces of about chunkSize/4,
  // cut at cluster boundaries only, covering exactly what the plain chunks cover.
  const tens = (n: number) => [...Array.from({ length: Math.ceil(n / 10) }, (_, i) => i * 10), n];
  const file = (name: string, entries: number): CountResult =>
    ({ file: { file: `/d/${name}.root`, sample: sampleByName('llll') } as CountResult['file'], entries, clusters: tens(entries), cached: true });
  const counts = [file('a', 540), file('b', 190), file('c', 60), file('d', 5)];
  const plain = makeChunks(counts, 100);
  const order = scheduleChunks(counts, 100);
  const len = (c: { entryStart: number; entryStop: number }) => c.entryStop - c.entryStart;
  t.same(order.map(len), [...order.map(len)].sort((x, y) => y - x), 'largest first');
  t.ok(order.length > plain.length, `the tail was split (${plain.length} → ${order.length} chunks)`);
  const tail = order.slice(-4);
  t.ok(tail.every((c) => len(c) <= 30), `the last chunks are small (${tail.map(len).join(', ')})`);
  t.ok(order.every((c) => c.entryStart % 10 === 0 || c.entryStart === 0), 'cuts only at cluster boundaries');
  for (const f of counts) {
    const mine = order.filter((c) => c.file === f.file.file).sort((x, y) => x.entryStart - y.entryStart);
    t.ok(mine.every((c, i) => i === 0 || c.entryStart === mine[i - 1]!.entryStop), `${f.file.file}: pieces follow each other, no gap or overlap`);
    t.equal(mine[0]!.entryStart, 0);
    t.equal(mine.at(-1)!.entryStop, f.entries);
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'h4l-cache-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const f = path.join(dir, 'sub', 'c.json');
  const c = await new EntryCache(f).load();
  c.set('x|1|2', { entries: 7, clusters: [0, 7] });
  await c.save();
  t.same((await new EntryCache(f).load()).get('x|1|2'), { entries: 7, clusters: [0, 7] });
  writeFileSync(f, JSON.stringify({ 'old|1|2': 7 }));
  t.equal((await new EntryCache(f).load()).get('old|1|2'), undefined, 'an old cache entry without clusters is re-read');
});
