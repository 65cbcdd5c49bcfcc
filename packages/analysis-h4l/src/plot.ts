/**
 * The final m4l plot as hand-written SVG, following the notebook's matplotlib conventions
 * (spec 2.5): data points with √N errors over the stacked MC groups, a hatched ±√Σw² band
 * around the background total, a frameless legend, ATLAS Open Data labels, inward major and
 * minor ticks on all four sides, y up to 1.6 × the largest data bin. The framework style adds
 * the C++ plotting's ratio pad below (spec 3.7: Data/Pred from 0 to 2).
 */

/** What the plot needs; built from histograms.json so `gluon-h4l plot` re-draws from a run. */
export interface PlotInput {
  lo: number; hi: number; nbins: number;
  data?: number[];
  /** Background groups bottom → top, then the signal (drawn on the background total). */
  backgrounds: { label: string; color: string; values: number[]; sumw2: number[] }[];
  signal?: { label: string; color: string; values: number[] };
  lumiFb: number;
  /** 'notebook' (matplotlib conventions, default) or 'framework' (the C++ plotting's labels, y maximum and band label). */
  style?: 'notebook' | 'framework';
  /** Fixed y maximum (the framework overrides it per histogram, e.g. mass_four_lep 35). */
  yMax?: number;
}

const W = 640, H = 480;                   // matplotlib's default 6.4 × 4.8 in at 100 dpi
const L = 80, R = 576, T = 58, B = 427;   // axes box (subplots_adjust defaults)
/** The framework style's ratio pad under the main axes, and its taller canvas. */
const RT = 437, RB = 547, H_RATIO = 600;
const FONT = 'DejaVu Sans, Liberation Sans, Arial, sans-serif';

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
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

/** Converts the notebook's mathtext legend labels into plain Unicode. */
export function plainLabel(label: string): string {
  return label.replace('$Z,t\\bar{t}$', 'Z,tt̄').replace('$ZZ^*$', 'ZZ*').replace('$m_H$', 'mH');
}

/** Draws the plot; returns SVG text. */
export function drawM4lSvg(p: PlotInput): string {
  const { lo, hi, nbins } = p;
  const width = (hi - lo) / nbins;
  const bgTotal = new Array(nbins).fill(0), bgW2 = new Array(nbins).fill(0);
  for (const b of p.backgrounds) b.values.forEach((v, i) => { bgTotal[i] += v; bgW2[i] += b.sumw2[i]; });
  const maxData = p.data && p.data.length ? Math.max(...p.data) : 0;
  const stackMax = Math.max(...bgTotal.map((v, i) => v + (p.signal?.values[i] ?? 0)), 0);
  const fw = p.style === 'framework';
  // Notebook: 1.6 × the largest data bin. Framework: 2 × the largest of data and stack, unless fixed.
  const yMax = p.yMax ?? (fw ? 2 * Math.max(maxData, stackMax, 1e-9)
    : maxData > 0 ? 1.6 * maxData : Math.max(1, 1.6 * stackMax));
  const X = (x: number) => L + ((x - lo) / (hi - lo)) * (R - L);
  const Y = (y: number) => B - (Math.min(Math.max(y, 0), yMax) / yMax) * (B - T);
  const o: string[] = [];
  const height = fw ? H_RATIO : H;
  o.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" font-family="${FONT}">`);
  o.push('<defs><pattern id="hatch" patternUnits="userSpaceOnUse" width="6" height="6" patternTransform="rotate(0)">'
    + '<path d="M-1,1 l2,-2 M0,6 l6,-6 M5,7 l2,-2" stroke="#000" stroke-width="0.8" stroke-opacity="0.5"/></pattern>'
    + `<clipPath id="axes"><rect x="${L}" y="${T}" width="${R - L}" height="${B - T}"/></clipPath>`
    + `<clipPath id="ratio"><rect x="${L}" y="${RT}" width="${R - L}" height="${RB - RT}"/></clipPath></defs>`);
  o.push(`<rect width="${W}" height="${height}" fill="#fff"/>`);
  o.push('<g clip-path="url(#axes)">');
  // Stacked backgrounds, then the signal on the background total.
  const base = new Array(nbins).fill(0);
  const layers = [...p.backgrounds.map((b) => ({ color: b.color, values: b.values })), ...(p.signal ? [{ color: p.signal.color, values: p.signal.values }] : [])];
  for (const layer of layers) {
    for (let i = 0; i < nbins; i++) {
      const v = layer.values[i];
      if (v > 0) {
        const x0 = X(lo + i * width), x1 = X(lo + (i + 1) * width), y0 = Y(base[i]), y1 = Y(base[i] + v);
        o.push(`<rect x="${x0.toFixed(2)}" y="${y1.toFixed(2)}" width="${(x1 - x0).toFixed(2)}" height="${(y0 - y1).toFixed(2)}" fill="${layer.color}"/>`);
      }
      base[i] += v;
    }
  }
  // Stat. unc. band: ±√Σw² around the background total, hatched, no fill.
  for (let i = 0; i < nbins; i++) {
    const e = Math.sqrt(bgW2[i]);
    if (!(e > 0)) continue;
    const x0 = X(lo + i * width), x1 = X(lo + (i + 1) * width), yT = Y(bgTotal[i] + e), yB = Y(bgTotal[i] - e);
    o.push(`<rect x="${x0.toFixed(2)}" y="${yT.toFixed(2)}" width="${(x1 - x0).toFixed(2)}" height="${(yB - yT).toFixed(2)}" fill="url(#hatch)"/>`);
  }
  // Data: black circles with √N error bars at the bin centres.
  if (p.data) p.data.forEach((n, i) => point(o, X(lo + (i + 0.5) * width), Y(n), Y(n - Math.sqrt(n)), Y(n + Math.sqrt(n))));
  o.push('</g>');
  // Frame and ticks (inwards, all four sides; minor ticks like AutoMinorLocator).
  frame(o, T, B);
  // With a ratio pad the x values are labelled under the pad only.
  xTicks(o, X, lo, hi, T, B, !fw);
  yTicks(o, Y, 0, yMax, niceStep(yMax));
  // Axis labels: x right-aligned at the axis end (fontsize 13), y top-aligned.
  o.push(fw ? `<text x="${R}" y="${RB + 36}" font-size="13" text-anchor="end">Mass of 4-lepton system [GeV]</text>`
    : `<text x="${R}" y="${B + 36}" font-size="13" text-anchor="end">4-lepton invariant mass m<tspan baseline-shift="sub" font-size="9">4l</tspan> [GeV]</text>`);
  o.push(`<text transform="translate(${L - 42},${T}) rotate(-90)" font-size="10" text-anchor="end">Events / ${fw ? +width.toFixed(2) : width.toFixed(1)} GeV</text>`);
  if (fw) ratioPad(o, p, X, width, bgTotal, bgW2);
  // ATLAS labels in axes coordinates at x = 0.05.
  const ax = (fx: number, fy: number) => [L + fx * (R - L), B - fy * (B - T)];
  const [tx, t1] = ax(0.05, 0.93), [, t2] = ax(0, 0.88), [, t3] = ax(0, 0.82), [, t4] = ax(0, 0.76);
  o.push(`<text x="${tx}" y="${t1}" font-size="13">ATLAS Open Data</text>`);
  o.push(`<text x="${tx}" y="${t2}" font-size="8" font-style="italic">for education</text>`);
  o.push(fw ? `<text x="${tx}" y="${t3}" font-size="10">√s = 13 TeV, ${+p.lumiFb.toFixed(2)} fb<tspan baseline-shift="super" font-size="7">-1</tspan></text>`
    : `<text x="${tx}" y="${t3}" font-size="10">√s=13 TeV,∫L dt = ${p.lumiFb.toFixed(1)} fb<tspan baseline-shift="super" font-size="7">-1</tspan></text>`);
  o.push(`<text x="${tx}" y="${t4}" font-size="10">${fw ? 'H → ZZ* → 4l' : 'H → ZZ* → 4ℓ'}</text>`);
  // Legend without frame, upper right.
  const entries: { kind: 'data' | 'fill' | 'band'; color: string; label: string }[] = [];
  if (p.data) entries.push({ kind: 'data', color: '#000', label: 'Data' });
  for (const b of p.backgrounds) entries.push({ kind: 'fill', color: b.color, label: plainLabel(b.label) });
  if (p.signal) entries.push({ kind: 'fill', color: p.signal.color, label: plainLabel(p.signal.label) });
  entries.push({ kind: 'band', color: '#000', label: fw ? 'Stat. unc.' : 'Stat. Unc.' });
  const lx = R - 190, ly0 = T + 14;
  entries.forEach((e, k) => {
    const y = ly0 + k * 17;
    if (e.kind === 'data') {
      o.push(`<line x1="${lx + 10}" x2="${lx + 10}" y1="${y - 6}" y2="${y + 6}" stroke="#000" stroke-width="1.5"/><circle cx="${lx + 10}" cy="${y}" r="3" fill="#000"/>`);
    } else if (e.kind === 'fill') {
      o.push(`<rect x="${lx}" y="${y - 5}" width="20" height="10" fill="${e.color}"/>`);
    } else {
      o.push(`<rect x="${lx}" y="${y - 5}" width="20" height="10" fill="url(#hatch)"/>`);
    }
    o.push(`<text x="${lx + 28}" y="${y + 3.5}" font-size="10">${esc(e.label)}</text>`);
  });
  o.push('</svg>');
  return o.join('\n');
}

/** A data point: a black circle with its error bar (none when the bar has no length). */
function point(o: string[], cx: number, cy: number, yLow: number, yHigh: number): void {
  if (yLow - yHigh > 0) o.push(`<line x1="${cx.toFixed(2)}" x2="${cx.toFixed(2)}" y1="${yLow.toFixed(2)}" y2="${yHigh.toFixed(2)}" stroke="#000" stroke-width="1.5"/>`);
  o.push(`<circle cx="${cx.toFixed(2)}" cy="${cy.toFixed(2)}" r="3" fill="#000"/>`);
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
    if (major && labels) o.push(`<text x="${X(x).toFixed(2)}" y="${bottom + 16}" font-size="10" text-anchor="middle">${fmt(x)}</text>`);
  }
}

/** Inward y ticks on both sides of a pad from `lo` to `hi`, labelled at each major `step`. */
function yTicks(o: string[], Y: (y: number) => number, lo: number, hi: number, step: number): void {
  const minor = minorOf(step);
  for (let k = Math.ceil(lo / minor - 1e-9); k * minor <= hi + 1e-9; k++) {
    const y = k * minor, major = Math.abs(y / step - Math.round(y / step)) < 1e-9, len = major ? 6 : 3;
    tickLine(o, L, Y(y), L + len, Y(y));
    tickLine(o, R, Y(y), R - len, Y(y));
    if (major) o.push(`<text x="${L - 6}" y="${(Y(y) + 3.5).toFixed(2)}" font-size="10" text-anchor="end">${fmt(y)}</text>`);
  }
}

/**
 * The framework's ratio pad: Data/Pred per bin (Pred = background total + signal) with √N/Pred
 * errors, the background's relative stat. band around 1, a dashed line at 1, y from 0 to 2.
 * Bins without prediction have no ratio and are left empty.
 */
function ratioPad(o: string[], p: PlotInput, X: (x: number) => number, width: number, bgTotal: number[], bgW2: number[]): void {
  // Not clamped: the pad's clip path hides what is off scale, as ROOT leaves such points out.
  const Y = (r: number) => RB - (r / 2) * (RB - RT);
  const pred = bgTotal.map((b, i) => b + (p.signal?.values[i] ?? 0));
  o.push('<g clip-path="url(#ratio)">');
  for (let i = 0; i < p.nbins; i++) {
    const rel = bgTotal[i]! > 0 ? Math.sqrt(bgW2[i]!) / pred[i]! : 0;
    if (!(pred[i]! > 0) || !(rel > 0)) continue;
    const x0 = X(p.lo + i * width), x1 = X(p.lo + (i + 1) * width);
    o.push(`<rect x="${x0.toFixed(2)}" y="${Y(1 + rel).toFixed(2)}" width="${(x1 - x0).toFixed(2)}" height="${(Y(1 - rel) - Y(1 + rel)).toFixed(2)}" fill="url(#hatch)"/>`);
  }
  o.push(`<line x1="${L}" x2="${R}" y1="${Y(1)}" y2="${Y(1)}" stroke="#000" stroke-width="0.8" stroke-dasharray="4 3"/>`);
  p.data?.forEach((n, i) => {
    if (!(pred[i]! > 0)) return;
    const r = n / pred[i]!, e = Math.sqrt(n) / pred[i]!;
    point(o, X(p.lo + (i + 0.5) * width), Y(r), Y(r - e), Y(r + e));
  });
  o.push('</g>');
  frame(o, RT, RB);
  xTicks(o, X, p.lo, p.hi, RT, RB, true);
  yTicks(o, Y, 0, 2, 0.5);
  o.push(`<text transform="translate(${L - 42},${(RT + RB) / 2}) rotate(-90)" font-size="10" text-anchor="middle">Data/Pred</text>`);
}

/** Renders SVG text to PNG bytes with resvg (system fonts). */
export async function svgToPng(svg: string, scale = 2): Promise<Buffer> {
  const { Resvg } = await import('@resvg/resvg-js');
  const r = new Resvg(svg, { fitTo: { mode: 'zoom', value: scale }, font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' }, background: '#ffffff' });
  return Buffer.from(r.render().asPng());
}
