/**
 * The dashboard against requests from someone without its token: what they may change for the
 * browsers that have it, and what refusing them may cost it. (Its Host, Origin, login and path
 * checks: dashboard-server.ts.)
 */
import http from 'node:http';
import net from 'node:net';
import t from 'tap';
import { startDashboard } from '../../src/dashboard/server.js';
import { MemorySource } from '../fixtures/memory-source.js';
import { answeredAndDropped } from '../../../../test/helpers/half-open.js';
import { until } from '../../../../test/helpers/until.js';

/** A WebSocket upgrade of `url` with these headers; resolves with the status it was answered. */
function upgrade(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version': '13', ...headers },
    });
    req.on('upgrade', (_res, socket) => {
      // Kept open (a feed that counts) while the dashboard runs; its close() ends it.
      socket.on('error', () => {});
      resolve(101);
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

t.test('a cross-origin feed request without the token does not set the feed problem the pages are told, nor use up its log line', async (t) => {
  // The page does not fall back to Server-Sent Events when api/state says its origin was refused:
  // anyone who could reach the port set that for 60 s per request, for every browser.
  const lines: string[] = [];
  const d = await startDashboard(new MemorySource(), { host: '127.0.0.1', port: 0, token: 'sekrit', log: (l) => lines.push(l), feed: { intervalMs: 3_600_000 } });
  t.teardown(() => d.close());
  const problem = async () => (await fetch(`${d.url}api/state`, { method: 'HEAD', headers: { authorization: 'Bearer sekrit' } })).headers.get('gluon-feed-problem');
  t.equal(await upgrade(`${d.url}live`, { Origin: 'http://attacker.example' }), 403, 'refused');
  t.equal(await problem(), null, 'api/state tells the pages nothing');
  t.same(lines, [], 'and the log says nothing');
  // With the dashboard's credentials (a page behind a proxy that forwards its own Host): said.
  t.equal(await upgrade(`${d.url}live`, { Origin: 'http://proxy.example', Authorization: 'Bearer sekrit' }), 403, 'refused');
  t.equal(await problem(), 'origin-refused', 'api/state tells the page');
  t.equal(lines.length, 1, 'and the log says it once');
  t.match(lines[0], /refused a page at http:\/\/proxy\.example/);
});

t.test('a refused feed upgrade is answered and its connection closed for good, even when the peer keeps its side open', async (t) => {
  // The answer used to end only the dashboard's side: every refused upgrade from a peer that kept
  // its own open (no token needed) held a file descriptor of the scheduler for ever.
  const d = await startDashboard(new MemorySource(), { host: '127.0.0.1', port: 0, token: 'sekrit', log: () => {}, feed: { intervalMs: 3_600_000 }, maxFeeds: 1 });
  t.teardown(() => d.close());
  const port = Number(new URL(d.url).port);
  const up = (path: string, host: string, auth = '') => `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n${auth}Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`;
  const here = `127.0.0.1:${port}`;
  const token = 'Authorization: Bearer sekrit\r\n';
  // The one feed allowed, so that the next is refused for the cap.
  t.equal(await upgrade(`${d.url}live`, { Authorization: 'Bearer sekrit' }), 101, 'the one feed allowed opens');
  const cases: Array<[string, string, RegExp]> = [
    ['a Host that is not the dashboard\'s', up('/live', 'attacker.example'), /^HTTP\/1\.1 403 /],
    ['a cross-origin page', up('/live', here, 'Origin: http://attacker.example\r\n'), /^HTTP\/1\.1 403 /],
    ['no token', up('/live', here), /^HTTP\/1\.1 401 /],
    ['a path that is not the feed', up('/nope', here, token), /^HTTP\/1\.1 404 /],
    ['every feed taken', up('/live', here, token), /^HTTP\/1\.1 503 /],
  ];
  for (const [what, request, expected] of cases) t.match(await answeredAndDropped(port, request), expected, `${what}: answered, then closed`);
});

/** A TCP connection to `port`, once connected; `closed()` says whether the dashboard has closed it. */
async function tcpTo(port: number, send = ''): Promise<{ socket: net.Socket; closed(): boolean; answer(): string }> {
  const socket = net.connect(port, '127.0.0.1');
  let closed = false;
  let answer = '';
  socket.on('error', () => {});
  socket.on('close', () => { closed = true; });
  socket.on('data', (d) => { answer += d.toString('latin1'); });
  await new Promise((resolve) => socket.once('connect', resolve));
  if (send) socket.write(send);
  return { socket, closed: () => closed, answer: () => answer };
}

t.test('past maxUnauthenticatedConnections the oldest connections without a login are closed; a logged-in feed never is', async (t) => {
  // Anyone could hold every descriptor of the scheduler through its dashboard's port, without a token.
  const BOUND = 4;
  const lines: string[] = [];
  const d = await startDashboard(new MemorySource(), { host: '127.0.0.1', port: 0, token: 'sekrit', log: (l) => lines.push(l), feed: { intervalMs: 3_600_000 }, maxUnauthenticatedConnections: BOUND });
  t.teardown(() => d.close());
  const port = Number(new URL(d.url).port);
  const request = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${extra}`;
  const upgrade = 'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';
  // A live feed with the token (a logged-in page's), and a keep-alive connection that asked with a wrong one.
  const feed = await tcpTo(port, request('/live', `Authorization: Bearer sekrit\r\n${upgrade}`));
  await until(() => feed.answer().startsWith('HTTP/1.1 101 '), 'the feed with the token opening');
  const wrong = await tcpTo(port, request('/api/state', 'Authorization: Bearer wrong\r\n\r\n'));
  await until(() => wrong.answer().startsWith('HTTP/1.1 401 '), 'the wrong token refused');
  const idle: Array<Awaited<ReturnType<typeof tcpTo>>> = [];
  for (let i = 0; i < 2 * BOUND; i++) idle.push(await tcpTo(port));
  // The one with the wrong token is the oldest unauthenticated: it goes first, then the oldest idle ones.
  await until(() => wrong.closed() && idle.slice(0, BOUND).every((c) => c.closed()), `the ${BOUND + 1} oldest without a login closed`);
  await until(() => lines.length > 0, 'the line saying so');
  // Closed for room means closed without a word; the dashboard's 10 s request timeout answers 408
  // (a loaded machine may reach it before this line), which is not what is looked for.
  const shed = (c: { closed(): boolean; answer(): string }) => c.closed() && c.answer() === '';
  t.same(idle.map(shed), [...Array(BOUND).fill(true), ...Array(BOUND).fill(false)], `the newest ${BOUND} stay`);
  t.notOk(feed.closed(), 'the logged-in feed is never closed for room');
  t.match(lines.join('\n'), new RegExp(`^the dashboard's port http://127\\.0\\.0\\.1:${port}: closed ${BOUND + 1} connections that had not authenticated \\(no login or request with the token yet\\), .*past its bound of ${BOUND} `), 'one line, naming the port, what they lacked (no hello on a dashboard) and the count');

  // /metrics says it too. The scrape's own connection arrives unauthenticated, so it closes one
  // more idle one (the oldest left), then is admitted with its token: 3 idle ones held.
  const metrics = await (await fetch(new URL('metrics', d.url), { headers: { authorization: 'Bearer sekrit' } })).text();
  const listener = `listener="http://127.0.0.1:${port}"`;
  for (const line of [`gluon_unauthenticated_connections{${listener}} ${BOUND - 1}`, `gluon_unauthenticated_connections_max{${listener}} ${BOUND}`,
    `gluon_unauthenticated_connections_closed_total{${listener},reason="past-bound"} ${BOUND + 2}`, `gluon_unauthenticated_connections_closed_total{${listener},reason="no-descriptor"} 0`]) {
    t.match(metrics, new RegExp(`^${line.replace(/[{}.]/g, '\\$&')}$`, 'm'), `/metrics: ${line}`);
  }
  for (const c of [feed, wrong, ...idle]) c.socket.destroy();
});
