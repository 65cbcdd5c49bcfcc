/**
 * Client.connect tries again within its deadline while nothing answers (connect-retry.ts): a
 * scheduler not listening yet, or a connection cut before any answer, is not the end; a
 * refusal is, at once; at the deadline the error names the address and what was tried.
 */
import { createServer, type Server } from 'node:net';
import t from 'tap';
import { CloseCode, HandshakeError } from '@gluon/protocol';
import { startScheduler } from '@gluon/scheduler';
import { Client } from '../src/index.js';
import { connectWithin, retryableFailure, type RetryClock } from '../src/connect-retry.js';

/** A port nothing listens on: one the kernel gave a listener that is then closed. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

t.test('nothing listens: tried until the deadline, then the error names the address and the attempts', async (t) => {
  const port = await closedPort();
  const url = `ws://127.0.0.1:${port}`;
  // A deadline a starved process still spends mostly on refusals (a loaded machine may read one
  // after its attempt's timer: that attempt then says no answer came, and ends the tries).
  const err = await Client.connect(url, { timeoutMs: 20_000 }).then(() => null, (e: unknown) => e as HandshakeError);
  t.ok(err instanceof HandshakeError, 'a HandshakeError');
  const m = /^Client\.connect\(ws:\/\/127\.0\.0\.1:\d+\): (.*); tried (\d+) times over (\d+\.\d) s \((each: )?connection refused \(ECONNREFUSED\)/.exec(err!.message);
  t.ok(m, err!.message);
  t.ok(Number(m?.[2]) >= 2, `more than one attempt (${m?.[2]})`);
  if (m?.[4]) {
    t.match(m[1], /^cannot connect to scheduler ws:\/\/127\.0\.0\.1:\d+: connect ECONNREFUSED 127\.0\.0\.1:\d+$/);
    t.match(err!.message, new RegExp(`: nothing listens at ws://127\\.0\\.0\\.1:${port}; is the scheduler started`), 'every attempt refused: said so, with the address');
    t.equal(err!.code, CloseCode.going);
  }
});

t.test('the first connection cut before any answer, the scheduler listening after: connect succeeds', async (t) => {
  // The port's first listener resets the connection it gets, then gives the port to a scheduler.
  let port = 0;
  let cut = 0;
  let sched: Awaited<ReturnType<typeof startScheduler>> | undefined;
  t.teardown(async () => {
    await sched?.close();
  });
  const handedOver = new Promise<void>((resolve, reject) => {
    const first: Server = createServer((sock) => {
      cut++;
      sock.resetAndDestroy();
      first.close(() => startScheduler({ port, dashboard: false, log: () => {} }).then((s) => { sched = s; resolve(); }, reject));
    });
    first.listen(0, '127.0.0.1', () => {
      port = (first.address() as { port: number }).port;
      connecting = Client.connect(`ws://127.0.0.1:${port}`, { timeoutMs: 120_000, name: 'patient' });
    });
  });
  let connecting: Promise<Client> | undefined;
  await handedOver;
  t.equal(cut, 1, 'the first attempt was cut');
  const client = await connecting!;
  t.teardown(() => client.close());
  t.ok(client.id, 'connected to the scheduler that listened after');
});

t.test('a refusal is final at once: no second attempt', async (t) => {
  let tries = 0;
  const refusal = new HandshakeError('bad token: scheduler refused the token the client sent', 4001);
  const clock: RetryClock = { now: () => 0, sleep: async () => {} };
  await t.rejects(connectWithin(10_000, async () => { tries++; throw refusal; }, 'ws://x:1', clock), refusal);
  t.equal(tries, 1);
});

t.test('retried while refused, within the deadline, each attempt given the time left', async (t) => {
  let now = 0;
  const clock: RetryClock = { now: () => now, sleep: async (ms) => { now += ms; } };
  const given: number[] = [];
  const refused = () => new HandshakeError('cannot connect to scheduler ws://x:1: connect ECONNREFUSED 10.0.0.1:1', CloseCode.going);
  const ok = await connectWithin(10_000, async (left) => {
    given.push(left);
    if (given.length < 4) throw refused();
    return 'connected';
  }, 'ws://x:1', clock);
  t.equal(ok, 'connected');
  t.same(given, [10_000, 9_980, 9_960, 9_940], 'every 20 ms at first, as a reconnecting client');
  // Timed out waiting for an answer: final (the scheduler has the connection), after earlier refusals.
  now = 0;
  let n = 0;
  const err = await connectWithin(10_000, async () => {
    if (++n < 3) throw refused();
    now = 10_000;
    throw new HandshakeError('no answer from scheduler ws://x:1 within 9960 ms: the TCP connection was made, but no TLS or WebSocket answer came', CloseCode.handshakeTimeout);
  }, 'ws://x:1', clock).catch((e: unknown) => e as HandshakeError);
  t.equal(n, 3);
  t.equal(err.code, CloseCode.handshakeTimeout);
  t.match(err.message, /^no answer from scheduler ws:\/\/x:1 within 9960 ms: .*; tried 3 times over 10\.0 s \(2: connection refused \(ECONNREFUSED\)\)$/);
});

t.test('which failures are tried again', async (t) => {
  const e = (m: string) => new HandshakeError(m, CloseCode.going);
  t.equal(retryableFailure(e('cannot connect to scheduler ws://a:1: connect ECONNREFUSED 1.2.3.4:1')), 'connection refused (ECONNREFUSED)');
  t.equal(retryableFailure(e('cannot connect to scheduler ws://a:1: socket hang up')), 'connection reset before any answer');
  t.equal(retryableFailure(e('cannot connect to scheduler ws://a:1: read ECONNRESET')), 'connection reset before any answer');
  t.equal(retryableFailure(e('scheduler ws://a:1 closed the connection during the handshake (1006)')), 'connection closed before any answer (1006)');
  t.equal(retryableFailure(e('cannot connect to scheduler ws://a:1: getaddrinfo ENOTFOUND a')), null, 'a name that does not resolve: final');
  t.equal(retryableFailure(e('scheduler ws://a:1 refused the connection (HTTP 403): …')), null);
  t.equal(retryableFailure(new Error('cannot connect to x: ECONNREFUSED')), null, 'only the handshake\'s own errors');
});
