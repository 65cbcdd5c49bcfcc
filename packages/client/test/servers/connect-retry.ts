/**
 * Client.connect tries again within its deadline while nothing answers (connect-retry.ts): a
 * scheduler not listening yet, or a connection cut before any answer, is not the end; a
 * refusal is, at once; at the deadline the error names the address and what was tried. The
 * decision reads the code of the socket's own error (the handshake error's `cause`), never the
 * message: the failures below are real ones, each met on a real socket.
 */
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { CloseCode, connect, HandshakeError, socketErrorText, temporaryTls } from '@gluon/protocol';
import { startScheduler } from '@gluon/scheduler';
import { Client } from '../../src/index.js';
import { connectWithin, retryableFailure, type RetryClock } from '../../src/connect-retry.js';
// A port nothing listens on, that no listen(0) is given (test/helpers/closed-port.ts); not one
// a closed listener had, which another process's listen(0) could be given meanwhile.
import { closedPort } from '../../../../test/helpers/closed-port.js';


/** What the protocol's connect (one attempt of Client.connect) rejects with for `url`. */
async function failure(url: string, opts: Parameters<typeof connect>[2] = {}): Promise<HandshakeError> {
  const err = await connect(url, { role: 'client', name: 'connect-retry-test' }, { timeoutMs: 60_000, label: `scheduler ${url}`, log: () => {}, ...opts })
    .then(({ conn }) => { conn.close(); return null; }, (e: unknown) => e);
  if (!(err instanceof HandshakeError)) throw new Error(`expected a HandshakeError from ${url}, got ${String(err)}`);
  return err;
}

/** The code of a handshake error's cause, the socket's own error. */
const codeOf = (err: unknown) => ((err as Error | null)?.cause as NodeJS.ErrnoException | undefined)?.code;

t.test('nothing listens: tried until the deadline, then the error names the address and the attempts', async (t) => {
  const port = await closedPort();
  const url = `ws://127.0.0.1:${port}`;
  // The test sits the deadline out. 5 s is past the 2 s of attempts every 20 ms and into those
  // 500 ms apart; a longer one (it was 20 s) only adds attempts of the same kind. Each attempt is
  // given the time left, so an attempt a starved process reads after its timer (it then says no
  // answer came, and ends the tries) is one of the last, whatever the deadline: those have at
  // least 100 ms (MIN_ATTEMPT_MS), for 20 s as for 5.
  const err = await Client.connect(url, { timeoutMs: 5_000 }).then(() => null, (e: unknown) => e as HandshakeError);
  t.ok(err instanceof HandshakeError, 'a HandshakeError');
  t.equal(codeOf(err), 'ECONNREFUSED', "the last attempt's socket error is its cause");
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
  // The port's listener resets the first connection it gets and starts a scheduler then (on a
  // port of its own, 0: any free one), to which it relays every later connection. It gave the
  // port itself to the scheduler (closed, then listened on by number): in between, another
  // process's listen(0) could be given it.
  let cut = 0, relayed = 0;
  let sched: Promise<Awaited<ReturnType<typeof startScheduler>>> | undefined;
  const open = new Set<Socket>();
  const front: Server = createServer((sock) => {
    sock.on('error', () => {});
    if (cut === 0) {
      cut++;
      sock.resetAndDestroy();
      sched = startScheduler({ port: 0, dashboard: false, log: () => {} });
      return;
    }
    relayed++;
    open.add(sock);
    sock.pause();     // what the client sends waits in the socket until the scheduler is up
    sched!.then((s) => {
      const up = netConnect(Number(new URL(s.address).port), '127.0.0.1');
      up.on('error', () => sock.destroy());
      open.add(up);
      sock.pipe(up).pipe(sock);
      sock.on('close', () => up.destroy());
      up.on('close', () => sock.destroy());
    }, () => sock.destroy());
  });
  await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
  t.teardown(async () => {
    for (const s of open) s.destroy();
    await new Promise<void>((r) => front.close(() => r()));
    await (await sched?.catch(() => undefined))?.close();
  });
  const client = await Client.connect(`ws://127.0.0.1:${(front.address() as { port: number }).port}`, { timeoutMs: 120_000, name: 'patient' });
  t.teardown(() => client.close());
  t.equal(cut, 1, 'the first attempt was cut');
  t.ok(relayed >= 1, 'a later one reached the scheduler');
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
  // A real refusal, met on a port nothing listens on; thrown by each attempt on the test clock.
  const real = await failure(`ws://127.0.0.1:${await closedPort()}`);
  const refused = () => real;
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

t.test('which failures are tried again: read from the socket error\'s code, never the message', async (t) => {
  const port = await closedPort();
  const refused = await failure(`ws://127.0.0.1:${port}`);
  t.equal(codeOf(refused), 'ECONNREFUSED', 'the socket error is the cause');
  t.equal(retryableFailure(refused), 'connection refused (ECONNREFUSED)');

  // Cut before any answer: reset (RST), or closed (FIN) before the HTTP answer, which Node calls
  // "socket hang up" with code ECONNRESET (a request already read by the kernel turns a close into
  // a reset, and a write after it is EPIPE: all three are tried again).
  for (const [how, cut] of [['reset', (s: import('node:net').Socket) => s.resetAndDestroy()], ['closed', (s: import('node:net').Socket) => s.destroy()]] as const) {
    const srv = createServer(cut);
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const err = await failure(`ws://127.0.0.1:${(srv.address() as { port: number }).port}`);
    await new Promise<void>((r) => srv.close(() => r()));
    t.match(codeOf(err), /^(ECONNRESET|EPIPE)$/, `${how}: ${err.message}`);
    t.match(retryableFailure(err), /^connection (reset|dropped) before any answer \((ECONNRESET|EPIPE)\)$/, how);
  }

  // ws+unix: the scheduler's --unix-socket file is not there until it listens.
  const dir = await mkdtemp(join(tmpdir(), 'gluon-connect-retry-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const noFile = await failure(`ws+unix:${join(dir, 'scheduler.sock')}:/`);
  t.equal(codeOf(noFile), 'ENOENT', noFile.message);
  t.equal(retryableFailure(noFile), 'no Unix socket there (ENOENT)');

  // .invalid never resolves (RFC 6761): ENOTFOUND, or EAI_AGAIN where no DNS server answers.
  const unresolved = await failure('ws://no-such-host.invalid:8786');
  t.match(codeOf(unresolved), /^(ENOTFOUND|EAI_AGAIN)$/, unresolved.message);
  t.equal(retryableFailure(unresolved), null, 'a name that does not resolve: final at once');

  // The wording decides nothing: a refusal said otherwise is still tried again, and a message that
  // names a retried code does not make a DNS failure one.
  t.equal(retryableFailure(refused.withMessage('the scheduler could not be reached')), 'connection refused (ECONNREFUSED)');
  t.equal(retryableFailure(unresolved.withMessage(`cannot connect to scheduler ws://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`)), null);
  t.equal(retryableFailure(new Error(refused.message, { cause: refused.cause })), null, "only the handshake's own errors");
  // Closed after the upgrade without a close frame (no socket error: code 1006).
  t.equal(retryableFailure(new HandshakeError('scheduler ws://a:1 closed the connection during the handshake (1006)', 1006)), 'connection closed before any answer (1006)');
});

t.test('a name with an IPv6 and an IPv4 address: tried again when one of them was refused', async (t) => {
  // Node tries each address of a name (autoSelectFamily) and fails with an AggregateError whose
  // message is empty and whose code is its first address's: localhost where /etc/hosts gives it
  // ::1 and 127.0.0.1 both. The lookup here gives a name two addresses, as such a hosts file does.
  const port = await closedPort();
  const dial = (addresses: { address: string; family: number }[]) => new Promise<Error>((resolve) => {
    const sock = netConnect({
      host: 'scheduler.test', port, autoSelectFamily: true,
      lookup: ((_h: string, o: { all?: boolean }, cb: (e: null, a: unknown, f?: number) => void) =>
        (o.all ? cb(null, addresses) : cb(null, addresses[0]!.address, addresses[0]!.family))) as never,
    });
    sock.on('error', resolve);
    sock.on('connect', () => { sock.destroy(); resolve(new Error('connected')); });
  });
  const both = await dial([{ address: '::1', family: 6 }, { address: '127.0.0.1', family: 4 }]);
  t.type(both, AggregateError);
  const said = socketErrorText(both);
  // (::1 is refused where the loopback has IPv6; a machine without it fails that address otherwise.)
  t.match(said, new RegExp(`^connect E[A-Z]+ ::1:${port}; connect ECONNREFUSED 127\\.0\\.0\\.1:${port}$`), 'the message names each address');
  const err = new HandshakeError(`cannot connect to scheduler ws://scheduler.test:${port}: ${said}`, CloseCode.going, undefined, { cause: both });
  t.equal(retryableFailure(err), 'connection refused (ECONNREFUSED)');
  // The first address out of reach (a documentation address: no route, or no answer within
  // Node's attempt timeout), the second refused: the AggregateError's own code is the first's.
  const mixed = await dial([{ address: '2001:db8::1', family: 6 }, { address: '127.0.0.1', family: 4 }]);
  t.type(mixed, AggregateError);
  t.not((mixed as NodeJS.ErrnoException).code, 'ECONNREFUSED', `the first address's code: ${socketErrorText(mixed)}`);
  t.equal(retryableFailure(new HandshakeError(`cannot connect to scheduler ws://scheduler.test:${port}: ${socketErrorText(mixed)}`, CloseCode.going, undefined, { cause: mixed })), 'connection refused (ECONNREFUSED)');
});

t.test('a Unix socket not there yet: tried again until the scheduler listens on it', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'gluon-connect-retry-'));
  const path = join(dir, 'scheduler.sock');
  const url = `ws+unix:${path}:/`;
  let sched: Awaited<ReturnType<typeof startScheduler>> | undefined;
  let starting: Promise<void> | undefined;
  t.teardown(async () => {
    await starting?.catch(() => {});
    await sched?.close();
    await rm(dir, { recursive: true, force: true });
  });
  const met: (string | null)[] = [];
  const { conn } = await connectWithin(120_000, (left) => connect(url, { role: 'client', name: 'unix-patient' }, { timeoutMs: left, label: `scheduler ${url}`, log: () => {} }).catch((err: unknown) => {
    met.push(retryableFailure(err));
    // The scheduler starts once the first attempt found no socket: a later one connects to it.
    starting ??= startScheduler({ port: 0, unixSocket: path, dashboard: false, log: () => {} }).then((s) => { sched = s; });
    throw err;
  }), url);
  conn.close();
  t.equal(met[0], 'no Unix socket there (ENOENT)', 'the first attempt found no socket file');
  t.ok(met.length >= 1, `connected after ${met.length} failed attempt(s): ${met.join(', ')}`);
});

t.test("a scheduler's refusal and a certificate refused: final at once, one attempt", async (t) => {
  const files = await temporaryTls();
  t.teardown(() => files.remove());
  const sched = await startScheduler({ port: 0, dashboard: false, token: 'right', tls: { cert: files.cert, key: files.key }, log: () => {} });
  t.teardown(() => sched.close());
  const cases = [
    ['a certificate from a CA this side does not trust', { token: 'right' }, CloseCode.tls],
    ['a wrong token', { token: 'wrong', tls: { ca: files.ca } }, CloseCode.badToken],
    ['another protocol version', { token: 'right', tls: { ca: files.ca }, protocolVersion: 1 }, CloseCode.versionMismatch],
  ] as const;
  for (const [what, opts, code] of cases) {
    const err = await Client.connect(sched.address, { ...opts, timeoutMs: 60_000 }).then((c) => { void c.close(); return null; }, (e: unknown) => e);
    t.type(err, HandshakeError, what);
    t.equal((err as HandshakeError).code, code, `${what}: ${(err as Error).message}`);
    t.notMatch((err as Error).message, /; tried \d+ times/, `${what}: one attempt`);
    t.equal(retryableFailure(err), null, `${what}: final`);
    if (code === CloseCode.tls) t.match(codeOf(err), /CERT|SIGNATURE|ISSUER/, `the TLS layer's error is the cause (${codeOf(err)})`);
  }
});
