/**
 * test/helpers/closed-port.ts: the port the tests dial for a refused connection is one no
 * listen(0) and no outgoing connection is ever given (outside the ephemeral range), and it is
 * refused. The tests took a port from a listener on port 0 and closed it: always inside that
 * range (the first case shows it), free for another process's listen(0) on this shared machine
 * and for a dialling client's own local port (a TCP self-connect).
 */
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { CLOSED_PORT, closedPort } from '../helpers/closed-port.js';

const RANGE = '/proc/sys/net/ipv4/ip_local_port_range';

t.test('the port lies outside the ephemeral range, where a listener on port 0 is given its port', { skip: existsSync(RANGE) ? false : `no ${RANGE}` }, async (t) => {
  const [low, high] = readFileSync(RANGE, 'utf8').trim().split(/\s+/).map(Number) as [number, number];
  const port = await closedPort();
  t.equal(port, CLOSED_PORT);
  t.ok(port < low || port > high, `${port} is outside ${low}-${high}`);
  // What the tests used before: a port from listen(0), then closed. It lies inside the range.
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const given = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  t.ok(given >= low && given <= high, `a listen(0) port (${given}) is inside it: the range is read right`);
});

t.test('a connection to it is refused', async (t) => {
  const code = await new Promise<string | undefined>((resolve) => {
    const sock = connect(CLOSED_PORT, '127.0.0.1');
    sock.on('connect', () => { sock.destroy(); resolve('connected'); });
    sock.on('error', (e: NodeJS.ErrnoException) => resolve(e.code));
  });
  t.equal(code, 'ECONNREFUSED');
});

t.test('fetch dials it too (not a port the Fetch standard blocks, as it does 1) and is refused', async (t) => {
  const err = await fetch(`http://127.0.0.1:${CLOSED_PORT}/`).then(() => undefined, (e: unknown) => e as Error);
  t.equal((err?.cause as NodeJS.ErrnoException | undefined)?.code, 'ECONNREFUSED', String(err?.cause ?? err));
});
