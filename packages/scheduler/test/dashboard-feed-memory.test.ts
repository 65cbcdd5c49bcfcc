/**
 * What browsers that do not read cost the scheduler's memory: the feed's message is encoded once
 * and the same bytes are queued for every viewer, over the WebSocket feed and the Server-Sent
 * Events one alike. Each socket used to get its own copy of the text, so a state of 15 MB
 * (published topics) held by 100 feeds opened and never read took 760 MB, and grew with each feed.
 */
import net from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import t, { type Test } from 'tap';
import { startDashboard } from '../src/dashboard/server.js';
import { MemorySource } from './fixtures/memory-source.js';
import { until } from '../../../test/helpers/until.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** A feed (`live` or `events`) that completes its request and then stops reading. */
async function unread(t: Test, dashboardUrl: string, path: 'live' | 'events'): Promise<void> {
  const url = new URL(dashboardUrl);
  const sock = net.connect(Number(url.port), url.hostname);
  t.teardown(() => sock.destroy());
  await new Promise<void>((r) => sock.once('connect', () => r()));
  const upgrade = 'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n';
  sock.write(`GET /${path} HTTP/1.1\r\nHost: ${url.host}\r\n${path === 'live' ? upgrade : ''}\r\n`);
  await new Promise<void>((r) => sock.once('data', () => r()));
  sock.pause();
}

const used = () => {
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

t.test('feeds that do not read share one copy of the state they were sent', async (t) => {
  const MiB = 2 ** 20;
  const stateBytes = 16 * MiB;
  const source = new MemorySource({ topics: { big: 'x'.repeat(stateBytes) } });
  const d = await startDashboard(source, { host: '127.0.0.1', port: 0, log: () => {}, feed: { intervalMs: 2 ** 30, maxTopicBytes: 32 * MiB } });
  t.teardown(() => d.close());
  const n = 4;
  for (let i = 0; i < n; i++) {
    await unread(t, d.url, 'live');
    await unread(t, d.url, 'events');
  }
  await until(() => d.feed.viewerCount === 2 * n, 'every feed is watching');
  const before = used();
  d.feed.tick(Date.now());
  // Each socket hands the kernel what it takes at once; the rest waits, referenced by its queue.
  await new Promise((r) => setImmediate(r));
  const grew = used() - before;
  t.ok(d.feed.bufferedBytes() > 2 * n * 4 * MiB, `the state is queued on every feed (${(d.feed.bufferedBytes() / MiB).toFixed(0)} MiB in all)`);
  t.ok(grew < 3 * stateBytes, `memory grew by ${(grew / MiB).toFixed(1)} MiB for ${2 * n} feeds sent a state of ${stateBytes / MiB} MiB (one copy, not one each)`);
});
