/**
 * nginx in front of a dashboard that requires client certificates (--require-client-cert), with
 * the upstream lines docs/across-hosts.md gives, read from it: the proxy presents its own
 * certificate of the cluster's CA and checks the scheduler's. Found by a new user putting nginx in
 * front of such a scheduler: the page named only proxy_ssl_certificate, proxy_ssl_certificate_key
 * and proxy_ssl_trusted_certificate, which check nothing without proxy_ssl_verify; with it, nginx
 * 1.22 matches only DNS names, so a scheduler dialled by address answered every page with 502
 * until proxy_ssl_name named a DNS name of its certificate.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { makeCa, makeCert } from '@gluon/protocol';
import { startDashboard } from '../../src/dashboard/server.js';
import { MemorySource } from '../fixtures/memory-source.js';
import { nginxSkip, startNginx } from '../fixtures/nginx.js';

const doc = readFileSync(resolve(dirname(fileURLToPath(import.meta.url)), '../../../../docs/across-hosts.md'), 'utf8');

/** The doc's nginx lines for a dashboard with --require-client-cert (its block naming proxy_ssl_verify). */
function docLines(): string[] {
  const block = [...doc.matchAll(/```nginx\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => b.includes('proxy_ssl_verify'));
  if (!block) throw new Error('docs/across-hosts.md has no nginx block with proxy_ssl_verify');
  return block.split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean);
}

t.test('the doc names every line a proxy in front of a dashboard with mutual TLS needs', async (t) => {
  const names = docLines().map((l) => l.split(/\s+/)[0]);
  t.same(names, ['proxy_pass', 'proxy_ssl_certificate', 'proxy_ssl_certificate_key', 'proxy_ssl_trusted_certificate', 'proxy_ssl_verify', 'proxy_ssl_name']);
});

t.test('nginx with the doc\'s lines reaches a dashboard that requires client certificates; without proxy_ssl_name or the certificate, it says why', { skip: nginxSkip() }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gluon-nginx-mtls-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const ca = await makeCa(dir);
  // The scheduler's certificate names its address and a DNS name, as the doc's example does.
  const sched = await makeCert(dir, ca, 'sched', ['127.0.0.1', 'localhost']);
  const proxyCert = await makeCert(dir, ca, 'proxy', ['127.0.0.1']);
  const tls = { cert: readFileSync(sched.cert), key: readFileSync(sched.key), ca: readFileSync(ca.cert), requireClientCert: true };
  const d = await startDashboard(new MemorySource(), { host: '127.0.0.1', port: 0, tls, log: () => {} });
  t.teardown(() => d.close());
  const upstream = new URL(d.url).origin;
  t.match(upstream, /^https:\/\/127\.0\.0\.1:\d+$/);

  const ours = (lines: string[]) => lines.map((l) => `      ${l
    .replace('https://10.0.0.1:8787', upstream)
    .replace('/etc/nginx/gluon-proxy.pem', proxyCert.cert)
    .replace('/etc/nginx/gluon-proxy.key', proxyCert.key)
    .replace('/etc/gluon/ca.pem', ca.cert)
    .replace('sched.cluster.example', 'localhost')}`).join('\n');

  const asDocumented = await startNginx(t, ours(docLines()), '/');
  const page = await fetch(`${asDocumented.origin}/`);
  t.equal(page.status, 200, 'the page through the proxy');
  t.match(await page.text(), /Gluon/);
  t.equal((await fetch(`${asDocumented.origin}/api/state`)).status, 200, 'and its state');

  const noName = await startNginx(t, ours(docLines().filter((l) => !l.startsWith('proxy_ssl_name'))), '/');
  t.equal((await fetch(`${noName.origin}/`)).status, 502, 'without proxy_ssl_name: 502');
  t.match(noName.errorLog(), /upstream SSL certificate does not match "127\.0\.0\.1" while SSL handshaking to upstream/, 'its error log says what the doc says');

  const noCert = await startNginx(t, ours(docLines().filter((l) => !/^proxy_ssl_certificate(_key)? /.test(l))), '/');
  const refused = await fetch(`${noCert.origin}/`);
  t.equal(refused.status, 403, 'without the proxy\'s certificate: 403');
  t.match(await refused.text(), /^client certificate required: the dashboard requires a certificate signed by its CA/);
});
