/**
 * The performance report's page as the dashboard serves it (`api/report-shell`): behind the
 * token, every asset the page loads inlined (no URL left to fetch), a CSP that forbids the
 * network, and the empty slot the client fills with its recording.
 */
import { readdirSync } from 'node:fs';
import t from 'tap';
import { REPORT_SHELL_PATH, REPORT_SLOT } from '@gluon/protocol';
import { assetsDir } from '../../src/dashboard/assets.js';
import { startDashboard } from '../../src/dashboard/server.js';
import { MemorySource } from '../fixtures/memory-source.js';

t.test('api/report-shell: the page with its assets inlined, behind the token', async (t) => {
  const d = await startDashboard(new MemorySource(), { host: '127.0.0.1', port: 0, token: 'shell-token', feed: { intervalMs: 3_600_000 } });
  t.teardown(() => d.close());
  const url = new URL(REPORT_SHELL_PATH, d.url).href;
  t.equal((await fetch(url)).status, 401, 'refused without the token');
  const res = await fetch(url, { headers: { authorization: 'Bearer shell-token' } });
  t.equal(res.status, 200);
  t.match(res.headers.get('content-type'), /^text\/html/);
  const html = await res.text();
  t.ok(html.includes(`<script type="application/json" id="gluon-recording">${REPORT_SLOT}</script>`), 'the recording slot');
  t.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline' data:;/, 'a CSP that allows no request');
  t.ok(html.indexOf('<meta charset="utf-8">') < 1024, 'the charset declaration stays in the first 1024 bytes');
  t.notMatch(html, /\b(?:src|href)="(?!data:)/, 'no src or href left that is not a data: URL');
  t.notMatch(html, /Log out/, 'no logout button in a report');
  const map = JSON.parse(/<script type="importmap">([\s\S]*?)<\/script>/.exec(html)![1]!) as { imports: Record<string, string> };
  const modules = readdirSync(assetsDir()).filter((n) => n.endsWith('.js')).map((n) => `@gluon-report/assets/${n}`).sort();
  t.same(Object.keys(map.imports).sort(), modules, 'every module of the page is in the import map');
  for (const [name, src] of Object.entries(map.imports)) {
    const text = Buffer.from(src.replace(/^data:text\/javascript;base64,/, ''), 'base64').toString('utf8');
    t.notMatch(text, /(?:from|import)\s*\(?\s*['"]\.{1,2}\//, `${name}: no relative import left`);
  }
  t.match(html, /<script type="module">import '@gluon-report\/assets\/dashboard\.js';<\/script>/, 'the entry point imports its import-map name');
});
