import { existsSync } from 'node:fs';

/**
 * The TypeScript file a script run by tsx means when it names its sibling `./tasks.js` (or
 * `.mjs`, `.cjs`): tsx resolves such imports to `tasks.ts`, which is the only file there. Null
 * when `path` is not a `.js`-like name, exists itself, or has no TypeScript sibling: nothing to map.
 */
export function tsSibling(path: string): string | null {
  if (!/\.(m|c)?js$/.test(path) || existsSync(path)) return null;
  const ts = path.replace(/\.(m|c)?js$/, (_m, p: string | undefined) => `.${p ?? ''}ts`);
  return existsSync(ts) ? ts : null;
}
