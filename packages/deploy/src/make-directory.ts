/**
 * `mkdir -p` for the batch launchers' log directory, made one level at a time.
 */
import { mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/**
 * Makes `dir` and its missing parents, each with a plain `mkdir`. Not Node's
 * `mkdir(dir, { recursive: true })`: under a directory where none can be made (`/proc`) that loops
 * for ever between ENOENT and EEXIST (Node 20, 22 and 24), where this fails at once with the error
 * of the level that could not be made (`ENOENT`, `EACCES`, `ENOTDIR` for a file in the way).
 */
export async function makeDirectory(dir: string): Promise<void> {
  const missing: string[] = [];
  // Up to the nearest existing ancestor: at most the path's depth of steps.
  for (let p = resolve(dir); ; p = dirname(p)) {
    try {
      if (!(await stat(p)).isDirectory()) throw Object.assign(new Error(`${p} is not a directory`), { code: 'ENOTDIR' });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      missing.push(p);
      if (dirname(p) === p) break;
    }
  }
  for (const d of missing.reverse()) {
    await mkdir(d).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'EEXIST') throw e; // made meanwhile by someone else: fine
    });
  }
}
