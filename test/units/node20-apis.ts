/**
 * Every package declares engines `>=20`, but `import.meta`'s `dirname` and `filename` came with
 * Node 20.11: a test or source file using them fails on 20.0–20.10 with a TypeError from
 * `path.join(undefined, …)` (test/processes/netem-relay.ts, test/netns-check.test.ts and three more
 * did). Code takes its folder from `import.meta.url` (`fileURLToPath(new URL('.', import.meta.url))`).
 * Checked on the repository's own code (not node_modules or built dist/), which only a static
 * look can do on the Node 20.20 the tests run on.
 */
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
// Built from parts so this file does not match itself.
const LATER_API = new RegExp(['import', 'meta', '(dirname|filename)'].join('\\.') + '\\b');
const CODE = /\.(ts|mts|cts|js|mjs|cjs)$/;

/** Code files under dir, leaving out installed and built trees and hidden folders. */
function codeFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.isDirectory()) return e.name === 'node_modules' || e.name === 'dist' || e.name.startsWith('.') ? [] : codeFiles(join(dir, e.name));
    return e.isFile() && CODE.test(e.name) && !e.name.endsWith('.d.ts') ? [join(dir, e.name)] : [];
  });
}

t.test('no code uses import.meta\'s dirname or filename (Node ≥ 20.11; engines say ≥ 20)', async (t) => {
  const files = codeFiles(root);
  t.ok(files.some((f) => f.endsWith(join('test', 'netns-check.test.ts'))), 'the walk reaches the tests');
  const uses: string[] = [];
  for (const f of files) {
    readFileSync(f, 'utf8').split('\n').forEach((line, i) => { if (LATER_API.test(line)) uses.push(`${relative(root, f)}:${i + 1}: ${line.trim()}`); });
  }
  t.same(uses, [], 'each listed line takes its folder from import.meta.url instead');
});
