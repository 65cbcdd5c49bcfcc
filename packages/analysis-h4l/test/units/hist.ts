import t from 'tap';
import { makeHist, fill, mergeInto, binIndex, foldOverflow, reviveHist } from '@gluon/analysis-h4l';
import { encodeValue, decodeValue } from '@gluon/protocol';

t.test('numpy rule: half-open bins, last closed, outside dropped', async (t) => {
  const h = makeHist('m', 34, 80, 250, 'numpy');
  t.equal(binIndex(h, 80), 1);
  t.equal(binIndex(h, 84.999), 1);
  t.equal(binIndex(h, 85), 2);
  t.equal(binIndex(h, 245), 34);
  t.equal(binIndex(h, 250), 34, 'last bin closed on the right');
  t.equal(binIndex(h, 250.0001), -1);
  t.equal(binIndex(h, 79.999), -1);
  t.equal(binIndex(h, NaN), -1);
  fill(h, 79); fill(h, 251); fill(h, 250, 2);
  t.equal(h.sumw[0], 0); t.equal(h.sumw[35], 0);
  t.equal(h.sumw[34], 2); t.equal(h.sumw2[34], 4); t.equal(h.entries, 1);
});

t.test('ROOT rule: floor formula, under/overflow kept, entries count all fills', async (t) => {
  const h = makeHist('c', 7, -1.75, 1.75, 'root');
  t.equal(binIndex(h, -1.75), 1, 'low edge included');
  t.equal(binIndex(h, -1.76), 0);
  t.equal(binIndex(h, 1.75), 8, 'high edge is overflow');
  t.equal(binIndex(h, 0), 4);
  fill(h, -5, 0.5); fill(h, 5, 2); fill(h, 1);
  t.equal(h.sumw[0], 0.5); t.equal(h.sumw2[0], 0.25);
  t.equal(h.sumw[8], 2); t.equal(h.sumw[6], 1);
  t.equal(h.entries, 3);
  const f = foldOverflow(h);
  t.equal(f.sumw[7], 2); t.equal(f.sumw[8], 0); t.equal(h.sumw[8], 2, 'original untouched');
});

t.test('merge is bin-by-bin addition and refuses different binning', async (t) => {
  const a = makeHist('x', 4, 0, 4, 'root'), b = makeHist('x', 4, 0, 4, 'root');
  fill(a, 1, 2); fill(b, 1, 3); fill(b, 9);
  mergeInto(a, b);
  t.equal(a.sumw[2], 5); t.equal(a.sumw2[2], 13); t.equal(a.sumw[5], 1); t.equal(a.entries, 3);
  t.throws(() => mergeInto(a, makeHist('x', 5, 0, 4, 'root')), /cannot merge histogram x/);
  t.throws(() => makeHist('bad', 0, 0, 1, 'root'), /nbins/);
});

t.test('round-trips through the Gluon wire codec as typed arrays', async (t) => {
  const a = makeHist('x', 3, 0, 3, 'numpy'); fill(a, 1.5, 0.25);
  const back = reviveHist(decodeValue(encodeValue(a)) as typeof a);
  t.ok(back.sumw instanceof Float64Array);
  t.same(Array.from(back.sumw), Array.from(a.sumw));
  t.same(Array.from(reviveHist({ ...a, sumw: [0, 1, 2, 3, 4] as never }).sumw), [0, 1, 2, 3, 4]);
});
