/**
 * Redrawing a run directory the other analysis wrote: each CLI says whose run it is and the
 * command that redraws it. Before, gluon-finalstates --plots-only on a gluon-h4l run failed with
 * Node's raw ENOENT for histograms/finalstates.summary.json, and gluon-h4l plot on a
 * gluon-finalstates run asked whether it was a run's output directory at all.
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const FINALSTATES = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const H4L = path.join(path.dirname(createRequire(import.meta.url).resolve('@gluon/analysis-h4l')), 'cli.js');

function run(cli: string, args: string[]): Promise<{ code: number; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { timeout: 120_000 }, (e, _out, err) => {
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : -1) : 0, err });
    });
  });
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'other-run-dir-'));
t.teardown(() => rmSync(tmp, { recursive: true, force: true }));

// What each analysis leaves in a run directory (their writeRun), as the files alone.
const h4lRun = path.join(tmp, 'h4l-run');
mkdirSync(h4lRun);
writeFileSync(path.join(h4lRun, 'histograms.json'), '{}');
writeFileSync(path.join(h4lRun, 'cutflow.csv'), '');
const fsRun = path.join(tmp, 'fs-run');
mkdirSync(path.join(fsRun, 'histograms'), { recursive: true });
writeFileSync(path.join(fsRun, 'histograms', 'finalstates.summary.json'), '{}');
const fsSlices = path.join(tmp, 'fs-slices');
mkdirSync(path.join(fsSlices, 'histograms'), { recursive: true });
writeFileSync(path.join(fsSlices, 'histograms', 'finalstates.batch-0-of-2.summary.json'), '{}');
const empty = path.join(tmp, 'empty');
mkdirSync(empty);

t.test('gluon-finalstates --plots-only on a gluon-h4l run names it and gluon-h4l plot', async (t) => {
  const r = await run(FINALSTATES, ['--plots-only', '--run-dir', h4lRun]);
  t.equal(r.code, 1);
  t.equal(r.err, `gluon-finalstates: cannot read ${path.join(h4lRun, 'histograms', 'finalstates.summary.json')}: ${h4lRun} is a gluon-h4l run (it holds histograms.json, cutflow.csv), not a gluon-finalstates one: redraw it with gluon-h4l plot --run-dir ${h4lRun}\n`);
});

t.test('gluon-h4l plot on a gluon-finalstates run (whole or batch slices) names it and its --plots-only', async (t) => {
  const r = await run(H4L, ['plot', '--run-dir', fsRun]);
  t.equal(r.code, 1);
  t.equal(r.err, `gluon-h4l plot: cannot read ${path.join(fsRun, 'histograms.json')}: ${fsRun} is a gluon-finalstates run (it holds histograms/finalstates.summary.json), not a gluon-h4l one: redraw it with gluon-finalstates --plots-only --run-dir ${fsRun}\n`);
  const s = await run(H4L, ['plot', '--run-dir', fsSlices]);
  t.equal(s.code, 1);
  t.match(s.err, /is a gluon-finalstates run \(it holds histograms\/finalstates\.batch-0-of-2\.summary\.json\)/);
});

t.test('gluon-finalstates --plots-only on a directory of no run asks whether it is one, without a raw ENOENT', async (t) => {
  const r = await run(FINALSTATES, ['--plots-only', '--run-dir', empty]);
  t.equal(r.code, 1);
  t.equal(r.err, `gluon-finalstates: cannot read ${path.join(empty, 'histograms', 'finalstates.summary.json')} (no such file: is this a run's output directory?)\n`);
});

t.test('gluon-finalstates --merge-only on a gluon-h4l run, or on a directory without histograms/, says so without a raw ENOENT', async (t) => {
  // Before: `--run-dir DIR: cannot list DIR/histograms (ENOENT: no such file or directory, scandir …)`, exit 2, in both cases.
  const r = await run(FINALSTATES, ['--merge-only', '--run-dir', h4lRun]);
  t.equal(r.code, 1, 'the same exit as --plots-only on it');
  t.equal(r.err, `gluon-finalstates: --merge-only merges the batch slices of a gluon-finalstates run: ${h4lRun} is a gluon-h4l run (it holds histograms.json, cutflow.csv), not a gluon-finalstates one: redraw it with gluon-h4l plot --run-dir ${h4lRun}\n`);
  const e = await run(FINALSTATES, ['--merge-only', '--run-dir', empty]);
  t.equal(e.code, 2, 'as a directory with histograms/ but no slices is refused');
  t.equal(e.err, `gluon-finalstates: --run-dir ${empty} has no histograms/ folder, so no batch slices (histograms/finalstates.batch-<i>-of-<n>.root) to merge: give the run directory the batch jobs wrote into (their --run-dir; by default <base_output_dir>/<run_name>_batch-of-<n>)\n`);
  t.notMatch(r.err + e.err, /ENOENT|scandir/);
});
