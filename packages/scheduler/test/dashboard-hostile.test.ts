/**
 * The dashboard against requests from someone without its token: what they may change for the
 * browsers that have it. (Its Host, Origin, login and path checks: dashboard-server.test.ts.)
 */
import http from 'node:http';
import t from 'tap';
import { startDashboard } from '../src/dashboard/server.js';
import { MemorySource } from './fixtures/memory-source.js';

/** A WebSocket upgrade of `url` with these headers; resolves with the status it was answered. */
function upgrade(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version': '13', ...headers },
    });
    req.on('upgrade', (_res, socket) => {
      socket.destroy();
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
