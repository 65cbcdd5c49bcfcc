/**
 * A listener on a Unix domain socket (`listenUnix`), as the scheduler's `--unix-socket` and
 * LocalCluster use for processes on the same machine: the same handshake as over TCP (token
 * included), the socket file its owner's only, an existing file refused, and the file gone
 * once the listener closes.
 */
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { connect, HandshakeError, isUnixSocketAddress, listenUnix, unixSocketAddress, type Connection } from '@gluon/protocol';

const unix = process.platform !== 'win32';

t.test('clients connect through a Unix socket, with the handshake and token of a TCP listener', { skip: !unix && 'no Unix sockets on Windows' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gluon-unix-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'scheduler.sock');
  const got: string[] = [];
  const l = await listenUnix(path, {
    self: 'scheduler', roles: ['client'], token: 's3cret', log: () => {},
    welcome: () => ({ clientId: 'c1' }),
    onConnection: (conn: Connection) => conn.on('message', (m: { op: string; keys?: string[] }) => {
      got.push(m.op);
      conn.reply(m as never, { op: 'who-has-reply', whoHas: {} });
    }),
  });
  t.equal(l.address, `ws+unix:${path}:/`);
  t.equal(l.address, unixSocketAddress(path));
  t.ok(isUnixSocketAddress(l.address));
  t.notOk(isUnixSocketAddress('ws://127.0.0.1:8786'));
  t.equal(statSync(path).mode & 0o777, 0o600, 'the socket file is its owner\'s only');

  const { conn, welcome } = await connect(l.address, { role: 'client' }, { token: 's3cret' });
  t.equal(welcome.clientId, 'c1');
  const reply = await conn.request({ op: 'who-has', keys: [] });
  t.equal(reply.op, 'who-has-reply', 'messages go both ways');
  t.same(got, ['who-has']);
  conn.close();

  const refused = await connect(l.address, { role: 'client' }, { token: 'wrong' }).then(() => null, (e: unknown) => e);
  t.type(refused, HandshakeError, 'the token is checked as over TCP');
  t.match((refused as Error).message, /bad token/);

  await l.close();
  t.notOk(existsSync(path), 'the socket file is removed when the listener closes');
});

t.test('a file already at the path is refused, not replaced', { skip: !unix && 'no Unix sockets on Windows' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gluon-unix-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'taken.sock');
  writeFileSync(path, 'not a socket');
  await t.rejects(listenUnix(path, { self: 'scheduler', roles: ['client'], log: () => {}, onConnection: () => {} }),
    { message: `cannot listen on the Unix socket ${path}: a file is already there (a scheduler running, or one that died without removing it)` });
  t.ok(existsSync(path), 'the file is left as it was');
});

t.test('no TLS on a Unix socket', { skip: !unix && 'no Unix sockets on Windows' }, async (t) => {
  await t.rejects(listenUnix('/nonexistent/x.sock', { self: 'scheduler', roles: ['client'], tls: { cert: 'x', key: 'y' } as never, log: () => {}, onConnection: () => {} }),
    { message: 'a Unix socket listener (/nonexistent/x.sock) does not speak TLS; it is for processes on this machine' });
});
