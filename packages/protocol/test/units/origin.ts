/**
 * Host and Origin checks on the protocol listeners (the scheduler's and each worker's port):
 * browser pages and DNS-rebinding names are refused before the handshake, with a 403 that says
 * why; programs (no Origin) using the listener's own address or a configured name get through.
 */
import t from 'tap';
import WebSocket from 'ws';
import { CloseCode, connect, HandshakeError, HostGuard, isPermanentRefusal, listen, parseAllowedHosts } from '@gluon/protocol';

/** Opens a raw WebSocket with extra headers; resolves 'open' or the HTTP status and body of the refusal. */
function attempt(url: string, headers: Record<string, string>): Promise<{ open: true } | { status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    const timer = setTimeout(() => { ws.terminate(); reject(new Error('no answer within 120 s')); }, 120_000);
    ws.on('open', () => { clearTimeout(timer); ws.terminate(); resolve({ open: true }); });
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => { clearTimeout(timer); resolve({ status: res.statusCode ?? 0, body }); });
    });
    ws.on('error', (e) => { clearTimeout(timer); reject(e); });
  });
}

t.test('a protocol listener refuses browser origins and foreign Host names', async (t) => {
  const logs: string[] = [];
  const l = await listen({ self: 'scheduler', roles: ['client'], welcome: () => ({ clientId: 'c1' }), log: (x) => logs.push(x), onConnection: (c) => c.close() });
  t.teardown(() => l.close());
  const port = l.port;

  t.same(await attempt(l.address, {}), { open: true }, 'a program with the bound address in Host');
  t.same(await attempt(l.address, { Host: `localhost:${port}` }), { open: true }, 'loopback names are fine on a loopback listener');

  const page = await attempt(l.address, { Origin: 'https://evil.example' });
  t.match(page, { status: 403 }, 'a page on another origin');
  t.match((page as { body: string }).body, /browser origin https:\/\/evil\.example refused/);

  const own = await attempt(l.address, { Origin: `http://127.0.0.1:${port}` });
  t.match(own, { status: 403 }, 'no web page may speak the protocol, whatever its origin');

  const rebind = await attempt(l.address, { Host: `attacker.example:${port}` });
  t.match(rebind, { status: 403 }, 'DNS rebinding: a foreign name resolved to this machine');
  t.match((rebind as { body: string }).body, /Host "attacker\.example:\d+" is not an address of this scheduler \(allowed: .*127\.0\.0\.1.*; add a name with --allowed-host\)/);
  t.ok(logs.some((x) => /refused connection from 127\.0\.0\.1:\d+: .*attacker\.example/.test(x)), 'the refusal is logged, with the port it came from (as the other lines of the log)');

  const err = await connect(l.address.replace('127.0.0.1', 'localhost'), { role: 'client' }).then(({ conn }) => { conn.close(); return null; }, (e) => e);
  t.equal(err, null, 'connect() through localhost works');
});

t.test('--allowed-host names are accepted; connect() reports a 403 with its reason', async (t) => {
  const l = await listen({ self: 'worker w1', roles: ['peer'], allowedHosts: ['gluon-node-7.example'], log: () => {}, onConnection: (c) => c.close() });
  t.teardown(() => l.close());
  t.same(await attempt(l.address, { Host: `gluon-node-7.example:${l.port}` }), { open: true });
  t.same(await attempt(l.address, { Host: `GLUON-node-7.example.:${l.port}` }), { open: true }, 'case and a final dot do not matter');
  t.match(await attempt(l.address, { Host: `other.example:${l.port}` }), { status: 403 });


  // connect() reads the refusal's body: a 403 is a configuration error, not a network blip.
  const http = await import('node:http');
  const server = http.createServer();
  server.on('upgrade', (_req, socket) => socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 29\r\nConnection: close\r\n\r\nscheduler: Host "x" refused\r\n'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => server.close());
  const err = await connect(`ws://127.0.0.1:${(server.address() as { port: number }).port}`, { role: 'client' }, { label: 'scheduler X' }).catch((e) => e);
  t.type(err, HandshakeError);
  t.equal(err.code, CloseCode.forbidden);
  t.equal(err.message, 'scheduler X refused the connection (HTTP 403): scheduler: Host "x" refused');
});

t.test('connect() to a plain web server (HTTP 200, an HTML page) names it as no Gluon scheduler, by its title, and gives up', async (t) => {
  // What `python3 -m http.server` answers an upgrade with (found by the new-user trial): the
  // directory listing. It was pasted whole into the message, and, a 200 not counting as a
  // permanent refusal, a worker retried it for ever, logging the page each time.
  const http = await import('node:http');
  const page = '<!DOCTYPE HTML>\n<html lang="en">\n<head>\n<title>Directory listing for /</title>\n</head>\n<body><ul><li>data_A.4lep.root</li></ul></body>\n</html>\n';
  const server = http.createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(page));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => server.close());
  const err = await connect(`ws://127.0.0.1:${(server.address() as { port: number }).port}`, { role: 'client' }, { label: 'scheduler X' }).catch((e) => e);
  t.type(err, HandshakeError);
  t.equal(err.httpStatus, 200);
  t.match(err.message, /^scheduler X refused the connection \(HTTP 200\): an HTML page titled "Directory listing for \/"; no Gluon scheduler listens at this address \(is it the dashboard's port\?/);
  t.notMatch(err.message, /<|data_A/, 'the page itself is not in the message');
  t.ok(isPermanentRefusal(err.code, err.httpStatus), 'a permanent refusal: retrying cannot make a web server a scheduler');
  t.notOk(isPermanentRefusal(CloseCode.protocolError, 503), 'a 5xx (a proxy whose scheduler restarts) is still retried');
});

t.test('HostGuard: bound address, loopback, wildcard binds, the dashboard\'s same-origin rule', async (t) => {
  const req = (host: string | undefined, origin?: string) => ({ headers: { ...(host ? { host } : {}), ...(origin ? { origin } : {}) } });
  const lo = new HostGuard({ self: 'dashboard', bindHost: '127.0.0.1' });
  t.equal(lo.checkHost(req('127.0.0.1:8787')), null);
  t.equal(lo.checkHost(req('127.0.0.53:8787')), null, 'any 127/8 address');
  t.equal(lo.checkHost(req('[::1]:8787')), null);
  t.equal(lo.checkHost(req('localhost')), null);
  t.match(lo.checkHost(req(undefined)), /no Host header/);
  t.match(lo.checkHost(req('10.1.2.3:8787')), /not an address of this dashboard/);

  const lan = new HostGuard({ self: 'scheduler', bindHost: '10.9.8.7', allowedHosts: ['sched.example'] });
  t.equal(lan.checkHost(req('10.9.8.7:8786')), null);
  t.equal(lan.checkHost(req('sched.example:8786')), null);
  t.match(lan.checkHost(req('localhost:8786')), /not an address/, 'loopback names are not this machine\'s names on a LAN bind');
  // Through `ssh -L 8787:10.9.8.7:8787` the browser names localhost (found by the new-user trial:
  // the docs' tunnel was refused with no word of what lets it in).
  t.equal(lan.checkHost(req('localhost:8786')), 'scheduler: Host "localhost:8786" is not an address of this scheduler '
    + '(allowed: 10.9.8.7, sched.example; came through a tunnel (ssh -L PORT:10.9.8.7:PORT)? allow it with --allowed-host localhost)');
  t.match(lan.checkHost(req('127.0.0.1:8786')), /allow it with --allowed-host 127\.0\.0\.1\)$/);
  t.match(lan.checkHost(req('other.example:8786')), /; add a name with --allowed-host\)$/, 'other names get the general advice');
  t.equal(new HostGuard({ self: 'dashboard', bindHost: '10.9.8.7', allowedHosts: ['localhost'] }).checkHost(req('localhost:8787')), null, '--allowed-host localhost lets the tunnel in');
  t.match(new HostGuard({ self: 'dashboard', bindHost: 'fd00::5' }).checkHost(req('localhost:8787')), /ssh -L PORT:\[fd00::5\]:PORT/);

  const v6 = new HostGuard({ self: 'scheduler', bindHost: 'fd00::5', allowedHosts: ['fd00::6'] });
  t.equal(v6.checkHost(req('[fd00::5]:8786')), null);
  t.equal(v6.checkHost(req('[FD00::6]:8786')), null);

  const any = new HostGuard({ self: 'scheduler', bindHost: '0.0.0.0' });
  t.equal(any.checkHost(req('127.0.0.1:1')), null, 'a wildcard bind answers to loopback');
  t.match(any.checkHost(req('evil.example')), /this machine's host name and interface addresses/);

  t.equal(lo.checkOrigin(req('127.0.0.1:8787', 'http://127.0.0.1:8787'), 'same'), null, 'the dashboard\'s own page');
  t.equal(lo.checkOrigin(req('127.0.0.1:8787'), 'same'), null, 'no Origin: not a browser');
  t.match(lo.checkOrigin(req('127.0.0.1:8787', 'http://127.0.0.1:9999'), 'same'), /cross-origin request from http:\/\/127\.0\.0\.1:9999 refused/, 'another port is another origin');
  t.match(lo.checkOrigin(req('127.0.0.1:8787', 'null'), 'same'), /cross-origin/);
  const proxied = new HostGuard({ self: 'dashboard', bindHost: '127.0.0.1', allowedHosts: ['gluon.example.org'] });
  t.equal(proxied.checkOrigin(req('127.0.0.1:8787', 'https://gluon.example.org'), 'same'), null, 'a reverse proxy\'s configured name');

  t.same(parseAllowedHosts(['a.example', '10.0.0.1', 'fd00::1', 'node-7']), ['a.example', '10.0.0.1', 'fd00::1', 'node-7']);
  t.throws(() => parseAllowedHosts(['http://a.example']), /--allowed-host must be a host name or an IP address \(no scheme, port or path\), got "http:\/\/a\.example"/);
  t.throws(() => parseAllowedHosts(['a.example:80']), /got "a\.example:80"/);
  t.equal(CloseCode.forbidden, 4006);
});
