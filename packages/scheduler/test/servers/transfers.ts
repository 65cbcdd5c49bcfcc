/**
 * Peer-to-peer transfers end to end: a real scheduler (with its dashboard) and two real workers
 * on loopback, in this process so the test can also subscribe to the scheduler's events. A sum
 * over results spread on both workers must fetch some of them from the other worker; the worker
 * reports the fetch, the scheduler names both ends, and the dashboard's live feed carries a
 * transfer bar.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import t from 'tap';
import WebSocket from 'ws';
import { Client, remoteFrom } from '@gluon/client';
import { startScheduler, type ClusterEvent } from '@gluon/scheduler';
import { startWorker, type GluonWorker } from '@gluon/worker';
import { until } from '../../../../test/helpers/until.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../../../..');
type Fixture = typeof import('../fixtures/dashboard-tasks.mjs');
const fx = remoteFrom<Fixture>(pathToFileURL(join(here, '../fixtures/dashboard-tasks.mjs')));
const quiet = () => {};

t.test('a fetch between workers shows up as a transfer event and a dashboard transfer bar', async (t) => {
  const s = await startScheduler({ host: '127.0.0.1', port: 0, dashboardPort: 0, log: quiet });
  const workers: GluonWorker[] = [];
  let client: Client | undefined;
  let feed: WebSocket | undefined;
  // One teardown, in order: the client, the workers (graceful, bounded), the feed, the scheduler.
  t.teardown(async () => {
    await client?.close();
    await Promise.all(workers.map((w) => w.close('test over', 2000)));
    feed?.close();
    await s.close();
  });
  const events: ClusterEvent[] = [];
  s.subscribe((e) => events.push(e));

  // The dashboard's live feed, as a browser reads it.
  const bars: unknown[][] = [];
  feed = new WebSocket(s.dashboardUrl!.replace(/^http/, 'ws') + 'live');
  feed.on('message', (data) => {
    const m = JSON.parse(String(data)) as { stream?: unknown[][] };
    for (const b of m.stream ?? []) bars.push(b);
  });
  await new Promise((res, rej) => {
    feed!.once('open', res);
    feed!.once('error', rej);
  });

  for (const name of ['wa', 'wb']) workers.push(await startWorker({ scheduler: s.address, nthreads: 1, name, cwd: repo, allowModules: [join(here, '../fixtures')], log: quiet }));
  await until(() => s.state.workers.size === 2, 'both workers register');
  const addresses = new Map(workers.map((w) => [w.address, w.name]));

  client = await Client.connect(s.address, { name: 'transfers-test' });
  // Busy leaves spread over both idle workers; the sum runs on one of them and must fetch the
  // leaves held by the other (32 KiB each: too big to travel inline through the scheduler).
  const n = 12;
  const leaves = client.map(fx.bigWork, Array.from({ length: n }, (_, i) => i), Array.from({ length: n }, () => 20));
  const total = client.submit(fx.sumAll, ...leaves);
  t.equal(Math.round(await total.result()), (n * (n + 1)) / 2, 'the sum over both workers is right');
  const ran = new Set(events.flatMap((e) => (e.kind === 'task-done' && e.group === 'bigWork' ? [e.worker] : [])));
  t.same([...ran].sort(), ['wa', 'wb'], 'the leaves ran on both workers');

  const transfers = () => events.filter((e): e is Extract<ClusterEvent, { kind: 'transfer' }> => e.kind === 'transfer');
  await until(() => transfers().length > 0, 'the scheduler emits a transfer event');
  const leafKeys = new Set(leaves.map((f) => f.key));
  for (const e of transfers()) {
    t.not(e.from, e.to, `${e.keys.join(', ')}: from ${e.from} to ${e.to}`);
    t.ok([...addresses.values()].includes(e.from) && [...addresses.values()].includes(e.to), 'both ends named by worker name');
    t.ok(e.start <= e.stop, `start ${e.start} <= stop ${e.stop}`);
    t.ok(e.bytes > 0, `bytes ${e.bytes} > 0`);
    t.ok(e.keys.length > 0 && e.keys.every((k) => leafKeys.has(k)), 'the keys are leaves the sum needed');
  }
  const summer = events.find((e) => e.kind === 'task-done' && e.group === 'sumAll');
  t.equal(transfers()[0]!.to, summer?.kind === 'task-done' ? summer.worker : undefined, 'the data went to the worker that ran the sum');

  // Pushed at 4 Hz: the bar arrives within a few pushes.
  const isTransferBar = (b: unknown[]) => b[5] === 1;
  await until(() => bars.some(isTransferBar), 'the live feed carries a transfer bar');
  const bar = bars.find(isTransferBar)!;
  t.equal(bar[0], transfers()[0]!.toId, 'on the receiving worker (by id: workers may share a name)');
  t.equal(bar[8], transfers()[0]!.fromId, 'from the sending worker, by id');
  t.equal(bar[1], -1, 'on its transfers row (thread -1)');
  t.ok((bar[3] as number) <= (bar[4] as number), 'start <= stop');
});
