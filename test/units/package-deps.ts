/**
 * Every package declares what its built code imports. A package installed alone from its
 * tarball (the README's "Installing the packages") gets only what its package.json names:
 * an import that worked in the repository because a sibling package's dependency was hoisted
 * fails there (`@gluon/protocol` alone: `Cannot find package 'ws'`). The same holds for the
 * types: a `.d.ts` importing a package that ships no types needs its `@types/…` package among
 * the dependencies, or a TypeScript user's `tsc` (with the default `skipLibCheck: false`)
 * fails inside node_modules.
 *
 * Checked on `dist/` (what is packed): static imports of the `.js` files (a dynamic `import()`
 * is how optional code such as tsx is loaded, behind a catch), and every import of the `.d.ts`
 * files.
 */
import t from 'tap';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

interface Manifest {
  name: string; private?: boolean; types?: string; typings?: string;
  dependencies?: Record<string, string>; optionalDependencies?: Record<string, string>; peerDependencies?: Record<string, string>;
}
const readManifest = (dir: string) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

/** The package a bare specifier names (`@scope/name/sub` → `@scope/name`), or undefined for relative and built-in ones. */
function packageOf(spec: string): string | undefined {
  if (spec.startsWith('.') || spec.startsWith('/') || spec.startsWith('node:') || spec.includes('${')) return undefined;
  const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
  return builtinModules.includes(name) ? undefined : name;
}

/** Specifiers a built file imports: static ones only for `.js`, also `import("x")` types for `.d.ts`. */
function importsOf(file: string): string[] {
  const dts = file.endsWith('.d.ts');
  // Comments hold example code (`remoteFrom<typeof import('@gluon/examples/tasks')>`).
  const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const specs = [
    ...text.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm), // import 'x';
    ...text.matchAll(/^\s*(?:import|export)\s[^;'"]*?\sfrom\s*['"]([^'"]+)['"]/gm), // import … from 'x'; export … from 'x';
  ].map((m) => m[1]!);
  if (dts) specs.push(...[...text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]!));
  return specs;
}

/** Whether `name`, resolved from `fromDir`, ships its own type declarations. */
function shipsTypes(name: string, fromDir: string): boolean {
  let manifestPath: string;
  try {
    manifestPath = createRequire(join(fromDir, 'package.json')).resolve(`${name}/package.json`);
  } catch {
    return false; // no ./package.json export: look for the folder itself
  }
  const m = readManifest(dirname(manifestPath)) as Manifest & { exports?: unknown };
  return Boolean(m.types || m.typings || JSON.stringify(m.exports ?? '').includes('"types"') || existsSync(join(dirname(manifestPath), 'index.d.ts')));
}

const packages = readdirSync(join(root, 'packages')).map((d) => join(root, 'packages', d)).filter((d) => existsSync(join(d, 'package.json')));

for (const dir of packages) {
  const manifest = readManifest(dir);
  if (manifest.private) continue;
  t.test(`${manifest.name} declares what its dist/ imports`, async (t) => {
    const dist = join(dir, 'dist');
    if (!existsSync(dist)) return t.fail(`${relative(root, dist)} is missing: build first (npx tsc -b)`);
    const declared = new Set([
      ...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.optionalDependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {}),
    ]);
    const missing: string[] = [];
    const files = filesUnder(dist).filter((f) => f.endsWith('.js') || f.endsWith('.d.ts'));
    t.ok(files.length > 0, `${relative(root, dist)} holds built files`);
    for (const file of files) {
      for (const spec of importsOf(file)) {
        const name = packageOf(spec);
        if (!name || name === manifest.name) continue;
        const where = `${relative(root, file)} imports '${spec}'`;
        if (!declared.has(name)) missing.push(`${where}, and ${name} is not among its dependencies`);
        else if (file.endsWith('.d.ts')) {
          const typesPackage = `@types/${name.startsWith('@') ? name.slice(1).replace('/', '__') : name}`;
          if (!shipsTypes(name, dir) && !declared.has(typesPackage)) missing.push(`${where}; ${name} ships no types, and ${typesPackage} is not among its dependencies`);
        }
      }
    }
    t.same([...new Set(missing)], [], `${manifest.name}: every import of dist/ is a declared dependency, with its types`);
  });
}

/** The package a `@types/…` package types (`@types/ws` → `ws`, `@types/a__b` → `@a/b`). */
const typed = (d: string) => { const n = d.slice('@types/'.length); return n.includes('__') ? `@${n.replace('__', '/')}` : n; };

// The other way: a dependency nothing packed uses is installed for nothing with every tarball
// (@gluon/analysis-finalstates kept `yaml` once its config reading moved to @gluon/analysis-h4l).
for (const dir of packages) {
  const manifest = readManifest(dir);
  if (manifest.private) continue;
  t.test(`${manifest.name} uses every dependency it declares`, async (t) => {
    const used = new Set<string>();
    for (const sub of ['dist', 'bin']) {
      if (!existsSync(join(dir, sub))) continue;
      for (const file of filesUnder(join(dir, sub)).filter((f) => /\.(m|c)?js$|\.d\.ts$/.test(f))) {
        const text = readFileSync(file, 'utf8');
        // Static imports, `import('x')`, names resolved at run time (`resolve('tsx')`) and the
        // packages whose launchers are run (deploy's `binOf('@gluon/worker', 'gluon-worker')`).
        for (const spec of [...importsOf(file), ...[...text.matchAll(/\b(?:import|resolve|binOf)\(\s*['"]([^'"]+)['"]/g)].map((m) => m[1]!)]) {
          const name = packageOf(spec);
          if (name) used.add(name);
        }
      }
    }
    // A type package is used with its package.
    const unused = Object.keys(manifest.dependencies ?? {}).filter((d) => !used.has(d.startsWith('@types/') ? typed(d) : d));
    t.same(unused, [], `${manifest.name}: every entry of dependencies is imported by dist/ or bin/`);
  });
}
