/**
 * A plain HTTP request on the scheduler's own port (curl of api/state or metrics at 8786, a
 * Prometheus target given the scheduler's port): the 426 says where the dashboard is, or that
 * there is none. It said only "this is a Gluon scheduler endpoint; connect with a WebSocket client".
 */
import t from 'tap';
import { startScheduler } from '@gluon/scheduler';

const httpOf = (address: string) => address.replace(/^ws/, 'http');

t.test('the scheduler port names its dashboard to a plain GET', async (t) => {
  const s = await startScheduler({ port: 0, dashboardPort: 0, log: () => {} });
  t.teardown(() => s.close());
  const r = await fetch(`${httpOf(s.address)}/metrics`);
  t.equal(r.status, 426);
  t.equal(await r.text(), `this is a Gluon scheduler endpoint; connect with a WebSocket client (its dashboard, with api/state and metrics, is at ${s.dashboardUrl})\n`);
});

t.test('behind a proxy: the public link', async (t) => {
  const s = await startScheduler({ port: 0, dashboardPort: 0, dashboardLink: 'https://gluon.example.org/{port}/', log: () => {} });
  t.teardown(() => s.close());
  const text = await (await fetch(`${httpOf(s.address)}/api/state`)).text();
  t.match(text, /its dashboard, with api\/state and metrics, is at https:\/\/gluon\.example\.org\/\d+\/\)\n$/);
});

t.test('without a dashboard: says there is none', async (t) => {
  const s = await startScheduler({ port: 0, dashboard: false, log: () => {} });
  t.teardown(() => s.close());
  const text = await (await fetch(`${httpOf(s.address)}/metrics`)).text();
  t.equal(text, 'this is a Gluon scheduler endpoint; connect with a WebSocket client (this scheduler serves no dashboard: it was started with --no-dashboard)\n');
});
