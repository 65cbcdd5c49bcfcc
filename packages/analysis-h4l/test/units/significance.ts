/** The notebook's signal significance, against the numbers it published (spec section 4). */
import t from 'tap';
import { notebookSignificance, significanceLine } from '../../src/significance.js';
import type { HistogramsJson } from '../../src/outputs.js';

const parse = (s: string) => s.trim().split(/\s+/).map(Number);
/** The published MC stack at 10 fb⁻¹ (from the notebook's saved figure), no pT cuts. */
const ZTT = parse('0.5075 1.4177 1.1923 1.8405 2.3491 6.4388 5.8196 10.4187 9.6107 6.8859 4.5937 6.3067 4.2377 4.5070 4.3612 4.4971 2.4614 4.1590 3.1380 2.6773 3.4622 2.5692 1.5090 0.9332 2.7174 1.3252 2.2646 1.4389 2.0896 1.4825 1.0619 1.6914 0.7603 1.4075');
const ZZ = parse('3.5059 16.4853 20.4907 3.8331 1.5559 1.4265 1.9708 2.2012 2.3801 2.5153 2.4074 2.3127 2.4257 2.3086 2.2034 2.1161 2.0872 2.2469 2.5257 3.3539 5.1515 7.3404 7.8555 8.2842 8.1476 8.1089 7.3520 7.2034 6.7266 6.2320 6.0719 5.5461 5.3512 4.8781');
const SIG = parse('0.0080 0.0107 0.0155 0.0250 0.0387 0.0824 0.2236 1.0462 5.2267 2.8174 0.0854 0.0065 0.0035 0.0023 0.0019 0.0024 0.0018 0.0020 0.0012 0.0013 0.0015 0.0012 0.0010 0.0012 0.0012 0.0009 0.0005 0.0009 0.0007 0.0007 0.0006 0.0008 0.0005 0.0005');
/** With pT cuts. */
const ZTT_PT = parse('0.0806 0.6000 0.2996 0.4377 1.0062 2.8066 2.4451 4.4550 6.2663 4.9028 2.5092 4.0089 2.9142 2.7823 3.1162 2.1058 1.6687 2.3581 1.9134 2.5734 2.3834 2.3091 0.9031 0.4008 2.2049 0.9443 1.7599 1.1357 1.1706 0.4029 0.5210 1.5416 0.7603 0.7754');
const ZZ_PT = parse('1.1666 7.6358 11.2361 2.2585 1.0418 0.9158 1.4061 1.7421 1.9619 2.2009 2.1748 2.1576 2.2395 2.1567 2.0911 2.0064 1.9991 2.1672 2.4790 3.2948 5.0891 7.2839 7.8283 8.2548 8.1161 8.0900 7.3436 7.1836 6.6972 6.2173 6.0563 5.5308 5.3388 4.8636');
const SIG_PT = parse('0.0038 0.0063 0.0093 0.0175 0.0304 0.0644 0.1820 0.9084 4.8688 2.6487 0.0750 0.0058 0.0032 0.0021 0.0019 0.0023 0.0017 0.0019 0.0012 0.0013 0.0015 0.0011 0.0010 0.0010 0.0012 0.0009 0.0005 0.0009 0.0007 0.0007 0.0006 0.0008 0.0005 0.0005');

const m4l = (sumw: number[], nbins = 34, lo = 80, hi = 250) => ({ histograms: { m4l: { sumw, nbins, lo, hi } } });
const doc = (selection: string, groups: Record<string, unknown>) => ({ selection, groups } as unknown as Pick<HistogramsJson, 'selection' | 'groups'>);

t.test('no pT cuts: the published N_sig 43.102, N_bg 34.012, S 2.208', async (t) => {
  const s = notebookSignificance(doc('notebook', { data: m4l(new Array(34).fill(9)), Zttbar: m4l(ZTT), ZZ: m4l(ZZ), Higgs: m4l(SIG) }));
  if (s.value === null) return t.fail(s.reason);
  t.equal(s.nSig.toFixed(3), '43.102');
  t.equal(s.nBg.toFixed(3), '34.012');
  t.equal(s.value.toFixed(3), '2.208');
  t.same(s.windowGeV, [115, 130]);
  t.equal(significanceLine(s), 'significance (notebook, 115–130 GeV): N_sig = 43.102 (signal + background), N_bg = 34.012, S = 2.208');
});

t.test('pT cuts: the published N_bg 21.529; N_sig from the pT-cut signal, not the notebook\'s stale one', async (t) => {
  const s = notebookSignificance(doc('notebook-pt', { Zttbar: m4l(ZTT_PT), ZZ: m4l(ZZ_PT), Higgs: m4l(SIG_PT) }));
  if (s.value === null) return t.fail(s.reason);
  t.equal(s.nBg.toFixed(3), '21.529');
  t.equal(s.nSig.toFixed(3), (21.529 + 0.9084 + 4.8688 + 2.6487).toFixed(3));
  t.equal(s.value.toFixed(3), '2.364', 'the notebook printed 2.416 with the signal from before the cuts');
  // The notebook's own (buggy) inputs give its printout: the stale signal on the new background.
  const stale = notebookSignificance(doc('notebook-pt', { Zttbar: m4l(ZTT_PT), ZZ: m4l(ZZ_PT), Higgs: m4l(SIG) }));
  t.equal(stale.value?.toFixed(3), '2.416');
});

t.test('no significance where the notebook defines none', async (t) => {
  t.match(notebookSignificance(doc('framework', { ZZ: m4l(ZZ) })), { value: null, reason: /framework selection/ });
  t.match(notebookSignificance(doc('notebook', { data: m4l(new Array(34).fill(1)) })), { value: null, reason: /no background MC/ });
  t.match(notebookSignificance(doc('notebook', { ZZ: m4l(new Array(34).fill(0)) })), { value: null, reason: /no background in 115–130 GeV/ });
  t.match(notebookSignificance(doc('notebook', { ZZ: m4l(new Array(24).fill(1), 24, 80, 170) })), { value: null, reason: /no bin edges at 115 and 130 GeV/ });
  t.match(significanceLine({ value: null, reason: 'why' }), 'significance: not computed (why)');
});

t.test('a run prints the significance and records it in run.json', async (t) => {
  const { mkdtempSync, rmSync, readFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const path = await import('node:path');
  const { generateDataset } = await import('../../src/generate/index.js');
  const { execute } = await import('../../src/app.js');
  const { DEFAULT_CONFIG } = await import('../../src/config.js');
  const dir = mkdtempSync(path.join(tmpdir(), 'h4l-sig-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  await generateDataset({ outDir: path.join(dir, 'data'), scale: 0.02, seed: 5, samples: ['data_D', 'Zee', 'llll', 'ggH125_ZZ4lep'] });
  for (const selection of ['notebook', 'framework'] as const) {
    const lines: string[] = [];
    const out = path.join(dir, selection);
    await execute({ ...DEFAULT_CONFIG, data_dir: path.join(dir, 'data'), selection, n_workers: 0, out, dashboard: false }, (s) => lines.push(s), { progressOut: { isTTY: false, write: () => true } as unknown as NodeJS.WriteStream });
    const run = JSON.parse(readFileSync(path.join(out, 'run.json'), 'utf8'));
    const expected = notebookSignificance(JSON.parse(readFileSync(path.join(out, 'histograms.json'), 'utf8')));
    t.same(run.significance, expected, `${selection}: run.json has the histograms' significance`);
    t.ok(lines.includes(significanceLine(expected)), `${selection}: printed`);
    if (selection === 'notebook') t.ok(typeof run.significance.value === 'number' && run.significance.value > 0, 'a number for the notebook');
    else t.equal(run.significance.value, null, 'none for the framework');
  }
});
