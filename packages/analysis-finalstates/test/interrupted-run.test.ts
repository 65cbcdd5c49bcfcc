/**
 * A run stopped through its signal (Ctrl-C in the CLI) while its chunks are on a scheduler: it
 * rejects with an InterruptedError and nothing else rejects unhandled. The chunk loop cancelled
 * the run's tasks on the client closed by the stop without awaiting it (client.cancel is async);
 * that rejection, unhandled, ended gluon-finalstates with exit 1 and a ClientClosedError's stack
 * instead of 130 (seen interrupting a run on a LocalCluster). As gluon-h4l's interrupted-run.test.
 */
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateDataset } from '@gluon/analysis-h4l/generate';
import { listFiles, mergeConfig, physicsOptions, runFinalStates } from '@gluon/analysis-finalstates';
import { stopWhileWaiting } from '../../analysis-h4l/test/sigint-run.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'fs-interrupted-'));
t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
const data = path.join(tmp, 'data');
t.before(() => generateDataset({ outDir: data, scale: 0.01, seed: 9, samples: ['data_A', 'data_B'] }));

t.test('stopped while its chunks wait for a worker: rejects with InterruptedError, nothing unhandled', (t) =>
  stopWhileWaiting(t, (scheduler, signal, hooks) => runFinalStates({ files: listFiles(data), physics: physicsOptions(mergeConfig({}, {})), nWorkers: 0,
    scheduler, chunkSize: 100, dashboard: false, signal }, hooks)));
