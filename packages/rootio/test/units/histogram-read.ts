import t from 'tap';
import { join } from 'node:path';
import { openFile } from 'jsroot';
import { openRootFile } from '@gluon/rootio';
import { NO_DATA, sharedData } from '../helpers.js';

/** TH1 read from a ROOT-written file equals jsroot's reading of the same object field by field. */
const data = sharedData();
if (!data) {
  t.skip;
} else {
  const path = join(data, 'root-testfiles', 'uproot-histograms.root');
  t.test('TH1F one/two/three equal jsroot', async (t) => {
    const f = await openRootFile(path);
    t.teardown(() => f.close());
    const jf = await openFile(path);
    for (const name of ['one', 'two', 'three']) {
      const h = await f.histogram(name);
      const j = await jf.readObject(name);
      t.equal(h.className, j._typename);
      t.equal(h.title, j.fTitle);
      t.equal(h.nbins, j.fXaxis.fNbins);
      t.equal(h.lo, j.fXaxis.fXmin);
      t.equal(h.hi, j.fXaxis.fXmax);
      t.equal(h.xTitle, j.fXaxis.fTitle);
      t.equal(h.entries, j.fEntries);
      t.same(Array.from(h.contents), Array.from(j.fArray as ArrayLike<number>), `${name} contents with under/overflow`);
      t.equal(h.contents.length, h.nbins + 2);
      t.same(Array.from(h.sumw2), Array.from((j.fSumw2 ?? []) as ArrayLike<number>), `${name} sumw2`);
      t.equal(h.y, null);
    }
    await t.rejects(f.tree('one'), { name: 'RootFormatError', message: /one is a TH1F, not a TTree/ });
  });

  t.test("one's bins as uproot's test_0405 gives them, also written again under its name and another", async (t) => {
    // uproot's test_from_old and test_new_name copy `one` into a new file (as `one`, `whatever`)
    // and read it with ROOT: bins 0-11 are these.
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { RootFileWriter, histogramInput } = await import('@gluon/rootio');
    const bins = [0, 68, 285, 755, 1580, 2296, 2286, 1570, 795, 289, 76, 0];
    const f = await openRootFile(path);
    t.teardown(() => f.close());
    const one = await f.histogram('one');
    t.same(Array.from(one.contents), bins);
    const dir = mkdtempSync(join(tmpdir(), 'uproot-0405-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const out = join(dir, 'newfile.root');
    const w = await RootFileWriter.create(out);
    w.writeHistogram(histogramInput(one));
    w.writeHistogram(histogramInput(one, 'whatever'));
    await w.close();
    const g = await openRootFile(out);
    t.teardown(() => g.close());
    for (const name of ['one', 'whatever']) t.same(Array.from((await g.histogram(name)).contents), bins, `${name} written and read again`);
  });
}

// No ROOT-written TH2 is among the test files, so the TH2 mapping is checked on jsroot's own TH2D
// object (what jsroot's reader hands us for a TH2D in a file): axes, the (nx+2)·(ny+2) layout
// with under/overflow, and sumw2.
t.test('TH2D: both axes, bin layout with under/overflow, sumw2', async (t) => {
  const { createHistogram } = await import('jsroot');
  const { readHistogram } = await import('../../src/histogram.js');
  const j = createHistogram('TH2D', 3, 2) as Record<string, any>;
  j.fName = 'h2';
  j.fTitle = 'two-d';
  Object.assign(j.fXaxis, { fXmin: 0, fXmax: 3, fTitle: 'x [GeV]' });
  Object.assign(j.fYaxis, { fXmin: -1, fXmax: 1, fTitle: 'y' });
  j.fSumw2 = new Array(j.fArray.length).fill(0);
  const put = (bx: number, by: number, w: number) => {
    const bin = j.getBin(bx, by);
    j.fArray[bin] += w;
    j.fSumw2[bin] += w * w;
  };
  put(1, 1, 2); put(3, 2, 0.5); put(0, 1, 1); put(4, 3, 7); put(2, 0, 3);
  j.fEntries = 5;
  const h = readHistogram('mem.root', 'h2', j);
  t.equal(h.className, 'TH2D');
  t.same([h.x.nbins, h.x.lo, h.x.hi, h.x.title], [3, 0, 3, 'x [GeV]']);
  t.same([h.y!.nbins, h.y!.lo, h.y!.hi, h.y!.title], [2, -1, 1, 'y']);
  t.equal(h.contents.length, (3 + 2) * (2 + 2), '(nx+2)·(ny+2) bins');
  const at = (bx: number, by: number) => h.contents[bx + (3 + 2) * by];
  t.same([at(1, 1), at(3, 2), at(0, 1), at(4, 3), at(2, 0)], [2, 0.5, 1, 7, 3], 'x + (nx+2)·y, under/overflow included');
  t.equal(h.sumw2[3 + 5 * 2], 0.25);
  t.equal(h.entries, 5);
  j.fArray = j.fArray.subarray(0, j.fArray.length - 1);
  t.throws(() => readHistogram('mem.root', 'h2', j), { name: 'RootFormatError', message: /fArray has 19 values for 20 bins/ });
});
