/**
 * One histogram plot as hand-written SVG. The notebook style follows its matplotlib conventions
 * (spec 2.5): data points with √N errors over the stacked MC groups, a hatched ±√Σw² band around
 * the background total, a frameless legend, ATLAS Open Data labels, inward major and minor ticks
 * on all four sides, y up to 1.6 × the largest data bin. The framework style follows the C++
 * plotting (spec 3.7): the band around the whole stack, the legend top of the stack first, error
 * bars with end ticks (ROOT's E1 with EndErrorSize 1) and a Data/Pred ratio pad from 0 to 2.
 * The MC may instead be drawn as unstacked outlines (the notebook's lepton-pT plots).
 *
 * Every drawn element carries a class (and bar/point elements a data-bin) so tests can check
 * what a reader sees from the SVG's structure: `bar` (data-group), `outline`, `band`, `point`
 * (in `main-pad` or `ratio-pad`), `err-cap`, `legend-entry` (data-kind, data-label), `x-title`,
 * `y-title`, and the `labels` block (`label-experiment`, `label-education`, `label-lumi`,
 * `label-process`, `label-variant`).
 */

/** One MC group as drawn: legend label (matplotlib mathtext or TLatex), colour, bin contents. */
export interface PlotSeries { label: string; color: string; values: number[]; sumw2?: number[] }

/** What the plot needs; built from histograms.json (plots.ts) so `gluon-h4l plot` re-draws from a run. */
export interface PlotInput {
  lo: number; hi: number; nbins: number;
  /** Data counts per bin; bins with no entries draw no point. */
  data?: number[];
  /** Background groups bottom → top, then the signal (stacked on the background total). */
  backgrounds: PlotSeries[];
  signal?: PlotSeries;
  /** The luminosity label, fb⁻¹. */
  lumiFb: number;
  /** 'notebook' (matplotlib conventions, default) or 'framework' (the C++ plotting). */
  style?: 'notebook' | 'framework';
  /**
   * The y maximum (framework: fixed per histogram, e.g. mass_four_lep 35). Without it: notebook
   * 1.6 × the largest data bin, framework 2 × the largest of data and stack. Either way it is
   * raised when the label block or the legend would otherwise cover the data or the MC.
   */
  yMax?: number;
  /** 'stack' (default) or 'outline': each MC group as an unstacked line, no band. */
  mc?: 'stack' | 'outline';
  /** Axis titles (mathtext/TLatex allowed); x defaults to the m4l title, y to "Events / <bin width>". */
  xLabel?: string;
  yLabel?: string;
  /** Synthetic events: the label block says so instead of "ATLAS Open Data". */
  synthetic?: boolean;
  /** Selection variants (`pt-cut`, `corrected_d0`, …), shown under the process label. */
  variants?: string[];
  /** The histogram's name (the svg's data-hist). */
  name?: string;
}

const W = 640, H = 480;                   // matplotlib's default 6.4 × 4.8 in at 100 dpi
const L = 80, R = 576, T = 58, B = 427;   // axes box (subplots_adjust defaults)
/** The ratio pad under the main axes, and the taller canvas that holds it. */
const RT = 437, RB = 547, H_RATIO = 600;
const FONT = 'DejaVu Sans, Liberation Sans, Arial, sans-serif';
/** A generous average advance of DejaVu Sans (em), so estimated text boxes cover the glyphs. */
const EM_ADVANCE = 0.62;
/** Clearance between the label block or legend and the tallest content under them, px. */
const GAP = 6;
/** Half-width of an error bar's end tick in the framework style, px. */
const CAP = 3;

/** Names of the selection variants as the plot shows them. */
const VARIANT_LABELS: Record<string, string> = {
  'pt-cut': 'variant: lepton pT > 30/20/10 GeV',
  corrected_d0: 'variant: corrected d0 significance cut',
};

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** matplotlib-like "nice" major tick step for a range, aiming at ≤ 8 ticks. */
export function niceStep(span: number, maxTicks = 8): number {
  const raw = span / maxTicks;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : String(+v.toFixed(6));
}

/**
 * A label in matplotlib mathtext (`$\mathrm{m_{4l}}$`, `$Z,t\bar{t}$`) or ROOT TLatex
 * (`m_{4l}`, `t#bar{t}`, `#rightarrow`) as SVG text content: sub- and superscripts as tspans,
 * the rest as Unicode, XML-escaped.
 */
export function richText(label: string): string {
  const s = label.replace(/\$/g, '').replace(/\\mathrm\{((?:[^{}]|\{[^{}]*\})*)\}/g, '$1')
    .replace(/[\\#]bar\{(\w)\}/g, '$1\u0304').replace(/[\\#]rightarrow/g, '→').replace(/[\\#]ell/g, 'ℓ')
    .replace(/[\\#]sqrt\{([^{}]*)\}/g, '√$1').replace(/[\\#]it\{([^{}]*)\}/g, '$1');
  return esc(s).replace(/([_^])(?:\{([^{}]*)\}|(\S))/g, (_m, k: string, braced?: string, one?: string) =>
    `<tspan baseline-shift="${k === '_' ? 'sub' : 'super'}" font-size="70%">${braced ?? one}</tspan>`);
}

/** The visible characters of SVG text content (tags dropped, entities as one character). */
function visible(svgText: string): string {
  return svgText.replace(/<[^>]*>/g, '').replace(/&\w+;/g, '_');
}

/** A box in SVG pixels. */
interface Box { x0: number; y0: number; x1: number; y1: number }

/** One line of the label block. */
interface LabelLine { cls: string; text: string; size: number; italic?: boolean; fy: number }

/** The label block's lines (axes coordinates at x = 0.05, as the notebook places them). */
function labelLines(p: PlotInput, fw: boolean): LabelLine[] {
  const lumi = fw ? `√s = 13 TeV, ${+p.lumiFb.toFixed(2)} fb<tspan baseline-shift="super" font-size="70%">-1</tspan>`
    : `√s=13 TeV,∫L dt = ${p.lumiFb.toFixed(1)} fb<tspan baseline-shift="super" font-size="70%">-1</tspan>`;
  const lines: LabelLine[] = [
    { cls: 'label-experiment', text: p.synthetic ? 'Synthetic events' : 'ATLAS Open Data', size: 13, fy: 0.93 },
    { cls: 'label-education', text: p.synthetic ? 'not ATLAS data · for education' : 'for education', size: 8, italic: true, fy: 0.88 },
    { cls: 'label-lumi', text: lumi, size: 10, fy: 0.82 },
    { cls: 'label-process', text: fw ? 'H → ZZ* → 4l' : 'H → ZZ* → 4ℓ', size: 10, fy: 0.76 },
  ];
  (p.variants ?? []).forEach((v, k) => lines.push({ cls: 'label-variant', text: esc(VARIANT_LABELS[v] ?? `variant: ${v}`), size: 10, fy: 0.70 - 0.06 * k }));
  return lines;
}

/** One legend entry: marker kind, colour, label (SVG text content). */
interface LegendEntry { kind: 'data' | 'fill' | 'band' | 'line'; color: string; label: string }

const LEGEND_X = R - 190, LEGEND_Y0 = T + 14, LEGEND_DY = 17;

/** A text's box from its baseline: ascent 0.8 em above, descent 0.25 em below. */
function textBox(x: number, baseline: number, size: number, content: string): Box {
  return { x0: x, y0: baseline - 0.8 * size, x1: x + visible(content).length * size * EM_ADVANCE, y1: baseline + 0.25 * size };
}

function union(boxes: Box[]): Box {
  return { x0: Math.min(...boxes.map((b) => b.x0)), y0: Math.min(...boxes.map((b) => b.y0)),
           x1: Math.max(...boxes.map((b) => b.x1)), y1: Math.max(...boxes.map((b) => b.y1)) };
}

/**
 * The smallest y maximum at which nothing whose top (value units, per bin) lies under `box`
 * reaches into it: each bin overlapping the box horizontally must end GAP px below its bottom.
 */
function yMaxClearing(box: Box, tops: number[], X: (x: number) => number, lo: number, width: number): number {
  const room = (B - box.y1 - GAP) / (B - T);
  let need = 0;
  tops.forEach((top, i) => {
    const x0 = X(lo + i * width), x1 = X(lo + (i + 1) * width);
    if (x1 >= box.x0 && x0 <= box.x1 && top > 0) need = Math.max(need, top / room);
  });
  return need;
}

/** Draws the plot; returns SVG text. */
export function drawPlotSvg(p: PlotInput): string {
  const { lo, hi, nbins } = p;
  const width = (hi - lo) / nbins;
  const fw = p.style === 'framework';
  const outline = p.mc === 'outline';
  const series = [...p.backgrounds, ...(p.signal ? [p.signal] : [])];
  const mcPresent = series.length > 0;
  const zero = () => new Array<number>(nbins).fill(0);
  const bgTotal = zero(), stackTotal = zero(), bandW2 = zero();
  for (const b of p.backgrounds) b.values.forEach((v, i) => { bgTotal[i] += v; stackTotal[i] += v; });
  if (p.signal) p.signal.values.forEach((v, i) => { stackTotal[i] += v; });
  // The notebook's band is the background's; the framework's (histstack) holds every MC group.
  for (const b of fw ? series : p.backgrounds) (b.sumw2 ?? []).forEach((w2, i) => { if (i < nbins) bandW2[i] += w2; });
  const bandCentre = fw ? stackTotal : bgTotal;
  const band = !outline && bandW2.some((w2) => w2 > 0);
  const data = p.data;
  const hasPoint = (i: number) => data !== undefined && data[i]! > 0;
  const ratio = fw && mcPresent && data !== undefined;

  // The tallest thing drawn in each bin (value units): stack + band, each outline, data + error.
  const tops = zero().map((_, i) => Math.max(
    outline ? Math.max(0, ...series.map((s) => s.values[i] ?? 0)) : stackTotal[i]!,
    band ? bandCentre[i]! + Math.sqrt(bandW2[i]!) : 0,
    hasPoint(i) ? data![i]! + Math.sqrt(data![i]!) : 0));
  const maxData = data && data.length ? Math.max(...data) : 0;
  const stackMax = Math.max(0, ...(outline ? series.flatMap((s) => s.values) : stackTotal));
  const baseMax = p.yMax ?? (fw ? 2 * Math.max(maxData, stackMax, 1e-9)
    : maxData > 0 ? 1.6 * maxData : Math.max(1, 1.6 * stackMax));
  const X = (x: number) => L + ((x - lo) / (hi - lo)) * (R - L);

  // Label block and legend boxes, then the y maximum that keeps them clear of the content.
  const lines = labelLines(p, fw);
  const tx = L + 0.05 * (R - L), fyToY = (fy: number) => B - fy * (B - T);
  const labelBox = union(lines.map((l) => textBox(tx, fyToY(l.fy), l.size, l.text)));
  const entries = legendEntries(p, fw, band);
  const legendBox = union(entries.map((e, k) => textBox(LEGEND_X + 28, LEGEND_Y0 + k * LEGEND_DY + 3.5, 10, e.label))
    .concat(entries.length ? [{ x0: LEGEND_X, y0: LEGEND_Y0 - 6, x1: LEGEND_X + 20, y1: LEGEND_Y0 + (entries.length - 1) * LEGEND_DY + 6 }] : []));
  const yMax = Math.max(baseMax, yMaxClearing(labelBox, tops, X, lo, width),
    entries.length ? yMaxClearing(legendBox, tops, X, lo, width) : 0);
  const Y = (y: number) => B - (Math.min(Math.max(y, 0), yMax) / yMax) * (B - T);

  const o: string[] = [];
  const height = ratio ? H_RATIO : H;
  o.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" font-family="${FONT}"${p.name ? ` data-hist="${esc(p.name)}"` : ''} data-style="${fw ? 'framework' : 'notebook'}">`);
  o.push('<defs><pattern id="hatch" patternUnits="userSpaceOnUse" width="6" height="6" patternTransform="rotate(0)">'
    + '<path d="M-1,1 l2,-2 M0,6 l6,-6 M5,7 l2,-2" stroke="#000" stroke-width="0.8" stroke-opacity="0.5"/></pattern>'
    + `<clipPath id="axes"><rect x="${L}" y="${T}" width="${R - L}" height="${B - T}"/></clipPath>`
    + `<clipPath id="ratio"><rect x="${L}" y="${RT}" width="${R - L}" height="${RB - RT}"/></clipPath></defs>`);
  o.push(`<rect width="${W}" height="${height}" fill="#fff"/>`);
  o.push('<g class="main-pad" clip-path="url(#axes)">');
  const edge = (i: number) => X(lo + i * width);
  if (outline) {
    for (const s of series) o.push(outlinePath(s, edge, Y));
  } else {
    // Stacked backgrounds, then the signal on the background total.
    const base = zero();
    for (const s of series) {
      for (let i = 0; i < nbins; i++) {
        const v = s.values[i]!;
        if (v > 0) {
          const y0 = Y(base[i]!), y1 = Y(base[i]! + v);
          o.push(`<rect class="bar" data-group="${esc(s.label)}" data-bin="${i}" x="${edge(i).toFixed(2)}" y="${y1.toFixed(2)}" width="${(edge(i + 1) - edge(i)).toFixed(2)}" height="${(y0 - y1).toFixed(2)}" fill="${s.color}"/>`);
        }
        base[i] += v;
      }
    }
  }
  if (band) {
    for (let i = 0; i < nbins; i++) {
      const e = Math.sqrt(bandW2[i]!);
      if (!(e > 0)) continue;
      const yT = Y(bandCentre[i]! + e), yB = Y(bandCentre[i]! - e);
      o.push(`<rect class="band" data-bin="${i}" x="${edge(i).toFixed(2)}" y="${yT.toFixed(2)}" width="${(edge(i + 1) - edge(i)).toFixed(2)}" height="${(yB - yT).toFixed(2)}" fill="url(#hatch)"/>`);
    }
  }
  // Data: black circles with √N error bars at the bin centres; empty bins draw nothing (ROOT's E1).
  for (let i = 0; i < nbins; i++) {
    if (!hasPoint(i)) continue;
    const n = data![i]!, e = Math.sqrt(n);
    point(o, X(lo + (i + 0.5) * width), Y(n), Y(n - e), Y(n + e), fw, i);
  }
  o.push('</g>');
  // Frame and ticks (inwards, all four sides; minor ticks like AutoMinorLocator).
  frame(o, T, B);
  // With a ratio pad the x values are labelled under the pad only.
  xTicks(o, X, lo, hi, T, B, !ratio);
  yTicks(o, Y, 0, yMax, niceStep(yMax));
  // Axis titles: x right-aligned at the axis end (fontsize 13), y top-aligned.
  const xTitle = p.xLabel ?? '4-lepton invariant mass $\\mathrm{m_{4l}}$ [GeV]';
  o.push(`<text class="x-title" x="${R}" y="${(ratio ? RB : B) + 36}" font-size="13" text-anchor="end">${richText(xTitle)}</text>`);
  o.push(`<text class="y-title" transform="translate(${L - 42},${T}) rotate(-90)" font-size="10" text-anchor="end">${richText(p.yLabel ?? defaultYLabel(xTitle, width, fw))}</text>`);
  if (ratio) ratioPad(o, p, X, width, stackTotal, bandCentre, bandW2);
  o.push(`<g class="labels" data-bbox="${[labelBox.x0, labelBox.y0, labelBox.x1, labelBox.y1].map((v) => v.toFixed(1)).join(' ')}">`);
  for (const l of lines) o.push(`<text class="${l.cls}" x="${tx}" y="${fyToY(l.fy).toFixed(2)}" font-size="${l.size}"${l.italic ? ' font-style="italic"' : ''}>${l.text}</text>`);
  o.push('</g>');
  o.push(`<g class="legend" data-bbox="${[legendBox.x0, legendBox.y0, legendBox.x1, legendBox.y1].map((v) => v.toFixed(1)).join(' ')}">`);
  entries.forEach((e, k) => {
    const y = LEGEND_Y0 + k * LEGEND_DY, lx = LEGEND_X;
    o.push(`<g class="legend-entry" data-kind="${e.kind}" data-label="${esc(visible(e.label))}">`);
    if (e.kind === 'data') {
      o.push(`<line x1="${lx + 10}" x2="${lx + 10}" y1="${y - 6}" y2="${y + 6}" stroke="#000" stroke-width="1.5"/><circle cx="${lx + 10}" cy="${y}" r="3" fill="#000"/>`);
    } else if (e.kind === 'fill') {
      o.push(`<rect x="${lx}" y="${y - 5}" width="20" height="10" fill="${e.color}"/>`);
    } else if (e.kind === 'line') {
      o.push(`<line x1="${lx}" x2="${lx + 20}" y1="${y}" y2="${y}" stroke="${e.color}" stroke-width="1.5"/>`);
    } else {
      o.push(`<rect x="${lx}" y="${y - 5}" width="20" height="10" fill="url(#hatch)"/>`);
    }
    o.push(`<text x="${lx + 28}" y="${y + 3.5}" font-size="10">${e.label}</text></g>`);
  });
  o.push('</g>');
  o.push('</svg>');
  return o.join('\n');
}

/**
 * Legend entries: data first; the notebook lists the MC bottom → top as matplotlib does, the
 * framework top → bottom as its TLegend does ("the order reflects the stack order"); the band's
 * entry only when a band is drawn.
 */
function legendEntries(p: PlotInput, fw: boolean, band: boolean): LegendEntry[] {
  const kind = p.mc === 'outline' ? 'line' as const : 'fill' as const;
  const mc = [...p.backgrounds, ...(p.signal ? [p.signal] : [])].map((s) => ({ kind, color: s.color, label: richText(s.label) }));
  return [
    ...(p.data ? [{ kind: 'data' as const, color: '#000', label: 'Data' }] : []),
    ...(fw ? mc.reverse() : mc),
    ...(band ? [{ kind: 'band' as const, color: '#000', label: fw ? 'Stat. unc.' : 'Stat. Unc.' }] : []),
  ];
}

/** "Events / <bin width> <unit>", the unit taken from the x title's "[unit]". */
function defaultYLabel(xTitle: string, width: number, fw: boolean): string {
  const unit = /\[([^\]]+)\]\s*$/.exec(xTitle)?.[1];
  const w = fw ? String(+width.toFixed(2)) : width.toFixed(1);
  return `Events / ${w}${unit ? ` ${unit}` : ''}`;
}

/** An MC group as a step outline over its bins (matplotlib's histtype='step'). */
function outlinePath(s: PlotSeries, edge: (i: number) => number, Y: (y: number) => number): string {
  const d: string[] = [];
  s.values.forEach((v, i) => {
    d.push(`${i === 0 ? 'M' : 'L'}${edge(i).toFixed(2)},${Y(v).toFixed(2)}`, `L${edge(i + 1).toFixed(2)},${Y(v).toFixed(2)}`);
  });
  return `<path class="outline" data-group="${esc(s.label)}" d="${d.join(' ')}" fill="none" stroke="${s.color}" stroke-width="1.5"/>`;
}

/**
 * A data point: a black circle with its error bar (none when the bar has no length), and in
 * the framework style the bar's end ticks.
 */
function point(o: string[], cx: number, cy: number, yLow: number, yHigh: number, caps: boolean, bin: number): void {
  o.push(`<g class="point" data-bin="${bin}">`);
  if (yLow - yHigh > 0) {
    o.push(`<line x1="${cx.toFixed(2)}" x2="${cx.toFixed(2)}" y1="${yLow.toFixed(2)}" y2="${yHigh.toFixed(2)}" stroke="#000" stroke-width="1.5"/>`);
    if (caps) for (const y of [yLow, yHigh]) o.push(`<line class="err-cap" x1="${(cx - CAP).toFixed(2)}" x2="${(cx + CAP).toFixed(2)}" y1="${y.toFixed(2)}" y2="${y.toFixed(2)}" stroke="#000" stroke-width="1.5"/>`);
  }
  o.push(`<circle cx="${cx.toFixed(2)}" cy="${cy.toFixed(2)}" r="3" fill="#000"/></g>`);
}

function frame(o: string[], top: number, bottom: number): void {
  o.push(`<rect x="${L}" y="${top}" width="${R - L}" height="${bottom - top}" fill="none" stroke="#000" stroke-width="0.8"/>`);
}

function tickLine(o: string[], x1: number, y1: number, x2: number, y2: number): void {
  o.push(`<line x1="${x1.toFixed(2)}" y1="${y1.toFixed(2)}" x2="${x2.toFixed(2)}" y2="${y2.toFixed(2)}" stroke="#000" stroke-width="0.8"/>`);
}

/** The minor step that AutoMinorLocator pairs with a major step (4 for a 2·10ⁿ step, else 5). */
function minorOf(step: number): number {
  return step / (step / 10 ** Math.floor(Math.log10(step)) === 2 ? 4 : 5);
}

/** Inward x ticks on the bottom and top of a pad, with value labels under it when `labels`. */
function xTicks(o: string[], X: (x: number) => number, lo: number, hi: number, top: number, bottom: number, labels: boolean): void {
  const step = niceStep(hi - lo), minor = minorOf(step);
  for (let k = Math.ceil(lo / minor - 1e-9); k * minor <= hi + 1e-9; k++) {
    const x = k * minor, major = Math.abs(x / step - Math.round(x / step)) < 1e-9, len = major ? 6 : 3;
    tickLine(o, X(x), bottom, X(x), bottom - len);
    tickLine(o, X(x), top, X(x), top + len);
    if (major && labels) o.push(`<text class="x-tick" x="${X(x).toFixed(2)}" y="${bottom + 16}" font-size="10" text-anchor="middle">${fmt(x)}</text>`);
  }
}

/** Inward y ticks on both sides of a pad from `lo` to `hi`, labelled at each major `step`. */
function yTicks(o: string[], Y: (y: number) => number, lo: number, hi: number, step: number): void {
  const minor = minorOf(step);
  for (let k = Math.ceil(lo / minor - 1e-9); k * minor <= hi + 1e-9; k++) {
    const y = k * minor, major = Math.abs(y / step - Math.round(y / step)) < 1e-9, len = major ? 6 : 3;
    tickLine(o, L, Y(y), L + len, Y(y));
    tickLine(o, R, Y(y), R - len, Y(y));
    if (major) o.push(`<text class="y-tick" x="${L - 6}" y="${(Y(y) + 3.5).toFixed(2)}" font-size="10" text-anchor="end">${fmt(y)}</text>`);
  }
}

/**
 * The framework's ratio pad: Data/Pred per bin (Pred = the whole stack, histstack) with √N/Pred
 * errors and end ticks, the relative stat. band around 1, a dashed line at 1, y from 0 to 2.
 * Bins without prediction or without data draw no point (E1 leaves empty bins out).
 */
function ratioPad(o: string[], p: PlotInput, X: (x: number) => number, width: number, pred: number[],
                  bandCentre: number[], bandW2: number[]): void {
  // Not clamped: the pad's clip path hides what is off scale, as ROOT leaves such points out.
  const Y = (r: number) => RB - (r / 2) * (RB - RT);
  o.push('<g class="ratio-pad" clip-path="url(#ratio)">');
  for (let i = 0; i < p.nbins; i++) {
    const rel = bandCentre[i]! > 0 ? Math.sqrt(bandW2[i]!) / bandCentre[i]! : 0;
    if (!(pred[i]! > 0) || !(rel > 0)) continue;
    const x0 = X(p.lo + i * width), x1 = X(p.lo + (i + 1) * width);
    o.push(`<rect class="band" data-bin="${i}" x="${x0.toFixed(2)}" y="${Y(1 + rel).toFixed(2)}" width="${(x1 - x0).toFixed(2)}" height="${(Y(1 - rel) - Y(1 + rel)).toFixed(2)}" fill="url(#hatch)"/>`);
  }
  o.push(`<line x1="${L}" x2="${R}" y1="${Y(1)}" y2="${Y(1)}" stroke="#000" stroke-width="0.8" stroke-dasharray="4 3"/>`);
  p.data?.forEach((n, i) => {
    if (!(pred[i]! > 0) || !(n > 0)) return;
    const r = n / pred[i]!, e = Math.sqrt(n) / pred[i]!;
    point(o, X(p.lo + (i + 0.5) * width), Y(r), Y(r - e), Y(r + e), true, i);
  });
  o.push('</g>');
  frame(o, RT, RB);
  xTicks(o, X, p.lo, p.hi, RT, RB, true);
  yTicks(o, Y, 0, 2, 0.5);
  o.push(`<text class="ratio-title" transform="translate(${L - 42},${(RT + RB) / 2}) rotate(-90)" font-size="10" text-anchor="middle">Data/Pred</text>`);
}

/** Renders SVG text to PNG bytes with resvg (system fonts). */
export async function svgToPng(svg: string, scale = 2): Promise<Buffer> {
  const { Resvg } = await import('@resvg/resvg-js');
  const r = new Resvg(svg, { fitTo: { mode: 'zoom', value: scale }, font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' }, background: '#ffffff' });
  return Buffer.from(r.render().asPng());
}
