/**
 * A task module whose own import of a package fails. Node says `Cannot find package 'P' imported
 * from /data/jobs/tasks.mjs`, which reads as if the worker lacked P; but Node looks P up from the
 * importing file's directory and those above it, never from where the worker is installed. The
 * data-engineer trial kept its task module apart from the install holding `@gluon/client` and
 * read that message so.
 */
import { existsSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Node's message for an ES module's import of a package it cannot find (Node 20, 22, 24). */
const NOT_FOUND = /^Cannot find package '([^']+)' imported from (\S.*)$/;

/**
 * What to do about Node's `Cannot find package` message, or null for any other message.
 * `workerHas` is the folder of the worker's own install of that package, when it has one.
 */
export function missingPackageHint(message: string, workerHas: string | null): string | null {
  const m = NOT_FOUND.exec(message);
  if (!m) return null;
  const from = dirname(m[2]!);
  const lookedUp = `a task module's imports are looked up from its own directory (${from}) and those above it, not from where the worker is installed`;
  if (!workerHas) return `${lookedUp}: install ${m[1]} there (npm install in ${from} or a directory above it)`;
  const installRoot = workerHas.slice(0, workerHas.lastIndexOf(`${sep}node_modules${sep}`));
  return `${lookedUp}, which has it (${workerHas}): install it there too (npm install in ${from} or a directory above it), or keep the module under ${installRoot}`;
}

/** The folder of `pkg` as a node_modules lookup from `dir` finds it, or null. */
export function installedFrom(pkg: string, dir: string): string | null {
  for (let d = dir; ; d = dirname(d)) {
    const candidate = join(d, 'node_modules', ...pkg.split('/'));
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dirname(d) === d) return null;
  }
}

/** The import's error, a package not found from a task module, with the hint in message and stack. */
export function withImportHint(err: unknown): unknown {
  if (!(err instanceof Error) || (err as { code?: unknown }).code !== 'ERR_MODULE_NOT_FOUND') return err;
  const pkg = NOT_FOUND.exec(err.message)?.[1];
  if (pkg === undefined) return err;
  const hint = missingPackageHint(err.message, installedFrom(pkg, dirname(fileURLToPath(import.meta.url))));
  if (!hint) return err;
  const old = err.message;
  err.message = `${old}: ${hint}`;
  if (typeof err.stack === 'string') err.stack = err.stack.replace(old, err.message);
  return err;
}
