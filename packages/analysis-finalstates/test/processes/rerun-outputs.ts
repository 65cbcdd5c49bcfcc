/**
 * A run into a run directory that holds an earlier run's outputs (`--run-dir` given again):
 * the files the earlier run wrote (its run.json's `outputs`) that this run does not write again
 * are removed and named on the console; files the tool did not write stay. They were left beside
 * the new ones (a ROOT file and histogram plots a parse-only run does not make), looking like
 * this run's. The same code as gluon-h4l's (stale-outputs.ts).
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateDataset } from '@gluon/analysis-h4l/generate';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

function cli(args: string[], cwd: string): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd, timeout: 240_000 }, (e, out, err) => {
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, out, err });
    });
  });
}

t.test('a second run into the same --run-dir removes what only the first wrote, and nothing else', async (t) => {
  const d = mkdtempSync(path.join(tmpdir(), 'fs-rerun-'));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  await generateDataset({ outDir: path.join(d, 'data'), scale: 0.05, seed: 3, samples: ['data_A', 'data_B'] });
  const run = path.join(d, 'run');
  const first = await cli(['--data-dir', 'data', '--n-workers', '0', '--min-events-per-fs', '1', '--run-dir', 'run'], d);
  t.equal(first.code, 0, first.err);
  const massPlots = readdirSync(path.join(run, 'plots')).filter((p) => p.startsWith('mass_'));
  t.ok(massPlots.length > 0, `the first run drew histograms: ${massPlots.join(' ')}`);
  // The user's own files beside the run's: never the tool's to remove.
  writeFileSync(path.join(run, 'notes.txt'), 'my notes');
  writeFileSync(path.join(run, 'plots', 'my-fit.png'), 'a fit');
  mkdirSync(path.join(run, 'mine'));

  const second = await cli(['--data-dir', 'data', '--n-workers', '0', '--tasks', 'parse', '--run-dir', 'run'], d);
  t.equal(second.code, 0, second.err);
  const line = /^removed (\d+) files an earlier run wrote in run that this run does not write: (.*)$/m.exec(second.out);
  t.ok(line, `the console names what was removed:\n${second.out}`);
  const removed = line![2]!.split(', ');
  t.ok(removed.includes('histograms/finalstates.root'), 'the ROOT file a parse-only run does not write');
  for (const p of massPlots) t.ok(removed.includes(`plots/${p}`), `plots/${p}`);
  t.equal(Number(line![1]), removed.length);
  for (const r of removed) t.notOk(existsSync(path.join(run, r)), `${r} is gone`);
  t.ok(existsSync(path.join(run, 'histograms', 'finalstates.summary.json')), 'this run\'s own files are there');
  t.ok(existsSync(path.join(run, 'notes.txt')) && existsSync(path.join(run, 'plots', 'my-fit.png')) && existsSync(path.join(run, 'mine')), 'the user\'s files stay');
});
