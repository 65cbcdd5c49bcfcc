/**
 * Every plot of a run, from its histograms.json: one per histogram the selection fills
 * (`<name>.svg` / `<name>.png`), plus `m4l.svg` / `m4l.png`, the run's headline mass plot
 * (the notebook's m4l; the framework's mass_four_lep). Used by `run` and by `gluon-h4l plot`.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { HistogramsJson, HistJson } from './outputs.js';
import { drawPlotSvg, svgToPng, type PlotInput } from './plot.js';

/** The signal group id (stacked on the backgrounds). */
const SIGNAL = 'Higgs';

/** The framework plotting's fixed y maxima at 10 fb⁻¹, by histogram-name fragment (Plotting.cxx). */
const FRAMEWORK_Y_MAX: readonly [string, number][] = [['mLL1', 150], ['mLL2', 100], ['mass_four', 35], ['mass_ext', 40]];
/** The notebook's lepton-pT plots end at 100 events (spec 2.2). */
const LEP_PT_Y_MAX = 100;

/** The histogram names of a document, in the order the selection books them. */
export function histogramNames(j: HistogramsJson): string[] {
  if (!j.groups || typeof j.groups !== 'object') throw new Error('histograms.json has no "groups" object: nothing to plot');
  const names: string[] = [];
  for (const g of Object.values(j.groups)) for (const n of Object.keys(g.histograms ?? {})) if (!names.includes(n)) names.push(n);
  return names;
}

/** The headline mass histogram of a selection (written again as m4l.svg / m4l.png). */
export function headlineHistogram(selection: string): string {
  return selection === 'framework' ? 'mass_four_lep' : 'm4l';
}

/**
 * The plot input for histogram `name` of a histograms.json document: the data group as points,
 * the other groups stacked (signal last) or, for the notebook's lepton-pT plots, as outlines;
 * the framework's overflow folded into the last bin except for the four_lep masses; the
 * labels from `meta` (synthetic events, variants, the luminosity).
 */
export function plotInput(j: HistogramsJson, name: string): PlotInput {
  const fw = j.selection === 'framework';
  const g = (id: string): HistJson | undefined => j.groups[id]?.histograms?.[name];
  const ref = Object.keys(j.groups).map(g).find(Boolean);
  if (!ref) throw new Error(`histograms.json has no ${name} histogram in any group`);
  // The framework's plotting adds the overflow into the last bin (not its error) for every
  // histogram whose name lacks "four_lep" (spec 3.7).
  const fold = fw && !name.includes('four_lep');
  const values = (h: HistJson) => (fold ? h.sumw.map((v, i) => (i === h.nbins - 1 ? v + (h.overflow ?? 0) : v)) : h.sumw);
  const series = (id: string) => ({ label: j.groups[id]!.label, color: j.groups[id]!.color, values: values(g(id)!), sumw2: g(id)!.sumw2 });
  const mcIds = Object.keys(j.groups).filter((id) => id !== 'data' && g(id));
  const meta = j.meta as Partial<HistogramsJson['meta']> | undefined;
  // Fixed maxima are for the real dataset's 10 fb⁻¹ of data; a synthetic dataset at scale s has s × the events.
  const scale = meta?.datasetScale ?? (j.plotLumiFb ?? j.lumiFb) / j.lumiFb;
  const lepPt = !fw && name.startsWith('lep_pt_');
  const fixed = fw ? FRAMEWORK_Y_MAX.find(([k]) => name.includes(k))?.[1] : lepPt ? LEP_PT_Y_MAX : undefined;
  return {
    name, lo: ref.lo, hi: ref.hi, nbins: ref.nbins, xLabel: ref.xLabel,
    lumiFb: meta?.lumiFb ?? j.plotLumiFb ?? j.lumiFb,
    backgrounds: mcIds.filter((id) => id !== SIGNAL).map(series),
    ...(g(SIGNAL) ? { signal: series(SIGNAL) } : {}),
    ...(g('data') ? { data: values(g('data')!) } : {}),
    ...(fw ? { style: 'framework' as const } : {}),
    ...(lepPt ? { mc: 'outline' as const } : {}),
    ...(fixed !== undefined ? { yMax: fixed * scale } : {}),
    synthetic: meta?.synthetic === true,
    variants: Array.isArray(meta?.variants) ? meta.variants : j.selection === 'notebook-pt' ? ['pt-cut'] : [],
  };
}

/** A histogram name usable as a file name (it comes from a JSON file `plot` may be given). */
function fileStem(name: string): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(name) || name.startsWith('.')) throw new Error(`histograms.json: histogram name ${JSON.stringify(name)} cannot be a file name`);
  return name;
}

/** Writes every plot of a document into `dir`; returns the file names written. */
export async function writePlots(dir: string, j: HistogramsJson): Promise<string[]> {
  const written: string[] = [];
  const head = headlineHistogram(j.selection);
  for (const name of histogramNames(j)) {
    const svg = drawPlotSvg(plotInput(j, name));
    const png = await svgToPng(svg);
    for (const stem of new Set([fileStem(name), ...(name === head ? ['m4l'] : [])])) {
      await writeFile(path.join(dir, `${stem}.svg`), svg);
      await writeFile(path.join(dir, `${stem}.png`), png);
      written.push(`${stem}.svg`, `${stem}.png`);
    }
  }
  return written;
}
