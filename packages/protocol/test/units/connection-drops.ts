import t, { type Test } from 'tap';
import { anything, connect, ConnectionClosedError, listen, num, obj, str, type Connection, type Direction } from '@gluon/protocol';
import { until } from '../../../../test/helpers/until.js';

/** What the listener below sends its client. */
const INBOUND = { inbound: { from: 'the listener', to: 'client', ops: { bulk: obj({ op: str(), data: anything }), 'echo-reply': obj({ op: str(), replyTo: num(), value: anything }) } } satisfies Direction };

/**
 * A listener whose connections answer `echo` and, on `flood`, queue `bytes` of data to the
 * client at once. Records each connection, the pings it receives and how it closed.
 */
async function floodServer(t: Test) {
  const seen: Array<{ conn: Connection; pings: number; closed: string | null }> = [];
  const server = await listen({
    self: 'scheduler', roles: ['client'], log: () => {},
    welcome: () => ({ clientId: 'c1' }),
    onConnection: (conn) => {
      const s = { conn, pings: 0, closed: null as string | null };
      seen.push(s);
      conn.ws.on('ping', () => s.pings++);
      conn.on('close', (code: number, reason: string) => (s.closed = `${code}${reason ? `: ${reason}` : ''}`));
      conn.on('message', (m) => {
        if (m.op === 'echo') conn.reply(m, { op: 'echo-reply', value: m.value });
        if (m.op === 'flood') conn.send({ op: 'bulk', data: Buffer.alloc(m.bytes as number, 1) });
      });
    },
  });
  t.teardown(() => server.close());
  return { server, seen };
}


// ws (8.23 as installed) terminates a connection once 60 of its automatic pongs wait to be written (no close
// frame, no error: 1006 on both sides). A keep-alive pings once a second; a side whose writes
// are queued behind a large send to a slow reader, or which was stalled for a minute and then
// reads the minute's pings at once, has that many pongs waiting and dropped a live peer (seen
// in bench/scale.ts with a 1M-task graph at load 20-40).
t.test('pings pile up behind a large send to a slow reader: the connection stays up and the pongs are coalesced', async (t) => {
  const { server, seen } = await floodServer(t);
  const { conn } = await connect(server.address, { role: 'client' }, INBOUND);
  t.teardown(() => conn.close());
  let pongs = 0;
  conn.ws.on('pong', () => pongs++);
  let bulk = false;
  conn.on('message', (m) => { if (m.op === 'bulk') bulk = true; });
  await until(() => seen.length === 1, 'the listener has the connection');
  const peer = seen[0]!;
  // The client stops reading; the listener queues more than the kernel's buffers take.
  conn.ws.pause();
  conn.send({ op: 'flood', bytes: 16 * 1024 * 1024 });
  await until(() => peer.conn.ws.bufferedAmount > 0 || peer.closed !== null, 'the listener\'s send backs up');
  t.ok(peer.conn.ws.bufferedAmount > 0, 'the listener\'s writes are queued behind the unread data');
  // Far more pings than ws lets wait for their pongs (60).
  const PINGS = 200;
  for (let i = 0; i < PINGS; i++) conn.ws.ping();
  await until(() => peer.pings >= PINGS || peer.closed !== null, 'the listener has read every ping');
  if (peer.closed !== null) {
    t.fail(`the listener dropped its client after ${peer.pings} pings whose pongs it could not write yet (${peer.closed})`);
    return;
  }
  t.equal(peer.pings, PINGS);
  conn.ws.resume();
  await until(() => bulk && pongs > 0, 'the queued data and a pong arrive once the client reads again');
  t.ok(pongs <= 2, `pongs to pings that waited together are coalesced (RFC 6455 5.5.3): ${pongs} for ${PINGS} pings`);
  t.equal((await conn.request({ op: 'echo', value: 7 })).value, 7, 'the connection still carries requests');
  t.equal(peer.closed, null);
});

t.test('a ping arriving after the pong went out is answered again', async (t) => {
  const { server } = await floodServer(t);
  const { conn } = await connect(server.address, { role: 'client' }, INBOUND);
  t.teardown(() => conn.close());
  const pongs: string[] = [];
  conn.ws.on('pong', (d) => pongs.push(d.toString()));
  conn.ws.ping('one');
  await until(() => pongs.length === 1, 'the first pong');
  conn.ws.ping('two');
  await until(() => pongs.length === 2, 'the second pong');
  t.same(pongs, ['one', 'two'], 'each pong carries its ping\'s data');
});

t.test('a connection that ends without a close frame says so, in its close event and in the requests it fails', async (t) => {
  const { server, seen } = await floodServer(t);
  const { conn } = await connect(server.address, { role: 'client' }, INBOUND);
  await until(() => seen.length === 1, 'the listener has the connection');
  let closed: { code: number; reason: string } | null = null;
  conn.on('close', (code: number, reason: string) => (closed = { code, reason }));
  // Never answered: the listener's side goes away as a killed process's would (no close frame).
  const pending = conn.request({ op: 'nothing' }).catch((e: Error) => e);
  seen[0]!.conn.ws.terminate();
  const err = await pending;
  t.ok(err instanceof ConnectionClosedError);
  t.match((err as Error).message, /closed \(1006: ended without a close frame: the other side exited, was killed or dropped the connection, or the link was cut\)/);
  t.same(closed, { code: 1006, reason: 'ended without a close frame: the other side exited, was killed or dropped the connection, or the link was cut' });
});

t.test('a keep-alive that gives up on a silent peer tells it why with a close frame, then lets go of the socket', async (t) => {
  const { server, seen } = await floodServer(t);
  const { conn } = await connect(server.address, { role: 'client' }, INBOUND);
  t.teardown(() => conn.close());
  let closed: { code: number; reason: string } | null = null;
  conn.on('close', (code: number, reason: string) => (closed = { code, reason }));
  await until(() => seen.length === 1, 'the listener has the connection');
  const peer = seen[0]!;
  // The client stops reading (as a process stalled on its CPU would): its pongs stop.
  conn.ws.pause();
  peer.conn.keepAlive(20, 200);
  await until(() => peer.closed !== null, 'the listener gives up on its silent client');
  t.match(peer.closed!, /^4009: nothing heard for \d+ ms \(limit 200 ms\)$/, 'the listener says why in its own log');
  conn.ws.resume();
  await until(() => closed !== null, 'the client sees the close');
  t.equal(closed!.code, 4009, 'the client is told why it was dropped, not left with a bare 1006');
  t.match(closed!.reason, /^nothing heard from this side for \d+ ms \(the scheduler's limit: 200 ms\)$/);
});

t.test('a keep-alive that gives up on a peer that never reads lets go of its socket all the same', async (t) => {
  const { server, seen } = await floodServer(t);
  const { conn } = await connect(server.address, { role: 'client' }, INBOUND);
  t.teardown(() => conn.terminate());
  await until(() => seen.length === 1, 'the listener has the connection');
  const peer = seen[0]!;
  let socketClosed = false;
  peer.conn.ws.on('close', () => (socketClosed = true));
  // The client neither reads nor answers the closing handshake: the listener ends the socket itself.
  conn.ws.pause();
  peer.conn.keepAlive(20, 200);
  await until(() => socketClosed, 'the listener\'s socket is closed without the client\'s answer');
  t.match(peer.closed, /^4009: nothing heard for/, 'it closed for the silence');
});
