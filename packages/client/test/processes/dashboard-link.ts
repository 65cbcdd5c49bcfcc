/**
 * A LocalCluster (and its clients) started with `dashboardLink`, the dashboard's public URL behind
 * a proxy: `dashboardUrl` reports the link, `dashboardDirectUrl` where the scheduler serves it,
 * and `performanceReport()` reads the dashboard there, not through the proxy (which here, as a
 * hub or a single-sign-on gateway would, wants a login of its own that the cluster's token does
 * not pass). Before, `dashboardLink` was refused as an unknown option and nothing could name the
 * proxy's address.
 */
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { LocalCluster, remoteFrom } from '@gluon/client';

const { inc } = remoteFrom<typeof import('@gluon/examples/tasks')>('@gluon/examples/tasks');
const TOKEN = 'dashboard-link-token';

t.test('dashboardUrl is the link; the report reads where the dashboard is served', async (t) => {
  // The "proxy": answers everything with its own login, and counts what reached it.
  let proxied = 0;
  const proxy = createServer((_req, res) => { proxied++; res.writeHead(401, { 'WWW-Authenticate': 'Bearer realm="hub"' }).end('log in to the hub first\n'); });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => proxy.close(() => r())));
  const proxyPort = (proxy.address() as { port: number }).port;

  const cluster = await LocalCluster.start({
    nWorkers: 1, token: TOKEN,
    dashboardLink: `http://127.0.0.1:${proxyPort}{HUB_PREFIX}{host}/{port}/`, env: { HUB_PREFIX: '/user/ana/' },
  });
  t.teardown(() => cluster.close());
  t.match(cluster.dashboardDirectUrl, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  const port = new URL(cluster.dashboardDirectUrl!).port;
  const link = `http://127.0.0.1:${proxyPort}/user/ana/127.0.0.1/${port}/`;
  t.equal(cluster.dashboardUrl, link, 'the cluster reports the link, with the scheduler\'s environment and port filled in');

  const client = await cluster.client();
  t.equal(client.dashboardUrl, link, 'so does its client (the welcome\'s dashboardLink)');
  t.equal(client.dashboardDirectUrl, cluster.dashboardDirectUrl);

  const dir = mkdtempSync(join(tmpdir(), 'gluon-dashboard-link-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'r.html');
  const got = await client.performanceReport(file, () => client.gather(client.map(inc, [1, 2, 3])));
  t.same(got, [2, 3, 4]);
  t.match(readFileSync(file, 'utf8'), /<html/, 'the report was written');
  t.equal(proxied, 0, 'nothing went through the proxy');
});

t.test('a link with an unknown field: start() fails naming it', async (t) => {
  await t.rejects(
    LocalCluster.start({ nWorkers: 0, dashboardLink: 'https://gluon.example.org/{HUB_PREFIX_NOT_SET}/', timeoutMs: 120_000 }),
    { message: /--dashboard-link: unknown field \{HUB_PREFIX_NOT_SET\}: it is not \{host\}, \{port\} or \{prefix\}, and no environment variable HUB_PREFIX_NOT_SET is set/ },
  );
  await t.rejects(LocalCluster.start({ nWorkers: 0, dashboardLink: 42 as never }), { message: /LocalCluster: dashboardLink must be a URL template/ });
  // Before: dropped unsaid, the cluster started, and clients were never given the link.
  await t.rejects(LocalCluster.start({ nWorkers: 0, dashboard: false, dashboardLink: 'https://gluon.example.org/{port}/' }),
    { name: 'RangeError', message: /^LocalCluster: dashboardLink with dashboard: false \(no dashboard is served, so there is nothing to link to\): leave one of them out$/ });
});

t.test('GLUON_DASHBOARD_LINK in the environment applies to a LocalCluster\'s scheduler too (as Dask\'s config does)', async (t) => {
  const cluster = await LocalCluster.start({ nWorkers: 0, env: { GLUON_DASHBOARD_LINK: 'http://127.0.0.1:1/from-env/{port}/' } });
  t.teardown(() => cluster.close());
  t.equal(cluster.dashboardUrl, `http://127.0.0.1:1/from-env/${new URL(cluster.dashboardDirectUrl!).port}/`);
});
