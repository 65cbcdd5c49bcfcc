import t from 'tap';
import { join } from 'node:path';
import { openFile } from 'jsroot';
import { openRootFile } from '@gluon/rootio';
import { NO_DATA, sharedData } from './helpers.js';

/** TH1 read from a ROOT-written file equals jsroot's reading of the same object field by field. */
const data = sharedData();
if (!data) {
  t.skip(NO_DATA);
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
}
