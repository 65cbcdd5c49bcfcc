/**
 * Where the tests find the real files: `<checkout>/../shared/data`, beside the checkout (as in
 * CI) and nowhere else. Only that one directory is looked at, never a parent's `shared/`, so a
 * clone elsewhere cannot silently test against another checkout's data. Imports nothing but node
 * builtins, so any package's tests can use it (`../../rootio/test/shared-data.js`).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout's root: this file is `<root>/packages/rootio/test/shared-data.ts`. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** `<checkout>/../shared/data`, where it must be. */
export const SHARED_DATA = join(REPO_ROOT, '..', 'shared', 'data');

/** SHARED_DATA when it exists, else null (tests then skip, naming SHARED_DATA). */
export function sharedDataDir(): string | null {
  return existsSync(SHARED_DATA) ? SHARED_DATA : null;
}
