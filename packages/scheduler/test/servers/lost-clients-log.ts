/**
 * Clients lost (their connections cut, not closed by them) are said in the scheduler's own log
 * as workers joining and leaving are (churn-window.ts): the first few of a window one by one,
 * the rest in one line, and what a scheduler stopped inside the window held back said as it stops.
 * 50 client processes killed at once said 50 lines.
 */
import t from 'tap';
import { connect } from '@gluon/protocol';
import { startScheduler } from '@gluon/scheduler';
import { until } from '../../../../test/helpers/until.js';
import { ChurnWindow } from '../../src/churn-window.js';

t.test('8 clients cut at once: 5 lines, and the other 3 in a summary said as the scheduler stops', async (t) => {
  const lines: string[] = [];
  const s = await startScheduler({ port: 0, dashboard: false, log: (l) => lines.push(l) });
  let closed = false;
  t.teardown(() => (closed ? undefined : s.close()));
  const clients = await Promise.all(Array.from({ length: 8 }, (_, i) => connect(s.address, { role: 'client', name: `cut-${i}` })));
  await until(() => s.state.clients.size === 8, 'all 8 registered', 120_000);
  // Cut, not closed: no session, so their keys go at once (the 'released' kind).
  for (const c of clients) c.conn.terminate('the test cuts it');
  await until(() => s.state.clients.size === 0, 'all 8 seen gone', 120_000);
  // Within the window (10 s) unless the machine stalls this process that long: either way the log
  // must account for 8.
  await s.close();
  closed = true;
  const one = lines.filter((l) => /^client cut-\d .*lost: connection closed \(\d+[^)]*\); releasing its keys; \d+ clients? connected$/.test(l));
  const summed = lines.map((l) => /^… and (\d+) more clients lost \(their keys released\) in the last \d+ s \(not said one by one; the latest: client cut-\d .*lost: connection closed \(\d+[^)]*\); releasing its keys\); 0 clients connected$/.exec(l))
    .reduce((n, m) => n + (m ? Number(m[1]) : 0), 0);
  t.ok(one.length >= 5 && one.length <= 8, `5 said one by one, unless windows passed (${one.length})`);
  t.equal(one.length + summed, 8, `all 8 in the log: ${one.length} one by one, ${summed} summed (${JSON.stringify(lines)})`);
  // Old: one line per client, 8 of them.
  if (one.length === 5) t.equal(lines.length, 6, 'the 3 beyond the first 5 in one line');
});

t.test('the window: kinds in their order, the latest named, the totals of now', async (t) => {
  const lines: string[] = [];
  let connected = 10;
  const w = new ChurnWindow<'kept' | 'released'>((l) => lines.push(l), () => `${connected} clients connected`,
    { kept: 'clients lost (their keys kept for their return)', released: 'clients lost (their keys released)' });
  for (let i = 0; i < 9; i++) w.event(1000 + i, i % 3 === 0 ? 'released' : 'kept', `client c${i} lost`);
  t.equal(lines.length, 5);
  t.equal(lines[0], 'client c0 lost; 10 clients connected');
  connected = 4;
  w.flush(5_000);
  t.equal(lines.length, 5, 'held within the window');
  w.flush(11_000);
  t.equal(lines[5], '… and 3 more clients lost (their keys kept for their return), 1 more clients lost (their keys released) in the last 10 s (not said one by one; the latest: client c8 lost); 4 clients connected');
  w.event(30_000, 'kept', 'client c9 lost');
  t.equal(lines[6], 'client c9 lost; 4 clients connected', 'a new window says the next one at once');
  w.close(30_001);
  t.equal(lines.length, 7, 'nothing held: nothing more said');
});
