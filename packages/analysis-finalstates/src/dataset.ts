/**
 * Input files → entry counts → event-range chunks; the batch slice of a PBS-array-style job;
 * sizes and checksums for run.json.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { sharedTree, splitRanges, BadInputError, folderBelowAdvice, type FolderBelow } from '@gluon/analysis-h4l';
import { ConfigError } from './config.js';

/** A unit of work: one event range of one file. */
export interface Chunk { file: string; entryStart: number; entryStop: number }

/** Every `*.root` file under `dataDir` (sorted, recursively), or `dataDir` itself when it is a file. */
export function listFiles(dataDir: string): string[] {
  // A relative path names the absolute one looked at: which working directory it was taken from
  // is what a user running the README's ../shared/data/… from elsewhere needs to see.
  if (!existsSync(dataDir)) throw new ConfigError(`data_dir ${dataDir} does not exist${path.isAbsolute(dataDir) ? '' : ` (${path.resolve(dataDir)})`}`);
  const st = statSync(dataDir);
  if (st.isFile()) return [path.resolve(dataDir)];
  const out: string[] = [];
  const walk = (dir: string, depth: number) => {
    if (depth > 8) return;
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p, depth + 1);
      else if (e.isFile() && e.name.endsWith('.root')) out.push(path.resolve(p));
    }
  };
  walk(dataDir, 0);
  return out;
}

/** Slice `index` (0-based) of `total` near-equal contiguous slices of the files. */
export function batchSlice<T>(files: readonly T[], index: number, total: number): T[] {
  if (!Number.isInteger(total) || total < 1) throw new ConfigError(`--total-batch-jobs must be an integer ≥ 1, got ${total}`);
  if (!Number.isInteger(index) || index < 0 || index >= total) throw new ConfigError(`--batch-job-index must be an integer from 0 to ${total - 1}, got ${index}`);
  const a = Math.floor((files.length * index) / total), b = Math.floor((files.length * (index + 1)) / total);
  return files.slice(a, b);
}

/** What counting learns about a file (or why it cannot be read). */
export interface FileCount { file: string; entries?: number; clusters?: number[]; branches?: string[]; error?: string }

/**
 * Entry counts, cluster boundaries and branch names of each file's tree; errors per file. The
 * opened trees stay open in this thread (analysis-h4l's sharedTree, as the workers keep theirs):
 * parsing a file's streamers and tree costs ~3 ms of CPU, ~35 ms for the bench's 12 files, which a
 * client that runs again over the same files (the bench, the dashboard's reruns, serial runs that
 * then read the chunks in this thread) would pay before any task starts. A changed file (size or
 * mtime) is opened afresh.
 */
export async function countEntries(files: readonly string[], tree: string): Promise<FileCount[]> {
  return Promise.all(files.map(async (file): Promise<FileCount> => {
    try {
      const t = await sharedTree(file, tree);
      return { file, entries: t.numEntries, clusters: t.clusters, branches: t.branchNames };
    } catch (e) {
      const why = e instanceof BadInputError ? e.reason : e instanceof Error ? e.message : String(e);
      return { file, error: why.split(`${file}: `).join('') };     // the file is named once, by the caller
    }
  }));
}

/** The files' problems for a run reading `branches`: unreadable files and missing branches. */
export function inputProblems(counts: readonly FileCount[], branches: readonly string[]): string[] {
  const out: string[] = [];
  for (const c of counts) {
    if (c.error) { out.push(`${c.file}: ${c.error}`); continue; }
    const missing = branches.filter((b) => !c.branches!.includes(b));
    if (missing.length) out.push(`${c.file}: missing branch${missing.length > 1 ? 'es' : ''} ${missing.join(', ')}`);
  }
  return out;
}

/**
 * Where the good files are when some of those listed from `dataDir` cannot be used: the folders
 * one level below `dataDir` all of whose files the run can read (its tree, `branches`), named as
 * the path to give instead. The common slip is the folder above the dataset (`../shared/data`,
 * which holds `atlas-opendata-13tev-2020-4lep/` beside `root-testfiles/` of other trees): the
 * run named only the first unrelated file it met. Undefined when every file is fine or no folder
 * holds only good ones. Pure: it judges the counts already made.
 * @param dataDir the data directory in the words given (a relative one stays relative).
 */
export function folderBelowHint(dataDir: string, counts: readonly FileCount[], branches: readonly string[]): string | undefined {
  const good = (c: FileCount) => !c.error && branches.every((b) => c.branches!.includes(b));
  if (counts.every(good)) return undefined;
  const root = path.resolve(dataDir);
  const folders = new Map<string, { files: string[]; ok: boolean }>();
  for (const c of counts) {
    const rel = path.relative(root, c.file).split(path.sep);
    if (rel.length < 2 || rel[0] === '..') continue;     // the directory's own files, or one given as a file
    const f = folders.get(rel[0]!) ?? { files: [], ok: true };
    f.files.push(rel.slice(1).join('/'));
    f.ok &&= good(c);
    folders.set(rel[0]!, f);
  }
  const below: FolderBelow[] = [...folders].filter(([, f]) => f.ok).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, f]) => ({ name, first: f.files[0]!, more: f.files.length > 1 }));
  if (below.length === 0) return undefined;
  return `under ${dataDir}, ${folderBelowAdvice(dataDir, below, ['holds only files the run can read', 'hold only files the run can read'])}`;
}

/** Chunks of ≤ chunkSize entries at cluster boundaries where possible, in file order. */
export function makeChunks(counts: readonly FileCount[], chunkSize: number): Chunk[] {
  const out: Chunk[] = [];
  for (const c of counts) {
    if (c.entries === undefined) continue;
    for (const r of splitRanges(c.entries, chunkSize, c.clusters)) out.push({ file: c.file, ...r });
  }
  return out;
}

/** Size and SHA-256 of a file (for run.json). */
export async function fileDigest(file: string): Promise<{ file: string; bytes: number; sha256: string }> {
  const h = createHash('sha256');
  for await (const b of createReadStream(file)) h.update(b as Buffer);
  return { file, bytes: statSync(file).size, sha256: h.digest('hex') };
}
