import t from 'tap';
import { anything, connect, listen, obj, str, type Connection, type Direction, type Message } from '@gluon/protocol';
import { WHOLE_FRAME_MAX_BYTES } from '../../src/whole-frames.js';
import { until } from '../../../../test/helpers/until.js';

/** What the listener below sends its client. */
const INBOUND = { inbound: { from: 'the listener', to: 'client', ops: { bulk: obj({ op: str(), data: anything }) } } satisfies Direction };

/** How a socket's writes reached it: one buffer each (`_write`) or several at once (`_writev`). */
interface Writes { single: number; vectored: number }

t.test("a listener's small frames reach its socket as one buffer each, large ones as ws writes them, and all arrive intact and in order", async (t) => {
  const seen: Connection[] = [];
  const l = await listen({ self: 'scheduler', roles: ['client'], welcome: () => ({ clientId: 'c1' }), onConnection: (conn) => seen.push(conn) });
  t.teardown(() => l.close());
  const { conn: client } = await connect(l.address, { role: 'client' }, INBOUND);
  t.teardown(() => client.terminate());
  await until(() => seen.length === 1, 'the listener has the connection');
  const peer = seen[0]!;
  const got: Message[] = [];
  client.on('message', (m: Message) => got.push(m));

  // Count the writes of the listener's side of the socket from here on.
  const socket = (peer.ws as unknown as { _socket: { _write: (...a: unknown[]) => void; _writev: (...a: unknown[]) => void } })._socket;
  const writes: Writes = { single: 0, vectored: 0 };
  const write = socket._write.bind(socket);
  const writev = socket._writev.bind(socket);
  socket._write = (...a: unknown[]) => { writes.single++; write(...a); };
  socket._writev = (...a: unknown[]) => { writes.vectored++; writev(...a); };

  // One message per turn, so that each leaves in a frame of its own.
  for (let i = 0; i < 20; i++) {
    peer.send({ op: 'bulk', data: `small ${i}` });
    await until(() => got.length === i + 1, `small message ${i} arrives`);
  }
  t.same(writes, { single: 20, vectored: 0 }, 'each small frame was one write of one buffer');

  const big = Buffer.alloc(4 * WHOLE_FRAME_MAX_BYTES);
  for (let i = 0; i < big.length; i++) big[i] = i & 0xff;
  peer.send({ op: 'bulk', data: big });
  await until(() => got.length === 21, 'the large message arrives');
  t.equal(writes.vectored, 1, 'a frame over the limit leaves as ws writes it (header and payload, uncopied)');
  peer.send({ op: 'bulk', data: 'after' });
  await until(() => got.length === 22, 'the message after it arrives');

  t.same(got.slice(0, 20).map((m) => m.data), Array.from({ length: 20 }, (_, i) => `small ${i}`), 'the small messages arrive intact, in order');
  const data = got[20]!.data as Uint8Array;
  t.ok(Buffer.from(data.buffer, data.byteOffset, data.byteLength).equals(big), 'the large one intact');
  t.equal(got[21]!.data, 'after', 'and what follows it after it');
});
