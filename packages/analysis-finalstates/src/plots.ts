/**
 * The run's plots (plots/): events per final state, the largest histograms, a timing summary —
 * each as SVG and PNG. Drawn from what the run directory holds (the ROOT file and
 * histograms/summary.json, logs/stages.json), so `--plots-only` and `--merge-only` redraw them.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { svgToPng, niceStep } from '@gluon/analysis-h4l';
import type { Th1 } from './histograms.js';

const W = 720, FONT = 'DejaVu Sans, Liberation Sans, Arial, sans-serif';

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toPrecision(3);
}

/** A horizontal bar chart of labelled values (largest first as given); every bar labelled with its value. */
export function barChartSvg(title: string, unit: string, rows: readonly [string, number][]): string {
  const rowH = 20, top = 48, left = 200, right = W - 90;
  const h = top + Math.max(1, rows.length) * rowH + 30;
  const max = Math.max(1e-12, ...rows.map((r) => r[1]));
  const o = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${h}" viewBox="0 0 ${W} ${h}" font-family="${FONT}">`,
    `<rect width="${W}" height="${h}" fill="#fff"/>`,
    `<text class="title" x="${W / 2}" y="26" font-size="16" text-anchor="middle">${esc(title)}</text>`];
  if (rows.length === 0) o.push(`<text x="${W / 2}" y="${top + 14}" font-size="12" text-anchor="middle">(nothing to show)</text>`);
  rows.forEach(([label, v], i) => {
    const y = top + i * rowH, w = ((right - left) * v) / max;
    o.push(`<text x="${left - 8}" y="${y + 14}" font-size="12" text-anchor="end">${esc(label)}</text>`,
      `<rect class="bar" data-label="${esc(label)}" data-value="${v}" x="${left}" y="${y + 3}" width="${w.toFixed(2)}" height="${rowH - 6}" fill="#4878d0"/>`,
      `<text x="${left + w + 6}" y="${y + 14}" font-size="11">${esc(fmt(v))}${unit ? ' ' + esc(unit) : ''}</text>`);
  });
  o.push('</svg>');
  return o.join('\n');
}

/** A histogram as a step line with its axis range, bin-count labels and the overflow noted. */
export function histogramSvg(h: Th1): string {
  const H = 420, L = 70, R = W - 20, T = 50, B = H - 50;
  const vals = Array.from(h.contents.subarray(1, h.nbins + 1));
  const step = niceStep(Math.max(1, ...vals) * 1.1, 6);
  const max = step * Math.ceil((Math.max(1, ...vals) * 1.1) / step);
  const x = (i: number) => L + ((R - L) * i) / h.nbins;
  const y = (v: number) => B - ((B - T) * v) / max;
  let d = `M${x(0).toFixed(2)},${y(0).toFixed(2)}`;
  vals.forEach((v, i) => { d += `L${x(i).toFixed(2)},${y(v).toFixed(2)}L${x(i + 1).toFixed(2)},${y(v).toFixed(2)}`; });
  d += `L${x(h.nbins).toFixed(2)},${y(0).toFixed(2)}`;
  const o = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="${FONT}" data-hist="${esc(h.name)}">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text class="title" x="${W / 2}" y="24" font-size="14" text-anchor="middle">${esc(h.name)}</text>`,
    `<rect x="${L}" y="${T}" width="${R - L}" height="${B - T}" fill="none" stroke="#000"/>`,
    `<path class="hist" d="${d}" fill="#4878d033" stroke="#4878d0"/>`];
  for (let k = 0; k <= 5; k++) {
    const v = h.lo + ((h.hi - h.lo) * k) / 5, px = L + ((R - L) * k) / 5;
    o.push(`<text x="${px}" y="${B + 16}" font-size="11" text-anchor="middle">${fmt(+v.toPrecision(6))}</text>`);
  }
  for (let yv = 0; yv <= max + 1e-9 * max; yv += step) {
    o.push(`<text x="${L - 6}" y="${(y(yv) + 4).toFixed(1)}" font-size="11" text-anchor="end">${fmt(+yv.toPrecision(6))}</text>`);
  }
  o.push(`<text class="x-title" x="${(L + R) / 2}" y="${H - 14}" font-size="12" text-anchor="middle">${esc(h.xTitle || 'mass [GeV]')}</text>`,
    `<text class="y-title" transform="translate(16,${(T + B) / 2}) rotate(-90)" font-size="12" text-anchor="middle">Entries / ${fmt((h.hi - h.lo) / h.nbins)} GeV</text>`,
    `<text x="${R - 6}" y="${T + 16}" font-size="11" text-anchor="end">entries ${fmt(h.entries)}${h.contents[h.nbins + 1] ? `, overflow ${fmt(h.contents[h.nbins + 1])}` : ''}</text>`,
    '</svg>');
  return o.join('\n');
}

export interface PlotSources {
  finalStates: Record<string, number>;
  histograms: readonly Th1[];
  /** Stage or phase → seconds. */
  timings: Record<string, number>;
  /** How many of the largest histograms to draw (default 6). */
  largest?: number;
}

/** Writes every plot into `<runDir>/plots`; returns the file names (relative to the run dir). */
export async function writePlots(runDir: string, s: PlotSources): Promise<string[]> {
  const dir = path.join(runDir, 'plots');
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  const put = async (stem: string, svg: string) => {
    await writeFile(path.join(dir, `${stem}.svg`), svg);
    await writeFile(path.join(dir, `${stem}.png`), await svgToPng(svg));
    written.push(`plots/${stem}.svg`, `plots/${stem}.png`);
  };
  const fs = Object.entries(s.finalStates).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  await put('events_per_final_state', barChartSvg('Events per final state', '', fs));
  const largest = [...s.histograms].filter((h) => !h.name.endsWith('_tail'))
    .sort((a, b) => b.entries - a.entries || (a.name < b.name ? -1 : 1)).slice(0, s.largest ?? 6);
  for (const h of largest) await put(h.name, histogramSvg(h));
  await put('timing', barChartSvg('Timing summary', 's', Object.entries(s.timings).map(([k, v]) => [k, +v.toFixed(3)])));
  return written;
}
