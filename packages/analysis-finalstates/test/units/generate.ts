/**
 * The synthetic generator (analysis-h4l's, extended) writes jets and photons in the real `mini`
 * schema, with jet multiplicity and pT like the real 4ℓ data's, and a finalstates run on its
 * events finds final states with jets and with photons.
 */
import t from 'tap';
import { openRootFile } from '@gluon/rootio';
import { generateSampleColumns, MINI_SCHEMA } from '@gluon/analysis-h4l/generate';
import { FinalStateCounter, physicsOptions, mergeConfig } from '@gluon/analysis-finalstates';
import { OPENDATA, HAVE_OPENDATA, NO_OPENDATA } from '../data-path.js';

type J = { offsets: Int32Array; values: ArrayLike<number> };
const N = 40_000;
const cols = generateSampleColumns('data_D', N, 11) as unknown as Record<string, J & ArrayLike<number>>;

t.test('photons in the mini schema: multiplicity, pT, η outside the crack, massless E, identification', async (t) => {
  for (const b of MINI_SCHEMA.filter((s) => s.name.startsWith('photon_'))) t.ok(cols[b.name], `${b.name} present`);
  const n = cols.photon_pt.offsets[N];
  t.equal(Array.from(cols.photon_n as ArrayLike<number>).reduce((a, b) => a + b, 0), n, 'photon_n counts the vector entries');
  t.ok(n / N > 0.01 && n / N < 0.03, `${(n / N).toFixed(4)} photons per event`);
  let tight = 0;
  for (let k = 0; k < n; k++) {
    const pt = cols.photon_pt.values[k], eta = cols.photon_eta.values[k], e = cols.photon_E.values[k];
    const a = Math.abs(eta);
    if (!(pt > 10_000) || !(a < 2.37) || (a > 1.37 && a < 1.52) || Math.abs(e - pt * Math.cosh(eta)) > 1e-3 * e) t.fail(`photon ${k}: pT ${pt} η ${eta} E ${e}`);
    tight += cols.photon_isTightID.values[k];
  }
  t.ok(tight / n > 0.75 && tight / n < 0.95, `${(tight / n).toFixed(3)} tight`);
  for (let i = 0; i < N; i++) {
    for (let k = cols.photon_pt.offsets[i] + 1; k < cols.photon_pt.offsets[i + 1]; k++) {
      if (cols.photon_pt.values[k] > cols.photon_pt.values[k - 1]) { t.fail(`event ${i}: photons not in decreasing pT`); break; }
    }
  }
});

t.test('a finalstates run on generated events finds jets and photons in the final states', async (t) => {
  const c = new FinalStateCounter(physicsOptions(mergeConfig({}, {})));
  c.add(cols, N);
  const fs = Object.keys(c.result().finalStates);
  t.ok(fs.some((f) => f.includes('j')), 'final states with jets');
  t.ok(fs.some((f) => f.endsWith('g')), `final states with photons: ${fs.filter((f) => f.endsWith('g')).slice(0, 5).join(' ')}`);
});

t.test('jet multiplicity and pT like the real 4ℓ data', async (t) => {
  if (!HAVE_OPENDATA) { t.skip; return; }
  const stats = (jets: J, events: number) => {
    const pts = Array.from(jets.values, (x) => x / 1000).sort((a, b) => a - b);
    return { perEvent: jets.offsets[events] / events, median: pts[Math.floor(pts.length / 2)] };
  };
  const real = { jets: 0, events: 0, pts: [] as number[] };
  for (const p of ['A', 'B', 'C', 'D']) {
    const f = await openRootFile(`${OPENDATA}/Data/data_${p}.4lep.root`);
    const tr = await f.tree('mini');
    const c = (await tr.arrays(['jet_pt'], { entryStart: 0, entryStop: tr.numEntries })).jet_pt as unknown as J;
    real.events += tr.numEntries; real.jets += c.offsets[tr.numEntries];
    for (let k = 0; k < c.offsets[tr.numEntries]; k++) real.pts.push(c.values[k] / 1000);
    await f.close();
  }
  real.pts.sort((a, b) => a - b);
  const gen = stats(cols.jet_pt, N);
  const realPerEvent = real.jets / real.events, realMedian = real.pts[Math.floor(real.pts.length / 2)];
  t.ok(Math.abs(gen.perEvent / realPerEvent - 1) < 0.35, `jets per event: generated ${gen.perEvent.toFixed(2)}, data ${realPerEvent.toFixed(2)}`);
  t.ok(Math.abs(gen.median / realMedian - 1) < 0.25, `median jet pT: generated ${gen.median.toFixed(1)} GeV, data ${realMedian.toFixed(1)} GeV`);
});
