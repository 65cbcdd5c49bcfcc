/**
 * `generateDataset`: writes the synthetic 4ℓ dataset as ROOT files in the real files' layout
 * (`Data/data_<P>.4lep.root`, `MC/mc_<DSID>.<sample>.4lep.root`, TTree `mini`) through rootio's
 * writer, sample by sample and batch by batch (memory stays bounded at any scale).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { countOf } from '@gluon/protocol';
import type { CompressionSettings } from '@gluon/rootio';
import { GENERATED_SAMPLES, defaultEntries } from './sample.js';
import { writeSamples } from './write-pool.js';
import { commitStaged, foldersToMake, removeStaged, type Removed } from './staging.js';
import { holderText, tryLock, waitForLock } from './dataset-lock.js';
import { sampleByName } from '../samples.js';
import { InterruptedError, type StopSignal } from '../interrupt.js';
import { SCALE_RANGE, SEED_RANGE } from './ranges.js';
import type { WrittenSample } from './write-sample.js';

/** The lock a generate holds in its dataset folder while it writes (dataset-lock.ts). */
const GENERATE_LOCK = '.generate.lock';

/** Every file a generator may write in a dataset folder (manifest.json aside), relative to it. */
const ALL_FILES = GENERATED_SAMPLES.map((name) => sampleByName(name).file);

/** What a generate says of the `.partial` files (relative to outDir) an earlier one left and it removed. */
export function leftPartialsLine(outDir: string, files: readonly string[]): string {
  const list = files.length > 4 ? `${files.slice(0, 4).join(', ')}, …` : files.join(', ');
  return `removed ${countOf(files.length, '.partial file')} left in ${outDir} by a generate stopped outright (kill -9, a crash; no run reads them): ${list}`;
}

/** One sample to write, with an optional entry count or scale of its own. */
export interface SampleRequest {
  name: string;
  /** Exact number of entries (overrides scale). */
  entries?: number;
  /** Scale of this sample (default: the dataset's). */
  scale?: number;
}

export interface GenerateOptions {
  /** Dataset directory; `Data/` and `MC/` are created inside. */
  outDir: string;
  /** Entries = round(real 4lep entries × scale), at least 1; 0.01 … 100 (default 1). */
  scale?: number;
  /** PRNG seed, a non-negative integer (default 1): the same seed gives the same events. */
  seed?: number;
  /** Subset of samples (names, or requests with their own size); default every data period and MC sample. */
  samples?: (string | SampleRequest)[];
  /** Default zlib level 1. */
  compression?: CompressionSettings;
  /** Progress lines. */
  log?: (line: string) => void;
  /**
   * Threads writing files at once (default 1: this thread). Each file is still written by one
   * thread from its own stream, so the files are byte-identical whatever the count; the largest
   * file (llll, 58% of the events) bounds the gain.
   */
  threads?: number;
  /**
   * Stops the generator: the files are then written on threads (at least one), which the abort
   * terminates at once; the files begun are removed and it rejects with a
   * {@link GenerateInterruptedError} (the signal's `reason`, `'SIGINT'`, `'SIGTERM'` or `'SIGHUP'`,
   * is its signal; any other reason is taken as SIGINT).
   */
  signal?: AbortSignal;
}

export type ManifestEntry = WrittenSample;

export interface Manifest {
  outDir: string;
  seed: number;
  scale: number;
  samples: ManifestEntry[];
  events: number;
  seconds: number;
}

export { SCALE_RANGE, SEED_RANGE };
const MIN_SCALE = SCALE_RANGE.min, MAX_SCALE = SCALE_RANGE.max;
function checkScale(scale: number, what: string): void {
  if (!(typeof scale === 'number' && scale >= MIN_SCALE && scale <= MAX_SCALE)) {
    throw new Error(`${what} must be a number from ${MIN_SCALE} to ${MAX_SCALE}, got ${scale}`);
  }
}

/** Resolves the requested samples to (name, entries), validating names and sizes. */
export function planSamples(opts: Pick<GenerateOptions, 'scale' | 'samples'>): { name: string; entries: number }[] {
  const scale = opts.scale ?? 1;
  checkScale(scale, 'scale');
  const reqs = (opts.samples ?? GENERATED_SAMPLES).map((r) => (typeof r === 'string' ? { name: r } : r));
  const seen = new Set<string>();
  return reqs.map((r) => {
    if (!GENERATED_SAMPLES.includes(r.name)) {
      throw new Error(`samples: unknown sample "${r.name}"; the generator writes ${GENERATED_SAMPLES.join(', ')}`);
    }
    if (seen.has(r.name)) throw new Error(`samples: "${r.name}" is listed twice`);
    seen.add(r.name);
    if (r.entries !== undefined) {
      if (!Number.isInteger(r.entries) || r.entries < 1) throw new Error(`samples: entries of "${r.name}" must be a positive integer, got ${r.entries}`);
      return { name: r.name, entries: r.entries };
    }
    if (r.scale !== undefined) checkScale(r.scale, `samples: scale of "${r.name}"`);
    return { name: r.name, entries: defaultEntries(r.name, r.scale ?? scale) };
  });
}

/** The signal an abort's reason names, SIGINT for any other reason. */
function stopSignalOf(reason: unknown): StopSignal {
  return reason === 'SIGTERM' || reason === 'SIGHUP' ? reason : 'SIGINT';
}

/**
 * generateDataset was stopped through its signal: what it had written (`written` of `total`
 * files) and what it removed, everything of its own (staging.ts); outDir is as it was.
 */
export class GenerateInterruptedError extends InterruptedError {
  override name = 'GenerateInterruptedError';
  constructor(readonly outDir: string, readonly written: number, readonly total: number, readonly removed: Removed, signal: StopSignal) {
    super(`generating into ${outDir} was interrupted (${signal})`, signal);
  }
}

/**
 * Writes the dataset and returns its manifest (also saved as `manifest.json` in outDir). The
 * files appear together once all are written (staging.ts); a failure or an abort leaves outDir as
 * it was.
 */
export async function generateDataset(opts: GenerateOptions): Promise<Manifest> {
  if (!opts || typeof opts.outDir !== 'string' || !opts.outDir) throw new Error('generateDataset: outDir is required');
  const seed = opts.seed ?? 1;
  if (!(Number.isSafeInteger(seed) && seed >= SEED_RANGE.min)) throw new Error(`seed must be a non-negative integer, got ${seed}`);
  const plan = planSamples(opts);
  const compression = opts.compression ?? { algorithm: 'zlib', level: 1 };
  const threads = opts.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`threads must be a positive integer, got ${threads}`);
  const t0 = performance.now();
  const jobs = plan.map(({ name, entries }) => ({ outDir: opts.outDir, name, entries, seed, compression }));
  const files = plan.map(({ name }) => sampleByName(name).file);
  const made = foldersToMake(opts.outDir, files);
  try {
    mkdirSync(opts.outDir, { recursive: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'EEXIST' || code === 'ENOTDIR' ? 'a file is there, not a folder' : (e as Error).message;
    throw new Error(`cannot make the dataset folder ${opts.outDir}: ${why}`);
  }
  const lock = tryLock(join(opts.outDir, GENERATE_LOCK), `a generate of ${plan.length} sample(s)`);
  if (!('release' in lock)) {
    throw new Error(`${opts.outDir} is being written by another generate: ${holderText(lock)}; wait for it to finish, or stop it `
      + `(one killed outright leaves ${GENERATE_LOCK} there, which the next generate takes over)`);
  }
  // Holding the lock, no generator is writing here: a `.partial` file of the generator's is one a
  // generate stopped outright (kill -9, a crash) left. Removed and named, whichever samples this
  // one writes (it wrote over only its own, silently, and left the others).
  const left = removeStaged(opts.outDir, ALL_FILES, []).files;
  if (left.length) opts.log?.(leftPartialsLine(opts.outDir, left));
  let written = 0;
  try {
    const samples = await writeSamples(jobs, threads, (w) => {
      written++;
      opts.log?.(`${w.file}: ${countOf(w.entries, 'event')}, ${(w.bytes / 1e6).toFixed(2)} MB`);
    }, opts.signal);
    if (opts.signal?.aborted) throw new InterruptedError('interrupted before the files were put in place');
    const manifest: Manifest = {
      outDir: opts.outDir, seed, scale: opts.scale ?? 1, samples,
      events: samples.reduce((a, s) => a + s.entries, 0), seconds: (performance.now() - t0) / 1000,
    };
    commitStaged(opts.outDir, files, JSON.stringify({ ...manifest, seconds: undefined }, null, 2) + '\n');
    lock.release();
    return manifest;
  } catch (e) {
    lock.release(); // first: the folders this generate made are removed only when empty
    const removed = removeStaged(opts.outDir, files, made);
    if (e instanceof InterruptedError) throw new GenerateInterruptedError(opts.outDir, written, files.length, removed, stopSignalOf(opts.signal?.reason));
    throw e;
  }
}

/**
 * Where the demos keep their synthetic dataset: one folder per scale and seed under `root`, shared
 * by `npm run demo` and `npm run demo:finalstates` (they read the same generator's files, so the
 * second demo reuses what the first generated instead of writing another 66 MB copy).
 */
export function demoDatasetDir(scale: number, seed: number, root = '.cache'): string {
  return resolve(root, 'synthetic-4lep', `scale-${scale}-seed-${seed}`);
}

/**
 * A generated dataset kept between runs (the demos' cache): reused when outDir's
 * `generated.json` names the same scale and seed, otherwise outDir is replaced by a new one.
 * Returns whether the cached dataset was reused.
 */
export async function ensureDataset(o: { outDir: string; scale: number; seed: number; log: (line: string) => void; threads?: number }): Promise<boolean> {
  const marker = join(o.outDir, 'generated.json');
  mkdirSync(dirname(resolve(o.outDir)), { recursive: true });
  const lock = await waitForLock(`${resolve(o.outDir)}.lock`, 'another demo', (h) => o.log(`waiting for ${h}, which is generating ${o.outDir} …`));
  try {
    return await ensureLocked(o, marker);
  } finally {
    lock.release();
  }
}

/** {@link ensureDataset} once it holds the folder's lock (another demo may have just made it). */
async function ensureLocked(o: { outDir: string; scale: number; seed: number; log: (line: string) => void; threads?: number }, marker: string): Promise<boolean> {
  if (existsSync(marker)) {
    try {
      const have = JSON.parse(readFileSync(marker, 'utf8'));
      if (have.scale === o.scale && have.seed === o.seed) { o.log(`synthetic dataset: ${o.outDir} (cached)`); return true; }
    } catch { /* regenerate */ }
  }
  rmSync(o.outDir, { recursive: true, force: true });
  o.log(`generating a synthetic dataset (scale ${o.scale}, seed ${o.seed}) in ${o.outDir} …`);
  const t0 = performance.now();
  await generateDataset({ outDir: o.outDir, scale: o.scale, seed: o.seed, log: (s: string) => o.log(`  ${s}`), ...(o.threads ? { threads: o.threads } : {}) });
  writeFileSync(marker, JSON.stringify({ scale: o.scale, seed: o.seed, generatedAt: new Date().toISOString() }));
  o.log(`generated in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return false;
}
