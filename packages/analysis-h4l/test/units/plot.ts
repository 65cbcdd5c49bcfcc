/**
 * The plot as a reader sees it, checked from the SVG's structure: stacked bars per group,
 * legend entries, axis titles, the luminosity and synthetic labels, points only where data are,
 * end ticks on error bars in the framework style, no ratio pad or band entry without MC, and a
 * label block and legend that cover nothing drawn.
 */
import t from 'tap';
import { drawPlotSvg, richText, type PlotInput } from '../../src/plot.js';
import { parseSvg, all, one, num, type El } from '../svg.js';

const input = (style: 'notebook' | 'framework', extra: Partial<PlotInput> = {}): PlotInput => ({
  lo: 80, hi: 100, nbins: 4, lumiFb: 10, style,
  data: [2, 4, 0, 5],
  backgrounds: [{ label: 'Other', color: '#66c', values: [0.5, 0, 1, 0], sumw2: [0.04, 0, 0.01, 0] },
    { label: 'ZZ', color: '#6cf', values: [1, 2, 1, 0], sumw2: [0.25, 0.25, 0.01, 0] }],
  signal: { label: 'Higgs', color: '#f00', values: [0.5, 0, 0, 0], sumw2: [0.01, 0, 0, 0] },
  ...extra,
});
const draw = (p: PlotInput) => parseSvg(drawPlotSvg(p));
const legend = (svg: El) => all(svg, { cls: 'legend-entry' }).map((e) => `${e.attrs['data-kind']}:${e.attrs['data-label']}`);
const bins = (els: El[]) => els.map((e) => Number(e.attrs['data-bin']));
const pad = (svg: El, cls: 'main-pad' | 'ratio-pad') => one(svg, { cls });

t.test('notebook: bars per group, legend, axis titles, lumi label, one pad', async (t) => {
  const svg = draw(input('notebook'));
  t.equal(svg.attrs.height, '480');
  t.same(all(svg, { cls: 'ratio-pad' }), []);
  const bars = all(svg, { cls: 'bar' });
  t.same(['Other', 'ZZ', 'Higgs'].map((g) => bins(bars.filter((b) => b.attrs['data-group'] === g))), [[0, 2], [0, 1, 2], [0]],
    'one stacked bar per group in each bin where the group has events');
  t.same(legend(svg), ['data:Data', 'fill:Other', 'fill:ZZ', 'fill:Higgs', 'band:Stat. Unc.'], 'matplotlib order: data, MC bottom → top, band');
  t.equal(one(svg, { cls: 'x-title' }).text, '4-lepton invariant mass m4l [GeV]');
  t.equal(one(svg, { cls: 'y-title' }).text, 'Events / 5.0 GeV');
  t.equal(one(svg, { cls: 'label-lumi' }).text, '√s=13 TeV,∫L dt = 10.0 fb-1');
  t.equal(one(svg, { cls: 'label-experiment' }).text, 'ATLAS Open Data');
  t.equal(one(svg, { cls: 'label-education' }).text, 'for education');
  t.same(all(svg, { cls: 'label-variant' }), []);
  t.same(all(svg, { cls: 'err-cap' }), [], 'matplotlib errorbar: no caps');
});

t.test('empty bins draw no point, in the main pad or the ratio pad', async (t) => {
  for (const style of ['notebook', 'framework'] as const) {
    const svg = draw(input(style));
    t.same(bins(all(pad(svg, 'main-pad'), { cls: 'point' })), [0, 1, 3], `${style}: data [2, 4, 0, 5]`);
  }
  // Bin 2 has a prediction and no data: ROOT's E1 draws nothing there, not a point at 0.
  // Bin 3 has data and no prediction: no ratio. Pred = stack: bin 0 → 2/2 = 1, bin 1 → 4/2 = 2.
  const svg = draw(input('framework'));
  const ratio = all(pad(svg, 'ratio-pad'), { cls: 'point' });
  t.same(bins(ratio), [0, 1]);
  t.same(ratio.map((p) => num(one(p, { tag: 'circle' }), 'cy')), [492, 437], 'the pad spans y 437 (ratio 2) to 547 (ratio 0)');
});

t.test('framework: ratio pad, end ticks, legend top of the stack first, band over the whole stack', async (t) => {
  const svg = draw(input('framework'));
  t.equal(svg.attrs.height, '600');
  t.equal(one(svg, { cls: 'ratio-title' }).text, 'Data/Pred');
  t.same(legend(svg), ['data:Data', 'fill:Higgs', 'fill:ZZ', 'fill:Other', 'band:Stat. unc.']);
  for (const p of all(svg, { cls: 'point' })) {
    const caps = all(p, { cls: 'err-cap' });
    t.equal(caps.length, 2, `point in bin ${p.attrs['data-bin']}: a tick at each end`);
    const bar = all(p, { tag: 'line' }).find((l) => !l.attrs.class)!;
    t.same(caps.map((c) => num(c, 'y1')).sort(), [num(bar, 'y1'), num(bar, 'y2')].sort(), 'at the bar ends');
  }
  // Band: ±√Σw² of every MC group around the stack total (histstack), bin 0: √0.3 around 2.
  const b0 = all(pad(svg, 'main-pad'), { cls: 'band' }).find((b) => b.attrs['data-bin'] === '0')!;
  const yOf = (v: number) => 427 - (v / 10) * (427 - 58);
  t.ok(Math.abs(num(b0, 'y') - yOf(2 + Math.sqrt(0.3))) < 0.01 && Math.abs(num(b0, 'y') + num(b0, 'height') - yOf(2 - Math.sqrt(0.3))) < 0.01);
});

t.test('data only: no band, no Stat. unc. entry, no ratio pad', async (t) => {
  for (const style of ['notebook', 'framework'] as const) {
    const svg = draw(input(style, { backgrounds: [], signal: undefined }));
    t.equal(svg.attrs.height, '480', `${style}: one pad`);
    t.same(all(svg, { cls: 'ratio-pad' }), []);
    t.same(all(svg, { cls: 'band' }), []);
    t.same(legend(svg), ['data:Data'], `${style}: the legend names only what is drawn`);
    t.ok(all(svg, { cls: 'x-tick' }).length > 0, `${style}: x values labelled under the main pad`);
  }
});

t.test('synthetic events and selection variants are labelled', async (t) => {
  const svg = draw(input('notebook', { synthetic: true, variants: ['pt-cut'] }));
  t.equal(one(svg, { cls: 'label-experiment' }).text, 'Synthetic events');
  t.match(one(svg, { cls: 'label-education' }).text, /not ATLAS data/);
  t.equal(one(svg, { cls: 'label-variant' }).text, 'variant: lepton pT > 30/20/10 GeV');
  const fw = draw(input('framework', { variants: ['corrected_d0'], lumiFb: 2 }));
  t.equal(one(fw, { cls: 'label-variant' }).text, 'variant: corrected d0 significance cut');
  t.equal(one(fw, { cls: 'label-lumi' }).text, '√s = 13 TeV, 2 fb-1');
  t.equal(one(fw, { cls: 'label-experiment' }).text, 'ATLAS Open Data');
});

t.test('outline MC (the notebook lepton-pT plots): one line per group, no bars, no band', async (t) => {
  const svg = draw(input('notebook', { mc: 'outline', xLabel: 'Leading lepton $p_T$ [GeV]' }));
  t.same(all(svg, { cls: 'outline' }).map((o) => o.attrs['data-group']), ['Other', 'ZZ', 'Higgs']);
  t.same(all(svg, { cls: 'bar' }), []);
  t.same(all(svg, { cls: 'band' }), []);
  t.same(legend(svg), ['data:Data', 'line:Other', 'line:ZZ', 'line:Higgs']);
  t.equal(one(svg, { cls: 'x-title' }).text, 'Leading lepton pT [GeV]');
});

t.test('axis titles: mathtext and TLatex become sub/superscripts', async (t) => {
  t.equal(richText('4-lepton invariant mass $\\mathrm{m_{4l}}$ [GeV]'), '4-lepton invariant mass m<tspan baseline-shift="sub" font-size="70%">4l</tspan> [GeV]');
  t.equal(richText('m_{4l} [GeV]'), 'm<tspan baseline-shift="sub" font-size="70%">4l</tspan> [GeV]');
  t.equal(richText('Background $Z,t\\bar{t}$'), 'Background Z,tt̄');
  t.equal(richText('H #rightarrow ZZ* #rightarrow 4l'), 'H → ZZ* → 4l');
  t.equal(richText('a < b & c'), 'a &lt; b &amp; c');
});

/**
 * Boxes of what the reader must see unobstructed, estimated here independently of the plot's
 * own layout code: every text of the label block and the legend (0.6 em per character, ascent
 * 0.8 em, descent 0.25 em), and the legend's markers.
 */
function reserved(svg: El): { x0: number; y0: number; x1: number; y1: number; what: string }[] {
  const texts = [...all(one(svg, { cls: 'labels' }), { tag: 'text' }), ...all(one(svg, { cls: 'legend' }), { tag: 'text' })];
  const boxes = texts.map((e) => {
    const x = num(e, 'x'), y = num(e, 'y'), fs = num(e, 'font-size');
    return { x0: x, y0: y - 0.8 * fs, x1: x + e.text.length * fs * 0.6, y1: y + 0.25 * fs, what: e.text };
  });
  for (const r of all(one(svg, { cls: 'legend' }), { tag: 'rect' })) {
    boxes.push({ x0: num(r, 'x'), y0: num(r, 'y'), x1: num(r, 'x') + num(r, 'width'), y1: num(r, 'y') + num(r, 'height'), what: 'legend marker' });
  }
  return boxes;
}

/** Boxes of everything drawn in the main pad (bars, band, outlines' steps, points with their bars). */
function drawn(svg: El): { x0: number; y0: number; x1: number; y1: number; what: string }[] {
  const main = pad(svg, 'main-pad');
  const out = all(main, { tag: 'rect' }).map((r) => ({ x0: num(r, 'x'), y0: num(r, 'y'), x1: num(r, 'x') + num(r, 'width'), y1: num(r, 'y') + num(r, 'height'), what: `${r.attrs.class} ${r.attrs['data-bin']}` }));
  for (const c of all(main, { tag: 'circle' })) out.push({ x0: num(c, 'cx') - 3, y0: num(c, 'cy') - 3, x1: num(c, 'cx') + 3, y1: num(c, 'cy') + 3, what: 'data point' });
  for (const l of all(main, { tag: 'line' })) out.push({ x0: Math.min(num(l, 'x1'), num(l, 'x2')), y0: Math.min(num(l, 'y1'), num(l, 'y2')), x1: Math.max(num(l, 'x1'), num(l, 'x2')), y1: Math.max(num(l, 'y1'), num(l, 'y2')), what: 'error bar' });
  for (const p of all(main, { cls: 'outline' })) {
    const pts = [...p.attrs.d!.matchAll(/[ML]([\d.]+),([\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])] as const);
    for (let k = 0; k + 1 < pts.length; k += 2) out.push({ x0: pts[k]![0], y0: pts[k]![1], x1: pts[k + 1]![0], y1: pts[k + 1]![1], what: 'outline step' });
  }
  return out;
}

function overlaps(svg: El): string[] {
  const hits: string[] = [];
  for (const a of reserved(svg)) for (const b of drawn(svg)) {
    if (a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1) hits.push(`"${a.what}" covers ${b.what}`);
  }
  return hits;
}

t.test('the label block and the legend cover nothing drawn (the y range grows instead)', async (t) => {
  // A peak under the label block: with y up to 1.6 × 6, the 6 ± 2.4 point reaches 0.94 of the axes.
  const peakLeft: PlotInput = { lo: 80, hi: 250, nbins: 34, lumiFb: 10, data: Array.from({ length: 34 }, (_, i) => (i === 3 ? 6 : 1)),
    backgrounds: [{ label: 'Background $ZZ^*$', color: '#f00', values: Array.from({ length: 34 }, (_, i) => (i < 6 ? 4 : 1)), sumw2: new Array(34).fill(0.1) }] };
  // A framework histogram with a fixed maximum (10) and its tallest bins under the legend.
  const tallRight = input('framework', { yMax: 10, data: [1, 2, 9, 12], backgrounds: [{ label: 'ZZ', color: '#6cf', values: [1, 2, 9, 11], sumw2: [0.1, 0.1, 0.1, 0.1] }], signal: undefined });
  const outline = input('notebook', { mc: 'outline', yMax: 5, data: [5, 1, 1, 1] });
  for (const [name, p] of [['notebook peak on the left', peakLeft], ['framework, fixed maximum', tallRight], ['outline', outline]] as const) {
    const svg = draw(p);
    t.same(overlaps(svg), [], name);
    t.ok(all(svg, { cls: 'point' }).length > 0 && drawn(svg).length > 4, `${name}: the test sees what is drawn`);
  }
  // Where nothing is in the way, the reference y maxima stand: notebook 1.6 × the largest data bin.
  const low = draw(input('notebook', { lo: 80, hi: 250, nbins: 34, data: Array.from({ length: 34 }, (_, i) => (i === 17 ? 40 : 0)), backgrounds: [], signal: undefined }));
  const labels = all(low, { cls: 'y-tick' }).map((e) => Number(e.text));
  t.equal(Math.max(...labels), 60, 'y up to 64 = 1.6 × 40, labelled to 60');
});
