/**
 * A run's output directory: histograms.json (stable schema, see README), histograms.root,
 * the plots (m4l.svg / m4l.png and one svg/png per histogram, plots.ts), cutflow.md / cutflow.csv and run.json.
 */
import { mkdir, writeFile, readFile } from 'node:fs/promises';
import path from 'node:path';
import { type Hist1D } from './hist.js';
import { type CutFlow, cutFlowRows } from './cutflow.js';
import { groupHistograms, groupsFor } from './groups.js';
import { sampleByName, frameworkScale } from './samples.js';
import type { AnalysisResult } from './result.js';
import { writePlots } from './plots.js';
import { RootFileWriter } from '@gluon/rootio';
import { type RunMeta, metaNotes } from './meta.js';
import { otherAnalysisRun } from './run-kind.js';
import { toTLatex } from './tlatex.js';
import { createHash } from 'node:crypto';

export const HISTOGRAMS_SCHEMA = 'gluon-h4l/histograms@1';

export interface HistJson {
  name: string; title: string; xLabel: string; binning: 'numpy' | 'root';
  nbins: number; lo: number; hi: number;
  sumw: number[]; sumw2: number[]; underflow: number; overflow: number; entries: number;
}
export interface CutRow { cut: string; raw: number; weighted: number }
export interface HistogramsJson {
  schema: typeof HISTOGRAMS_SCHEMA;
  /** What these histograms are (synthetic, variants, MC present, files left out): see meta.ts. */
  meta: RunMeta;
  selection: string;
  lumiFb: number;
  /**
   * The luminosity the plot is labelled with: lumiFb × the dataset's scale (a synthetic dataset
   * generated at scale s holds s × the real entries, data and MC alike, i.e. 10·s fb⁻¹ worth).
   */
  plotLumiFb: number;
  samples: Record<string, { group: string; cutflow: CutRow[]; histograms: Record<string, HistJson> }>;
  groups: Record<string, { label: string; color: string; samples: string[]; cutflow: CutRow[]; histograms: Record<string, HistJson> }>;
}

export function histToJson(h: Hist1D): HistJson {
  return { name: h.name, title: h.title, xLabel: h.xLabel, binning: h.binning, nbins: h.nbins, lo: h.lo, hi: h.hi,
    sumw: Array.from(h.sumw.subarray(1, h.nbins + 1)), sumw2: Array.from(h.sumw2.subarray(1, h.nbins + 1)),
    underflow: h.sumw[0], overflow: h.sumw[h.nbins + 1], entries: h.entries };
}

/** The histograms.json document of a result. */
export function histogramsJson(r: AnalysisResult, meta: RunMeta, runLumiFb: number): HistogramsJson {
  const fw = r.selection === 'framework';
  const samples: HistogramsJson['samples'] = {};
  for (const s of Object.values(r.samples)) {
    const info = sampleByName(s.sample);
    samples[s.sample] = { group: (fw ? info.groupB : info.groupA) ?? '', cutflow: cutFlowRows(s.cutflow),
      histograms: Object.fromEntries(Object.entries(s.hists).map(([k, h]) => [k, histToJson(h)])) };
  }
  const byGroup = groupHistograms(r, runLumiFb);
  const groups: HistogramsJson['groups'] = {};
  for (const g of groupsFor(r.selection)) {
    if (!byGroup[g.id]) continue;
    const members = Object.keys(samples).filter((n) => samples[n].group === g.id);
    let cf: CutFlow | undefined;
    for (const n of members) {
      const src = r.samples[n].cutflow, scale = fw ? frameworkScale(sampleByName(n), runLumiFb * 1000) * g.scale : 1;
      cf ??= { cuts: src.cuts, raw: new Float64Array(src.cuts.length), weighted: new Float64Array(src.cuts.length) };
      for (let i = 0; i < src.cuts.length; i++) { cf.raw[i] += src.raw[i]; cf.weighted[i] += src.weighted[i] * scale; }
    }
    groups[g.id] = { label: g.label, color: g.color, samples: members, cutflow: cf ? cutFlowRows(cf) : [],
      histograms: Object.fromEntries(Object.entries(byGroup[g.id]).map(([k, h]) => [k, histToJson(h)])) };
  }
  return { schema: HISTOGRAMS_SCHEMA, meta, selection: r.selection, lumiFb: runLumiFb, plotLumiFb: meta.lumiFb, samples, groups };
}

/** Re-draws the plots of a run directory from its histograms.json; returns the files written. */
export async function replot(runDir: string): Promise<string[]> {
  const file = path.join(runDir, 'histograms.json');
  let text: string;
  try { text = await readFile(file, 'utf8'); } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const other = err.code === 'ENOENT' ? await otherAnalysisRun(runDir, 'gluon-h4l') : null;
    if (other !== null) throw new Error(`cannot read ${file}: ${other}`);
    throw new Error(`cannot read ${file} (${err.code === 'ENOENT' ? 'no such file: is this a run\'s output directory?' : err.code ?? err.message})`);
  }
  let j: unknown;
  try { j = JSON.parse(text); } catch (e) {
    throw new Error(`${file} is not JSON (${e instanceof Error ? e.message : e})`);
  }
  return writePlots(runDir, checkHistogramsJson(j, file));
}

/**
 * The structure `plot` needs from a histograms.json, checked before drawing: a clear error
 * naming the file and the part that is missing, not a TypeError from deep inside the plot.
 */
export function checkHistogramsJson(j: unknown, file: string): HistogramsJson {
  const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
  if (!isObj(j)) throw new Error(`${file}: not a histograms.json document (a JSON object with schema ${HISTOGRAMS_SCHEMA})`);
  if (j.schema !== HISTOGRAMS_SCHEMA) throw new Error(`${file}: schema is ${JSON.stringify(j.schema)}, expected ${HISTOGRAMS_SCHEMA}`);
  if (typeof j.selection !== 'string') throw new Error(`${file}: no "selection"`);
  for (const part of ['groups', 'samples'] as const) {
    const v = j[part];
    if (!isObj(v)) throw new Error(`${file}: no "${part}" object (every run writes one; was the file cut short or edited?)`);
    for (const [name, g] of Object.entries(v)) {
      if (!isObj(g) || !isObj(g.histograms)) throw new Error(`${file}: ${part}.${name} has no "histograms" object`);
      for (const [h, x] of Object.entries(g.histograms)) {
        if (!isObj(x) || !Array.isArray(x.sumw) || !Array.isArray(x.sumw2) || x.sumw.length !== x.nbins) {
          throw new Error(`${file}: ${part}.${name}.histograms.${h} is not a histogram (nbins, sumw and sumw2 of nbins values)`);
        }
      }
    }
  }
  if (Object.keys(j.groups as object).length === 0) throw new Error(`${file}: "groups" is empty: nothing to draw`);
  return j as unknown as HistogramsJson;
}

/** Cut-flow tables (Markdown, CSV) per sample and group. */
export function cutflowTables(j: HistogramsJson): { md: string; csv: string } {
  const notes = j.meta ? metaNotes(j.meta) : [];
  const md: string[] = [`# Cut flow (selection ${j.selection})`, '', ...notes.map((n) => `> ${n}`), ...(notes.length ? [''] : [])];
  // Notes first as '#' lines (pandas: read_csv(..., comment='#')), then the table.
  const csv: string[] = [...notes.map((n) => `# ${n}`), 'kind,name,cut,raw,weighted'];
  const block = (kind: string, name: string, rows: CutRow[]) => {
    md.push(`## ${kind} ${name}`, '', '| cut | raw | weighted |', '|---|---:|---:|');
    for (const r of rows) {
      md.push(`| ${r.cut} | ${r.raw} | ${+r.weighted.toPrecision(8)} |`);
      csv.push([kind, name, JSON.stringify(r.cut), r.raw, r.weighted].join(','));
    }
    md.push('');
  };
  for (const [n, s] of Object.entries(j.samples)) block('sample', n, s.cutflow);
  for (const [n, g] of Object.entries(j.groups)) block('group', n, g.cutflow);
  return { md: md.join('\n'), csv: csv.join('\n') + '\n' };
}

/**
 * Writes histograms.root with rootio's writer: TH1D `<sample>_<hist>` per sample × histogram and
 * `group_<group>_<hist>` per group (under/overflow and their sumw² included), axis titles in
 * TLatex. `stamp` fixes the file's UUID and creation time (else random and now).
 */
export async function writeRootFile(file: string, r: AnalysisResult, lumiFb: number, stamp?: { uuid: Uint8Array; time: Date }): Promise<void> {
  const w = await RootFileWriter.create(file, stamp ? { stamp } : {});
  const put = (name: string, title: string, h: Hist1D) => w.writeHistogram({
    type: 'TH1D', name, title, nbins: h.nbins, lo: h.lo, hi: h.hi, contents: Float64Array.from(h.sumw),
    sumw2: Float64Array.from(h.sumw2), entries: h.entries, xTitle: toTLatex(h.xLabel), yTitle: 'Events' });
  for (const s of Object.values(r.samples)) for (const h of Object.values(s.hists)) put(`${s.sample}_${h.name}`, `${s.sample}: ${h.title}`, h);
  for (const [g, hs] of Object.entries(groupHistograms(r, lumiFb))) for (const h of Object.values(hs)) put(`group_${g}_${h.name}`, `${g}: ${h.title}`, h);
  await w.close();
}

export interface WriteOutputsOptions {
  dir: string; result: AnalysisResult; meta: RunMeta; runInfo: Record<string, unknown>;
  /** The luminosity the run's MC is normalised to, fb⁻¹ (meta.lumiFb is this × the dataset's scale). */
  lumiFb: number;
  /** histograms.root's creation time (its UUID comes from the histograms): the run's start, or SOURCE_DATE_EPOCH. */
  created: Date;
}

/** Writes every output of a run; returns the file names written. */
export async function writeOutputs(o: WriteOutputsOptions): Promise<string[]> {
  await mkdir(o.dir, { recursive: true });
  const j = histogramsJson(o.result, o.meta, o.lumiFb);
  const written: string[] = [];
  const put = async (name: string, data: string | Buffer) => { await writeFile(path.join(o.dir, name), data); written.push(name); };
  await put('histograms.json', JSON.stringify(j, null, 1));
  const t = cutflowTables(j);
  await put('cutflow.md', t.md);
  await put('cutflow.csv', t.csv);
  written.push(...await writePlots(o.dir, j));
  // A UUID from the content: the same histograms and time give the same bytes in any mode.
  const uuid = createHash('sha256').update(JSON.stringify(j)).digest().subarray(0, 16);
  await writeRootFile(path.join(o.dir, 'histograms.root'), o.result, o.lumiFb, { uuid, time: o.created });
  written.push('histograms.root');
  await put('run.json', JSON.stringify({ meta: o.meta, ...o.runInfo, outputs: [...written, 'run.json'] }, null, 1));
  return written;
}
