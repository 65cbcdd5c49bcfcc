/**
 * How generateDataset keeps a dataset folder from ever holding part of a dataset that a run could
 * take for real ATLAS data (meta.ts datasetOrigin: a folder is synthetic by its manifest.json).
 * Every file is written under its name + `.partial` (write-sample.ts), which no run reads; once
 * all are whole they are renamed, manifest.json first. A generator stopped (Ctrl-C, SIGTERM,
 * SIGHUP, an error) removes its `.partial` files and the folders it made, leaving the folder as
 * it was, an earlier dataset there included; one killed outright (kill -9) leaves only `.partial`
 * files, which the next generate into the folder removes and names (dataset.ts).
 */
import { existsSync, renameSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { partialPath } from './write-sample.js';

/**
 * The folders writing `files` (relative to outDir) would make, outermost first: outDir and its
 * subfolders that are not there yet (absolute paths).
 */
export function foldersToMake(outDir: string, files: readonly string[]): string[] {
  const root = resolve(outDir);
  const dirs = new Set<string>();
  for (const f of files) {
    for (let d = dirname(join(root, f)); d.startsWith(root); d = dirname(d)) {
      dirs.add(d);
      if (d === root) break;
    }
  }
  return [...dirs].filter((d) => !existsSync(d)).sort((a, b) => a.length - b.length);
}

/** What {@link removeStaged} removed: the `.partial` files and the folders, relative to outDir. */
export interface Removed { files: string[]; folders: string[] }

/**
 * Removes the `.partial` files of `files` (and of manifest.json) under outDir and, of `made`
 * (from {@link foldersToMake}), the ones left empty; says which were there.
 */
export function removeStaged(outDir: string, files: readonly string[], made: readonly string[]): Removed {
  const removed: Removed = { files: [], folders: [] };
  for (const f of [...files, 'manifest.json']) {
    const p = partialPath(join(outDir, f));
    if (!existsSync(p)) continue;
    rmSync(p, { force: true });
    removed.files.push(partialPath(f));
  }
  for (const d of [...made].reverse()) {
    try { rmdirSync(d); } catch { continue; } // not empty (something else is there) or not made after all
    removed.folders.unshift(d === resolve(outDir) ? outDir : `${relative(outDir, d)}/`);
  }
  return removed;
}

/**
 * Puts the whole dataset in place: manifest.json (written to its `.partial` first), then each
 * file, by renames. The manifest goes first so that at no moment does a whole generated file sit
 * in the folder without the manifest that marks it synthetic; between the renames (a dozen, a
 * few milliseconds) a kill -9 could leave the manifest naming a file not yet renamed: an
 * incomplete synthetic dataset, never real data.
 */
export function commitStaged(outDir: string, files: readonly string[], manifest: string): void {
  const m = join(outDir, 'manifest.json');
  writeFileSync(partialPath(m), manifest);
  renameSync(partialPath(m), m);
  for (const f of files) renameSync(partialPath(join(outDir, f)), join(outDir, f));
}
