/**
 * A run stopped through its signal (Ctrl-C in the CLI) while its chunks are on a scheduler: it
 * rejects with an InterruptedError and nothing else rejects unhandled. Closing the client fails
 * the chunks it was waiting for; the chunk loop then cancelled the run's tasks on the closed
 * client without awaiting it (client.cancel is async), and that rejection, unhandled, ended
 * gluon-h4l run with exit 1 and a ClientClosedError's stack instead of 130 (seen interrupting a
 * run on a LocalCluster). gluon-finalstates' interrupted-run.test is the same for its run.
 */
import t from 'tap';
import path from 'node:path';
import { runAnalysis } from '../src/run.js';
import { generateDataset } from '../src/generate/index.js';
import { cliSandbox } from './cli-sandbox.js';
import { stopWhileWaiting } from './sigint-run.js';

const { tmp } = cliSandbox(t, 'h4l-interrupted-');
const data = path.join(tmp, 'data');
t.before(() => generateDataset({ outDir: data, scale: 0.01, seed: 9, samples: ['data_A', 'data_B'] }));

t.test('stopped while its chunks wait for a worker: rejects with InterruptedError, nothing unhandled', (t) =>
  stopWhileWaiting(t, (scheduler, signal, hooks) => runAnalysis({ dataDir: data, selection: 'notebook', nWorkers: 0, scheduler, chunkSize: 100,
    skipBadFiles: false, dashboard: false, signal }, hooks)));
