/**
 * The run reads the chunks' results (for the dashboard's running sum) in batches: one request per
 * worker for everything that finished since the last look, not one round trip per chunk. The
 * values that do not come inline with the scheduler's notice are those that finished while the
 * client was cut off; across hosts (50 ms, 5% loss), ~700 of them read one by one at ~3 a second
 * turned a 10 s run into 298 s after a 15 s cut of the client's link. Here the link is a relay
 * on loopback (cut-client.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { runAnalysis } from '../../src/run.js';
import { generateDataset } from '../../src/generate/index.js';
import { cutAtFirstChunk } from '../cut-client.js';

const pkg = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'h4l-batched-'));
const data = join(dir, 'data');
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
t.before(() => generateDataset({ outDir: data, scale: 0.01, seed: 5 }));

t.test('after the client was cut off, the results that finished meanwhile are fetched a batch at a time', async (t) => {
  const { report, requests, keys, reconnects } = await cutAtFirstChunk(t, pkg, (client, onProgress) =>
    runAnalysis({ dataDir: data, selection: 'notebook', skipBadFiles: false, nWorkers: 0, client, chunkSize: 100, publish: true, dashboard: false }, { onProgress }));
  t.equal(reconnects, 1, 'the client reconnected once');
  t.equal(report.result.events, report.files.reduce((n, f) => n + (f.entries ?? 0), 0), 'every event of the dataset is in the result');
  t.ok(keys >= 20, `results finished while the client was away were fetched from the worker (${keys}; the run has ${report.result.chunks} chunks)`);
  t.ok(requests <= keys / 4, `in batches: ${requests} request(s) for ${keys} result(s) (one request per result before)`);
});
