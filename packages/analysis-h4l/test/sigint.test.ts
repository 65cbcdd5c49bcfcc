/**
 * Ctrl-C (SIGINT) during `gluon-h4l run`: it says it was interrupted and how far it had got, stops
 * the run, closes what it started and exits 130. It printed nothing and died by the signal. A
 * real CLI process and a real scheduler; the signal is sent once the run is known to be
 * processing (its "waiting for workers" line: the scheduler has no worker, so no chunk can be done
 * before the signal, and the line's figures are known; sigint-run.ts, shared with gluon-finalstates).
 */
import t from 'tap';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { generateDataset } from '../src/generate/index.js';
import { interruptedLine } from '../src/app.js';
import { CLI, cliSandbox } from './cli-sandbox.js';
import { interruptWhileWaiting } from './sigint-run.js';

const { tmp } = cliSandbox(t, 'gluon-h4l-sigint-');
const data = path.join(tmp, 'data');
t.before(() => generateDataset({ outDir: data, scale: 0.01, seed: 9, samples: ['data_A', 'data_B', 'llll'] }));

t.test('Ctrl-C while processing: says how far it got, closes its scheduler connection (its tasks released), exits 130', async (t) => {
  const out = path.join(tmp, 'interrupted-out');
  const r = await interruptWhileWaiting(t, CLI, ['run', '--data-dir', data, '--chunk-size', '100', '--out', out, '--no-config'], tmp);
  t.same(r.exit, [130, null], 'exit code 130, not death by the signal');
  const { files, events, chunks } = r.totals;
  t.match(r.stderr, `gluon-h4l run: interrupted (SIGINT) while processing: 0 of ${chunks} chunks done (0 of ${files} files, 0 of ${events} events); closing the cluster, no outputs written`);
  t.notOk(existsSync(path.join(out, 'run.json')), 'no outputs written');
  t.pass('the scheduler holds none of its tasks');
});

t.test('the interrupted line: chunks, files and events done of their totals, or that it was still starting', async (t) => {
  t.equal(interruptedLine({}), 'gluon-h4l run: interrupted (SIGINT) while starting (listing files, counting entries, starting the cluster): no chunk processed yet; closing the cluster, no outputs written');
  t.equal(interruptedLine({ totals: { chunks: 40, files: 12, events: 1_200_000 }, last: { chunksDone: 17, chunksTotal: 40, filesDone: 5, filesTotal: 12, events: 512_000, eventsTotal: 1_200_000, elapsedMs: 9000 } }),
    'gluon-h4l run: interrupted (SIGINT) while processing: 17 of 40 chunks done (5 of 12 files, 512,000 of 1,200,000 events); closing the cluster, no outputs written');
});
