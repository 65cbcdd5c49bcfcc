/**
 * Dataset preprocessing: samples → files → entry counts (cached by path/URL, size and mtime)
 * → event-range chunks.
 */
import { stat, readFile, writeFile, mkdir } from 'node:fs/promises';
import { existsSync, readdirSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import { SAMPLES, SAMPLES_A, type SampleInfo } from './samples.js';
import type { SelectionName, EntryRange } from './chunk.js';
import { openTree, BadInputError } from './reader.js';
import { reasonOf } from './errors.js';
import { folderBelowAdvice, type FolderBelow } from './folder-below.js';

/** One input file of the run. */
export interface DatasetFile { sample: SampleInfo; file: string }

/** A unit of work: one event range of one file. */
export interface Chunk extends EntryRange { sample: SampleInfo; file: string }

const isUrl = (s: string) => /^https?:\/\//i.test(s);

/** The samples a selection runs over (A: the notebook's 8 MC + 4 data; B: the framework's list). */
export function samplesFor(selection: SelectionName): readonly SampleInfo[] {
  return selection === 'framework' ? SAMPLES : SAMPLES_A;
}

/**
 * The files of a dataset directory or base URL. Local directories list the samples whose files
 * exist (the rest are returned as `absent`); a URL lists every 4-lepton file of the selection.
 */
export function listFiles(dataDir: string, selection: SelectionName, maxFiles?: number):
    { files: DatasetFile[]; absent: string[] } {
  const files: DatasetFile[] = [], absent: string[] = [];
  for (const sample of samplesFor(selection)) {
    if (isUrl(dataDir)) {
      if (sample.twoLep) { absent.push(sample.file); continue; }
      files.push({ sample, file: dataDir.replace(/\/+$/, '') + '/' + sample.file });
    } else {
      const f = path.resolve(dataDir, sample.file);
      if (existsSync(f)) files.push({ sample, file: f }); else absent.push(f);
    }
  }
  return { files: maxFiles !== undefined ? files.slice(0, maxFiles) : files, absent };
}

/**
 * Why a data directory gave no input files, said so that the user sees what to change: the
 * directory does not exist, is a file, is the `Data/` (or `MC/`) folder itself rather than the
 * one holding it (the common slip: every file was looked for under `Data/Data/`), or is the folder
 * above the one holding them (the folders one level down that do are named). Otherwise the first
 * paths looked for.
 */
export function noInputFilesMessage(dataDir: string, selection: SelectionName, absent: readonly string[]): string {
  const head = `no input files for selection ${selection} under ${dataDir}`;
  const lookedFor = `(looked for ${absent.slice(0, 3).join(', ')}${absent.length > 3 ? ', …' : ''})`;
  if (isUrl(dataDir)) return `${head} ${lookedFor}`;
  const dir = path.resolve(dataDir);
  let st: Stats;
  // A relative path names the absolute one looked at (which working directory it was taken from).
  const at = path.isAbsolute(dataDir) ? '' : `${dir}; `;
  try { st = statSync(dir); } catch { return `${head}: it does not exist (${at}give the directory that holds Data/ and MC/)`; }
  if (!st.isDirectory()) return `${head}: it is a file, not a directory (give the directory that holds Data/ and MC/)`;
  const here = new Set(readdirSync(dir));
  const inside = samplesFor(selection).filter((s) => here.has(path.basename(s.file)));
  if (inside.length) {
    return `${head}: it holds the files themselves (${inside.slice(0, 2).map((s) => path.basename(s.file)).join(', ')}${inside.length > 2 ? ', …' : ''}), `
      + `but they are looked for as Data/… and MC/… below the directory given: give ${path.dirname(dir)} instead`;
  }
  // The folder above the dataset (../shared/data holds atlas-opendata-13tev-2020-4lep/): name the
  // folders one level down that hold the selection's files, in the words given.
  const below: FolderBelow[] = [];
  for (const name of [...here].sort()) {
    if (!existsSync(path.join(dir, name, 'Data')) && !existsSync(path.join(dir, name, 'MC'))) continue;
    const found = samplesFor(selection).filter((s) => existsSync(path.join(dir, name, s.file)));
    if (found.length) below.push({ name, first: found[0]!.file, more: found.length > 1 });
  }
  if (below.length) return `${head}: it holds no Data/ or MC/ of its own, but ${folderBelowAdvice(dataDir, below, ['does', 'do'])}`;
  return `${head} ${lookedFor}`;
}

/**
 * Splits n entries into ranges of about chunkSize. With the file's cluster boundaries (entries
 * where every branch starts a basket), ranges are whole clusters grouped up to chunkSize, so no
 * basket is decompressed by two chunks (on two workers); a cluster larger than chunkSize is
 * split into near-equal parts, trading that for parallelism.
 */
export function splitRanges(n: number, chunkSize: number, clusters?: readonly number[]): EntryRange[] {
  if (!(chunkSize >= 1)) throw new Error(`chunk size must be at least 1, got ${chunkSize}`);
  if (n <= 0) return [];
  const bounds = clusters && clusters.length >= 2 && clusters[0] === 0 && clusters.at(-1) === n ? clusters : [0, n];
  const out: EntryRange[] = [];
  const even = (a: number, z: number) => {
    const parts = Math.ceil((z - a) / chunkSize);
    for (let p = 0; p < parts; p++) out.push({ entryStart: a + Math.floor(((z - a) * p) / parts), entryStop: a + Math.floor(((z - a) * (p + 1)) / parts) });
  };
  let start = 0;
  for (let i = 1; i < bounds.length; i++) {
    const b = bounds[i]!;
    if (b - bounds[i - 1]! > chunkSize) {
      if (bounds[i - 1]! > start) out.push({ entryStart: start, entryStop: bounds[i - 1]! });
      even(bounds[i - 1]!, b);
      start = b;
    } else if (b - start > chunkSize) {
      out.push({ entryStart: start, entryStop: bounds[i - 1]! });
      start = bounds[i - 1]!;
    }
  }
  if (n > start) out.push({ entryStart: start, entryStop: n });
  return out;
}

/** What preprocessing learns about a file: its entries and cluster boundaries (and, once hashed, its SHA-256). */
export interface FileLayout { entries: number; clusters: number[]; sha256?: string }

/** Identity of a file's version for the entry cache: `path or URL|size|modification time`. */
export async function fileIdentity(file: string): Promise<string> {
  if (isUrl(file)) {
    // Bounded: a server that accepts and never answers must not hang preprocessing.
    const r = await fetch(file, { method: 'HEAD', signal: AbortSignal.timeout(60_000) });
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    return `${file}|${r.headers.get('content-length') ?? '?'}|${r.headers.get('last-modified') ?? r.headers.get('etag') ?? '?'}`;
  }
  const st = await stat(file);
  return `${path.resolve(file)}|${st.size}|${st.mtimeMs}`;
}

/** A JSON file remembering each file's layout (entries, clusters) by file identity. */
export class EntryCache {
  private data: Record<string, FileLayout> = {};
  private dirty = false;
  constructor(readonly file: string | undefined) {}
  async load(): Promise<this> {
    if (this.file) { try { this.data = JSON.parse(await readFile(this.file, 'utf8')); } catch { this.data = {}; } }
    return this;
  }
  /** The cached layout; entries from an older cache without clusters count as unknown. */
  get(id: string): FileLayout | undefined {
    const v = this.data[id] as FileLayout | number | undefined;
    return typeof v === 'object' && v !== null && Array.isArray(v.clusters) ? v : undefined;
  }
  set(id: string, layout: FileLayout): void { this.data[id] = layout; this.dirty = true; }
  /** The file version's SHA-256, when known. */
  digest(id: string): string | undefined { return this.get(id)?.sha256; }
  setDigest(id: string, sha256: string): void {
    const have = this.get(id);
    if (have) { have.sha256 = sha256; this.dirty = true; }
  }
  async save(): Promise<void> {
    if (!this.file || !this.dirty) return;
    try {
      await mkdir(path.dirname(this.file), { recursive: true });
      await writeFile(this.file, JSON.stringify(this.data, null, 1));
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      throw new Error(`entry_cache ${this.file}: cannot write it (${err.code ?? err.message}); set entry_cache to a writable file, or to null for none`);
    }
  }
}

/** `error`: why the file cannot be read (the reason only; the file is `file.file`). */
export interface CountResult { file: DatasetFile; entries?: number; clusters?: number[]; error?: string; cached: boolean }

/** Entry counts of every file, from the cache when the file is unchanged. Errors are returned per file. */
export async function countEntries(files: DatasetFile[], cache: EntryCache): Promise<CountResult[]> {
  return Promise.all(files.map(async (f): Promise<CountResult> => {
    let id: string;
    try { id = await fileIdentity(f.file); } catch (e) {
      return { file: f, error: `cannot reach it (${reasonOf(e)})`, cached: false };
    }
    const hit = cache.get(id);
    if (hit !== undefined) return { file: f, entries: hit.entries, clusters: hit.clusters, cached: true };
    try {
      const t = await openTree(f.file);
      const layout = { entries: t.numEntries, clusters: t.clusters };
      await t.close().catch(() => {});
      cache.set(id, layout);
      return { file: f, ...layout, cached: false };
    } catch (e) {
      return { file: f, error: e instanceof BadInputError ? e.reason : e instanceof Error ? e.message : String(e), cached: false };
    }
  }));
}

/** Chunks of every counted file, in file order. */
export function makeChunks(counts: CountResult[], chunkSize: number): Chunk[] {
  const out: Chunk[] = [];
  for (const c of counts) {
    if (c.entries === undefined) continue;
    for (const r of splitRanges(c.entries, chunkSize, c.clusters)) out.push({ sample: c.file.sample, file: c.file.file, ...r });
  }
  return out;
}

/**
 * The chunks of a run (see makeChunks) in the order they are submitted: largest first, so a run
 * ends on small tasks that even out the workers, and the chunks that make up the last `tailShare`
 * of the events are split further, at cluster boundaries, to about chunkSize/4. With ~100k-event
 * chunks the end of a run was otherwise one worker finishing a 50–90k-event chunk while the
 * other idled.
 */
export function scheduleChunks(counts: CountResult[], chunkSize: number, tailShare = 0.15): Chunk[] {
  const size = (c: Chunk) => c.entryStop - c.entryStart;
  const bySize = (a: Chunk, b: Chunk) => size(b) - size(a);
  const clustersOf = new Map(counts.map((c) => [c.file.file, c.clusters]));
  const sorted = makeChunks(counts, chunkSize).sort(bySize);
  const total = sorted.reduce((a, c) => a + size(c), 0);
  const piece = Math.max(1, Math.floor(chunkSize / 4));
  const out: Chunk[] = [];
  let before = 0;
  for (const c of sorted) {
    const n = size(c);
    if (before + n > (1 - tailShare) * total && n > piece) {
      const inside = (clustersOf.get(c.file) ?? []).filter((b) => b > c.entryStart && b < c.entryStop).map((b) => b - c.entryStart);
      for (const r of splitRanges(n, piece, [0, ...inside, n])) out.push({ ...c, entryStart: c.entryStart + r.entryStart, entryStop: c.entryStart + r.entryStop });
    } else {
      out.push(c);
    }
    before += n;
  }
  return out.sort(bySize);
}
