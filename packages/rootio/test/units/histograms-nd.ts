import t, { type Test } from 'tap';
import { fileURLToPath } from 'node:url';
import { openFile } from 'jsroot';
import { openRootFile, type Axis } from '@gluon/rootio';

/**
 * TH1, TH2 and profiles written by ROOT (scikit-hep-testdata: uproot-issue213.root holds TH1F and
 * TH2F, uproot-issue-227a.root a TProfile2D, uproot-issue-513.root two 1-D TProfiles and two TH1D
 * in subdirectories) against jsroot's reading of the same objects, member by member; TH3 on
 * jsroot's own TH3D object.
 */
const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/skhep/${name}`, import.meta.url));
type J = Record<string, any>;

function sameAxis(t: Tap, a: Axis | null, j: J, what: string) {
  t.ok(a, `${what} present`);
  t.equal(a!.nbins, j.fNbins, `${what} bins`);
  t.equal(a!.lo, j.fXmin);
  t.equal(a!.hi, j.fXmax);
  t.equal(a!.title, j.fTitle);
}
type Tap = Test;

for (const file of ['uproot-issue213.root', 'uproot-issue-227a.root', 'uproot-issue-513.root']) {
  t.test(`${file}: every histogram equals jsroot's`, async (t) => {
    const f = await openRootFile(fixture(file));
    t.teardown(() => f.close());
    const jf = await openFile(fixture(file));
    const hists = f.keys().filter((k) => /^TH|^TProfile/.test(k.className));
    t.ok(hists.length > 0);
    for (const k of hists) {
      const h = await f.histogram(`${k.name};${k.cycle}`);
      const j = (await jf.readObject(`${k.name};${k.cycle}`)) as J;
      t.equal(h.className, j._typename, k.name);
      sameAxis(t, h.x, j.fXaxis, `${k.name} x`);
      if (h.dimension >= 2) sameAxis(t, h.y, j.fYaxis, `${k.name} y`);
      t.equal(h.contents.length, j.fArray.length, `${k.name}: (nx+2)(ny+2) bins`);
      if (h.profile) {
        t.same(Array.from(h.profile.sumwy), Array.from(j.fArray as ArrayLike<number>), `${k.name} Σwy`);
        t.same(Array.from(h.profile.sumw), Array.from(j.fBinEntries as ArrayLike<number>), `${k.name} Σw`);
        const means = Array.from(j.fArray as ArrayLike<number>, (v, i) => (j.fBinEntries[i] ? v / j.fBinEntries[i] : 0));
        t.same(Array.from(h.contents), means, `${k.name}: contents are the bin means`);
        t.ok(h.contents.some((v) => v !== 0), 'some bin is filled');
      } else {
        t.same(Array.from(h.contents), Array.from(j.fArray as ArrayLike<number>), `${k.name} contents`);
        t.same(Array.from(h.sumw2), Array.from((j.fSumw2 ?? []) as ArrayLike<number>), `${k.name} sumw2`);
      }
      t.equal(h.entries, j.fEntries);
    }
  });
}

t.test('TH3D: three axes, (nx+2)(ny+2)(nz+2) bins with under/overflow', async (t) => {
  const { createHistogram } = await import('jsroot');
  const { readHistogram } = await import('../../src/histogram.js');
  const j = createHistogram('TH3D', 3, 2, 4) as J;
  j.fName = 'h3';
  for (let i = 0; i < j.fArray.length; i++) j.fArray[i] = i;
  const h = readHistogram('mem.root', 'h3', j);
  t.equal(h.dimension, 3);
  t.same([h.x.nbins, h.y!.nbins, h.z!.nbins], [3, 2, 4]);
  t.equal(h.contents.length, 5 * 4 * 6);
  t.equal(h.contents[1 + 5 * (1 + 4 * 1)], 1 + 5 * (1 + 4 * 1), 'bin (1,1,1) at x + (nx+2)(y + (ny+2) z)');
});
