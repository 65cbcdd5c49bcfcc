import t from 'tap';
import {
  runNotebook, emptyNotebookOutput, runFramework, emptyFrameworkOutput, isGoodLepton, pairZ,
  eventWeights, xsecWeight, sampleByName, invariantMass,
} from '@gluon/analysis-h4l';
import { columns, lep, type Lep } from '../events.js';

const ones = (n: number) => new Float64Array(n).fill(1);
/** Independent pair mass (GeV) of two test leptons. */
function mass(...ls: Lep[]): number {
  let px = 0, py = 0, pz = 0, e = 0;
  for (const l of ls) { px += l.pt * Math.cos(l.phi!); py += l.pt * Math.sin(l.phi!); pz += l.pt * Math.sinh(l.eta!); e += l.E!; }
  return Math.sqrt(e * e - px * px - py * py - pz * pz) / 1000;
}
const fourMu = [lep(50, 1, 13), lep(40, -1, 13, { phi: 3 }), lep(30, 1, 13, { phi: 1 }), lep(20, -1, 13, { phi: -1 })];

t.test('A: first four leptons, flavour and charge sums, m4l', async (t) => {
  const evs = [
    { leps: fourMu },                                                   // pass
    { leps: [...fourMu, lep(8, 1, 11)] },                               // 5th ignored: pass
    { leps: [lep(50, 1, 13), lep(40, -1, 11), lep(30, 1, 13), lep(20, -1, 13)] }, // sum 50: fail flavour
    { leps: [lep(50, 1, 13), lep(40, 1, 13), lep(30, 1, 13), lep(20, -1, 13)] },  // charge 2: fail
    { leps: [lep(50, 1, 11), lep(40, -1, 11), lep(30, 1, 13), lep(20, -1, 13)] }, // 2e2μ pass
    { leps: [lep(50, 1, 11), lep(40, -1, 11), lep(30, 1, 11)] },        // three leptons: fail
  ];
  const c = columns(evs);
  const out = runNotebook(c, ones(evs.length), { ptCuts: false }, emptyNotebookOutput({ ptCuts: false }));
  t.same(Array.from(out.cutflow.raw), [6, 4, 3]);
  const m = mass(...fourMu);
  t.ok(Math.abs(invariantMass(c, [0, 1, 2, 3], 4) - m) < 1e-9);
  t.equal(out.hists.m4l.entries + 0, [m, m, mass(...evs[4].leps)].filter((x) => x >= 80 && x <= 250).length);
});

t.test('A+pT: strict 30/20/10 on leptons 0-2, lepton-pT histograms', async (t) => {
  const base = (p0: number, p1: number, p2: number) => ({ leps: [lep(p0, 1, 13), lep(p1, -1, 13, { phi: 3 }), lep(p2, 1, 13, { phi: 1 }), lep(3, -1, 13, { phi: -1 })] });
  const evs = [base(31, 21, 11), base(30, 21, 11), base(31, 20, 11), base(31, 21, 10)];
  const out = runNotebook(columns(evs), ones(4), { ptCuts: true }, emptyNotebookOutput({ ptCuts: true }));
  t.same(Array.from(out.cutflow.raw), [4, 1, 1, 1]);
  t.equal(out.hists.lep_pt_0.sumw[7], 1, '31 GeV in bin [30,35)');
  t.equal(out.hists.lep_pt_3.sumw[1], 1, 'last lepton has no cut');
});

t.test('weights: xsec × mcWeight × four scale factors; data 1', async (t) => {
  const xs = xsecWeight(sampleByName('Zee'), 10);
  t.ok(Math.abs(xs / 1.297951e-4 - 1) < 1e-6);
  t.ok(Math.abs(xsecWeight(sampleByName('ZH125_ZZ4lep'), 10) / 1.428319e-7 - 1) < 1e-6);
  t.equal(xsecWeight(sampleByName('data_A'), 10), 1);
  const w = eventWeights(2, { mcWeight: [2, -1], scaleFactor_PILEUP: [0.5, 1], scaleFactor_ELE: [3, 1],
    scaleFactor_MUON: [1, 2], scaleFactor_LepTRIGGER: [1, 1] }, 10);
  t.same(Array.from(w), [30, -20]);
  t.same(Array.from(eventWeights(2, undefined, 7)), [1, 1]);
});

t.test('B: good-lepton rules, each cut strict', async (t) => {
  const cases: [string, Lep, boolean][] = [
    ['muon baseline', lep(10, 1, 13), true],
    ['pT 5 GeV exactly fails', lep(5, 1, 13), false],
    ['|eta| 2.5 fails', lep(10, 1, 13, { eta: 2.5 }), false],
    ['|eta| 2.49 muon passes', lep(10, 1, 13, { eta: -2.49 }), true],
    ['ptcone30/pT 0.3 fails', lep(10, 1, 13, { ptcone30: 3000 }), false],
    ['etcone20/pT 0.3 fails', lep(10, 1, 13, { etcone20: 3000 }), false],
    ['negative etcone passes', lep(10, 1, 13, { etcone20: -5000 }), true],
    ['electron pT 7 fails', lep(7, 1, 11), false],
    ['electron pT 7.1 passes', lep(7.1, 1, 11), true],
    ['electron |eta| 2.47 fails', lep(10, 1, 11, { eta: 2.47 }), false],
    ['electron d0/sig 4.9 passes', lep(10, 1, 11, { d0: 4.9, sigd0: 1 }), true],
    ['electron d0/sig 5 fails', lep(10, 1, 11, { d0: -5, sigd0: 1 }), false],
    ['muon d0/sig 3 fails', lep(10, 1, 13, { d0: 3, sigd0: 1 }), false],
    ['muon d0/sig 2.9 passes', lep(10, 1, 13, { d0: 2.9, sigd0: 1 }), true],
    ['z0 sinθ 0.5 fails (eta 0)', lep(10, 1, 13, { z0: 0.5 }), false],
    ['z0 sinθ < 0.5 at eta 1 (z0 0.7)', lep(10, 1, 13, { z0: 0.7, eta: 1 }), true],
    ['tau type 15 is never good', lep(10, 1, 15), false],
    ['quirk: sigd0 is a significance (10) yet the ratio passes', lep(10, 1, 13, { d0: 0.01, sigd0: 10 }), true],
  ];
  const c = columns([{ leps: cases.map((x) => x[1]) }]);
  cases.forEach(([name, , good], j) => t.equal(isGoodLepton(c, j), good, name));
  t.equal(isGoodLepton(c, cases.length - 1, { correctedD0: true }), false, 'the corrected variant cuts on the significance');
});

t.test('B: event rules (trigger, exactly four good, pT thresholds, charge, flavour) and jets', async (t) => {
  const good = fourMu;
  const evs = [
    { leps: good, jets: [{ pt: 31, eta: 0 }, { pt: 29, eta: 0 }, { pt: 40, eta: 4.4 }, { pt: 40, eta: -4.3 }] },
    { leps: good, trigE: false, trigM: false },                                      // trigger
    { leps: [...good, lep(12, 1, 13, { phi: 2 })] },                                 // five good
    { leps: [...good.slice(0, 2), lep(6, 1, 11), ...good.slice(2)] },                // bad e between: still four good
    { leps: [lep(25, 1, 13), ...good.slice(1)] },                                    // g1 25 GeV fails
    { leps: [good[0], lep(15, -1, 13, { phi: 3 }), ...good.slice(2)] },              // g2 15 GeV fails
    { leps: [good[0], good[1], lep(10, 1, 13, { phi: 1 }), good[3]] },               // g3 10 GeV fails
    { leps: [good[0], good[1], good[2], lep(6, -1, 13, { phi: -1 })] },              // g4 6 GeV passes
    { leps: [good[0], good[1], good[2], lep(20, 1, 13, { phi: -1 })] },              // charge sum 2
    { leps: [good[0], good[1], good[2], lep(20, -1, 11, { phi: -1 })] },             // type sum 50
  ];
  const out = runFramework(columns(evs), ones(evs.length), emptyFrameworkOutput());
  t.same(Array.from(out.cutflow.raw), [10, 9, 8, 5, 4, 3]);
  t.same(Array.from(out.hists.hist_n_jets.sumw), [0, 2, 0, 1, 0, 0], 'event 0 has two good jets (31 GeV; 40 GeV at η −4.3); others none');
  t.equal(out.hists.hist_fourleptpt.entries, 12, 'four fills per event');
  t.equal(out.hists.hist_fourleptID.sumw[8], 12, 'type 13 in bin [12.5,13.5)');
  t.equal(out.hists.hist_fourleptch.sumw[2] + out.hists.hist_fourleptch.sumw[6], 12, 'charges −1 and +1 in bins 2 and 6');
});

t.test('B pairing: 4μ takes the last valid pairing, not the best', async (t) => {
  const ls = [lep(50, 1, 13), lep(45, -1, 13, { phi: Math.PI }), lep(30, 1, 13, { phi: 2 }), lep(20, -1, 13, { phi: -2 })];
  const c = columns([{ leps: ls }]);
  const z = new Float64Array(2);
  pairZ(c, [0, 1, 2, 3], z);
  const m14 = mass(ls[0], ls[3]), m23 = mass(ls[1], ls[2]), m12 = mass(ls[0], ls[1]);
  t.ok(Math.abs(m12 - 91.18) < Math.abs(m14 - 91.18), 'the first pairing would have been better');
  t.ok(Math.abs(z[0] - Math.max(m14, m23)) < 1e-9 && Math.abs(z[1] - Math.min(m14, m23)) < 1e-9, 'g1+g4 pairing wins');
  t.ok(Math.abs(m14 - 91.18) < Math.abs(m23 - 91.18), 'Z1 is the closer pair of that pairing');
});

t.test('B pairing: 2e2μ uses g1 same-flavour partner; wrong charge sets nothing; ties set nothing', async (t) => {
  const z = new Float64Array(2);
  const ok = [lep(50, 1, 11), lep(45, -1, 13, { phi: Math.PI }), lep(30, -1, 11, { phi: 2 }), lep(20, 1, 13, { phi: -2 })];
  pairZ(columns([{ leps: ok }]), [0, 1, 2, 3], z);
  const mE = mass(ok[0], ok[2]), mM = mass(ok[1], ok[3]);
  t.same([z[0], z[1]].map((x) => +x.toFixed(9)),
    (Math.abs(mE - 91.18) < Math.abs(mM - 91.18) ? [mE, mM] : [mM, mE]).map((x) => +x.toFixed(9)));
  const bad = [lep(50, 1, 11), lep(45, -1, 13, { phi: Math.PI }), lep(30, 1, 11, { phi: 2 }), lep(20, -1, 13, { phi: -2 })];
  pairZ(columns([{ leps: bad }]), [0, 1, 2, 3], z);
  t.same([z[0], z[1]], [0, 0], 'same-charge electrons: nothing set');
  const out = runFramework(columns([{ leps: bad }]), ones(1), emptyFrameworkOutput());
  t.equal(out.cutflow.raw[5], 1, 'the event is still selected');
  t.equal(out.hists.hist_mLL1.sumw[0], 1, 'mLL1 = 0 lands in underflow');
  t.equal(out.hists.hist_mLL2.sumw[0], 1);
  const a = lep(40, 1, 13), b = lep(40, -1, 13, { phi: Math.PI });
  pairZ(columns([{ leps: [a, b, { ...a }, { ...b }] }]), [0, 1, 2, 3], z);
  t.same([z[0], z[1]], [0, 0], 'exact ties set nothing');
});

t.test('B: 4e pairing with one valid partner; four-lepton system observables', async (t) => {
  const ls = [lep(60, -1, 11, { eta: 0.5 }), lep(40, -1, 11, { phi: 2, eta: -0.3 }), lep(30, 1, 11, { phi: -2 }), lep(20, 1, 11, { phi: 1 })];
  // g1 (−) has valid partners g3 and g4; the last (g4) wins.
  const z = new Float64Array(2);
  pairZ(columns([{ leps: ls }]), [0, 1, 2, 3], z);
  const m14 = mass(ls[0], ls[3]), m23 = mass(ls[1], ls[2]);
  t.ok(Math.abs(Math.min(z[0], z[1]) - Math.min(m14, m23)) < 1e-9);
  const out = runFramework(columns([{ leps: ls }]), [2], emptyFrameworkOutput());
  t.equal(out.hists.mass_four_lep.entries, 1);
  t.equal(out.hists.hist_fourleptpt.sumw2.reduce((a, b) => a + b, 0), 16, 'weight 2 squared, four fills');
});
