/**
 * A run whose client is cut off at its first chunk (a LoopbackRelay between the client and a real
 * scheduler, with one real worker started in the analysis package's directory) until the
 * scheduler has dropped the client, then let back: the results that finished meanwhile did not
 * come inline with the scheduler's notice and must be fetched from the worker. Counts the
 * client's requests to the worker as they reach its real peer pool, for the analyses' tests that
 * they read such results a batch at a time (batched-results.test.ts in both analyses).
 */
import type { Test } from 'tap';
import { Client } from '@gluon/client';
import { WORKER_V8_FLAGS } from '@gluon/worker/v8-flags';
import { start, startScheduler, workerCli } from '../../worker/test/procs.js';
import { LoopbackRelay } from '../../protocol/test/loopback-relay.js';
import { until } from '../../client/test/until.js';

type GetData = (address: string, keys: string[], timeoutMs?: number) => Promise<unknown>;

/** What the client asked the worker for: requests, and keys in all of them. */
export interface Fetches { requests: number; keys: number; reconnects: number }

/**
 * Runs `run(client, onProgress)` (the analysis, with `onProgress` as its progress hook) on a
 * scheduler and worker of its own; `pkg` is the analysis package, whose task code the worker imports.
 */
export async function cutAtFirstChunk<R>(t: Test, pkg: string, run: (client: Client, onProgress: () => void) => Promise<R>): Promise<{ report: R } & Fetches> {
  const s = await startScheduler(0, ['--heartbeat-ttl', '3s']);
  t.teardown(() => s.proc.kill('SIGKILL'));
  const w = start(workerCli, [s.address, '--nthreads', '1'], {}, WORKER_V8_FLAGS, { cwd: pkg });
  t.teardown(() => w.kill('SIGKILL'));
  await w.waitFor(/^worker \S+ at \S+ connected to /m);
  const relay = await LoopbackRelay.start(Number(new URL(s.address).port));
  t.teardown(() => relay.close());
  const client = await Client.connect(relay.address, { reconnectTimeoutMs: 120_000 });
  t.teardown(() => client.close());

  // The client's real peer pool, its calls counted on their way through.
  const peers = (client as unknown as { peers: { getData: GetData } }).peers;
  const getData = peers.getData.bind(peers);
  const fetches = { requests: 0, keys: 0 };
  peers.getData = (address, keys, timeoutMs) => {
    fetches.requests++;
    fetches.keys += keys.length;
    return getData(address, keys, timeoutMs);
  };

  let cut = false;
  const running = run(client, () => {
    if (cut) return;
    cut = true;
    relay.cut();
  });
  await s.proc.waitFor(/client \S+ \(.*\) lost: connection closed/, 120_000);
  await until(() => !client.connected, 'the client noticing the cut');
  relay.restore();
  const report = await running;
  return { report, ...fetches, reconnects: client.reconnects };
}
