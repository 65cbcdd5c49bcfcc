/**
 * --merge-only and --plots-only on a --run-dir this user cannot write: refused before any work,
 * naming the flag and the directory, exit 2, the directory unchanged. The merge failed with a raw
 * EACCES (or EROFS) naming its `.merging-*` staging directory, exit 1; the redraw with one naming
 * a plot. The ways a directory is not writable, as a user and as root: analysis-h4l's
 * test/unwritable.ts.
 */
import t from 'tap';
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { unwritableWays } from '../../../analysis-h4l/test/unwritable.js';
import { CLI, mergedRun, snapshot } from '../merged-run.js';

t.test('a --run-dir that cannot be written is refused before any work', async (t) => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'fs-merge-unwritable-'));
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
  chmodSync(tmp, 0o755); // mkdtemp's 0700 would keep `nobody` out of the whole tree
  const runDir = await mergedRun(tmp);
  const before = snapshot(runDir);
  const what: Record<string, string> = { '--merge-only': 'writes the merged run into', '--plots-only': 'redraws the plots into' };
  for (const way of unwritableWays(runDir, [runDir, path.join(runDir, 'plots')], path.join(runDir, 'run.json'), CLI)) {
    t.test(way.name, { skip: way.skip }, async (t) => {
      for (const mode of ['--merge-only', '--plots-only']) {
        const r = await way.run([process.execPath, CLI, mode, '--run-dir', runDir], tmp);
        // The merge writes into the run directory itself; the redraw into its plots/.
        const which = mode === '--merge-only' ? 'which' : 'and its plots/';
        t.equal(r.stderr, `gluon-finalstates: ${mode} ${what[mode]} --run-dir ${runDir}, ${which} is not writable (${way.why}); nothing was changed\n`, `${mode}: said before any work`);
        t.equal(r.code, 1, `${mode}: exit 1, a start failure naming the directory (not a usage error)`);
        t.same(snapshot(runDir), before, `${mode}: every file as it was`);
        t.notOk(readdirSync(runDir).some((n) => n.startsWith('.merging-')), `${mode}: no staging directory`);
      }
    });
  }
});
