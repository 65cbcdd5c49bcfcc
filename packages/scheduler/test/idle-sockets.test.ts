/**
 * Slow and strange clients on the scheduler's port (the real `gluon-scheduler` process):
 * hundreds of sockets that connect and never speak, at every stage (no HTTP request, half a
 * request, an upgraded WebSocket with no hello), neither stall it nor outlive its hello timeout;
 * plain HTTP and bytes that are not HTTP get an HTTP answer that says what the port is and what
 * was wrong. The scheduler serves a normal run while the silent sockets are open and after.
 */
import t from 'tap';
import net from 'node:net';
import WebSocket from 'ws';
import { getData, startWorker } from '../../worker/test/procs.js';
import { roundTrip, startCli, TOKEN, type TapTest } from './scheduler-proc.js';

const SILENT = 200;
/** Generous bound for anything the scheduler should do within its 5 s hello timeout. */
const BOUND_MS = 60_000;

interface Raw { closed: Promise<{ afterMs: number; answer: string }>; socket: net.Socket }

/** A TCP connection that writes `bytes` (or nothing) and records what comes back until closed. */
function rawSocket(port: number, bytes?: string): Raw {
  const socket = net.connect(port, '127.0.0.1');
  const opened = Date.now();
  let answer = '';
  socket.on('error', () => {});
  socket.on('data', (d) => { if (answer.length < 4096) answer += d.toString('latin1'); });
  if (bytes !== undefined) socket.on('connect', () => socket.write(bytes));
  const closed = new Promise<{ afterMs: number; answer: string }>((resolve) => socket.on('close', () => resolve({ afterMs: Date.now() - opened, answer })));
  return { closed, socket };
}

/** A WebSocket that completes the upgrade and then says nothing. */
function silentWs(address: string): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(address);
    ws.on('error', () => {});
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
  });
}

function within<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: not within ${BOUND_MS} ms`)), BOUND_MS); }),
  ]);
}

t.test(`${SILENT} sockets that never speak, at every stage, are served around and closed after the hello timeout`, async (t) => {
  const s = await startCli(t, ['--hello-timeout', '5s'], { GLUON_TOKEN: TOKEN });
  const port = Number(new URL(s.address).port);
  const tcp: Raw[] = [];
  const half: Raw[] = [];
  const ws: Array<Promise<{ code: number; reason: string }>> = [];
  for (let i = 0; i < SILENT; i++) {
    tcp.push(rawSocket(port));
    // Slowloris: a request line and one header, then nothing.
    half.push(rawSocket(port, `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`));
    ws.push(silentWs(s.address));
  }
  t.teardown(() => { for (const r of [...tcp, ...half]) r.socket.destroy(); });

  // While all of them are open, the scheduler serves a normal run.
  t.equal(await within(roundTrip(t, s.address, 'busy-1'), 'a run beside the silent sockets'), 42, 'a run completes beside them');

  const tcpClosed = await within(Promise.all(tcp.map((r) => r.closed)), 'silent TCP sockets closed');
  t.ok(tcpClosed.every((c) => c.afterMs < BOUND_MS), `all ${SILENT} silent TCP sockets were closed by the scheduler`);
  t.match(tcpClosed[0]!.answer, /^HTTP\/1\.1 408 Request Timeout\r\n[^]*no complete HTTP request arrived in time/, 'with a 408 that says why');
  const halfClosed = await within(Promise.all(half.map((r) => r.closed)), 'half-request sockets closed');
  t.ok(halfClosed.every((c) => /^HTTP\/1\.1 408 /.test(c.answer)), `all ${SILENT} half-finished requests got 408 and were closed`);
  const wsClosed = await within(Promise.all(ws), 'silent WebSockets closed');
  t.same(new Set(wsClosed.map((c) => `${c.code} ${c.reason}`)), new Set(['4004 no hello within 5000 ms']), `all ${SILENT} silent WebSockets were closed with 4004`);

  t.equal(await within(roundTrip(t, s.address, 'busy-2'), 'a run after the silent sockets'), 42, 'and a run after them');
  t.equal(s.child.exitCode, null, 'the scheduler is still running');
});

/** Each kind of non-WebSocket request on `port` gets the HTTP answer it should, naming `self`. */
async function expectRefusals(t: TapTest, port: number, self: string): Promise<void> {
  const host = `Host: 127.0.0.1:${port}\r\n`;
  const gluon = `this is a Gluon ${self} endpoint`;
  const cases: Array<[string, string, RegExp]> = [
    ['a plain GET', `GET / HTTP/1.1\r\n${host}\r\n`, new RegExp(`^HTTP/1\\.1 426 [^]*${gluon}; connect with a WebSocket client`)],
    ['a POST with a body', `POST /graph HTTP/1.1\r\n${host}Content-Length: 5\r\n\r\nhello`, /^HTTP\/1\.1 426 /],
    ['an upgrade to another protocol', `GET / HTTP/1.1\r\n${host}Connection: Upgrade\r\nUpgrade: h2c\r\n\r\n`, /^HTTP\/1\.1 400 [^]*Invalid Upgrade header/],
    ['a WebSocket upgrade without its key', `GET / HTTP/1.1\r\n${host}Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\r\n`, /^HTTP\/1\.1 400 [^]*Sec-WebSocket-Key/],
    ['binary garbage', '\x00\x01\x02\xffgarbage\r\n\r\n', new RegExp(`^HTTP/1\\.1 400 Bad Request\r\n[^]*${gluon}: it speaks WebSocket[^]*not an HTTP request \\(HPE_`)],
    ['a malformed request line', 'GET\r\n\r\n', /^HTTP\/1\.1 400 Bad Request\r\n[^]*not an HTTP request/],
    ['SMTP', 'HELO example.org\r\n', /^HTTP\/1\.1 400 Bad Request\r\n[^]*not an HTTP request/],
    ['headers of 100 KiB', `GET / HTTP/1.1\r\n${host}X-Big: ${'a'.repeat(100 * 1024)}\r\n\r\n`, /^HTTP\/1\.1 431 [^]*headers are too large/],
  ];
  for (const [what, bytes, expected] of cases) {
    const r = await within(rawSocket(port, bytes).closed, what);
    t.match(r.answer, expected, `${self}: ${what}: ${JSON.stringify(r.answer.split('\r\n')[0])}`);
  }
}

t.test('plain HTTP and non-HTTP bytes on the WebSocket port get a clear HTTP refusal; the scheduler keeps serving', async (t) => {
  const s = await startCli(t, [], { GLUON_TOKEN: TOKEN });
  await expectRefusals(t, Number(new URL(s.address).port), 'scheduler');
  t.equal(await within(roundTrip(t, s.address, 'after-http'), 'a run after the HTTP garbage'), 42, 'a run right after succeeds');
  t.equal(s.child.exitCode, null, 'the scheduler is still running');
  t.notMatch(s.stderr(), /TypeError|RangeError|uncaught/i, 'no crash traces');
});

t.test('a worker\'s data port refuses them the same way and keeps serving its peers', async (t) => {
  const s = await startCli(t, []);
  const w = await startWorker(s.address);
  t.teardown(() => { w.proc.kill('SIGKILL'); });
  await expectRefusals(t, Number(new URL(w.address).port), `worker ${w.name}`);
  const reply = await within(getData(w.address, ['nothing-1']), 'get-data after the HTTP garbage');
  t.same([reply.op, reply.missing], ['data', ['nothing-1']], 'a peer is still served');
  t.equal(w.proc.child.exitCode, null, 'the worker is still running');
});
