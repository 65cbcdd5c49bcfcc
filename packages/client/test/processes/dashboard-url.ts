/**
 * A scheduler listening on every interface (`host: '0.0.0.0'`, as for workers on other hosts)
 * can only name its dashboard `http://0.0.0.0:PORT/`; the client names it by the host it reached
 * the scheduler by, which opens it from the client's host. On the old client `dashboardUrl` was
 * the wildcard address.
 */
import t from 'tap';
import { Client, LocalCluster } from '@gluon/client';
import { reachableDashboardUrl } from '../../src/dashboard-url.js';

t.test('the rule: a wildcard host is replaced by the scheduler address\'s host, nothing else is', async (t) => {
  t.equal(reachableDashboardUrl('http://0.0.0.0:8787/', 'ws://10.1.2.3:8786'), 'http://10.1.2.3:8787/');
  t.equal(reachableDashboardUrl('https://[::]:8787/', 'wss://sched.example.org:8786'), 'https://sched.example.org:8787/');
  t.equal(reachableDashboardUrl('http://0.0.0.0:8787/', 'wss://[fd00::5]:8786'), 'http://[fd00::5]:8787/');
  t.equal(reachableDashboardUrl('http://vm:8787/', 'ws://10.1.2.3:8786'), 'http://vm:8787/', 'a named host is kept');
  t.equal(reachableDashboardUrl('http://0.0.0.0:8787/', 'ws+unix:/tmp/s.sock'), 'http://0.0.0.0:8787/', 'a Unix socket: the same machine');
  t.equal(reachableDashboardUrl('http://0.0.0.0:8787/', 'ws://0.0.0.0:8786'), 'http://0.0.0.0:8787/', 'no better name to give');
});

t.test('a client of a scheduler on 0.0.0.0 gets a dashboard address it can open', async (t) => {
  const token = 'dashboard-url-test-token';
  const cluster = await LocalCluster.start({ nWorkers: 0, host: '0.0.0.0', token });
  t.teardown(() => cluster.close());
  t.match(cluster.dashboardUrl, /^http:\/\/0\.0\.0\.0:\d+\/$/, 'the scheduler itself names the wildcard');
  const port = new URL(cluster.schedulerAddress).port;
  const client = await Client.connect(`ws://127.0.0.1:${port}`, { token, reconnectTimeoutMs: 0 });
  t.teardown(() => client.close());
  const dashboardPort = new URL(cluster.dashboardUrl!).port;
  t.equal(client.dashboardUrl, `http://127.0.0.1:${dashboardPort}/`);
  const res = await fetch(client.dashboardUrl!);
  t.equal(res.status, 200, 'and it answers there (its login form)');
  await res.body?.cancel();
});
