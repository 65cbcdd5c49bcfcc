import t, { type Test } from 'tap';
import net from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import {
  acceptConnections, anything, CloseCode, connect, decodeFrame, tooLargeReason, encodeFrame, HandshakeError, isPermanentRefusal, listen, num, obj, PACKAGE_VERSION,
  PROTOCOL_VERSION, str, tokenUnchecked, type Connection, type Direction, type Listener,
} from '@gluon/protocol';
import { sameValues } from '../../../../test/helpers/same-values.js';

/** What the echo server below answers; clients of it check replies against this. */
const ECHO = { inbound: { from: 'the echo server', to: 'client', ops: { 'echo-reply': obj({ op: str(), replyTo: num(), value: anything }) } } satisfies Direction };

t.test('codec round-trips typed arrays as themselves and rejects garbage with a reason', async (t) => {
  const msgs = [{ op: 'x', f: new Float64Array([1.5, -2]), i: new Int32Array([7, -8]), u: new Uint8Array([1, 2]), n: null }];
  const back = decodeFrame(encodeFrame(msgs));
  t.ok(back[0]!.f instanceof Float64Array);
  t.same(Array.from(back[0]!.f as Float64Array), [1.5, -2]);
  t.ok(back[0]!.i instanceof Int32Array);
  t.ok(back[0]!.u instanceof Uint8Array);
  t.throws(() => decodeFrame(Buffer.from([0xc1, 0xff, 0x00])), /undecodable frame/);
  t.throws(() => decodeFrame(encodeFrame({ op: 'x' } as never)), /not an array of messages/);
  t.throws(() => decodeFrame(encodeFrame([{ nop: 1 }])), /no string "op"/);
});

/** An echo listener: replies to `echo` requests, records what it saw. */
async function echoServer(t: Test, opts: { token?: string; maxFrameBytes?: number; maxMessageBytes?: number } = {}) {
  const logs: string[] = [];
  const conns: Connection[] = [];
  const server: Listener = await listen({
    self: 'scheduler',
    roles: ['client', 'worker'],
    ...opts,
    log: (l) => logs.push(l),
    welcome: () => ({ clientId: 'c-echo' }),
    onConnection: (conn) => {
      conns.push(conn);
      conn.on('message', (m) => {
        if (m.op === 'echo') conn.reply(m, { op: 'echo-reply', value: m.value });
      });
    },
  });
  t.teardown(() => server.close());
  return { server, logs, conns };
}


t.test('handshake, request/reply and batching', async (t) => {
  const { server } = await echoServer(t);
  const { conn, welcome } = await connect(server.address, { role: 'client' }, ECHO);
  t.teardown(() => conn.close());
  t.equal(welcome.clientId, 'c-echo');
  t.equal(welcome.protocol, PROTOCOL_VERSION);
  const replies = await Promise.all(Array.from({ length: 100 }, (_, i) => conn.request({ op: 'echo', value: i })));
  t.same(replies.map((r) => r.value), Array.from({ length: 100 }, (_, i) => i));
  const big = await conn.request({ op: 'echo', value: new Float64Array(10000).fill(3) });
  t.ok(big.value instanceof Float64Array);
});

t.test('bad and missing tokens are refused with a reason; the listener keeps serving', async (t) => {
  const { server } = await echoServer(t, { token: 's3cret' });
  const bad = await connect(server.address, { role: 'client' }, { ...ECHO, token: 'nope' }).catch((e) => e);
  t.type(bad, HandshakeError);
  t.equal(bad.code, CloseCode.badToken);
  t.match(bad.message, /bad token/);
  const missing = await connect(server.address, { role: 'client' }, ECHO).catch((e) => e);
  t.match(missing.message, /missing token: .* requires a token/);
  const ok = await connect(server.address, { role: 'client' }, { ...ECHO, token: 's3cret' });
  t.equal((await ok.conn.request({ op: 'echo', value: 1 })).value, 1);
  ok.conn.close();
});

t.test('every welcome says whether the listener requires a token (protocol 22), and a welcome without it is refused', async (t) => {
  const open = await echoServer(t);
  const a = await connect(open.server.address, { role: 'client' }, { ...ECHO, token: 'held' });
  t.teardown(() => a.conn.close());
  t.same([a.welcome.tokenRequired, a.welcome.clientCertRequired], [false, false], 'an open listener says so, whatever the connecting side holds');
  t.ok(tokenUnchecked(true, a.welcome), 'a token held there was not checked');
  t.notOk(tokenUnchecked(false, a.welcome), 'no token given, nothing to say');
  const guarded = await echoServer(t, { token: 's3cret' });
  const b = await connect(guarded.server.address, { role: 'client' }, { ...ECHO, token: 's3cret' });
  t.teardown(() => b.conn.close());
  t.same([b.welcome.tokenRequired, b.welcome.clientCertRequired], [true, false]);
  t.notOk(tokenUnchecked(true, b.welcome));
  t.notOk(tokenUnchecked(true, { tokenRequired: false, clientCertRequired: true }), 'a listener requiring client certificates is guarded by them');
  // A listener of protocol 21 sent neither field: its welcome is refused as malformed (were its
  // protocol number the same), so a missing field never reads as "guarded".
  const old = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  t.teardown(() => old.close());
  old.on('connection', (ws) => ws.once('message', () => ws.send(encodeFrame([{ op: 'welcome', protocol: PROTOCOL_VERSION, version: PACKAGE_VERSION, clientId: 'c' }]))));
  await new Promise((r) => old.once('listening', r));
  const e = await connect(`ws://127.0.0.1:${(old.address() as net.AddressInfo).port}`, { role: 'client' }, { ...ECHO, log: () => {} }).catch((err: unknown) => err) as HandshakeError;
  t.ok(e instanceof HandshakeError);
  t.equal(e.code, CloseCode.protocolError);
  t.match(e.message, /sent a malformed welcome: welcome: tokenRequired/);
});

t.test('protocol and package version mismatches name both sides', async (t) => {
  const { server } = await echoServer(t);
  const p = await connect(server.address, { role: 'worker', protocol: PROTOCOL_VERSION + 1 }).catch((e) => e);
  t.equal(p.code, CloseCode.versionMismatch);
  t.equal(p.message, `protocol version mismatch: scheduler speaks ${PROTOCOL_VERSION}, worker speaks ${PROTOCOL_VERSION + 1}`);
  // Protocol 4 (compute-task dependencies as objects keyed by task key) is refused: this build
  // would read its compute-tasks' deps as missing fields. So is protocol 6, whose clients would
  // refuse worker-joined and whose schedulers would refuse update-graph's workers; and protocol
  // 7, whose clients would refuse the welcome's dashboardLink and whose schedulers a retiring
  // worker's retire; and protocol 8, whose clients would refuse the welcome's schedulerId; and
  // protocol 9, whose schedulers would refuse retire's lifetime; and protocol 10, whose
  // schedulers would refuse a worker's refused and accepts; and protocol 11, whose clients would
  // refuse the welcome's resumed; and protocol 12, whose schedulers would refuse a worker hello's
  // session; and protocol 13, whose schedulers would refuse update-graph's resend; and protocol 14,
  // whose schedulers would refuse closing's reason; and protocol 15, whose schedulers would refuse
  // closing's lifetime; and protocol 16, whose clients would refuse task-retried; and protocol 17,
  // whose schedulers would refuse a heartbeat's cancelledStopped; and protocol 18, whose
  // schedulers would refuse task-erred's code (and its clients the same from the scheduler); and
  // protocol 19, whose clients and workers could not decode a data reply's encoded value; and
  // protocol 20, whose clients would close on a task-erred of an over-long key (and whose
  // schedulers close a client sending one); and protocol 21, whose clients and workers would
  // refuse the welcome's tokenRequired and clientCertRequired.
  t.equal(PROTOCOL_VERSION, 22);
  // Each old version as the peer that spoke it (a client with the echo server's ops where it had them).
  const old: [role: 'worker' | 'client', protocol: number, echo: boolean][] = [
    ['worker', 4, false], ['client', 6, true], ['client', 7, true], ['client', 8, true],
    ['worker', 9, false], ['worker', 10, false], ['client', 11, false], ['worker', 12, false],
    ['client', 13, false], ['worker', 14, false], ['worker', 15, false], ['client', 16, true],
    ['worker', 17, false], ['worker', 18, false], ['client', 19, true], ['client', 20, true],
    ['worker', 21, false],
  ];
  for (const [role, protocol, echo] of old) {
    const refused = await (echo ? connect(server.address, { role, protocol }, ECHO) : connect(server.address, { role, protocol })).catch((e) => e);
    t.equal(refused.code, CloseCode.versionMismatch);
    t.equal(refused.message, `protocol version mismatch: scheduler speaks 22, ${role} speaks ${protocol}`);
  }
  const v = await connect(server.address, { role: 'client', version: '99.0.0' }, ECHO).catch((e) => e);
  t.match(v.message, new RegExp(`package version mismatch: scheduler is ${PACKAGE_VERSION.replace(/\./g, '\\.')}, client is 99\\.0\\.0`));
  const r = await connect(server.address, { role: 'dashboard' }).catch((e) => e);
  t.match(r.message, /role "dashboard" is not served here/);
});

t.test('a hello whose name, host or address is too long or holds a control character is refused for good (4011), naming the field', async (t) => {
  const { server, logs } = await echoServer(t);
  const forged = 'w1\n2026-01-01T00:00:00.000Z scheduler: worker admin registered';
  const worker = { role: 'worker', address: 'ws://127.0.0.1:1', nthreads: 1, memoryLimit: 0, pid: 1, host: 'h' };
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ role: 'client', name: forged }, /hello refused: name must have no control characters, got U\+000A at character 3 of "w1\\n2026/],
    [{ role: 'client', name: 'n'.repeat(1000) }, /hello refused: name must be at most 256 characters, got 1000: "n{40}…"/],
    [{ ...worker, name: 'w', host: '\u001b]0;pwned\u0007' }, /hello refused: host must have no control characters, got U\+001B at character 1/],
    [{ ...worker, name: 'w', address: `ws://${'a'.repeat(600)}:1` }, /hello refused: address must be at most 512 characters, got 607/],
  ];
  for (const [hello, reason] of cases) {
    const err = await connect(server.address, hello as { role: 'client' }, ECHO).catch((e: unknown) => e) as HandshakeError;
    t.ok(err instanceof HandshakeError, 'refused at the handshake');
    t.equal(err.code, CloseCode.badHello, 'with 4011');
    t.ok(isPermanentRefusal(err.code), 'which retrying cannot fix');
    t.match(err.message, reason);
    t.ok(err.message.length < 400, `a short reason (${err.message.length} characters)`);
  }
  const refusals = logs.filter((l) => /refused connection from .*: hello refused:/.test(l));
  t.equal(refusals.length, cases.length, 'each refusal logged');
  t.notOk(refusals.some((l) => /[\n\u001b]/.test(l)), 'quoting the field escaped, on one line');
  const { conn } = await connect(server.address, { role: 'client', name: 'n'.repeat(256) }, ECHO);
  t.teardown(() => conn.close());
  t.equal((await conn.request({ op: 'echo', value: 1 })).value, 1, 'a 256-character name is fine, and the listener keeps serving');
});

t.test('oversized frames, garbage frames, text frames and raw garbage bytes close only that connection', async (t) => {
  const { server, logs } = await echoServer(t, { maxFrameBytes: 64 * 1024 });
  // oversized frame after a good handshake
  const { conn } = await connect(server.address, { role: 'client' }, ECHO);
  const closed = new Promise<number>((r) => conn.on('close', (code: number) => r(code)));
  conn.ws.send(Buffer.alloc(200 * 1024), { binary: true });
  t.equal(await closed, CloseCode.tooLarge);
  t.ok(logs.some((l) => /exceeds the limit of 65536 bytes/.test(l)), 'logged the oversize reason');

  // undecodable frame as the first message
  const raw = new WebSocket(server.address);
  const rawClose = new Promise<[number, string]>((r) => raw.on('close', (c, why) => r([c, why.toString()])));
  raw.on('open', () => raw.send(Buffer.from([0xc1, 0xc1, 0xc1]), { binary: true }));
  const [code, why] = await rawClose;
  t.equal(code, CloseCode.protocolError);
  t.match(why, /protocol error: undecodable frame/);

  // a message before hello
  const early = new WebSocket(server.address);
  const earlyClose = new Promise<string>((r) => early.on('close', (_c, why) => r(why.toString())));
  early.on('open', () => early.send(encodeFrame([{ op: 'update-graph' }]), { binary: true }));
  t.match(await earlyClose, /expected "hello" first, got "update-graph"/);

  // text frame after the handshake
  const { conn: c2 } = await connect(server.address, { role: 'client' }, ECHO);
  const c2Closed = new Promise<string>((r) => c2.on('close', (_c: number, why: string) => r(why)));
  c2.ws.send('hello?');
  t.match(await c2Closed, /text frame/);

  // raw non-HTTP bytes on the port: an HTTP 400 that says what the port is, then closed
  const answer = await new Promise<string>((resolve) => {
    let got = '';
    const s = net.connect(server.port, '127.0.0.1', () => s.write(Buffer.from('\x00\x01\x02garbage\r\n\r\n')));
    s.on('data', (d) => (got += d.toString('latin1')));
    s.on('close', () => resolve(got));
    s.on('error', () => resolve(got));
  });
  t.match(answer, /^HTTP\/1\.1 400 Bad Request\r\n[^]*this is a Gluon scheduler endpoint: it speaks WebSocket/);

  // and the listener still serves a good client
  const good = await connect(server.address, { role: 'client' }, ECHO);
  t.equal((await good.conn.request({ op: 'echo', value: 'still here' })).value, 'still here');
  good.conn.close();
});

t.test('a request fails when the connection closes; an over-limit outgoing message is not sent', async (t) => {
  const { server, conns } = await echoServer(t);
  const { conn } = await connect(server.address, { role: 'client' }, { ...ECHO, maxMessageBytes: 1024 });
  // In flight: the server has it (waited for, not slept on) and never answers.
  const received = new Promise<void>((r) => conns[0]!.on('message', (m) => { if (m.op === 'never-answered') r(); }));
  const pending = conn.request({ op: 'never-answered' });
  await received;
  let oversize = 0;
  conn.on('oversize', () => oversize++);
  conn.send({ op: 'echo', value: 'x'.repeat(5000) });
  conn.flush();
  t.equal(oversize, 1);
  conns[0]!.close(CloseCode.going, 'bye');
  await t.rejects(pending, /closed \(1001: bye\)/);
});

t.test('typed-array views (offsets into larger buffers) round-trip with exact values', async (t) => {
  const backing = new Float64Array([9, 1.25, -3.5, 1e300, 9]);
  const view = backing.subarray(1, 4);
  const ints = new Int32Array([2 ** 31 - 1, -(2 ** 31), 0, 5]).subarray(1);
  const bytes = new Uint8Array(1 << 20).fill(7);
  const [m] = decodeFrame(encodeFrame([{ op: 'x', view, ints, bytes }]));
  t.ok(m!.view instanceof Float64Array);
  t.same(Array.from(m!.view as Float64Array), [1.25, -3.5, 1e300]);
  t.same(Array.from(m!.ints as Int32Array), [-(2 ** 31), 0, 5]);
  t.equal((m!.bytes as Uint8Array).length, 1 << 20);
  t.equal((m!.bytes as Uint8Array)[12345], 7);
  // the encoded size is the payload plus a small header: no per-element encoding
  t.ok(encodeFrame([{ op: 'x', f: new Float64Array(100_000) }]).length < 800_000 + 64);
});

t.test('acceptConnections serves handshaken connections on an existing HTTP server', async (t) => {
  const http = await import('node:http');
  const server = http.createServer((_req, res) => res.end('plain http still works'));
  const accepting = acceptConnections(server, {
    self: 'worker', roles: ['peer'], token: 'tk', log: () => {},
    onConnection: (conn) => conn.on('message', (m) => conn.reply(m, { op: 'data', data: { got: m.op }, missing: [] })),
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => { accepting.close(); server.close(); server.closeAllConnections(); });
  const port = (server.address() as { port: number }).port;
  t.equal(await (await fetch(`http://127.0.0.1:${port}/`)).text(), 'plain http still works');
  const { conn } = await connect(`ws://127.0.0.1:${port}`, { role: 'peer' }, { token: 'tk' });
  t.same((await conn.request({ op: 'get-data', keys: [] })).data, { got: 'get-data' });
  conn.close();
  const wrongRole = await connect(`ws://127.0.0.1:${port}`, { role: 'client' }, { token: 'tk' }).catch((e) => e);
  t.match(wrongRole.message, /role "client" is not served here; worker accepts peer/);
  // A role the listener does not serve is the dialler's configuration (another worker's data
  // address given as the scheduler's): it was 4003, which a worker retried for ever.
  t.equal(wrongRole.code, CloseCode.wrongRole);
  t.ok(isPermanentRefusal(wrongRole.code), 'which retrying cannot fix');
});

t.test('the connecting side checks the welcome too', async (t) => {
  const { WebSocketServer } = await import('ws');
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise<void>((r) => wss.on('listening', () => r()));
  t.teardown(() => wss.close());
  wss.on('connection', (ws) => ws.once('message', () => ws.send(encodeFrame([{ op: 'welcome', protocol: 99, version: PACKAGE_VERSION }]))));
  const url = `ws://127.0.0.1:${(wss.address() as { port: number }).port}`;
  const err = await connect(url, { role: 'worker' }, { label: 'scheduler' }).catch((e) => e);
  t.type(err, HandshakeError);
  t.equal(err.code, CloseCode.versionMismatch);
  t.equal(err.message, `protocol version mismatch: scheduler speaks 99, this worker speaks ${PROTOCOL_VERSION}`);
});

t.test('a connect whose handshake is not answered is given up when its signal aborts, with the reason', async (t) => {
  // A TCP listener that accepts and never answers the upgrade: a stalled process looks like this.
  const silent = net.createServer(() => {});
  const sockets = new Set<net.Socket>();
  silent.on('connection', (s) => sockets.add(s));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    silent.close();
  });
  const url = `ws://127.0.0.1:${(silent.address() as net.AddressInfo).port}`;
  const abort = new AbortController();
  const pending = connect(url, { role: 'peer' }, { label: 'peer P', timeoutMs: 600_000, signal: abort.signal }).catch((e) => e);
  await new Promise<void>((r) => (sockets.size ? r() : silent.once('connection', () => r())));
  abort.abort(new Error('it was declared dead'));
  const err = await pending;
  t.type(err, HandshakeError);
  t.equal(err.message, 'gave up connecting to peer P: it was declared dead');
  t.equal(err.code, CloseCode.going);
  const before = await connect(url, { role: 'peer' }, { label: 'peer P', signal: AbortSignal.abort('not wanted') }).catch((e) => e);
  t.equal(before.message, 'gave up connecting to peer P: not wanted', 'a signal aborted already fails at once');
});

t.test('node flags: which are missing, by name; parsing --v8-flags', async (t) => {
  const { missingV8Flags, parseV8Flags } = await import('@gluon/protocol');
  t.same(missingV8Flags(['--single-threaded-gc', '--max-semi-space-size=4'], [], ''), ['--single-threaded-gc', '--max-semi-space-size=4']);
  t.same(missingV8Flags(['--single-threaded-gc'], ['--single_threaded_gc'], ''), [], 'underscores and dashes are one name');
  t.same(missingV8Flags(['--max-semi-space-size=4'], ['--max-semi-space-size=8'], ''), [], 'a value set by hand wins');
  t.same(missingV8Flags(['--max-semi-space-size=4'], [], '--max-semi-space-size=16 --trace-warnings'), [], 'NODE_OPTIONS counts');
  t.same(parseV8Flags('  --a   --b=2 '), ['--a', '--b=2']);
  t.same(parseV8Flags(''), []);
  t.throws(() => parseV8Flags('--a b'), /--v8-flags: "b" is not a V8 flag/);
});

const MiB = 1024 * 1024;

/** A 5 MiB value with a recognisable pattern, so a misplaced or missing piece shows. */
function pattern(bytes: number): Float64Array {
  const a = new Float64Array(bytes / 8);
  for (let i = 0; i < a.length; i++) a[i] = i * 1.5 - 7;
  return a;
}

t.test('a message larger than both frame limits travels in chunks and arrives intact, both ways', async (t) => {
  const { server } = await echoServer(t, { maxFrameBytes: MiB });
  const { conn } = await connect(server.address, { role: 'client' }, { ...ECHO, maxFrameBytes: MiB });
  t.teardown(() => conn.close());
  t.equal(conn.chunkBytes, MiB, 'pieces are no larger than the smaller frame limit');
  const value = pattern(5 * MiB);
  const reply = await conn.request({ op: 'echo', value }, 120_000);
  t.ok(reply.value instanceof Float64Array, 'a typed array comes back as itself');
  sameValues(t, reply.value, value, 'all 5 MiB arrived in order, there and back');
  // the connection is still in step: small messages before and after a chunked one keep their order
  const order = await Promise.all([
    conn.request({ op: 'echo', value: 'a' }), conn.request({ op: 'echo', value: pattern(3 * MiB) }), conn.request({ op: 'echo', value: 'b' }),
  ]);
  t.same([order[0]!.value, order[2]!.value], ['a', 'b']);
  sameValues(t, order[1]!.value, pattern(3 * MiB), 'the 3 MiB value between them arrived intact');
});

t.test('a message over the other side\'s announced budget is refused by the sender, naming size and limit', async (t) => {
  const { server } = await echoServer(t, { maxFrameBytes: MiB, maxMessageBytes: 4 * MiB });
  const { conn, welcome } = await connect(server.address, { role: 'client' }, ECHO);
  t.teardown(() => conn.close());
  t.equal(welcome.maxMessageBytes, 4 * MiB, 'the listener announces its budget');
  t.equal(conn.sendLimit, 4 * MiB);
  const seen: unknown[][] = [];
  conn.on('oversize', (...args: unknown[]) => seen.push(args));
  conn.send({ op: 'echo', value: pattern(5 * MiB) });
  conn.flush();
  t.equal(seen.length, 1, 'reported at once');
  const [msg, bytes, limit, whose] = seen[0]! as [{ op: string }, number, number, string];
  t.equal(msg.op, 'echo');
  t.ok(bytes > 5 * MiB);
  t.equal(limit, 4 * MiB);
  t.equal(whose, `${server.address}'s`, 'the limit is named as the listener\'s');
  t.equal((await conn.request({ op: 'echo', value: 'still open' }, 120_000)).value, 'still open', 'and the connection is unharmed');
});

t.test('a chunked header over the budget closes with 1009 and the reason; chunks before the hello are refused', async (t) => {
  const { server, logs } = await echoServer(t, { maxMessageBytes: 4 * MiB });
  const { conn } = await connect(server.address, { role: 'client' }, ECHO);
  const closed = new Promise<[number, string]>((r) => conn.on('close', (c: number, why: string) => r([c, why])));
  conn.ws.send(encodeFrame([{ op: 'chunked', bytes: 64 * MiB }]), { binary: true });
  const [code, why] = await closed;
  t.equal(code, CloseCode.tooLarge);
  t.match(why, /message of 67108864 bytes exceeds the limit of 4194304 bytes/);
  t.ok(logs.some((l) => /exceeds the limit of 4194304 bytes/.test(l)));

  // a piece that overruns its declared size is a protocol error
  const { conn: c2 } = await connect(server.address, { role: 'client' }, ECHO);
  const c2Closed = new Promise<[number, string]>((r) => c2.on('close', (c: number, why: string) => r([c, why])));
  c2.ws.send(encodeFrame([{ op: 'chunked', bytes: 10 }]), { binary: true });
  c2.ws.send(Buffer.alloc(11), { binary: true });
  const [code2, why2] = await c2Closed;
  t.equal(code2, CloseCode.protocolError);
  t.match(why2, /chunk overruns its message/);

  // reassembly exists only after the handshake: a chunked header first is not a hello
  const early = new WebSocket(server.address);
  const earlyClose = new Promise<string>((r) => early.on('close', (_c, w) => r(w.toString())));
  early.on('open', () => early.send(encodeFrame([{ op: 'chunked', bytes: 10 }]), { binary: true }));
  t.match(await earlyClose, /expected "hello" first, got "chunked"/);
});

t.test('a message the codec refuses is reported, not thrown out of the flush; the connection goes on', async (t) => {
  const { server } = await echoServer(t);
  const { conn } = await connect(server.address, { role: 'client' }, { ...ECHO, log: () => {} });
  t.teardown(() => conn.close());
  const refused: unknown[][] = [];
  conn.on('unencodable', (...args: unknown[]) => refused.push(args));
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  const reply = conn.request({ op: 'echo', value: 'after' }, 120_000);
  conn.send({ op: 'echo', value: Symbol('not data') as unknown as string });
  conn.send({ op: 'echo', value: cyclic });
  conn.flush();
  t.same(refused.map((r) => (r[0] as { op: string }).op), ['echo', 'echo'], 'both reported, one by one');
  t.equal((await reply).value, 'after', 'the good message of the same batch went out');
  t.match(tooLargeReason('task k (its arguments)', Infinity, 1024, "this client's"), /task k \(its arguments\) is too large to encode \(4 GiB or more\), over this client's message limit of 1\.0 KiB/);
});
