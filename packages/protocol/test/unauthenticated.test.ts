/**
 * The listeners' bound on connections that have not authenticated (unauthenticated.ts), over real
 * sockets: a handshaken connection, over TLS too (where what is held is the TCP socket under the
 * TLS one), is never closed for room; with no descriptor left, the process's oldest go, from any
 * listener.
 */
import net from 'node:net';
import t from 'tap';
import { connect, DESCRIPTOR_HEADROOM, listen, unauthenticatedFigures, readTlsMaterial, temporaryTls, UnauthenticatedConnections, type Connection, type Listener, type TlsOptions } from '@gluon/protocol';
import { until } from '../../../test/helpers/until.js';

interface Idle { socket: net.Socket; closed(): boolean }

/** A TCP connection to `port` that says nothing, once connected. */
async function idleTo(port: number): Promise<Idle> {
  const socket = net.connect(port, '127.0.0.1');
  let closed = false;
  socket.on('error', () => {});
  socket.on('close', () => { closed = true; });
  await new Promise((resolve) => socket.once('connect', resolve));
  return { socket, closed: () => closed };
}

for (const secure of [false, true]) {
  t.test(`${secure ? 'wss' : 'ws'}: past the bound the oldest idle connections go; a handshaken one never does`, async (t) => {
    const BOUND = 2;
    let tls: TlsOptions | undefined;
    if (secure) {
      const files = await temporaryTls();
      t.teardown(() => files.remove());
      tls = readTlsMaterial(files);
    }
    const lines: string[] = [];
    const served: Connection[] = [];
    const l: Listener = await listen({
      self: 'test', roles: ['peer'], token: 'sekrit', maxUnauthenticatedConnections: BOUND, log: (line) => lines.push(line),
      ...(tls ? { tls } : {}), onConnection: (conn) => { served.push(conn); },
    });
    t.teardown(() => l.close());
    const client = await connect(l.address, { role: 'peer' }, { token: 'sekrit', log: () => {}, ...(tls ? { tls: { ca: tls.ca! } } : {}) });
    t.teardown(() => client.conn.close());
    const idle: Idle[] = [];
    for (let i = 0; i < 3 * BOUND; i++) idle.push(await idleTo(l.port));
    t.teardown(() => { for (const c of idle) c.socket.destroy(); });
    await until(() => idle.slice(0, 2 * BOUND).every((c) => c.closed()), `the ${2 * BOUND} oldest idle connections closed`);
    await until(() => lines.some((line) => / that had not authenticated /.test(line)), 'the line saying so');
    t.same(idle.map((c) => c.closed()), [...Array(2 * BOUND).fill(true), ...Array(BOUND).fill(false)], `the newest ${BOUND} stay`);
    t.notOk(client.conn.closed, 'the handshaken peer is never closed for room');
    t.equal(served.length, 1);
    t.notOk(served[0]!.closed, 'nor is its connection on the listener\'s side');
    t.match(lines.find((line) => / that had not authenticated /.test(line)), new RegExp(`^the test's port ${l.address.replace(/[.[\]]/g, '\\$&')}: closed ${2 * BOUND} connections .*past its bound of ${BOUND} .*; ${BOUND} unauthenticated held now`));
    // It says what those connections had not done on this listener: no TLS on a plain port.
    t.match(lines.find((line) => / that had not authenticated /.test(line)), secure
      ? / that had not authenticated \(no TLS handshake or no hello with the token yet\), /
      : / that had not authenticated \(no hello with the token yet\), /, 'what they lacked, for this listener');
    t.same(unauthenticatedFigures().find((f) => f.listener === l.address), { listener: l.address, held: BOUND, bound: BOUND, closed: { 'past-bound': 2 * BOUND, 'no-descriptor': 0 } }, 'its figures, for /metrics');
    await l.close();
    t.notOk(unauthenticatedFigures().some((f) => f.listener === l.address), 'and none once it is closed');
  });
}

t.test('with no descriptor left, the process\'s oldest unauthenticated connections go, from any listener, and the new one stays', async (t) => {
  let descriptorLeft = true;
  const lines: string[] = [];
  const servers: net.Server[] = [];
  const gate = async (name: string): Promise<{ gate: UnauthenticatedConnections; port: number }> => {
    const g = new UnauthenticatedConnections(name, 100, (line) => lines.push(line), () => descriptorLeft);
    const server = net.createServer((socket) => g.arrived(socket));
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.teardown(() => { g.close(); server.close(); });
    return { gate: g, port: (server.address() as net.AddressInfo).port };
  };
  const a = await gate('listener A');
  const b = await gate('listener B');
  const onA: Idle[] = [];
  const onB: Idle[] = [];
  for (let i = 0; i < 5; i++) onA.push(await idleTo(a.port));
  for (let i = 0; i < 5; i++) onB.push(await idleTo(b.port));
  t.teardown(() => { for (const c of [...onA, ...onB]) c.socket.destroy(); });
  await until(() => a.gate.count === 5 && b.gate.count === 5, 'both listeners holding their five');
  descriptorLeft = false;
  const last = await idleTo(b.port);
  t.teardown(() => last.socket.destroy());
  await until(() => b.gate.count < 6 && [...onA, ...onB].filter((c) => c.closed()).length === DESCRIPTOR_HEADROOM, `${DESCRIPTOR_HEADROOM} closed`);
  t.same([...onA, ...onB].map((c) => c.closed()), [true, true, true, true, true, true, true, true, false, false], 'the oldest eight, A\'s five first');
  t.notOk(last.closed(), 'never the one that arrived');
  t.same([a.gate.count, b.gate.count], [0, 3]);
  await until(() => lines.length === 2, 'a line from each listener');
  t.match(lines.find((l) => l.startsWith('listener A')), /^listener A: closed 5 connections .*: 5 because a new connection took the process's last file descriptor/);
  t.match(lines.find((l) => l.startsWith('listener B')), /^listener B: closed 3 connections .*: 3 because a new connection took the process's last file descriptor/);
});
