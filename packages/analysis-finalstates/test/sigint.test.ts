/**
 * Ctrl-C (SIGINT) during a gluon-finalstates run: as gluon-h4l run (run-console.ts, shared), it says
 * it was interrupted and how far it had got, stops the run, closes what it started and exits 130.
 * It printed nothing and died by the signal, leaving its tasks on the scheduler for the session
 * grace. A real CLI and a real scheduler with no worker: the signal is sent on the run's "waiting
 * for workers" line, when no chunk can be done yet and the line's figures are known (the setup is
 * analysis-h4l's test/sigint-run.ts, shared with gluon-h4l run's test).
 */
import t from 'tap';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateDataset } from '@gluon/analysis-h4l/generate';
import { interruptWhileWaiting } from '../../analysis-h4l/test/sigint-run.js';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

t.test('Ctrl-C while processing: says how far it got, closes its scheduler connection (its tasks released), exits 130', async (t) => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'fs-sigint-'));
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
  const data = path.join(tmp, 'data');
  await generateDataset({ outDir: data, scale: 0.01, seed: 9, samples: ['data_A', 'data_B'] });
  const runDir = path.join(tmp, 'run');
  const r = await interruptWhileWaiting(t, CLI, ['--data-dir', data, '--chunk-size', '100', '--run-dir', runDir], tmp);
  t.same(r.exit, [130, null], 'exit code 130, not death by the signal');
  const { files, events, chunks } = r.totals;
  t.match(r.stderr, `gluon-finalstates: interrupted (SIGINT) while processing: 0 of ${chunks} chunks done (0 of ${files} files, 0 of ${events} events); closing the cluster, no outputs written`);
  t.notOk(existsSync(path.join(runDir, 'run.json')), 'no outputs written');
  t.pass('the scheduler holds none of its tasks');
});
