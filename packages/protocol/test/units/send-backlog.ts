import t, { type Test } from 'tap';
import { anything, CloseCode, connect, listen, obj, str, type Connection, type Direction, type Message } from '@gluon/protocol';
import { until } from '../../../../test/helpers/until.js';

/** What the listener below sends its client. */
const INBOUND = { inbound: { from: 'the listener', to: 'client', ops: { bulk: obj({ op: str(), data: anything }) } } satisfies Direction };
const MiB = 1024 * 1024;
const turn = () => new Promise((r) => setImmediate(r));


/** A listener with the given options; records each connection and how it closed. */
async function server(t: Test, opts: { maxSendBacklogBytes?: number; chunkBytes?: number }) {
  const seen: Array<{ conn: Connection; closed: { code: number; reason: string } | null }> = [];
  const logs: string[] = [];
  const l = await listen({
    self: 'scheduler', roles: ['client'], log: (line) => logs.push(line), ...opts,
    welcome: () => ({ clientId: 'c1' }),
    onConnection: (conn) => {
      const s = { conn, closed: null as { code: number; reason: string } | null };
      seen.push(s);
      conn.on('close', (code: number, reason: string) => (s.closed = { code, reason }));
    },
  });
  t.teardown(() => l.close());
  const { conn } = await connect(l.address, { role: 'client' }, INBOUND);
  t.teardown(() => conn.terminate());
  await until(() => seen.length === 1, 'the listener has the connection');
  return { peer: seen[0]!, client: conn, logs };
}

t.test('a peer that stops reading is dropped with 4010 and a reason naming the limit, not buffered for without bound', async (t) => {
  const { peer, client, logs } = await server(t, { maxSendBacklogBytes: 2 * MiB });
  // The client stops reading; the listener keeps sending (results, events), a turn at a time.
  client.ws.pause();
  const piece = Buffer.alloc(256 * 1024, 7);
  let sent = 0;
  let most = 0;
  // Bounded: far more than the limit plus what loopback's kernel buffers take.
  while (peer.closed === null && sent < 128 * MiB) {
    peer.conn.send({ op: 'bulk', data: piece });
    sent += piece.length;
    await turn();
    most = Math.max(most, peer.conn.ws.bufferedAmount);
  }
  if (peer.closed === null) {
    t.fail(`still open after ${sent / MiB} MiB sent to a peer that reads nothing; ${(peer.conn.ws.bufferedAmount / MiB).toFixed(1)} MiB buffered for it`);
    return;
  }
  t.equal(peer.closed.code, CloseCode.backlog, 'closed with 4010');
  t.match(peer.closed.reason, /not reading: .* waited to be sent, over the scheduler's send-backlog limit of 2\.0 MiB \(2097152 bytes, maxSendBacklogBytes\)/, 'the reason names the limit and the option');
  t.ok(logs.some((l) => /closing connection to client .*: not reading/.test(l)), 'and it is logged');
  t.ok(most <= 2 * MiB + piece.length + 64 * 1024, `at most the limit and one message were ever buffered (${(most / MiB).toFixed(2)} MiB)`);
  t.notOk(peer.conn.send({ op: 'bulk', data: piece }), 'nothing more is queued for it');
});

t.test('a large message to a paused reader is paced into the socket as it drains, is not counted as backlog, and what follows it arrives after it', async (t) => {
  // 1 MiB pieces; a 48 MiB message, over the backlog limit by itself.
  const { peer, client } = await server(t, { chunkBytes: MiB, maxSendBacklogBytes: 8 * MiB });
  const got: Message[] = [];
  client.on('message', (m: Message) => got.push(m));
  client.ws.pause();
  const big = Buffer.alloc(48 * MiB);
  for (let i = 0; i < big.length; i += 4096) big[i] = (i >> 12) & 0xff;
  peer.conn.send({ op: 'bulk', data: big });
  await turn();
  peer.conn.send({ op: 'bulk', data: 'after' });
  await turn();
  const buffered = peer.conn.ws.bufferedAmount;
  t.ok(buffered <= 17 * MiB + 4096, `the socket holds the high-water mark and a piece at most, not the whole message (${(buffered / MiB).toFixed(1)} MiB)`);
  t.equal(peer.closed, null, 'a slow reader of one large message is not dropped');
  client.ws.resume();
  await until(() => got.length === 2 || peer.closed !== null, 'both messages arrive');
  t.equal(peer.closed, null, 'still open');
  const data = got[0]!.data as Uint8Array;
  t.equal(data.length, big.length, 'the large message arrives whole');
  t.ok(Buffer.from(data.buffer, data.byteOffset, data.byteLength).equals(big), 'and intact');
  t.equal(got[1]!.data, 'after', 'the message sent after it arrives after it');
});

t.test('closing while a large message is being paced sends all of it first, then the close', async (t) => {
  const { peer, client } = await server(t, { chunkBytes: MiB });
  const got: Message[] = [];
  client.on('message', (m: Message) => got.push(m));
  let closed: number | undefined;
  client.on('close', (code: number) => (closed = code));
  client.ws.pause();
  peer.conn.send({ op: 'bulk', data: Buffer.alloc(40 * MiB, 3) });
  await turn();
  peer.conn.close(CloseCode.normal, 'done');
  client.ws.resume();
  await until(() => closed !== undefined, 'the client sees the close');
  t.equal(closed, CloseCode.normal, 'a normal close');
  t.equal((got[0]?.data as Uint8Array | undefined)?.length, 40 * MiB, 'after the whole message');
});
