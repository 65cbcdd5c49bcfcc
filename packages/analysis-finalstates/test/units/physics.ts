/**
 * The physics, piece by piece: object selection, final-state and histogram naming, the
 * combinatorics (subset counts for given multiplicities), the mass formula, peak removal and the
 * main/tail split.
 */
import t from 'tap';
import {
  DEFAULT_CONFIG, mergeConfig, physicsOptions, FinalStateCounter, invariantMass, subsetCount, countsName, parseCountsName,
  histogramName, tailName, parseHistogramName, splitMainTail, buildHistograms, sparseOf, histogramOf, mergeResults, wholeResult, emptyResult, HistPacker,
  type FsConfig, type FsResult,
} from '@gluon/analysis-finalstates';
import { miniColumns, objs, type Ev } from '../events.js';

const opts = (over: Partial<FsConfig> = {}) => physicsOptions(mergeConfig({}, { min_events_per_fs: 0, ...over }));

function run(events: Ev[], over: Partial<FsConfig> = {}): FsResult {
  const c = new FinalStateCounter(opts(over));
  c.add(miniColumns(events), events.length);
  return c.result();
}

/** Two massless objects at η = 0 of pT p = max(20, M/2 + 1) GeV with the opening angle that makes mass M: M = 2p·sin(Δφ/2). */
function pairAt(M: number): { pt: number; eta: number; phi: number }[] {
  const p = Math.max(20, M / 2 + 1);
  return [{ pt: p, eta: 0, phi: 0 }, { pt: p, eta: 0, phi: 2 * Math.asin(M / (2 * p)) }];
}

const total = (r: FsResult, name: string) => {
  const h = histogramOf(r, name);
  return h ? h.counts.reduce((a, b) => a + b, 0) : 0;
};

t.test('naming: counts in e, m, j, g order, zeros left out', async (t) => {
  t.equal(countsName([2, 2, 1, 0]), '2e_2m_1j');
  t.equal(countsName([0, 0, 2, 0]), '2j');
  t.equal(countsName([1, 0, 0, 1]), '1e_1g');
  t.equal(countsName([0, 0, 0, 0]), '');
  t.same(parseCountsName('2e_2m_1j'), [2, 2, 1, 0]);
  t.throws(() => parseCountsName('2m_2e'), /e, m, j, g in that order/);
  t.throws(() => parseCountsName('0e_2m'), /not a final-state/);
  t.equal(histogramName('2e_2m', '2e_2m_1j', 10), 'mass_2e_2m_cat_2e_2m_1j_width_10');
  t.equal(tailName(histogramName('2j', '2e_2j', 2.5)), 'mass_2j_cat_2e_2j_width_2.5_tail');
  t.same(parseHistogramName('mass_1e_1m_cat_2e_2m_width_10_tail'), { combination: '1e_1m', finalState: '2e_2m', width: '10', tail: true });
});

t.test('object selection: type, tight ID, pT and |η| cuts per type; the final state from the counts', async (t) => {
  const r = run([{
    e: [{ pt: 30, eta: 0.5, phi: 0 }, { pt: 9.9, eta: 0, phi: 1 }, { pt: 30, eta: 2.48, phi: 2 }, { pt: 30, eta: -1, phi: 1, tight: false }],
    m: [{ pt: 30, eta: 2.49, phi: -1 }, { pt: 30, eta: 2.51, phi: 0 }, { pt: 10.1, eta: 0, phi: 2 }],
    j: [{ pt: 25.5, eta: 2.4, phi: 0 }, { pt: 24.9, eta: 0, phi: 1 }, { pt: 100, eta: 2.6, phi: 1 }],
    g: [{ pt: 21, eta: 2.36, phi: 0.5 }, { pt: 21, eta: 2.38, phi: 0.5 }, { pt: 50, eta: 0, phi: 0.5, tight: false }, { pt: 19, eta: 0, phi: 0 }],
  }]);
  t.same(r.finalStates, { '1e_2m_1j_1g': 1 }, 'one e (pT>10, |η|<2.47, tight), two μ (|η|<2.5), one jet (pT>25, |η|<2.5), one tight γ (pT>20, |η|<2.37)');
  const loose = run([{ e: [{ pt: 30, eta: 0, phi: 0, tight: false }, { pt: 30, eta: 0, phi: 2 }] }], { objects: { ...DEFAULT_CONFIG.objects, electrons: { pt_min_gev: 10, abs_eta_max: 2.47, tight_id: false } } });
  t.same(loose.finalStates, { '2e': 1 }, 'tight_id: false keeps non-tight electrons');
});

t.test('at most max_objects_per_type per type, the leading ones in pT', async (t) => {
  // Six electrons unordered in pT: the four leading (90, 80, 70, 60) are kept.
  const pts = [60, 20, 90, 40, 80, 70];
  const ev: Ev = { e: pts.map((pt, i) => ({ pt, eta: 0, phi: -3 + i })) };
  const r = run([ev], { tasks: { parse: true, masses: true, postprocess: false, histograms: true } });
  t.same(r.finalStates, { '4e': 1 });
  t.equal(r.combinations, subsetCount(4, 2, 4), '6 + 4 + 1 subsets of the four kept');
  // Recompute the 4e mass from the four leading electrons only.
  let px = 0, py = 0, pz = 0, e = 0;
  for (const i of [2, 4, 5, 0]) { const pt = Math.fround(pts[i] * 1000) / 1000; px += pt * Math.cos(Math.fround(-3 + i)); py += pt * Math.sin(Math.fround(-3 + i)); e += Math.fround(pt * 1000) / 1000; }
  const m = invariantMass(px, py, pz, e);
  const h = histogramOf(r, histogramName('4e', '4e', 10))!;
  t.same(Array.from(h.bins), [Math.floor(m / 10)], `the 4e mass ${m.toFixed(3)} GeV is that of the four leading electrons`);
  const three = run([{ e: objs(3) }], { max_objects_per_type: 2 });
  t.same(three.finalStates, { '2e': 1 }, 'max_objects_per_type: 2');
});

t.test('events with fewer than 2 objects count in the cut flow and go no further', async (t) => {
  const r = run([{}, { e: objs(1) }, { j: [{ pt: 20, eta: 0, phi: 0 }, { pt: 30, eta: 0, phi: 1 }] }, { e: objs(1), m: objs(1) }]);
  t.equal(r.events, 4);
  t.equal(r.lessThanTwo, 3);
  t.same(r.finalStates, { '1e_1m': 1 });
  t.equal(r.combinations, 1);
});

t.test('combinatorics: every subset of 2–4 objects; counts per combination for given multiplicities', async (t) => {
  const C = (n: number, k: number): number => (k < 0 || k > n ? 0 : k === 0 ? 1 : (C(n - 1, k - 1) * n) / k);
  for (const [ne, nm, nj, ng] of [[3, 0, 0, 0], [2, 2, 1, 0], [1, 1, 2, 1], [4, 4, 4, 4], [0, 0, 2, 0], [2, 0, 0, 3]]) {
    const ev: Ev = { e: objs(ne, 50), m: objs(nm, 51), j: objs(nj, 52), g: objs(ng, 53) };
    const r = run([ev], { peaks: [] });
    const fs = countsName([ne, nm, nj, ng]);
    const n = ne + nm + nj + ng;
    t.equal(r.combinations, subsetCount(n, 2, 4), `${fs}: Σ_{k=2..4} C(${n}, k) masses`);
    for (let a = 0; a <= 4; a++) for (let b = 0; a + b <= 4; b++) for (let c = 0; a + b + c <= 4; c++) for (let d = 0; a + b + c + d <= 4; d++) {
      if (a + b + c + d < 2) continue;
      const want = C(ne, a) * C(nm, b) * C(nj, c) * C(ng, d);
      const name = histogramName(countsName([a, b, c, d]), fs, 10);
      t.equal(total(r, name), want, `${name}: ${want}`);
    }
  }
  t.equal(subsetCount(3, 2, 4), 4, 'three electrons: three 2e and one 3e');
  const three = run([{ e: objs(3) }], { peaks: [] });
  t.equal(total(three, histogramName('2e', '3e', 10)), 3, 'three electrons give three 2e masses');
  t.equal(total(three, histogramName('3e', '3e', 10)), 1);
});

t.test('more than 4 members (the depth-first walk) gives the same 2–4-member masses as the nested loops', async (t) => {
  // Events of 4–9 objects spread in pT, η and φ: max_particles 4 takes the nested loops, 6 the walk.
  const events: Ev[] = Array.from({ length: 40 }, (_, i) => ({
    e: objs(i % 3 + 1, 30 + i), m: objs((i >> 1) % 3, 41 + i), j: objs(i % 4, 27 + 3 * i), g: objs((i >> 2) % 2, 60 + i),
  })).filter((e) => (e.e!.length + e.m!.length + e.j!.length + e.g!.length) >= 4);
  const four = run(events, { peaks: [] }), six = run(events, { max_particles: 6, peaks: [] });
  t.ok(four.hists.names.length > 20, 'many combinations');
  for (const name of four.hists.names) t.same(histogramOf(six, name), histogramOf(four, name), name);
  const n = (ev: Ev) => ev.e!.length + ev.m!.length + ev.j!.length + ev.g!.length;
  t.equal(six.combinations, events.reduce((a, ev) => a + subsetCount(n(ev), 2, 6), 0), 'Σ C(n, 2…6) masses');
  const members = (k: string) => parseCountsName(parseHistogramName(k)!.combination).reduce((a, b) => a + b, 0);
  const five = six.hists.names.filter((k) => members(k) >= 5);
  t.ok(five.length > 0, '5- and 6-member combinations are formed');
});

t.test('a counter reset after a chunk counts the next as a new one would', async (t) => {
  const a: Ev[] = [{ e: objs(4), m: objs(2), j: objs(3) }, { e: objs(2) }, { g: objs(2, 25), j: objs(2, 1500) }];
  const b: Ev[] = [{ m: objs(3) }, { e: objs(1), j: objs(1) }, { e: objs(2) }, { j: objs(3, 1200) }];
  const fresh = new FinalStateCounter(opts());
  fresh.add(miniColumns(b), b.length);
  const reused = new FinalStateCounter(opts());
  reused.add(miniColumns(a), a.length);
  t.ok(reused.result().combinations > 0);
  reused.reset();
  reused.add(miniColumns(b), b.length);
  t.same(reused.result(), fresh.result(), 'nothing of the first chunk is left: final states, masses, tails, removed');
});

t.test('objects_to_calculate and min/max_particles restrict the combinations, not the final state', async (t) => {
  const ev: Ev = { e: objs(2), m: objs(1), j: objs(2) };
  const r = run([ev], { objects_to_calculate: ['electrons', 'j'], min_particles: 3, max_particles: 3, peaks: [] });
  t.same(r.finalStates, { '2e_1m_2j': 1 });
  t.equal(r.combinations, 4, 'C(4, 3) subsets of the 2 electrons and 2 jets');
  t.same([...r.hists.names].sort(), [histogramName('1e_2j', '2e_1m_2j', 10), histogramName('2e_1j', '2e_1m_2j', 10)]);
});

t.test('mass: √max(E² − p², 0) of the summed four-vector, GeV', async (t) => {
  // Two massless back-to-back 45.59 GeV objects: m = 91.18.
  t.equal(invariantMass(0, 0, 0, 91.18), 91.18);
  t.ok(Math.abs(invariantMass(45.59 - 45.59, 0, 0, 45.59 * 2) - 91.18) < 1e-12);
  t.equal(invariantMass(3, 4, 0, 5), 0, 'light-like: 0');
  t.equal(invariantMass(3, 4, 12, 5), 0, 'E² < p² (rounding, mis-measurement) gives 0, not NaN');
  t.ok(Math.abs(invariantMass(1, 2, 2, 5) - 4) < 1e-12, 'E 5, |p| 3 → 4');
  // Through the counter, in MeV: two 47.5 GeV electrons back to back at η = 0 → m = 95 GeV (kept: peaks off).
  const r = run([{ e: [{ pt: 47.5, eta: 0, phi: 0 }, { pt: 47.5, eta: 0, phi: Math.PI }] }], { peaks: [] });
  t.same(Array.from(histogramOf(r, histogramName('2e', '2e', 10))!.bins), [9], '95 GeV in bin [90, 100)');
});

t.test('peak removal: the configured windows, inclusive, per combination, counted per histogram', async (t) => {
  const pair = (M: number, key: 'e' | 'm'): Ev => ({ [key]: pairAt(M) });
  const masses = [81, 85, 91.1876, 100.5, 102, 3.0969, 9.4603, 8.9, 125];
  const r = run([...masses.map((M) => pair(M, 'e')), ...masses.map((M) => pair(M, 'm'))]);
  const ee = histogramName('2e', '2e', 10), mm = histogramName('2m', '2m', 10);
  // 2e: Z window [81.19, 101.19]: 85, 91.19, 100.5 removed; 81 and 102 kept, as are the quarkonia and 125.
  t.equal(r.removed[ee], 3, '2e: three masses in the Z window');
  t.equal(total(r, ee), masses.length - 3);
  // 2m: Z (3) plus J/ψ (3.0969) and Υ (9.4603); 8.9 is outside ±0.5 of 9.4603.
  t.equal(r.removed[mm], 5, '2m: Z, J/ψ and Υ windows');
  t.equal(total(r, mm), masses.length - 5);
  // The 125 window applies to 4e, 4m, 2e_2m only, never to 2e.
  t.ok(histogramOf(r, ee)!.bins.includes(12), '2e at 125 GeV is kept');
  const off = run(masses.map((M) => pair(M, 'e')), { tasks: { parse: true, masses: true, postprocess: false, histograms: true } });
  t.equal(off.removed[ee], undefined, 'without postprocess nothing is removed');
  t.equal(total(off, ee), masses.length);
  const edge = new FinalStateCounter(opts({ peaks: [{ combinations: ['2e'], center_gev: 50, half_width_gev: 10 }] }));
  edge.add(miniColumns([pair(40.01, 'e'), pair(59.99, 'e'), pair(39.99, 'e'), pair(60.01, 'e')]), 4);
  t.equal(edge.result().removed[ee], 2, '40.01 and 59.99 are within ±10 of 50; 39.99 and 60.01 are not');
});

t.test('main and tail: masses at or above tail_threshold_gev go to the tail histogram, above tail_max to its overflow', async (t) => {
  // bins of 10 GeV: main 0–1000 (100 bins), tail 1000–13000 (1200 bins), index 1300 the overflow.
  const s = sparseOf(Object.assign(new Float64Array(1301), { 0: 2, 99: 3, 100: 4, 150: 5, 1299: 6, 1300: 7 }));
  const { main, tail } = splitMainTail(s, 100, 1300, true);
  t.equal(main.length, 102); t.equal(tail!.length, 1202);
  t.equal(main[1], 2); t.equal(main[100], 3); t.equal(main[101], 0, 'no main overflow with a tail');
  t.equal(tail![1], 4, 'bin 100 (1000 GeV) is the first tail bin'); t.equal(tail![51], 5); t.equal(tail![1200], 6); t.equal(tail![1201], 7, 'above tail_max: overflow');
  const noTail = splitMainTail(s, 100, 1300, false);
  t.equal(noTail.tail, undefined);
  t.equal(noTail.main[101], 4 + 5 + 6 + 7, 'without the split, the main overflow holds the rest');
  // Through the counter: a pair of 1000.01 GeV goes to the tail, 999 GeV to main.
  const pair = (M: number): Ev => ({ e: pairAt(M) });
  const r = run([pair(1000.01), pair(999), pair(20000)]);
  const hs = buildHistograms(r, 0, true);
  const main2 = hs.find((h) => h.name === 'mass_2e_cat_2e_width_10')!, tail2 = hs.find((h) => h.name === 'mass_2e_cat_2e_width_10_tail')!;
  t.equal(main2.contents[100], 1, '999 GeV in the last main bin');
  t.equal(main2.lo, 0); t.equal(main2.hi, 1000); t.equal(tail2.lo, 1000); t.equal(tail2.hi, 13000);
  t.equal(tail2.contents[1], 1, '1000.01 GeV in the first tail bin');
  t.equal(tail2.contents[tail2.nbins + 1], 1, '20 TeV in the tail overflow');
});

t.test('histograms only for final states with at least min_events_per_fs events', async (t) => {
  const events: Ev[] = [...Array.from({ length: 3 }, () => ({ e: objs(2) })), { m: objs(2) }];
  const c = new FinalStateCounter(opts());
  c.add(miniColumns(events), events.length);
  const r = c.result();
  t.same(buildHistograms(r, 3, true).map((h) => h.name), ['mass_2e_cat_2e_width_10', 'mass_2e_cat_2e_width_10_tail']);
  t.equal(buildHistograms(r, 1, true).length, 4);
  t.equal(buildHistograms(r, 4, true).length, 0);
});

t.test('merging adds packed histograms by name, whatever their order in each part', async (t) => {
  const part = (hs: [string, [number, number][]][]): FsResult => {
    const p = new HistPacker();
    for (const [name, bins] of hs) { p.start(name); for (const [b, c] of bins) p.push(b, c); }
    return { ...emptyResult(10, 100, 1300), hists: p.done() };
  };
  const a = part([['x', [[0, 1], [5, 2], [1300, 1]]], ['y', [[7, 3]]]]);
  const b = part([['z', [[2, 1]]], ['x', [[5, 4], [6, 1]]], ['y', []]]);
  const m = mergeResults([a, b, part([['x', [[0, 1]]]])]);
  t.same(m.hists.names, ['x', 'y', 'z'], 'names in order of first appearance');
  t.same([...histogramOf(m, 'x')!.bins], [0, 5, 6, 1300]);
  t.same([...histogramOf(m, 'x')!.counts], [2, 6, 1, 1]);
  t.same([...histogramOf(m, 'y')!.counts], [3]);
  t.same([...histogramOf(m, 'z')!.bins], [2]);
  t.same(mergeResults([b, a]).hists.names, ['z', 'x', 'y']);
  t.same([...histogramOf(mergeResults([b, a]), 'x')!.counts], [1, 6, 1, 1], 'the same sums merged the other way round');
  // From JSON (plain arrays) too.
  const j = mergeResults([JSON.parse(JSON.stringify({ ...a, hists: { ...a.hists, from: [...a.hists.from], bins: [...a.hists.bins], counts: [...a.hists.counts] } }))]);
  t.same([...histogramOf(j, 'x')!.counts], [1, 2, 1]);
  t.throws(() => mergeResults([part([['x', [[1301, 1]]]])]), /histogram x has bin 1301, outside 0…1300/);
});

t.test('a whole result as received is the same as merging it alone, copied only when not in merged form', async (t) => {
  const part = (hs: [string, [number, number][]][]): FsResult => {
    const p = new HistPacker();
    for (const [name, bins] of hs) { p.start(name); for (const [b, c] of bins) p.push(b, c); }
    return { ...emptyResult(10, 100, 1300), events: 7, finalStates: { '2e': 3 }, removed: { x: 1 }, hists: p.done() };
  };
  const plain = (r: FsResult) => JSON.parse(JSON.stringify({ ...r, hists: { ...r.hists, from: [...r.hists.from], bins: [...r.hists.bins], counts: [...r.hists.counts] } }));
  const merged = part([['x', [[0, 1], [5, 2], [1300, 1]]], ['y', []], ['z', [[7, 3]]]]);
  t.equal(wholeResult(merged), merged, 'in merged form: the result itself, not a copy');
  t.same(wholeResult(merged), mergeResults([merged]));
  const fromJson = wholeResult(plain(merged));
  t.ok(fromJson.hists.bins instanceof Int32Array && fromJson.hists.counts instanceof Float64Array && fromJson.hists.from instanceof Int32Array, 'typed arrays back from JSON');
  t.same(fromJson, mergeResults([merged]));
  // Not in merged form: a name twice, bins out of order, a bin repeated: merged alone.
  for (const [what, r] of [
    ['a name twice', part([['x', [[0, 1]]], ['x', [[0, 2], [4, 1]]]])],
    ['bins out of order', part([['x', [[5, 1], [2, 1]]]])],
    ['a bin repeated', part([['x', [[5, 1], [5, 2]]]])],
  ] as const) {
    const w = wholeResult(plain(r));
    t.same(w, mergeResults([r]), what);
    t.not(w.hists, r.hists, `${what}: a merged copy`);
  }
  t.same([...histogramOf(wholeResult(part([['x', [[0, 1]]], ['x', [[0, 2], [4, 1]]]])), 'x')!.counts], [3, 1]);
  t.throws(() => wholeResult(part([['x', [[1301, 1]]]])), /histogram x has bin 1301, outside 0…1300/, 'a bin past the overflow is an error, as in merging');
  t.throws(() => wholeResult(part([['x', [[-1, 1]]]])), /histogram x has bin -1, outside 0…1300/);
});
