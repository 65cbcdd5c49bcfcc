/**
 * gluon-h4l plot --run-dir: a directory that is not there, a file, or one it may not write into
 * is refused before anything is read (exit 2, naming --run-dir), as gluon-finalstates
 * --plots-only refuses them, and the run's files are left as they were. Each was the raw error of
 * histograms.json or of the first plot written (`EACCES: permission denied, open 'run/m4l.svg'`),
 * exit 1.
 */
import t from 'tap';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateDataset } from '../../src/generate/index.js';
import { CLI } from '../cli-sandbox.js';
import { snapshot } from '../dir-snapshot.js';
import { exitOf, unwritableWays } from '../unwritable.js';

t.test('plot checks --run-dir before anything is read', async (t) => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'h4l-plot-dir-'));
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
  chmodSync(tmp, 0o755); // mkdtemp's 0700 would keep `nobody` out of the whole tree
  const data = path.join(tmp, 'data');
  await generateDataset({ outDir: data, scale: 0.01, seed: 4, samples: ['data_A', 'llll'] });
  const runDir = path.join(tmp, 'run');
  const made = await exitOf([process.execPath, CLI, 'run', '--no-config', '--data-dir', data, '--n-workers', '0', '--out', runDir], tmp);
  t.equal(made.code, 0, made.stderr);
  const before = snapshot(runDir);

  const gone = await exitOf([process.execPath, CLI, 'plot', '--run-dir', 'no-such-run'], tmp);
  t.same(gone, { code: 1, stderr: 'gluon-h4l plot: --run-dir no-such-run does not exist\n' });
  writeFileSync(path.join(tmp, 'a-file'), 'x');
  const file = await exitOf([process.execPath, CLI, 'plot', '--run-dir', 'a-file'], tmp);
  t.same(file, { code: 1, stderr: 'gluon-h4l plot: --run-dir a-file is a file, not a directory\n' });

  for (const way of unwritableWays(runDir, [runDir], path.join(runDir, 'run.json'), CLI)) {
    t.test(way.name, { skip: way.skip }, async (t) => {
      const r = await way.run([process.execPath, CLI, 'plot', '--run-dir', runDir], tmp);
      t.equal(r.stderr, `gluon-h4l plot: --run-dir ${runDir} is not writable (${way.why}); nothing was changed\n`);
      t.equal(r.code, 1, 'exit 1, a start failure naming the directory (not a usage error: no --help pointer)');
      t.same(snapshot(runDir), before, 'every file as it was');
    });
  }
  const again = await exitOf([process.execPath, CLI, 'plot', '--run-dir', runDir], tmp);
  t.equal(again.code, 0, `a writable run directory is redrawn: ${again.stderr}`);
});
