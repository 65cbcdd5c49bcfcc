/**
 * Gluon connects directly, never through an HTTP proxy, and a failed connection says so when the
 * environment names a proxy for it (found by the proxy trial: with HTTPS_PROXY set, a client
 * reported only `connect ECONNREFUSED`, and nothing said the proxy had not been used).
 */
import http from 'node:http';
import net from 'node:net';
import t from 'tap';
import { connect, HandshakeError } from '@gluon/protocol';
import { ignoredProxyNote } from '../../src/proxy-env.js';
import { closedPort } from '../../../../test/helpers/closed-port.js';

t.test('which variable counts for which URL, and NO_PROXY', async (t) => {
  const note = (url: string, env: NodeJS.ProcessEnv) => ignoredProxyNote(url, env);
  t.equal(note('wss://10.0.0.1:8786', {}), '', 'nothing set: nothing to say');
  t.equal(note('wss://10.0.0.1:8786', { HTTPS_PROXY: 'http://proxy:3128' }),
    ' (HTTPS_PROXY is set, but Gluon connects directly, without proxies: 10.0.0.1 must be reachable from here; docs/across-hosts.md#http-proxies)');
  t.match(note('ws://sched.example.org:8786', { http_proxy: 'http://proxy:3128' }), /^ \(http_proxy is set/);
  t.equal(note('ws://10.0.0.1:8786', { HTTPS_PROXY: 'http://proxy:3128' }), '', 'HTTPS_PROXY is not for ws://');
  t.match(note('ws://10.0.0.1:8786', { ALL_PROXY: 'socks5://proxy:1080' }), /^ \(ALL_PROXY is set/);
  t.equal(note('wss://10.0.0.1:8786', { HTTPS_PROXY: '  ' }), '', 'blank is unset');
  t.equal(note('wss://node3.cluster.example:8786', { HTTPS_PROXY: 'http://p:3128', NO_PROXY: 'localhost,.cluster.example' }), '', 'a domain in NO_PROXY');
  t.equal(note('wss://cluster.example:8786', { HTTPS_PROXY: 'http://p:3128', no_proxy: 'cluster.example:8786' }), '', 'a host with a port in no_proxy');
  t.equal(note('wss://10.0.0.1:8786', { HTTPS_PROXY: 'http://p:3128', NO_PROXY: '*' }), '');
  t.equal(note('wss://[::1]:8786', { HTTPS_PROXY: 'http://p:3128', NO_PROXY: '::1' }), '', 'an IPv6 address');
  t.equal(note('wss://[fd00::5]:8786', { HTTPS_PROXY: 'http://p:3128', NO_PROXY: '[fd00::5]:8786' }), '', 'one in brackets with a port');
  t.match(note('wss://10.0.0.10:8786', { HTTPS_PROXY: 'http://p:3128', NO_PROXY: '10.0.0.1' }), /HTTPS_PROXY is set/, 'an address is not a prefix');
  // A range, as curl, Python and Go take it (NO_PROXY=10.201.0.0/24 was ignored: the note said a
  // proxy was skipped for an address the user had exempted; found deploying across hosts).
  t.equal(note('wss://10.201.0.1:8786', { HTTPS_PROXY: 'http://p:3128', NO_PROXY: 'localhost,10.201.0.0/24' }), '', 'an IPv4 range');
  t.match(note('wss://10.202.0.1:8786', { HTTPS_PROXY: 'http://p:3128', NO_PROXY: '10.201.0.0/24' }), /HTTPS_PROXY is set/, 'an address outside the range');
  t.equal(note('wss://[fd00::5]:8786', { HTTPS_PROXY: 'http://p:3128', NO_PROXY: 'fd00::/8' }), '', 'an IPv6 range');
  t.match(note('wss://node3.cluster.example:8786', { HTTPS_PROXY: 'http://p:3128', NO_PROXY: '10.0.0.0/8' }), /HTTPS_PROXY is set/, 'a range says nothing of a name');
  t.match(note('wss://10.0.0.1:8786', { HTTPS_PROXY: 'http://p:3128', NO_PROXY: '10.0.0.0/33' }), /HTTPS_PROXY is set/, 'a prefix too long for IPv4 matches nothing');
  t.equal(note('ws+unix:/tmp/gluon.sock:/', { HTTP_PROXY: 'http://p:3128' }), '', 'a Unix socket has no proxy');
});

t.test('a refused connection with HTTP_PROXY set names it, and the proxy was not used', async (t) => {
  const tunnels: string[] = [];
  const proxy = http.createServer((_req, res) => res.writeHead(400).end());
  proxy.on('connect', (req, sock: net.Socket) => { tunnels.push(String(req.url)); sock.destroy(); });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  t.teardown(() => { proxy.close(); });
  // A port nothing listens on, that no listen(0) is given (test/helpers/closed-port.ts); not one
  // a closed listener had, which another process's listen(0) could be given meanwhile.
  const port = await closedPort();

  const saved = { HTTP_PROXY: process.env.HTTP_PROXY, NO_PROXY: process.env.NO_PROXY };
  t.teardown(() => {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
  });
  process.env.HTTP_PROXY = `http://127.0.0.1:${(proxy.address() as net.AddressInfo).port}`;
  delete process.env.NO_PROXY;
  const fail = async () => {
    const err = await connect(`ws://127.0.0.1:${port}`, { role: 'peer' }, { timeoutMs: 60_000, log: () => {} }).then(({ conn }) => { conn.close(); return null; }, (e: unknown) => e);
    if (!(err instanceof HandshakeError)) throw new Error(`expected a HandshakeError, got ${String(err)}`);
    return err.message;
  };
  t.match(await fail(), new RegExp(`^cannot connect to ws://127\\.0\\.0\\.1:${port}: connect ECONNREFUSED 127\\.0\\.0\\.1:${port} \\(HTTP_PROXY is set, but Gluon connects directly, without proxies: 127\\.0\\.0\\.1 must be reachable from here; docs/across-hosts\\.md#http-proxies\\)$`));
  t.same(tunnels, [], 'no CONNECT reached the proxy');
  process.env.NO_PROXY = 'localhost,127.0.0.1';
  t.equal(await fail(), `cannot connect to ws://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`, 'exempted by NO_PROXY: no note');
});
