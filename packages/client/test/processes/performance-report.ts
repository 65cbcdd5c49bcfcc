/**
 * client.performanceReport's edges on a real LocalCluster: what is refused before any work runs
 * (a path that cannot be written, a scheduler without a dashboard, a token the dashboard refuses),
 * and that a failing piece of work still leaves its report and then fails as itself.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import WebSocket from 'ws';
import { LocalCluster, remoteFrom } from '@gluon/client';
import { startScheduler as startInProcess } from '@gluon/scheduler';
import { performanceReport } from '../../src/performance-report.js';

const TOKEN = 'perf-report-token';
const { inc, sleep } = remoteFrom<typeof import('@gluon/examples/tasks')>('@gluon/examples/tasks');

t.test('performanceReport: refusals before the work, and a failing work\'s report', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gluon-perf-report-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const cluster = await LocalCluster.start({ nWorkers: 1, nthreads: 1, token: TOKEN });
  t.teardown(() => cluster.close());
  const client = await cluster.client();
  let ran = 0;
  const work = async () => {
    ran++;
    return 1;
  };

  await t.rejects(client.performanceReport(join(dir, 'missing', 'r.html'), work), { message: /cannot write .*r\.html: its directory .*missing does not exist/ });
  await t.rejects(client.performanceReport(dir, work), { message: /is a directory; give a file name/ });
  await t.rejects(
    performanceReport({ dashboardUrl: cluster.dashboardUrl, scheduler: cluster.schedulerAddress, token: 'wrong' }, join(dir, 'r.html'), work),
    { message: /cannot open the dashboard's feed at .*live: it refused the client's token/ },
  );
  await t.rejects(
    performanceReport({ dashboardUrl: undefined, scheduler: cluster.schedulerAddress }, join(dir, 'r.html'), work),
    { message: /the scheduler at ws:\/\/.* serves no dashboard \(it runs with --no-dashboard\)/ },
  );
  t.equal(ran, 0, 'the work never ran');
  t.notOk(existsSync(join(dir, 'r.html')), 'and no report was written');

  const boom = new RangeError('the work failed');
  const file = join(dir, 'failed.html');
  const err = await client.performanceReport(file, async () => {
    throw boom;
  }).catch((e: unknown) => e);
  t.equal(err, boom, 'the work\'s own error comes back');
  const html = readFileSync(file, 'utf8');
  t.match(html, /<script type="application\/json" id="gluon-recording">\{"version":1,"title":"failed\.html"/, 'the report was written anyway, titled by its file name');
  t.notMatch(html, /\/\*@gluon-recording@\*\//, 'with the recording in its slot');
});

t.test('performanceReport: a scheduler without a dashboard is named', async (t) => {
  const cluster = await LocalCluster.start({ nWorkers: 1, nthreads: 1, dashboard: false });
  t.teardown(() => cluster.close());
  const client = await cluster.client();
  await t.rejects(client.performanceReport(join(tmpdir(), 'never.html'), async () => 1), { message: /serves no dashboard/ });
});

t.test('performanceReport: a dashboard whose live feeds are all taken (--dashboard-max-feeds) is named, with what to do', async (t) => {
  const s = await startInProcess({ port: 0, dashboardPort: 0, dashboardMaxFeeds: 1, log: () => {} });
  t.teardown(() => s.close());
  // One feed open (a page): the only one this dashboard serves.
  const page = new WebSocket(new URL('live', s.dashboardUrl!).href.replace(/^http/, 'ws'));
  t.teardown(() => page.terminate());
  await new Promise((r, no) => { page.once('message', r); page.once('error', no); });
  let ran = 0;
  await t.rejects(
    performanceReport({ dashboardUrl: s.dashboardUrl, scheduler: s.address }, join(tmpdir(), 'never.html'), async () => ++ran),
    { message: /^performanceReport: cannot open the dashboard's feed at ws:\/\/127\.0\.0\.1:\d+\/live: HTTP 503: the dashboard serves at most 1 live feeds at once \(--dashboard-max-feeds\) and 1 are open: close another page of this dashboard \(or a script reading its feed\), or start the scheduler with a higher --dashboard-max-feeds$/ },
  );
  t.equal(ran, 0, 'the work never ran');
});

t.test('performanceReport: past its byte bound the recording restarts from a fresh state, and says so', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gluon-perf-report-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const cluster = await LocalCluster.start({ nWorkers: 1, nthreads: 2 });
  t.teardown(() => cluster.close());
  const client = await cluster.client();
  const file = join(dir, 'bounded.html');
  // 40 rounds of 50 tasks: many deltas with bars, far over a 30 kB bound.
  const total = await client.performanceReport(file, async () => {
    let sum = 0;
    for (let r = 0; r < 40; r++) {
      const xs = await client.gather(client.map(inc, Array.from({ length: 50 }, (_, i) => r * 50 + i)));
      sum += xs.reduce((a, b) => a + b, 0);
      await client.submit(sleep, 30).result();
    }
    return sum;
  }, { limits: { maxBytes: 30_000 } });
  t.equal(total, (2000 * 2001) / 2, 'the work\'s result');
  const html = readFileSync(file, 'utf8');
  const rec = JSON.parse(/<script type="application\/json" id="gluon-recording">([\s\S]*?)<\/script>/.exec(html)![1]!);
  t.type(rec.bounds.restartedAt, 'number', 'the recording restarted');
  t.ok(rec.bounds.restartedAt > rec.start && rec.bounds.restartedAt <= rec.end, 'within the window');
  t.equal(rec.messages[0].type, 'state', 'from a fresh state');
  t.equal(rec.messages[0].time, rec.bounds.restartedAt);
  // Not its size: how far past the bound the deltas' non-bar content goes depends on how long the
  // fresh feed takes to connect (54 kB in one run, 101 kB in another); units/report-recorder.ts feeds
  // the recorder a slow restart deterministically and checks the bound it states.
});
