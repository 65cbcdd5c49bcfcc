/**
 * The tests' real-data lookups look only beside the checkout: a clone inside another
 * directory that has a `shared/data` higher up must not use it. Each lookup module is copied
 * into a fake clone (with the same layout) and imported from there.
 */
import t from 'tap';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, copyFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from '../shared-data.js';

/** Every module through which a test finds the shared data, and what it exports for it. */
const LOOKUPS = ['packages/rootio/test/shared-data.ts', 'packages/rootio/test/helpers.ts', 'packages/analysis-h4l/test/data-path.ts'];

const tmp = mkdtempSync(join(tmpdir(), 'shared-lookup-'));
t.teardown(() => rmSync(tmp, { recursive: true, force: true }));

/** A checkout at `at` holding copies of the lookup modules (node_modules linked for their imports). */
function fakeClone(at: string): void {
  for (const rel of LOOKUPS) {
    mkdirSync(dirname(join(at, rel)), { recursive: true });
    copyFileSync(join(REPO_ROOT, rel), join(at, rel));
  }
  writeFileSync(join(at, 'package.json'), '{"name":"fake","private":true,"type":"module"}\n');
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(at, 'node_modules'), 'dir');
}

/** A `shared/` with data (and the files older lookups asked for) in `at`. */
function sharedIn(at: string): string {
  mkdirSync(join(at, 'shared', 'data', 'atlas-opendata-13tev-2020-4lep', 'Data'), { recursive: true });
  writeFileSync(join(at, 'shared', 'data', 'atlas-opendata-13tev-2020-4lep', 'Data', 'data_A.4lep.root'), 'x');
  writeFileSync(join(at, 'shared', 'DESIGN.md'), 'x');
  writeFileSync(join(at, 'package.json'), '{}');
  mkdirSync(join(at, 'packages'), { recursive: true });
  return join(at, 'shared', 'data');
}

type Lookup = { sharedData?: () => string | null | undefined; sharedDataDir?: () => string | null };
const found = async (clone: string, rel: string) => {
  const m = (await import(pathToFileURL(join(clone, rel)).href)) as Lookup;
  return (m.sharedDataDir ?? m.sharedData)!() ?? null;
};

t.test('another checkout\'s shared/ higher up is not used', async (t) => {
  // outer/shared/data beside outer/main (a checkout), and a clone made inside that checkout.
  const outer = join(tmp, 'outer');
  sharedIn(outer);
  mkdirSync(join(outer, 'main', 'packages'), { recursive: true });
  writeFileSync(join(outer, 'main', 'package.json'), '{}');
  const clone = join(outer, 'main', 'projects', 'clone');   // its parent is outer/main/projects
  fakeClone(clone);
  for (const rel of LOOKUPS) t.equal(await found(clone, rel), null, `${rel}: nothing beside the clone, so none`);
  const { opendataDir } = (await import(pathToFileURL(join(clone, 'packages/analysis-h4l/test/data-path.ts')).href)) as { opendataDir(): { dir?: string; looked: string } };
  t.same(opendataDir(), { dir: undefined, looked: join(outer, 'main', 'projects', 'shared', 'data', 'atlas-opendata-13tev-2020-4lep') }, 'the skip message names where it looked');
});

t.test('shared/ beside the checkout is used', async (t) => {
  const parent = join(tmp, 'beside');
  const data = sharedIn(parent);
  const clone = join(parent, 'clone');
  fakeClone(clone);
  for (const rel of LOOKUPS) t.equal(await found(clone, rel), data, rel);
});
