/**
 * Dataset preprocessing: samples → files → entry counts (cached by path/URL, size and mtime)
 * → event-range chunks.
 */
import { stat, readFile, writeFile, mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { SAMPLES, SAMPLES_A, type SampleInfo } from './samples.js';
import type { SelectionName, EntryRange } from './chunk.js';
import { openTree } from './reader.js';

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

/** Splits n entries into near-equal ranges of at most chunkSize. */
export function splitRanges(n: number, chunkSize: number): EntryRange[] {
  if (!(chunkSize >= 1)) throw new Error(`chunk size must be at least 1, got ${chunkSize}`);
  if (n <= 0) return [];
  const parts = Math.ceil(n / chunkSize);
  const out: EntryRange[] = [];
  for (let p = 0; p < parts; p++) {
    out.push({ entryStart: Math.floor((n * p) / parts), entryStop: Math.floor((n * (p + 1)) / parts) });
  }
  return out;
}

/** Identity of a file's version for the entry cache: path or URL, size, modification time. */
async function fileIdentity(file: string): Promise<string> {
  if (isUrl(file)) {
    const r = await fetch(file, { method: 'HEAD' });
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    return `${file}|${r.headers.get('content-length') ?? '?'}|${r.headers.get('last-modified') ?? r.headers.get('etag') ?? '?'}`;
  }
  const st = await stat(file);
  return `${path.resolve(file)}|${st.size}|${st.mtimeMs}`;
}

/** A JSON file remembering entry counts by file identity. */
export class EntryCache {
  private data: Record<string, number> = {};
  private dirty = false;
  constructor(readonly file: string | undefined) {}
  async load(): Promise<this> {
    if (this.file) { try { this.data = JSON.parse(await readFile(this.file, 'utf8')); } catch { this.data = {}; } }
    return this;
  }
  get(id: string): number | undefined { return this.data[id]; }
  set(id: string, n: number): void { this.data[id] = n; this.dirty = true; }
  async save(): Promise<void> {
    if (!this.file || !this.dirty) return;
    await mkdir(path.dirname(this.file), { recursive: true });
    await writeFile(this.file, JSON.stringify(this.data, null, 1));
  }
}

export interface CountResult { file: DatasetFile; entries?: number; error?: string; cached: boolean }

/** Entry counts of every file, from the cache when the file is unchanged. Errors are returned per file. */
export async function countEntries(files: DatasetFile[], cache: EntryCache): Promise<CountResult[]> {
  return Promise.all(files.map(async (f): Promise<CountResult> => {
    let id: string;
    try { id = await fileIdentity(f.file); } catch (e) {
      return { file: f, error: `bad input file ${f.file}: cannot reach it (${e instanceof Error ? e.message : e})`, cached: false };
    }
    const hit = cache.get(id);
    if (hit !== undefined) return { file: f, entries: hit, cached: true };
    try {
      const t = await openTree(f.file);
      const n = t.numEntries;
      await t.close().catch(() => {});
      cache.set(id, n);
      return { file: f, entries: n, cached: false };
    } catch (e) {
      return { file: f, error: e instanceof Error ? e.message : String(e), cached: false };
    }
  }));
}

/** Chunks of every counted file, in file order. */
export function makeChunks(counts: CountResult[], chunkSize: number): Chunk[] {
  const out: Chunk[] = [];
  for (const c of counts) {
    if (c.entries === undefined) continue;
    for (const r of splitRanges(c.entries, chunkSize)) out.push({ sample: c.file.sample, file: c.file.file, ...r });
  }
  return out;
}
