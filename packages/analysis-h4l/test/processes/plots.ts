/**
 * Every histogram of a run gets its plot: from histograms.json to the plot inputs (groups,
 * overflow, fixed maxima, labels from meta) and files, and `gluon-h4l plot --run-dir` redraws
 * them all.
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync, readFileSync, writeFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { emptyOutput, fill, FRAMEWORK_HISTS, type AnalysisResult, type SelectionName } from '@gluon/analysis-h4l';
import { histogramsJson, type HistogramsJson } from '../../src/outputs.js';
import { plotInput, histogramNames, writePlots } from '../../src/plots.js';
import { parseSvg, all, one } from '../svg.js';

/** A result with one data and one MC sample per group, a few fills in every histogram. */
function result(selection: SelectionName, samples: string[]): AnalysisResult {
  const r: AnalysisResult = { selection, samples: {}, events: 0, chunks: 1, skipped: [] };
  for (const s of samples) {
    const out = emptyOutput(selection);
    for (const h of Object.values(out.hists)) {
      fill(h, h.lo + 0.3 * (h.hi - h.lo), s.startsWith('data') ? 1 : 2e4);
      fill(h, h.hi + 1, s.startsWith('data') ? 1 : 2e4); // overflow
    }
    r.samples[s] = { sample: s, cutflow: out.cutflow, hists: out.hists };
  }
  return r;
}
const meta = (selection: SelectionName, extra: Partial<HistogramsJson['meta']> = {}): HistogramsJson['meta'] => ({
  synthetic: false, datasetScale: 1, selection, lumiFb: 10, variants: [], mcPresent: true, partialFiles: [], ...extra });

const fwJson = histogramsJson(result('framework', ['data_A', 'Zee', 'llll', 'ggH125_ZZ4lep']), meta('framework', { synthetic: true, datasetScale: 2, lumiFb: 20, variants: ['corrected_d0'] }), 10);
const ptJson = histogramsJson(result('notebook-pt', ['data_A', 'Zee', 'llll', 'ggH125_ZZ4lep']), meta('notebook-pt', { variants: ['pt-cut'] }), 10);

t.test('the framework selection: 13 plots, overflow folded except for the four_lep masses, fixed maxima × dataset scale', async (t) => {
  t.same(histogramNames(fwJson), FRAMEWORK_HISTS.map(([n]) => n));
  const pt = plotInput(fwJson, 'hist_fourleptpt');
  t.equal(pt.style, 'framework');
  t.same(pt.data, [0, 1, 0, 0, 1], 'the overflow entry is in the last bin');
  t.same(pt.backgrounds.map((b) => b.label), ['Other', 'ZZ']);
  t.equal(pt.signal?.label, 'Higgs');
  t.equal(pt.yMax, undefined, '2 × the largest bin, computed by the plot');
  const m = plotInput(fwJson, 'mass_four_lep');
  t.equal(m.data!.reduce((a, b) => a + b, 0), 1, 'mass_four_lep keeps its overflow out');
  t.equal(m.yMax, 70, 'mass_four_lep: 35 at 10 fb⁻¹ of data, × 2 for a scale-2 dataset');
  t.equal(plotInput(fwJson, 'hist_mLL1').yMax, 300);
  t.equal(plotInput(fwJson, 'mass_ext_four_lep').yMax, 80);
  t.match(m, { synthetic: true, variants: ['corrected_d0'], lumiFb: 20, xLabel: 'Mass of 4-lepton system [GeV]' });
});

t.test('notebook-pt: m4l stacked, the four lepton-pT plots as outlines up to 100 events', async (t) => {
  t.same(histogramNames(ptJson), ['m4l', 'lep_pt_0', 'lep_pt_1', 'lep_pt_2', 'lep_pt_3']);
  t.match(plotInput(ptJson, 'lep_pt_0'), { mc: 'outline', yMax: 100, variants: ['pt-cut'] });
  t.equal(plotInput(ptJson, 'm4l').mc, undefined);
  t.equal(plotInput(ptJson, 'm4l').data!.reduce((a, b) => a + b, 0), 1, 'the notebook drops what is outside [80, 250]');
});

t.test('a document without meta (an older run) still plots, from its selection', async (t) => {
  const { meta: _m, ...old } = ptJson;
  const p = plotInput(old as HistogramsJson, 'lep_pt_1');
  t.match(p, { synthetic: false, variants: ['pt-cut'], lumiFb: 10 });
  t.throws(() => histogramNames({ ...old, groups: undefined } as unknown as HistogramsJson), /histograms\.json has no "groups" object/);
});

t.test('writePlots: one svg and png per histogram, the headline again as m4l', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'h4l-plots-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const files = await writePlots(dir, fwJson);
  t.same(files.filter((f) => f.endsWith('.png')).sort(), [...FRAMEWORK_HISTS.map(([n]) => `${n}.png`), 'm4l.png'].sort());
  t.equal(readFileSync(path.join(dir, 'm4l.svg'), 'utf8'), readFileSync(path.join(dir, 'mass_four_lep.svg'), 'utf8'));
  const svg = parseSvg(readFileSync(path.join(dir, 'hist_fourlepteta.svg'), 'utf8'));
  t.equal(svg.attrs['data-hist'], 'hist_fourlepteta');
  t.equal(one(svg, { cls: 'x-title' }).text, 'Lepton pseudorapidity');
  t.equal(one(svg, { cls: 'y-title' }).text, 'Events / 0.6');
  t.equal(one(svg, { cls: 'label-experiment' }).text, 'Synthetic events');
  t.same(all(svg, { cls: 'legend-entry' }).map((e) => e.attrs['data-label']), ['Data', 'Higgs', 'ZZ', 'Other', 'Stat. unc.']);
  const bad = { ...fwJson, groups: { data: { ...fwJson.groups.data!, histograms: { '../x': fwJson.groups.data!.histograms.hist_n_jets! } } } };
  await t.rejects(writePlots(dir, bad), /histogram name "\.\.\/x" cannot be a file name/);
});

t.test('gluon-h4l plot --run-dir redraws every plot', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'h4l-replot-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'histograms.json'), JSON.stringify(ptJson));
  const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
  const { stdout } = await promisify(execFile)(process.execPath, [cli, 'plot', '--run-dir', dir], { timeout: 120_000 });
  // It lists every file it counts (it said "re-drew 10 plot files" and listed the 5 pngs).
  const said = /re-drew (\d+) plot files? in (.+): (.+)/.exec(stdout);
  t.ok(said, `the plot line: ${stdout}`);
  const listed = said![3]!.split(', ').sort();
  t.equal(said![1], '10');
  t.same(listed, readdirSync(dir).filter((f) => /\.(svg|png)$/.test(f)).sort(), 'every file drawn is named');
  t.equal(listed.length, 10);
  const pngs = readdirSync(dir).filter((f) => f.endsWith('.png')).sort();
  t.same(pngs, ['lep_pt_0.png', 'lep_pt_1.png', 'lep_pt_2.png', 'lep_pt_3.png', 'm4l.png']);
  for (const f of pngs) t.ok(statSync(path.join(dir, f)).size > 10_000, `${f} rendered`);
});
