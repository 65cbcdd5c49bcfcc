/**
 * Slow and strange clients on the scheduler's port (the real `gluon-scheduler` process):
 * hundreds of sockets that connect and never speak, at every stage (no HTTP request, half a
 * request, an upgraded WebSocket with no hello), neither stall it nor outlive its hello timeout;
 * plain HTTP and bytes that are not HTTP get an HTTP answer that says what the port is and what
 * was wrong. The scheduler serves a normal run while the silent sockets are open and after.
 * Past --max-unauthenticated-connections, or with no file descriptor left, the oldest silent
 * sockets are closed so that a worker gets in while the rest are still held.
 */
import t from 'tap';
import net from 'node:net';
import { spawn, type ChildProcess } from 'node:child_process';
import WebSocket from 'ws';
import { listen, type Connection, type Message } from '@gluon/protocol';
import { getData, startWorker, workerCli } from '../../worker/test/procs.js';
import { connect } from '@gluon/protocol';
import { CLI, roundTrip, startCli, TOKEN, type TapTest } from './scheduler-proc.js';

const SILENT = 200;
/** Generous bound for anything the scheduler should do within its 5 s hello timeout. */
const BOUND_MS = 60_000;

interface Raw { closed: Promise<{ afterMs: number; answer: string }>; socket: net.Socket; isClosed(): boolean; answer(): string }

/** A TCP connection that writes `bytes` (or nothing) and records what comes back until closed. */
function rawSocket(port: number, bytes?: string): Raw {
  const socket = net.connect(port, '127.0.0.1');
  const opened = Date.now();
  let answer = '';
  let isClosed = false;
  socket.on('error', () => {});
  socket.on('data', (d) => { if (answer.length < 4096) answer += d.toString('latin1'); });
  if (bytes !== undefined) socket.on('connect', () => socket.write(bytes));
  const closed = new Promise<{ afterMs: number; answer: string }>((resolve) => socket.on('close', () => { isClosed = true; resolve({ afterMs: Date.now() - opened, answer }); }));
  return { closed, socket, isClosed: () => isClosed, answer: () => answer };
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
  // Room for all of them at once (3 × SILENT) and the runs beside them, past the default bound of
  // 512, which would close the oldest for the newest: what is tested here is the hello timeout.
  const s = await startCli(t, ['--hello-timeout', '5s', '--max-unauthenticated-connections', String(4 * SILENT)], { GLUON_TOKEN: TOKEN });
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

/**
 * Starts the scheduler CLI (with its dashboard) under a file-descriptor limit of `fds`, so that a
 * test can take every descriptor it has with connections alone.
 */
async function startUnderFdLimit(t: TapTest, fds: number, args: string[] = []): Promise<{ child: ChildProcess; address: string; dashboard: string; stderr: () => string }> {
  const child = spawn('/bin/sh', ['-c', `ulimit -n ${fds} && exec "$0" "$@"`, process.execPath, CLI, '--port', '0', '--dashboard-port', '0', ...args], {
    env: { ...process.env, GLUON_TOKEN: TOKEN }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const [address, dashboard] = await within(new Promise<[string, string]>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const ws = /^scheduler at (ws:\/\/\S+)$/m.exec(out);
      const http = /^dashboard at (http:\/\/\S+)$/m.exec(out);
      if (ws && http) resolve([ws[1]!, http[1]!]);
    });
    child.on('close', (code) => reject(new Error(`exited ${code}: ${err}`)));
  }), 'the scheduler\'s address lines');
  return { child, address, dashboard, stderr: () => err };
}

/**
 * Resolves once one of `flood` is closed without a byte of answer: a listener with no file
 * descriptor left accepts its pending connections and closes them at once (libuv's EMFILE
 * handling); every other close here comes with an answer (408 after the hello timeout).
 */
function droppedUnanswered(flood: Raw[]): Promise<true> {
  return new Promise((resolve) => { for (const r of flood) void r.closed.then((c) => { if (c.answer === '') resolve(true); }); });
}

/**
 * `ask()` once the process serves again after a flood: until it has seen the flood's sockets
 * close, a new connection may still find no descriptor left (accepted and dropped at once), so
 * a failed attempt is repeated, bounded generously.
 */
async function onceServed<T>(ask: () => Promise<T>, what: string): Promise<T> {
  const deadline = Date.now() + BOUND_MS;
  for (;;) {
    try {
      return await ask();
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`${what}: not served within ${BOUND_MS} ms (${(err as Error).message})`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** The dashboard's own samples of the scheduler process: `[time, cpu, rss, …]`. */
async function selfSamples(dashboard: string): Promise<number[][]> {
  const res = await fetch(new URL('api/state', dashboard), { headers: { authorization: `Bearer ${TOKEN}` } });
  const state = await res.json() as { views: { scheduler: { samples: number[][] } } };
  return state.views.scheduler.samples;
}

t.test('connections that take every file descriptor the scheduler has do not end it: its samples go on, and it serves once they close', async (t) => {
  // Node reads RSS through /proc/self/stat: with no descriptor left it threw EMFILE out of the
  // dashboard's sampling timer, and the scheduler died of it within a second.
  const s = await startUnderFdLimit(t, 128);
  const port = Number(new URL(s.dashboard).port);
  const exited = new Promise<string>((resolve) => s.child.on('exit', (code, signal) => resolve(`exited ${code ?? signal}`)));
  let sampledWhileFull = false;
  for (let round = 0; round < 20 && !sampledWhileFull; round++) {
    const before = (await selfSamples(s.dashboard)).at(-1)?.[0] ?? 0;
    // More connections than descriptors: once none is left, the listener's pending ones are
    // accepted and closed at once (libuv's EMFILE handling), without a word: that is the sign.
    const flood = Array.from({ length: 300 }, () => rawSocket(port));
    const full = await within(Promise.race<boolean>([droppedUnanswered(flood), exited.then(() => false)]), 'a connection dropped unanswered (no descriptor left)');
    // Held for more than the sampling period (1 s): whether a sample fell inside is checked below.
    await within(Promise.race([new Promise((r) => setTimeout(r, 1500)), exited]), 'holding the descriptors');
    const releasedAt = Date.now();
    for (const r of flood) r.socket.destroy();
    t.equal(s.child.exitCode ?? s.child.signalCode, null, `round ${round}: the scheduler is running with every descriptor taken${s.child.exitCode !== null ? `: ${s.stderr().slice(-600)}` : ''}`);
    if (!full || s.child.exitCode !== null) break;
    const samples = await onceServed(() => selfSamples(s.dashboard), 'api/state after the flood');
    sampledWhileFull = samples.some(([at, , rss]) => at! > before && at! < releasedAt && rss! > 0);
  }
  t.ok(sampledWhileFull, 'the dashboard sampled the scheduler while no descriptor was left (the last RSS read stands in)');
  t.equal(await within(roundTrip(t, s.address, 'after-fd-flood'), 'a run after the flood'), 42, 'a run after the flood succeeds');
  t.notMatch(s.stderr(), /EMFILE|uncaught/i, 'no EMFILE trace in the log');
});

t.test('connections that take every file descriptor a worker has do not end it: its heartbeats go on, and it serves its peers once they close', async (t) => {
  // The worker's heartbeat reads its RSS (/proc/self/stat) as well: anyone who can reach its data
  // port could end it by connecting, without a token.
  const heartbeats: number[] = [];
  let beat = (): void => {};
  const scheduler = await listen({
    host: '127.0.0.1', port: 0, self: 'test scheduler', roles: ['worker'],
    welcome: () => ({ workerId: 'w1', heartbeatIntervalMs: 100, heartbeatTtlMs: 600_000 }),
    onConnection(conn: Connection) {
      conn.on('message', (m: Message) => { if (m.op === 'heartbeat') { heartbeats.push(Date.now()); beat(); } });
    },
  });
  t.teardown(() => scheduler.close());
  const child = spawn('/bin/sh', ['-c', 'ulimit -n 128 && exec "$0" "$@"', process.execPath, workerCli, scheduler.address, '--nthreads', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<false>((resolve) => child.on('exit', () => resolve(false)));
  const address = await within(new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', () => { const m = / at (ws:\/\/\S+) connected/.exec(out); if (m) resolve(m[1]!); });
    void exited.then(() => reject(new Error(`the worker exited: ${out}`)));
  }), 'the worker\'s address line');
  const flood = Array.from({ length: 300 }, () => rawSocket(Number(new URL(address).port)));
  t.teardown(() => { for (const r of flood) r.socket.destroy(); });
  const full = await within(Promise.race<boolean>([droppedUnanswered(flood), exited]), 'a connection dropped unanswered (no descriptor left)');
  t.ok(full, 'the worker ran out of descriptors (a connection was dropped unanswered)');
  // The first heartbeats to arrive may have left before; the third was taken with none left.
  const seen = heartbeats.length;
  const thirdAfter = new Promise<true>((resolve) => { beat = () => { if (heartbeats.length >= seen + 3) resolve(true); }; });
  t.ok(await within(Promise.race([thirdAfter, exited]), 'three heartbeats with every descriptor taken'), `three heartbeats came with every descriptor taken${child.exitCode !== null ? `; the worker exited: ${out.slice(-600)}` : ''}`);
  for (const r of flood) r.socket.destroy();
  const reply = await onceServed(() => within(getData(address, ['nothing-1']), 'get-data after the flood'), 'get-data after the flood');
  t.same([reply.op, reply.missing], ['data', ['nothing-1']], 'a peer is served once the connections close');
  t.equal(child.exitCode, null, 'the worker is still running');
  t.notMatch(out, /EMFILE/, 'no EMFILE trace in its log');
});

/** The scheduler's lines about closing unauthenticated connections on its port (shedding.ts), so far. */
function shedLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => /the scheduler's port ws:\/\/\S+: .*that had not authenticated/.test(l));
}

/** How many connections those lines say were closed. */
function shedCount(stderr: string): number {
  return shedLines(stderr).reduce((n, l) => n + Number(/closed (\d+) connections? /.exec(l)?.[1] ?? 0), 0);
}

/** Resolves once `done(stderr)` holds, checked at each line the scheduler writes (bounded). */
function whenLogged(s: { child: ChildProcess; stderr: () => string }, done: (stderr: string) => boolean, what: string): Promise<void> {
  return within(new Promise<void>((resolve) => {
    const check = (): void => {
      if (!done(s.stderr())) return;
      s.child.stderr!.off('data', check);
      resolve();
    };
    s.child.stderr!.on('data', check);
    check();
  }), what);
}

/** Opens `n` idle TCP connections to `port` one after another (each connected before the next). */
async function idleInOrder(port: number, n: number): Promise<Raw[]> {
  const out: Raw[] = [];
  for (let i = 0; i < n; i++) {
    const r = rawSocket(port);
    await within(new Promise((resolve) => r.socket.once('connect', resolve)), `idle connection ${i}`);
    out.push(r);
  }
  return out;
}

t.test('past --max-unauthenticated-connections the oldest idle connections are closed: the newest stay, a worker that connects then joins, and it is never closed for room', async (t) => {
  const BOUND = 8;
  const EXTRA = 5;
  // No hello timeout to speak of: every close here is the bound's doing.
  const s = await startCli(t, ['--max-unauthenticated-connections', String(BOUND), '--hello-timeout', '1h'], { GLUON_TOKEN: TOKEN });
  const port = Number(new URL(s.address).port);
  const idle = await idleInOrder(port, BOUND + EXTRA);
  t.teardown(() => { for (const r of idle) r.socket.destroy(); });
  await within(Promise.all(idle.slice(0, EXTRA).map((r) => r.closed)), `the ${EXTRA} oldest idle connections closed`);
  await whenLogged(s, (e) => shedCount(e) >= EXTRA, `the scheduler saying it closed ${EXTRA}`);
  t.equal(shedCount(s.stderr()), EXTRA, `it says it closed ${EXTRA}`);
  t.match(shedLines(s.stderr()).at(-1), new RegExp(`past its bound of ${BOUND} held before authenticating .*; ${BOUND} unauthenticated held now, authenticated connections untouched$`), 'naming the port, the bound and what it holds');
  t.same(idle.map((r) => r.isClosed()), [...Array(EXTRA).fill(true), ...Array(BOUND).fill(false)], `exactly the newest ${BOUND} are open`);

  // A real worker: its connection is the newest, so the oldest idle one makes room for it.
  const w = await within(startWorker(s.address, ['--token', TOKEN, '--nthreads', '1']), 'the worker joining beside the idle connections');
  t.teardown(() => w.proc.kill('SIGKILL'));
  t.ok(await within(idle[EXTRA]!.closed.then(() => true), 'the oldest remaining idle connection closed for the worker'), 'the oldest remaining idle connection made room for it');

  // Once it has authenticated, no number of newcomers closes it.
  const more = await idleInOrder(port, 3 * BOUND);
  t.teardown(() => { for (const r of more) r.socket.destroy(); });
  // Of the idle connections, all but the newest BOUND have been closed: EXTRA + 3 * BOUND.
  await whenLogged(s, (e) => shedCount(e) >= EXTRA + 3 * BOUND, 'the scheduler saying it closed all but the newest idle connections');
  t.same([...idle, ...more].map((r) => r.isClosed()).lastIndexOf(true), idle.length + more.length - BOUND - 1, `again only the newest ${BOUND} idle ones are open`);
  const client = await within(connect(s.address, { role: 'client', name: 'after-flood' }, { token: TOKEN, log: () => {} }), 'a client connecting after the newcomers');
  t.teardown(() => client.conn.close());
  t.same(client.welcome.workers, [w.address], 'the worker is still registered: its connection was not closed for room');
  t.equal(s.child.exitCode, null, 'the scheduler is still running');
});

t.test('a flood that takes every file descriptor the scheduler has does not keep a worker out: it joins while the flood is still held open', async (t) => {
  // No hello timeout to speak of: the flood holds its sockets for as long as the test runs.
  const s = await startUnderFdLimit(t, 128, ['--hello-timeout', '1h']);
  const port = Number(new URL(s.address).port);
  const flood = Array.from({ length: 300 }, () => rawSocket(port));
  t.teardown(() => { for (const r of flood) r.socket.destroy(); });
  // More connections than descriptors: a connection closed without a byte of answer is the sign
  // that none was left (closed for room now; before, libuv's EMFILE handling dropped new ones).
  t.ok(await within(droppedUnanswered(flood), 'a connection of the flood dropped unanswered (no descriptor left)'), 'the flood ran the scheduler out of descriptors');
  const w = await within(startWorker(s.address, ['--token', TOKEN, '--nthreads', '1']), 'a worker joining beside the flood');
  t.teardown(() => w.proc.kill('SIGKILL'));
  const held = flood.filter((r) => !r.isClosed()).length;
  t.ok(held > 0, `the worker joined while ${held} of the flood's connections were still open`);
  await whenLogged(s, (e) => shedLines(e).some((l) => /because a new connection took the process's last file descriptor/.test(l)), 'the scheduler saying it closed connections for descriptors');
  t.equal(s.child.exitCode, null, 'the scheduler is still running');
  t.notMatch(s.stderr(), /EMFILE|uncaught/i, 'no EMFILE trace in the log');
});

t.test('a worker\'s data port takes --max-unauthenticated-connections too: past it the oldest idle connections go, and a peer is served', async (t) => {
  const s = await startCli(t, [], { GLUON_TOKEN: TOKEN });
  const w = await startWorker(s.address, ['--token', TOKEN, '--nthreads', '1', '--max-unauthenticated-connections', '2']);
  t.teardown(() => { w.proc.kill('SIGKILL'); });
  const idle = await idleInOrder(Number(new URL(w.address).port), 5);
  t.teardown(() => { for (const r of idle) r.socket.destroy(); });
  await within(Promise.all(idle.slice(0, 3).map((r) => r.closed)), 'the 3 oldest idle connections closed');
  const line = await within(w.proc.waitFor(/ worker \S+: .*: closed \d+ connections? that had not authenticated .*/), 'the worker saying so');
  t.match(line[0], new RegExp(` worker \\S+: its data port ${w.address.replace(/[.[\]]/g, '\\$&')}: closed `), 'the line names the worker once, in its prefix, then its data port');
  t.match(line[0], /: closed 3 connections .*past its bound of 2 .*; 2 unauthenticated held now/, 'one line, naming its port and the counts');
  // Closed for room is closed without a word; the worker's 10 s hello timeout answers 408 (a
  // loaded machine may get there first for the newest), which is not what is looked for here.
  t.same(idle.map((r) => r.isClosed() && r.answer() === ''), [true, true, true, false, false], 'the 3 oldest were closed for room, the newest 2 not');
  const reply = await within(getData(w.address, ['nothing-1'], TOKEN), 'get-data beside them');
  t.same([reply.op, reply.missing], ['data', ['nothing-1']], 'a peer is served');
});
