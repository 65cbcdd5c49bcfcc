/**
 * The run reads the chunks' summaries (for the dashboard's events per final state) in batches,
 * as gluon-h4l reads its chunks' results: those that finished while the client was cut off are
 * fetched one request per worker, not one round trip per chunk (analysis-h4l's
 * test/runs/batched-results.ts says what that cost across hosts). The link is a relay on loopback.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { generateDataset } from '@gluon/analysis-h4l/generate';
import { listFiles, mergeConfig, physicsOptions, runFinalStates } from '@gluon/analysis-finalstates';
import { cutAtFirstChunk } from '../../../analysis-h4l/test/cut-client.js';

const pkg = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'fs-batched-'));
const data = join(dir, 'data');
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
t.before(() => generateDataset({ outDir: data, scale: 0.01, seed: 5 }));

t.test('after the client was cut off, the summaries that finished meanwhile are fetched a batch at a time', async (t) => {
  const { report, requests, keys, reconnects } = await cutAtFirstChunk(t, pkg, (client, onProgress) =>
    runFinalStates({ files: listFiles(data), physics: physicsOptions(mergeConfig({}, {})), nWorkers: 0, client, chunkSize: 100, publish: true, dashboard: false }, { onProgress }));
  t.equal(reconnects, 1, 'the client reconnected once');
  t.equal(report.result.events, report.files.reduce((n, f) => n + (f.entries ?? 0), 0), 'every event of the dataset is in the result');
  t.ok(keys >= 20, `summaries finished while the client was away were fetched from the worker (${keys})`);
  t.ok(requests <= keys / 4, `in batches: ${requests} request(s) for ${keys} summaries (one request per summary before)`);
});
