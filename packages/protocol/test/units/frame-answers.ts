/**
 * What a received frame's handlers send is written as the frame's handling ends, on every
 * connection they sent to, before any microtask queued behind it runs (connection.ts,
 * flushAfterFrame): a scheduler's answer to a frame leaves without waiting for the socket's
 * callback to unwind. The messages of one frame still leave together, one frame per peer.
 */
import t from 'tap';
import { anything, connect, listen, obj, str, type Connection, type Direction, type Message } from '@gluon/protocol';
import { until } from '../../../../test/helpers/until.js';

const PING = obj({ op: str(), n: anything });
/** Both directions carry `ping`s. */
const INBOUND = { inbound: { from: 'the listener', to: 'client', ops: { ping: PING } } satisfies Direction };
const LISTENER_INBOUND = { inbound: { client: { from: 'a client', to: 'the listener', ops: { ping: PING } } satisfies Direction } };

/** Counts the frames `conn` hands its socket, each with its messages' `n`s. */
function watchFrames(conn: Connection): number[][] {
  const frames: number[][] = [];
  const ws = conn.ws as unknown as { send: (data: Buffer, ...rest: unknown[]) => void };
  const send = ws.send.bind(ws);
  ws.send = (data: Buffer, ...rest: unknown[]) => {
    frames.push([]);
    send(data, ...rest);
  };
  return frames;
}

t.test("a frame's answers are written when its handlers return, before microtasks, on every connection they went to, one frame each", async (t) => {
  const seen: Connection[] = [];
  const l = await listen({ self: 'scheduler', roles: ['client'], welcome: () => ({ clientId: 'c' }), onConnection: (conn) => seen.push(conn), ...LISTENER_INBOUND });
  t.teardown(() => l.close());
  const { conn: a } = await connect(l.address, { role: 'client' }, INBOUND);
  const { conn: b } = await connect(l.address, { role: 'client' }, INBOUND);
  t.teardown(() => { a.terminate(); b.terminate(); });
  await until(() => seen.length === 2, 'the listener has both connections');
  const [toA, toB] = seen as [Connection, Connection];
  const framesA = watchFrames(toA);
  const framesB = watchFrames(toB);
  // What had been written when a microtask queued by the handler, before its sends, ran.
  const atMicrotask: Array<{ a: number; b: number }> = [];
  toA.on('message', (m: Message) => {
    queueMicrotask(() => atMicrotask.push({ a: framesA.length, b: framesB.length }));
    toA.send({ op: 'ping', n: m.n });
    toB.send({ op: 'ping', n: m.n });
    toA.send({ op: 'ping', n: (m.n as number) + 0.5 });
  });
  const gotA: Message[] = [];
  const gotB: Message[] = [];
  a.on('message', (m: Message) => gotA.push(m));
  b.on('message', (m: Message) => gotB.push(m));
  for (let i = 1; i <= 3; i++) {
    a.send({ op: 'ping', n: i });
    await until(() => gotA.length === 2 * i && gotB.length === i, `the answers to ping ${i}`);
    t.same(atMicrotask[i - 1], { a: i, b: i }, `ping ${i}: both answers were written before the handler's microtask ran`);
  }
  t.equal(framesA.length, 3, 'the two answers to one frame left in one frame');
  t.same(gotA.map((m) => m.n), [1, 1.5, 2, 2.5, 3, 3.5], 'in order');
  t.same(gotB.map((m) => m.n), [1, 2, 3]);

  // Sent outside any frame's handling (a timer, a client's own call): in a microtask, as before.
  toA.send({ op: 'ping', n: 10 });
  t.equal(framesA.length, 3, 'not written at once');
  await Promise.resolve();
  t.equal(framesA.length, 4, 'written in the microtask after the send');
  await until(() => gotA.length === 7, 'it arrives');
});
