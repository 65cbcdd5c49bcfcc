/**
 * Checks of the paths a run writes (the output directory, the entry cache) before anything runs,
 * so a run never does all its work and then fails on where to put it. A path that cannot be had
 * is a StartFailure (exit 1, naming it, no --help pointer), as gluon-scheduler's and gluon-worker's
 * files are: the command line is fine, the place it names is not.
 */
import { access, stat } from 'node:fs/promises';
import { accessSync, constants, existsSync, mkdtempSync, rmdirSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import { StartFailure } from '@gluon/protocol/tools';

const statOf = (p: string): Promise<Stats | undefined> => stat(p).catch(() => undefined);

/**
 * Throws a StartFailure naming `what` and `p` unless `p` is (or can be created as) a writable
 * directory (`want: 'dir'`) or file (`'file'`). Leaves nothing behind (a path that does not exist
 * yet is probed by making and removing a directory in its nearest existing ancestor).
 */
export async function checkWritable(p: string, what: string, want: 'dir' | 'file'): Promise<void> {
  const abs = path.resolve(p);
  const st = await statOf(abs);
  if (st) {
    if (want === 'dir' && !st.isDirectory()) throw new StartFailure(`${what} ${p} is a file, not a directory`);
    if (want === 'file' && st.isDirectory()) throw new StartFailure(`${what} ${p} is a directory, not a file`);
    await access(abs, constants.W_OK).catch((e: NodeJS.ErrnoException) => { throw new StartFailure(`${what} ${p} is not writable (${e.code})`); });
    return;
  }
  // The nearest existing ancestor must be a writable directory (mkdir -p makes the rest).
  let dir = path.dirname(abs), dst = await statOf(dir);
  for (let i = 0; !dst && i < 256 && path.dirname(dir) !== dir; i++) { dir = path.dirname(dir); dst = await statOf(dir); }
  if (!dst) throw new StartFailure(`${what} ${p} cannot be created: no existing parent directory`);
  if (!dst.isDirectory()) throw new StartFailure(`${what} ${p} cannot be created: ${dir} is a file, not a directory`);
  await access(dir, constants.W_OK).catch((e: NodeJS.ErrnoException) => { throw new StartFailure(`${what} ${p} cannot be created: ${dir} is not writable (${e.code})`); });
  // access() says yes to root everywhere, also where no directory can be made (/proc, /sys, a
  // read-only mount): try one, and remove it. Node's recursive mkdir under /proc never returns
  // (it loops between ENOENT and EEXIST), so the run would otherwise hang after all its work.
  const why = whyNoDirectoryIn(dir);
  if (why) throw new StartFailure(`${what} ${p} cannot be created: no directory can be made in ${dir} (${why})`);
}

/**
 * The first of the directories `dirs` that exist and that this process may not write into, with
 * why (`EACCES`: permission denied, `EROFS`: a read-only file system, root included); undefined
 * when it may write into them all. For a command that writes into a finished run's directory
 * (--merge-only, --plots-only, plot): asked before any work, so it refuses naming the directory
 * instead of failing on a file inside it.
 */
export function unwritableDir(dirs: string[]): { dir: string; why: string } | undefined {
  for (const d of dirs.filter((x) => existsSync(x))) {
    try { accessSync(d, constants.W_OK); } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? '';
      return { dir: d, why: ERRNO_TEXT[code] ? `${code}: ${ERRNO_TEXT[code]}` : code || (e as Error).message };
    }
  }
  return undefined;
}

/**
 * The --run-dir of a command that reads a finished run and writes into it: it must exist, be a
 * directory, and each of `writes.dirs` that exists must be writable (`writes.what`: `redraws the
 * plots into`, said with `mode`). A StartFailure (exit 1) before anything is read, naming --run-dir, not the raw
 * ENOENT or EACCES of the first file read or written inside it. `mode` names the flag that chose
 * the command (`--merge-only`) where the program's line does not already name it.
 */
export function checkRunDirToRewrite(runDir: string, writes: { dirs: string[]; what: string }, mode?: string): void {
  let isDir: boolean;
  try { isDir = statSync(runDir).isDirectory(); } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') throw new StartFailure(`cannot read --run-dir ${runDir} (${code ?? (e as Error).message})`);
    throw new StartFailure(mode ? `${mode} reads the finished run in --run-dir ${runDir}, which does not exist` : `--run-dir ${runDir} does not exist`);
  }
  if (!isDir) throw new StartFailure(`--run-dir ${runDir} is a file, not a directory`);
  const no = unwritableDir(writes.dirs);
  if (!no) return;
  const which = no.dir === runDir ? 'which' : `and its ${path.relative(runDir, no.dir)}/`;
  throw new StartFailure(mode ? `${mode} ${writes.what} --run-dir ${runDir}, ${which} is not writable (${no.why}); nothing was changed`
    : `${no.dir === runDir ? `--run-dir ${runDir}` : `${no.dir} (in --run-dir)`} is not writable (${no.why}); nothing was changed`);
}

const ERRNO_TEXT: Record<string, string> = { EACCES: 'permission denied', EPERM: 'not permitted', EROFS: 'a read-only file system' };

/**
 * Why no directory can be made in the existing directory `dir` (an error code), or undefined when
 * one can: made and removed again. The probe behind {@link checkWritable}.
 */
export function whyNoDirectoryIn(dir: string): string | undefined {
  try {
    rmdirSync(mkdtempSync(path.join(dir, '.gluon-probe-')));
    return undefined;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
  }
}

/**
 * A run's default output directory, `<base>/<runName>_<YYYYMMDD_HHMMSS>` (UTC), the same for every
 * analysis CLI (gluon-h4l: base `outputs`; gluon-finalstates: base_output_dir), so runs of both sort
 * and read alike.
 */
export function runDirName(base: string, runName: string, now = new Date()): string {
  const iso = now.toISOString();
  return path.join(base, `${runName}_${iso.slice(0, 10).replace(/-/g, '')}_${iso.slice(11, 19).replace(/:/g, '')}`);
}
