/**
 * A run whose client is cut off at its first chunk (a LoopbackRelay between the client and a real
 * scheduler, with one real worker started in the analysis package's directory) until the
 * scheduler has dropped the client and has nothing left to run, then let back: the results that
 * finished meanwhile did not come inline with the scheduler's notice and must be fetched from the
 * worker. Counts the client's requests to the worker as they reach its real peer pool, for the
 * analyses' tests that they read such results a batch at a time (test/runs/batched-results.ts in both
 * analyses).
 *
 * Every step waits on its event, bounded generously: the link fails with both ends told (a reset,
 * not a silence the heartbeat TTL must notice: a TTL short enough for a quick test also dropped
 * the worker or the reconnected client on a loaded machine), and it is restored once the
 * scheduler's /metrics say no task waits, is queued or runs (not after a fixed time, in which a
 * starved worker may have finished none).
 */
import type { Test } from 'tap';
import { Client } from '@gluon/client';
import { SCHEDULER_V8_FLAGS } from '@gluon/scheduler/v8-flags';
import { WORKER_V8_FLAGS } from '@gluon/worker/v8-flags';
import { schedulerCli, start, workerCli } from '../../worker/test/procs.js';
import { LoopbackRelay } from '../../protocol/test/loopback-relay.js';
import { until } from '../../../test/helpers/until.js';

type GetData = (address: string, keys: string[], timeoutMs?: number) => Promise<unknown>;

/** What the client asked the worker for: requests, and keys in all of them. */
export interface Fetches { requests: number; keys: number; reconnects: number }

/** Generous bound on each wait (the run alone takes seconds on a quiet machine). */
const WAIT_MS = 600_000;

/** Tasks the scheduler has not finished (waiting, queued, processing), from its /metrics. */
async function unfinished(metrics: string): Promise<number> {
  const text = await (await fetch(metrics)).text();
  const counts = [...text.matchAll(/^gluon_scheduler_tasks\{state="(?:waiting|queued|processing)"\} (\d+)$/gm)].map((m) => Number(m[1]));
  if (counts.length !== 3) throw new Error(`${metrics} did not give gluon_scheduler_tasks for waiting, queued and processing:\n${text}`);
  return counts.reduce((a, b) => a + b, 0);
}

/**
 * Runs `run(client, onProgress)` (the analysis, with `onProgress` as its progress hook) on a
 * scheduler and worker of its own; `pkg` is the analysis package, whose task code the worker imports.
 */
export async function cutAtFirstChunk<R>(t: Test, pkg: string, run: (client: Client, onProgress: () => void) => Promise<R>): Promise<{ report: R } & Fetches> {
  // The session grace outlasts every wait below: the client's keys are kept however long the
  // worker takes to finish while it is away.
  const sched = start(schedulerCli, ['--port', '0', '--dashboard-port', '0', '--session-grace', '20m'], {}, SCHEDULER_V8_FLAGS);
  t.teardown(() => sched.kill('SIGKILL'));
  const address = (await sched.waitFor(/^scheduler at (ws:\/\/\S+)$/m))[1]!;
  const metrics = new URL('metrics', (await sched.waitFor(/^dashboard at (http:\/\/\S+)$/m))[1]!).href;
  const w = start(workerCli, [address, '--nthreads', '1'], {}, WORKER_V8_FLAGS, { cwd: pkg });
  t.teardown(() => w.kill('SIGKILL'));
  await w.waitFor(/^worker \S+ at \S+ connected to /m);
  const relay = await LoopbackRelay.start(Number(new URL(address).port));
  t.teardown(() => relay.close());
  const client = await Client.connect(relay.address, { reconnectTimeoutMs: 2 * WAIT_MS });
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
    relay.cutTelling();
  });
  // The run ending before the cut ends the test with its own outcome, not a wait's.
  const away = (async () => {
    await sched.waitFor(/client \S+ \(.*\) lost: connection closed/, WAIT_MS);
    await until(() => !client.connected, 'the client noticing the cut', WAIT_MS);
    const deadline = Date.now() + WAIT_MS;
    for (let left = await unfinished(metrics); left > 0; left = await unfinished(metrics)) {
      if (Date.now() > deadline) throw new Error(`the scheduler still had ${left} unfinished task(s) ${WAIT_MS} ms after the client was cut off`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return 'away' as const;
  })();
  if (await Promise.race([running.then(() => 'ended' as const), away]) === 'ended') throw new Error('the run ended before the client was cut off');
  relay.restore();
  const report = await running;
  return { report, ...fetches, reconnects: client.reconnects };
}
