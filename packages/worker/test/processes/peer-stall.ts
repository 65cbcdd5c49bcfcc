/**
 * A peer that stalls (SIGSTOP here; GC, swap or a paused VM alike) while another worker fetches a
 * dependency from it, against real scheduler and worker processes. Its kernel still accepts the
 * TCP connection, but nothing answers the WebSocket upgrade until it runs again. While the
 * scheduler counts it alive the fetch waits (before, it gave up after 5 s and the dependency was
 * recomputed); once the scheduler expires it, the fetcher is told and gives up at once.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import t, { type Test } from 'tap';
import type { TaskSpec } from '@gluon/protocol';
import { endAfter, fixture, RawClient, startScheduler, startWorker, endWithCase } from '../procs.js';
import { until } from '../../../../test/helpers/until.js';

const { procs, clients } = endAfter(t);
let seq = 0;
const spec = (exp: string, args: unknown[], deps: string[] = []): TaskSpec => ({ key: `${exp}-${++seq}`, fn: { module: pathToFileURL(fixture).href, export: exp }, args, deps });
const ref = (key: string) => ({ __gluonRef: key });

/**
 * Connections waiting in the accept queue of the listening socket on 127.0.0.1:`port` (the
 * rx_queue of a LISTEN entry in /proc/net/tcp): a stopped process's kernel still completes TCP
 * handshakes, and they wait there until the process accepts them.
 */
function acceptBacklog(port: number): number {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[1]?.endsWith(`:${hexPort}`) && f[3] === '0A') return parseInt(f[4]!.split(':')[1]!, 16);
  }
  return 0;
}

/**
 * A scheduler, two workers, and a 40 kB result X (each of its runs a line in a file) on the
 * first, H (1 thread); a 1.6 MB result Z on the second, F (2 threads). A task Y needing both runs
 * on F (it holds the most of its input) and fetches X from H.
 */
async function setup(t: Test, schedulerArgs: string[], fetcherArgs: string[]) {
  const s = await startScheduler(0, schedulerArgs);
  procs.push(s.proc);
  const first = await startWorker(s.address, ['--nthreads', '1', ...fetcherArgs]);
  procs.push(first.proc);
  const second = await startWorker(s.address, ['--nthreads', '2', ...fetcherArgs]);
  procs.push(second.proc);
  const client = await RawClient.connect(s.address);
  clients.push(client);
  const dir = mkdtempSync(join(tmpdir(), 'gluon-stall-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const runs = join(dir, 'runs');
  const x = spec('countedRamp', [runs, 5000]);
  const z = spec('ramp', [200_000, 1]);
  // Placed together: the first goes to the earlier-registered of two idle workers, the second to
  // the worker the first left idle.
  client.conn.send({ op: 'update-graph', tasks: [x, z], wants: [x.key, z.key] });
  const res = await client.results([x.key, z.key], 120_000);
  const holderOf = (k: string) => (res.get(k)!.workers as string[])[0];
  const [h, f] = [first, second];
  t.equal(holderOf(x.key), h.address, 'X is on H');
  t.equal(holderOf(z.key), f.address, 'Z is on F');
  const y = spec('totalLength', [ref(x.key), ref(z.key)], [x.key, z.key]);
  return { client, h, f, x, y, runs: () => readFileSync(runs, 'utf8').split('\n').filter(Boolean).length };
}

t.test('a peer stalled longer than the old 5 s handshake limit is waited for: the dependency is fetched, not recomputed', async (t) => {
  endWithCase(t, { procs, clients });
  // The scheduler's default TTL (30 s): the stalled worker stays alive for it throughout.
  const { client, h, f, x, y, runs } = await setup(t, [], []);
  t.equal(runs(), 1);
  // H's thread is kept busy (a task that needs X goes where X is): a recompute of X would go to
  // F, the less loaded, and be counted, not be answered from the copy H still stores.
  const busy = spec('sleep', [600_000, ref(x.key)], [x.key]);
  client.conn.send({ op: 'update-graph', tasks: [busy], wants: [busy.key] });
  h.proc.kill('SIGSTOP');
  client.conn.send({ op: 'update-graph', tasks: [y], wants: [y.key] });
  const port = Number(new URL(h.address).port);
  await until(() => acceptBacklog(port) > 0, 'the fetcher connected to the stopped holder');
  // The stall itself (not a synchronisation): longer than the old 5 s limit, well inside the TTL.
  await new Promise((r) => setTimeout(r, 6500));
  h.proc.kill('SIGCONT');
  const res = (await client.results([y.key], 120_000)).get(y.key)!;
  t.equal(res.value, 205_000, 'Y got both dependencies');
  t.equal(runs(), 1, 'X ran once: fetched from the stalled peer, not recomputed');
  t.notMatch(f.proc.output(), /could not fetch/);
});

t.test('a peer the scheduler declares dead is given up at once, however long the peer timeout', async (t) => {
  endWithCase(t, { procs, clients });
  const { client, h, f, y, runs } = await setup(t, ['--heartbeat-ttl', '5s'], ['--peer-timeout', '10m']);
  h.proc.kill('SIGSTOP');
  client.conn.send({ op: 'update-graph', tasks: [y], wants: [y.key] });
  // Within the bound only if the fetcher is told: its own limit is ten minutes.
  const res = (await client.results([y.key], 120_000)).get(y.key)!;
  t.equal(res.value, 205_000, 'Y ran with X recomputed');
  t.match(f.proc.output(), /giving up on peer ws:\/\/\S+: the scheduler declared it dead/);
  t.equal(runs(), 2, 'X was recomputed: its only holder was declared dead');
});
