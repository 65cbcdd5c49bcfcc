/**
 * The advice both CLIs give for a `--data-dir` that is the folder above the dataset (the README's
 * `../shared/data`, which holds `atlas-opendata-13tev-2020-4lep/` beside other files): which of
 * its folders one level down hold what the run needs, and which path to give instead. Each CLI
 * decides what "holds what the run needs" means (gluon-h4l: the selection's Data/ and MC/ files;
 * gluon-finalstates: only files it can read); the words are shared so they read alike.
 */
import path from 'node:path';

/** A folder one level below the data directory that holds what the run needs. */
export interface FolderBelow {
  /** Its name in the data directory. */
  name: string;
  /** The first such file, relative to the folder (`Data/data_A.4lep.root`). */
  first: string;
  /** More files than the first. */
  more: boolean;
}

/**
 * `its folder NAME VERB (FIRST, …): give DATADIR/NAME instead`, or for several folders
 * `its folders A, B VERB-PLURAL: give one of DATADIR/A, DATADIR/B instead`, with `dataDir` in the
 * words given (a relative one stays relative, as typed). `below` must not be empty.
 * @param does the verb phrase for one folder and for several (`['does', 'do']`).
 */
export function folderBelowAdvice(dataDir: string, below: readonly FolderBelow[], does: readonly [one: string, many: string]): string {
  if (below.length === 0) throw new Error('folderBelowAdvice: no folder to name');
  if (below.length === 1) {
    const one = below[0]!;
    return `its folder ${one.name} ${does[0]} (${one.first}${one.more ? ', …' : ''}): give ${path.join(dataDir, one.name)} instead`;
  }
  return `its folders ${below.map((b) => b.name).join(', ')} ${does[1]}: give one of ${below.map((b) => path.join(dataDir, b.name)).join(', ')} instead`;
}
