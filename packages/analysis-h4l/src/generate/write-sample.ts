/**
 * Writes one sample's file: the unit of work of `generateDataset`, run in the calling thread or
 * in a generator thread (write-thread.ts). A sample's events come from its own PRNG stream, so
 * the file's bytes do not depend on which thread writes it or what else is written meanwhile.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { RootFileWriter, type CompressionSettings } from '@gluon/rootio';
import { sampleByName } from '../samples.js';
import { MINI_SCHEMA } from './schema.js';
import { SampleStream } from './sample.js';

/** The timestamp written into generated files (fixed, so files are reproducible). */
const GENERATED_AT = new Date('2020-01-01T00:00:00Z');
const BATCH = 50_000;
/**
 * Entries per basket (and per cluster). 10,000 keeps a decompressed vector<float> basket near
 * 270 kB, inside a core's L2 cache, like the ~32 kB compressed baskets ROOT writes by default;
 * 100,000-entry baskets (2.7 MB) made two workers on one host contend for the shared L3.
 */
const BASKET_ENTRIES = 10_000;

/** One file to write (plain data: it is posted to generator threads). */
export interface SampleJob {
  outDir: string;
  name: string;
  entries: number;
  seed: number;
  compression: CompressionSettings;
}

/** What was written: a manifest entry. */
export interface WrittenSample {
  sample: string;
  /** Path relative to outDir. */
  file: string;
  isData: boolean;
  dsid?: number;
  entries: number;
  bytes: number;
}

/**
 * Where a file is written until the whole dataset is: its name + `.partial`, which no run reads
 * (gluon-h4l looks for the real names, gluon-finalstates for `*.root`), so a generator killed
 * outright (kill -9, a crash) leaves nothing a run takes for data. dataset.ts renames it.
 */
export function partialPath(path: string): string { return `${path}.partial`; }

/**
 * Writes `job`'s sample under outDir, batch by batch (bounded memory), to its real file name's
 * {@link partialPath}; the file stores its real name, so renamed it has the bytes it would have.
 */
export async function writeSample(job: SampleJob): Promise<WrittenSample> {
  const info = sampleByName(job.name);
  const rel = info.file;
  const path = partialPath(join(job.outDir, rel));
  mkdirSync(dirname(path), { recursive: true });
  // A UUID and timestamp derived from the seed: the same seed gives byte-identical files.
  const stamp = { uuid: createHash('sha256').update(`gluon-h4l:${job.seed}:${job.name}`).digest().subarray(0, 16), time: GENERATED_AT };
  const w = await RootFileWriter.create(path, { compression: job.compression, stamp, name: basename(rel) });
  const tree = w.createTree('mini', 'mini', MINI_SCHEMA, { basketEntries: BASKET_ENTRIES });
  const stream = new SampleStream(job.name, job.seed);
  for (let done = 0; done < job.entries; done += BATCH) {
    await tree.append(stream.next(Math.min(BATCH, job.entries - done)));
  }
  await w.close();
  return { sample: job.name, file: rel, isData: info.isData, ...(info.dsid ? { dsid: info.dsid } : {}), entries: job.entries, bytes: statSync(path).size };
}
