/**
 * Every ```ts example of this package's README, run as a user copies it: written into a directory
 * laid out as a checkout with `../shared/data` beside it (its packages, node_modules and the shared
 * data linked in), then `npx tsx` there, as from the checkout's root, where the README's paths start.
 * Until 2026-12-07 the Reading example read `one/two/tree` from data_A.4lep.root, which has no such
 * path, and the Writing example used `contents` and `sumw2` without defining them.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { fencedBlocks } from '../../../../test/helpers/readme-blocks.js';
import { REPO_ROOT, SHARED_DATA, sharedDataDir } from '../shared-data.js';

const run = promisify(execFile);
const readme = readFileSync(join(REPO_ROOT, 'packages', 'rootio', 'README.md'), 'utf8');
const blocks = fencedBlocks(readme, 'ts');

t.ok(blocks.length >= 2, `the README has its Reading and Writing examples (${blocks.length} ts blocks)`);

blocks.forEach((code, i) => {
  const title = `README ts block ${i + 1} (${code.split('\n').find((l) => l && !l.startsWith('import'))?.trim()})`;
  if (code.includes('../shared/data') && !sharedDataDir()) {
    t.skip(`${title}: it reads files of ${SHARED_DATA}, which is absent`, () => {});
    return;
  }
  t.test(title, async (t) => {
    const outer = mkdtempSync(join(tmpdir(), 'gluon-rootio-readme-'));
    t.teardown(() => rmSync(outer, { recursive: true, force: true }));
    const checkout = join(outer, 'checkout');
    mkdirSync(checkout);
    symlinkSync(join(REPO_ROOT, 'packages'), join(checkout, 'packages'));
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(checkout, 'node_modules'));
    if (sharedDataDir()) {
      mkdirSync(join(outer, 'shared'));
      symlinkSync(SHARED_DATA, join(outer, 'shared', 'data'));
    }
    writeFileSync(join(checkout, 'example.mts'), code);
    // A bound for a hang at the lowest priority on a loaded machine, not a speed target.
    const r = await run('npx', ['tsx', 'example.mts'], { cwd: checkout, timeout: 300_000 }).then(
      () => null, (e: { stderr?: string; message: string }) => e.stderr || e.message);
    t.equal(r, null, 'it runs as written');
  });
});
