/**
 * The run reads the chunks' results (for the dashboard's running sum) in batches: one request per
 * worker for everything that finished since the last look, not one round trip per chunk. The
 * values that do not come inline with the scheduler's notice are those that finished while the
 * client was cut off; across hosts (50 ms, 5% loss), ~700 of them read one by one at ~3 a second
 * turned a 10 s run into 298 s after a 15 s cut of the client's link. Here the link is a relay
 * on loopback, cut at the first chunk until the scheduler has dropped the client, and the
 * client's requests to the workers are counted as they reach its real peer pool.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { Client } from '@gluon/client';
import { WORKER_V8_FLAGS } from '@gluon/worker/v8-flags';
import { runAnalysis } from '../src/run.js';
import { generateDataset } from '../src/generate/index.js';
import { start, startScheduler, workerCli, type Proc } from '../../worker/test/procs.js';
import { LoopbackRelay } from '../../protocol/test/loopback-relay.js';
import { until } from '../../client/test/until.js';

const pkg = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'h4l-batched-'));
const data = join(dir, 'data');
const procs: Proc[] = [];
t.teardown(() => {
  for (const p of procs) p.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});
t.before(() => generateDataset({ outDir: data, scale: 0.01, seed: 5 }));

type GetData = (address: string, keys: string[], timeoutMs?: number) => Promise<unknown>;

t.test('after the client was cut off, the results that finished meanwhile are fetched a batch at a time', async (t) => {
  const s = await startScheduler(0, ['--heartbeat-ttl', '3s']);
  procs.push(s.proc);
  // In the package's directory: it declares the analysis's task code, which the worker imports.
  const w = start(workerCli, [s.address, '--nthreads', '1'], {}, WORKER_V8_FLAGS, { cwd: pkg });
  procs.push(w);
  await w.waitFor(/^worker \S+ at \S+ connected to /m);
  const relay = await LoopbackRelay.start(Number(new URL(s.address).port));
  t.teardown(() => relay.close());
  const client = await Client.connect(relay.address, { reconnectTimeoutMs: 120_000 });
  t.teardown(() => client.close());

  // The client's real peer pool, its calls counted on their way through.
  const peers = (client as unknown as { peers: { getData: GetData } }).peers;
  const getData = peers.getData.bind(peers);
  let requests = 0, keys = 0;
  peers.getData = (address, ks, timeoutMs) => {
    requests++;
    keys += ks.length;
    return getData(address, ks, timeoutMs);
  };

  let cut = false;
  const run = runAnalysis({ dataDir: data, selection: 'notebook', skipBadFiles: false, nWorkers: 0, client, chunkSize: 100, publish: true, dashboard: false }, {
    onProgress: () => {
      if (cut) return;
      cut = true;
      relay.cut();
    },
  });
  await s.proc.waitFor(/client \S+ \(.*\) lost: connection closed/, 120_000);
  await until(() => !client.connected, 'the client noticing the cut');
  relay.restore();
  const report = await run;
  t.equal(client.reconnects, 1, 'the client reconnected once');
  t.equal(report.result.events, report.files.reduce((n, f) => n + (f.entries ?? 0), 0), 'every event of the dataset is in the result');
  t.ok(keys >= 20, `results finished while the client was away were fetched from the worker (${keys}; the run has ${report.result.chunks} chunks)`);
  t.ok(requests <= keys / 4, `in batches: ${requests} request(s) for ${keys} result(s) (one request per result before)`);
});
