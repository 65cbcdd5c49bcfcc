/**
 * Synthetic samples by name: which model and metadata each MC sample and data period uses, and
 * its events as `mini` columns. Every sample draws from its own stream, seeded by (seed, name),
 * so a file's content does not depend on which other samples are generated with it.
 */
import { SAMPLES_A, sampleByName, xsecWeight, type SampleInfo } from '../samples.js';
import type { ColumnSet } from './columns.js';
import { generateColumns, SampleGenerator, type EventMeta, type EventSource } from './events.js';
import { DEFAULT_ENTRIES, MODELS, WEIGHT_PER_SELECTED_EVENT } from './models.js';
import { Rng } from './rng.js';

/** Names of every sample the generator writes: the four data periods, then the selection-A MC. */
export const GENERATED_SAMPLES: readonly string[] = SAMPLES_A.map((s) => s.name);

/** 2016 run-number ranges of the data periods (runNumber/channelNumber of synthetic data). */
const PERIOD_RUNS: Readonly<Record<string, [number, number]>> = {
  data_A: [297730, 298967], data_B: [300279, 300908], data_C: [301912, 302393], data_D: [302737, 303560],
};

function mcMeta(s: SampleInfo): EventMeta {
  return { isData: false, dsid: s.dsid!, xsec: s.xsec!, sumw: s.sumw!, weightMean: WEIGHT_PER_SELECTED_EVENT[s.name],
           runLo: 0, runHi: 0 };
}

const generators = new Map<string, SampleGenerator>();

/** The (cached) generator of an MC process, for MC files or as a data component. */
function generatorFor(name: string, isData: boolean, runs: [number, number] = [0, 0]): SampleGenerator {
  const key = `${name}:${isData}:${runs}`;
  let g = generators.get(key);
  if (!g) {
    const model = MODELS[name];
    if (!model) throw new Error(`no synthetic model for sample "${name}"; generated samples: ${GENERATED_SAMPLES.join(', ')}`);
    const meta = isData ? { ...mcMeta(sampleByName(name)), isData: true, runLo: runs[0], runHi: runs[1] } : mcMeta(sampleByName(name));
    g = new SampleGenerator(model, meta);
    generators.set(key, g);
  }
  return g;
}

/**
 * Expected 4lep-skim yield of each MC process at 10 fb⁻¹ (entries × mean weight × xsec weight):
 * the proportions in which synthetic data periods mix the processes.
 */
export function expectedYields(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of SAMPLES_A) {
    if (s.isData) continue;
    out[s.name] = DEFAULT_ENTRIES[s.name] * WEIGHT_PER_SELECTED_EVENT[s.name] * xsecWeight(s, 10);
  }
  return out;
}

/** Default entry count of a generated sample at the given scale (at least 1 event). */
export function defaultEntries(name: string, scale: number): number {
  const n = DEFAULT_ENTRIES[name];
  if (n === undefined) throw new Error(`no synthetic model for sample "${name}"; generated samples: ${GENERATED_SAMPLES.join(', ')}`);
  return Math.max(1, Math.round(n * scale));
}

/**
 * The event stream of one sample: successive `next(n)` calls continue the same PRNG stream, so
 * the events do not depend on how a file is cut into batches.
 */
export class SampleStream {
  private readonly rng: Rng;
  /** Photons come from a stream of their own: the other branches are what they were before photons. */
  private readonly photonRng: Rng;
  private readonly source: EventSource;
  private produced = 0;
  constructor(readonly name: string, seed: number | string) {
    this.rng = new Rng(`${seed}:${name}`);
    this.photonRng = new Rng(`${seed}:${name}:photons`);
    const runs = PERIOD_RUNS[name];
    this.source = runs ? dataMixture(runs) : generatorFor(name, false);
  }
  /** The next n events as `mini` columns. */
  next(n: number): ColumnSet {
    if (!Number.isInteger(n) || n < 0) throw new Error(`entries for sample "${this.name}" must be a non-negative integer, got ${n}`);
    const cols = generateColumns(this.source, n, this.rng, this.produced + 1, this.photonRng);
    this.produced += n;
    return cols;
  }
}

/** Generates `entries` events of sample `name` (an MC sample or data_A…data_D) as `mini` columns. */
export function generateSampleColumns(name: string, entries: number, seed: number | string): ColumnSet {
  return new SampleStream(name, seed).next(entries);
}

/** Data: each event drawn from one MC process, in proportion to its expected yield. */
function dataMixture(runs: [number, number]): EventSource {
  const yields = Object.entries(expectedYields());
  const total = yields.reduce((a, [, y]) => a + y, 0);
  const cum: number[] = [];
  let acc = 0;
  for (const [, y] of yields) { acc += y / total; cum.push(acc); }
  const gens = yields.map(([n]) => generatorFor(n, true, runs));
  return {
    isData: true,
    fill(b, i, r, ev) {
      const u = r.uniform();
      let k = 0;
      while (k < cum.length - 1 && u > cum[k]) k++;
      gens[k].fill(b, i, r, ev);
    },
  };
}
