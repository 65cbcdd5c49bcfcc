/**
 * The real `gluon-scheduler` process against raw sockets: every kind of bad input gets its
 * documented close code and reason, and the scheduler keeps serving a good client afterwards.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { CloseCode, connect, encodeFrame, PROTOCOL_VERSION } from '@gluon/protocol';
import { CLI, hello, rawClose, roundTrip, startCli, TOKEN } from '../scheduler-proc.js';
import { until } from '../../../../test/helpers/until.js';

t.test('bad input of every kind is refused with its close code; the scheduler keeps serving', async (t) => {
  const s = await startCli(t, ['--max-frame-bytes', '64KiB'], { GLUON_TOKEN: TOKEN });

  const wrongToken = await rawClose(s.address, hello({ token: 'nope' }));
  t.same([wrongToken.code, wrongToken.reason], [CloseCode.badToken, 'bad token: scheduler refused the token the client sent']);
  t.same(wrongToken.first, { op: 'rejected', reason: wrongToken.reason, code: CloseCode.badToken }, 'the refusal is also sent as a message');
  const noToken = await rawClose(s.address, hello({ token: undefined }));
  t.equal(noToken.code, CloseCode.badToken);
  t.match(noToken.reason, /missing token: scheduler requires a token/);

  const proto = await rawClose(s.address, hello({ role: 'worker', protocol: PROTOCOL_VERSION + 1 }));
  t.same([proto.code, proto.reason], [CloseCode.versionMismatch, `protocol version mismatch: scheduler speaks ${PROTOCOL_VERSION}, worker speaks ${PROTOCOL_VERSION + 1}`]);

  const garbageFrame = await rawClose(s.address, Buffer.from([0xc1, 0xc1, 0xc1, 0xc1]));
  t.equal(garbageFrame.code, CloseCode.protocolError);
  t.match(garbageFrame.reason, /^protocol error: undecodable frame/);
  const textFrame = await rawClose(s.address, 'GET / HTTP/1.1');
  t.equal(textFrame.code, CloseCode.protocolError);
  t.match(textFrame.reason, /text frame/);
  const notArray = await rawClose(s.address, encodeFrame({ op: 'hello' } as never));
  t.match(notArray.reason, /not an array of messages/);

  const early = await rawClose(s.address, encodeFrame([{ op: 'update-graph', tasks: [], wants: [] }]));
  t.same([early.code, early.reason], [CloseCode.protocolError, 'protocol error: expected "hello" first, got "update-graph"']);

  const oversize = await rawClose(s.address, Buffer.alloc(100 * 1024));
  t.equal(oversize.code, CloseCode.tooLarge, 'a frame over --max-frame-bytes closes with 1009');

  // an oversized frame after a good handshake, and an unknown op
  const c1 = await connect(s.address, { role: 'client' }, { token: TOKEN });
  const c1Closed = new Promise<number>((r) => c1.conn.on('close', (code: number) => r(code)));
  c1.conn.ws.send(Buffer.alloc(100 * 1024), { binary: true });
  t.equal(await c1Closed, CloseCode.tooLarge);
  const c2 = await connect(s.address, { role: 'client' }, { token: TOKEN });
  const c2Closed = new Promise<[number, string]>((r) => c2.conn.on('close', (code: number, why: string) => r([code, why])));
  c2.conn.send({ op: 'launch-missiles' });
  t.same(await c2Closed, [CloseCode.protocolError, 'protocol error: unknown op "launch-missiles" from a client']);

  // a malformed update-graph is refused with the field that is wrong
  const c3 = await connect(s.address, { role: 'client' }, { token: TOKEN });
  const c3Closed = new Promise<[number, string]>((r) => c3.conn.on('close', (code: number, why: string) => r([code, why])));
  c3.conn.send({ op: 'update-graph', tasks: [{ key: 'a-1', fn: { module: 'm' }, args: [], deps: [] }], wants: ['a-1'] });
  t.same(await c3Closed, [CloseCode.protocolError, 'protocol error: update-graph: tasks[0].fn.export (task a-1) is missing']);

  // raw TCP garbage and a half-open socket
  await new Promise<void>((resolve) => {
    const sock = net.connect(Number(new URL(s.address).port), '127.0.0.1', () => sock.end(Buffer.from('\x16\x03\x01\x00\xa5garbage\r\n\r\n')));
    sock.on('close', () => resolve());
    sock.on('error', () => resolve());
    sock.resume();
  });

  t.equal(await roundTrip(t, s.address, 'ok-1'), 42, 'a good worker and client still work');
  t.equal(s.child.exitCode, null, 'still running');
  const logged = s.stderr();
  t.match(logged, /refused connection from .*bad token/);
  t.match(logged, /frame exceeds the limit of 65536 bytes/);
  t.match(logged, /dropped a malformed connection/);
  t.notMatch(logged, /scheduler: scheduler:/, 'each log line names the scheduler once');
  t.notMatch(logged, /TypeError|RangeError|uncaught/i, 'no crash traces');
});

t.test('SIGTERM and SIGINT shut down cleanly with exit 0; workers are told', async (t) => {
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    const s = await startCli(t, []);
    const w = await connect(s.address, { role: 'worker', name: 'w', address: 'ws://127.0.0.1:1', nthreads: 1, memoryLimit: 0, pid: 1, host: 'test' });
    w.conn.send({ op: 'holding', keys: {} });
    const closed = new Promise<[number, string]>((r) => w.conn.on('close', (code: number, why: string) => r([code, why])));
    const exited = new Promise<number | null>((r) => s.child.on('exit', (code) => r(code)));
    s.child.kill(sig);
    t.same(await closed, [CloseCode.going, 'scheduler shutting down'], `${sig}: the worker is told why`);
    t.equal(await exited, 0, `${sig}: exit 0`);
  }
});

t.test('bad flags fail fast with a message naming the flag', async (t) => {
  const run = (args: string[]) => new Promise<[number | null, string]>((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    child.on('close', (code) => resolve([code, err]));
  });
  const [code, err] = await run(['--port', 'eighty']);
  t.equal(code, 2);
  t.match(err, /--port must be an integer from 0 to 65535, got "eighty"/);
  const [code2, err2] = await run(['--heartbeat-ttl', 'soon']);
  t.equal(code2, 2);
  t.match(err2, /--heartbeat-ttl must be a duration/);
  const [code3, err3] = await run(['--bogus']);
  t.equal(code3, 2);
  t.match(err3, /Unknown option '--bogus'[\s\S]*gluon-scheduler --help lists the options/);
});

t.test('the dashboard is served on its own port and sees workers, tasks and published values', async (t) => {
  const { startScheduler } = await import('@gluon/scheduler');
  const s = await startScheduler({ port: 0, dashboardPort: 0, token: TOKEN, log: () => {} });
  t.teardown(() => s.close());
  t.match(s.dashboardUrl, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  t.equal(await roundTrip(t, s.address, 'dash-1'), 42);
  // the scheduler hears the two closes asynchronously; wait for them (bounded)
  await until(() => s.state.workers.size === 0 && s.state.clients.size === 0, 'the scheduler hears both closes');
  const snap = s.snapshot();
  t.equal(snap.schedulerAddress, s.address);
  t.match(snap.workers, [{ name: 'w-dash-1', alive: false }], 'a worker that left stays listed as gone');
  t.match(snap.groups, [{ group: 'e', total: 0 }], 'released keys are forgotten (the group is the function name, e)');
  t.match(snap.log.map((l) => l.kind), ['worker-added', 'client-connected', /./, /./]);
  const refused = await fetch(new URL('api/state', s.dashboardUrl));
  t.equal(refused.status, 401, 'the dashboard requires the token too');
  const res = await fetch(new URL('api/state', s.dashboardUrl), { headers: { authorization: `Bearer ${TOKEN}` } });
  t.equal(res.status, 200);
  t.match(await res.text(), /w-dash-1/);
});

t.test('a busy port is named, with what to do about it', async (t) => {
  const { startScheduler } = await import('@gluon/scheduler');
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => blocker.close());
  const port = (blocker.address() as net.AddressInfo).port;
  const err = await startScheduler({ port: 0, dashboardPort: port, log: () => {} }).catch((e: Error) => e);
  t.match((err as Error).message, new RegExp(`127\\.0\\.0\\.1:${port}[\\s\\S]*--dashboard-port`));
  const s = await startCli(t, ['--port', String(port)]).catch((e: Error) => e);
  t.match((s as Error).message, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: the port is in use`));
  t.notMatch((s as Error).message, /websocket server error/, 'said once, not first as a raw EADDRINUSE log line');
});
