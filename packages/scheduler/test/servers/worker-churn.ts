/**
 * The scheduler's log says workers joining and leaving (`worker a joined from node17 (…, 2
 * threads); 2 workers, 3 threads`, `… left: …`), one line each for the first few of a window and
 * one summary for the rest, so a 1,000-worker farm starting says 6 lines, not 1,000. It said
 * nothing when a worker joined or left cleanly. A worker leaving says why (closing's `reason`,
 * protocol 15), and the line says it: `left: SIGTERM`, `left: close() called`; it said `it closed
 * (stopped: SIGTERM, close() or its --lifetime)` for every one.
 */
import t from 'tap';
import { hostname } from 'node:os';
import { connect, type Message } from '@gluon/protocol';
import { startWorker } from '@gluon/worker';
import { until } from '../../../../test/helpers/until.js';
import { startWorker as startWorkerCli } from '../../../worker/test/procs.js';
import { leftReason, WorkerChurn, workerWho } from '../../src/worker-churn.js';
import { startCli, TOKEN } from '../scheduler-proc.js';

t.test('a real scheduler says each worker joining (host, threads) and leaving, with the totals', async (t) => {
  const s = await startCli(t, []);
  const quiet = () => {};
  const a = await startWorker({ scheduler: s.address, nthreads: 2, name: 'churn-a', log: quiet });
  t.teardown(() => a.close());
  await until(() => /worker churn-a joined/.test(s.stderr()), 'the join line', 120_000);
  const b = await startWorker({ scheduler: s.address, nthreads: 1, name: 'churn-b', log: quiet });
  t.teardown(() => b.close());
  await until(() => /worker churn-b joined/.test(s.stderr()), 'the second join line', 120_000);
  t.match(s.stderr(), new RegExp(`scheduler: worker churn-a joined from ${hostname()} \\(ws://\\S+, 2 threads\\); 1 worker, 2 threads\\n`));
  t.match(s.stderr(), new RegExp(`scheduler: worker churn-b joined from ${hostname()} \\(ws://\\S+, 1 thread\\); 2 workers, 3 threads\\n`));
  await a.close();
  await until(() => /worker churn-a .*left/.test(s.stderr()), 'the leave line', 120_000);
  t.match(s.stderr(), /scheduler: worker churn-a at ws:\/\/\S+ \(connection from \S+\) left: close\(\) called; 1 worker, 1 thread\n/, 'why it left: close() was called');
  await b.close('the test is done with it');
  await until(() => /worker churn-b .*left/.test(s.stderr()), 'the second leave line', 120_000);
  t.match(s.stderr(), /scheduler: worker churn-b at ws:\/\/\S+ \(connection from \S+\) left: the test is done with it; 0 workers, 0 threads\n/, 'the reason given to close()');
});

t.test('a gluon-worker stopped by SIGTERM: the scheduler\'s line says SIGTERM', async (t) => {
  const s = await startCli(t, []);
  const w = await startWorkerCli(s.address, ['--name', 'churn-sig']);
  t.teardown(() => w.proc.kill('SIGKILL'));
  await until(() => /worker churn-sig joined/.test(s.stderr()), 'the join line', 120_000);
  w.proc.kill('SIGTERM');
  t.equal(await w.proc.exited(120_000), 0);
  await until(() => /worker churn-sig .*left/.test(s.stderr()), 'the leave line', 120_000);
  t.match(s.stderr(), /scheduler: worker churn-sig at ws:\/\/\S+ \(connection from \S+\) left: SIGTERM; 0 workers, 0 threads\n/);
});

t.test('a worker that expires is named as its joined line names it: by its address, then its connection', async (t) => {
  // The expired line named only the connection's source port (`worker w1 (127.0.0.1:51234)`),
  // which the joined line never shows: with several workers joined, which one had gone?
  const s = await startCli(t, ['--heartbeat-ttl', '1s'], { GLUON_TOKEN: TOKEN });
  const hello = { role: 'worker', name: 'silent', address: 'ws://127.0.0.1:1', nthreads: 1, memoryLimit: 0, pid: 1, host: 'test' } as const;
  const worker = await connect(s.address, hello, { token: TOKEN });
  t.teardown(() => worker.conn.close());
  // Registered, then silent: no heartbeat, no message.
  worker.conn.send({ op: 'holding', keys: {} });
  await until(() => /worker silent .*expired/.test(s.stderr()), 'the expired line', 120_000);
  t.match(s.stderr(), /scheduler: worker silent joined from test \(ws:\/\/127\.0\.0\.1:1, 1 thread\)/);
  t.match(s.stderr(), /scheduler: worker silent at ws:\/\/127\.0\.0\.1:1 \(connection from 127\.0\.0\.1:\d+\) expired: no heartbeat within 1000 ms; closing its connection\n/,
    'the address it joined with, and where its connection came from');
});

t.test('a scheduler stopped mid-window says what its churn log held back of it', async (t) => {
  // 7 workers join at once: the first 5 are said one by one, the other 2 held for the window's
  // summary. Stopped before the window is over, the scheduler said nothing of those 2: a farm
  // half killed, then the scheduler stopped, left a log naming 5 of the 24 workers lost.
  const s = await startCli(t, [], { GLUON_TOKEN: TOKEN });
  // A client counts the workers registered: its welcome's, then each worker-joined.
  const client = await connect(s.address, { role: 'client', name: 'counter' }, { token: TOKEN });
  t.teardown(() => client.conn.close());
  const known = new Set<string>((client.welcome.workers as string[] | undefined) ?? []);
  client.conn.on('message', (m: Message) => { if (m.op === 'worker-joined') known.add(String(m.address)); });
  const workers = await Promise.all(Array.from({ length: 7 }, async (_, i) => {
    const hello = { role: 'worker', name: `held-${i}`, address: `ws://127.0.0.1:${i + 1}`, nthreads: 1, memoryLimit: 0, pid: 1, host: 'test' } as const;
    const w = await connect(s.address, hello, { token: TOKEN });
    t.teardown(() => w.conn.close());
    w.conn.send({ op: 'holding', keys: {} });
    return w;
  }));
  t.equal(workers.length, 7);
  await until(() => known.size === 7, 'all 7 registered (the client told of each)', 120_000);
  s.child.kill('SIGTERM');
  await until(() => s.child.exitCode !== null, 'the scheduler exiting on SIGTERM', 120_000);
  t.equal(s.child.exitCode, 0);
  // Every worker is accounted for: said one by one, or counted in a summary line. (The 7 join
  // within one 10 s window unless the machine stalls the scheduler that long; either way the
  // log must name 7.)
  const said = (s.stderr().match(/scheduler: worker held-\d joined from test /g) ?? []).length;
  const summed = [...s.stderr().matchAll(/scheduler: … and (\d+) more joined in the last \d+ s \(not said one by one; the latest: worker held-\d joined from test \(ws:\/\/127\.0\.0\.1:\d, 1 thread\)\); \d+ workers, \d+ threads\n/g)]
    .reduce((n, m) => n + Number(m[1]), 0);
  t.ok(said >= 5, `the first 5 said one by one (${said})`);
  t.equal(said + summed, 7, `all 7 joins in the log: ${said} one by one, ${summed} in a summary said as the scheduler stops`);
});

t.test('close(): what is held back is said at once, its window over or not', async (t) => {
  const lines: string[] = [];
  const churn = new WorkerChurn((l) => lines.push(l), () => ({ workers: 3, threads: 3 }));
  for (let i = 0; i < 8; i++) churn.event(100 + i, 'lost', `worker w${i} lost: connection closed (1006)`);
  churn.flush(5_000);
  t.equal(lines.length, 5, 'within the window: held');
  churn.close(5_000);
  t.equal(lines.length, 6);
  t.equal(lines[5], '… and 3 more lost in the last 5 s (not said one by one; the latest: worker w7 lost: connection closed (1006)); 3 workers, 3 threads');
  churn.close(5_001);
  churn.flush(20_000);
  t.equal(lines.length, 6, 'said once');
  const quiet: string[] = [];
  new WorkerChurn((l) => quiet.push(l), () => ({ workers: 0, threads: 0 })).close(0);
  t.same(quiet, [], 'nothing held: nothing said');
});

t.test('workerWho: name, the address it gave, the connection', async (t) => {
  t.equal(workerWho('a', 'ws://10.0.0.17:40321', '10.0.0.17:51234'), 'worker a at ws://10.0.0.17:40321 (connection from 10.0.0.17:51234)');
  t.equal(workerWho('w3', 'ws://10.0.0.17:40321', undefined), 'worker w3 at ws://10.0.0.17:40321', 'no source known');
  t.equal(workerWho('w3', '', '10.0.0.17:51234'), 'worker w3 (connection from 10.0.0.17:51234)', 'no address given');
});

t.test('leftReason: the reason the worker gave, and a connection that did not end in its goodbye', async (t) => {
  t.equal(leftReason('SIGTERM', 1000, 'worker leaving'), 'SIGTERM');
  t.equal(leftReason('lifetime of 55.0 min reached', 1005, ''), 'lifetime of 55.0 min reached');
  t.equal(leftReason(undefined, 1000, ''), 'it gave no reason', 'a closing without one');
  t.equal(leftReason('SIGTERM', 1006, ''), 'SIGTERM; its connection then ended with 1006', 'killed before it closed');
  t.equal(leftReason('SIGINT', 4003, 'closing: reason must be a string'), 'SIGINT; its connection then ended with 4003 (closing: reason must be a string)');
});

t.test('bounded: the first 5 of a window one by one, the rest in one line once the window is over', async (t) => {
  const lines: string[] = [];
  let workers = 0;
  const churn = new WorkerChurn((l) => lines.push(l), () => ({ workers, threads: 4 * workers }));
  for (let i = 0; i < 1000; i++) {
    workers++;
    churn.event(i, 'joined', `worker w${i} joined from node${i}`);
  }
  workers -= 3;
  for (let i = 0; i < 3; i++) churn.event(1000 + i, 'lost', `worker w${i} lost: connection closed (1006)`);
  churn.flush(9_999);
  t.equal(lines.length, 5, 'within the window: the first 5 only');
  t.same(lines, [0, 1, 2, 3, 4].map((i) => `worker w${i} joined from node${i}; ${i + 1} worker${i ? 's' : ''}, ${4 * (i + 1)} threads`));
  churn.flush(10_000);
  t.equal(lines.length, 6, 'then one line for the other 998');
  t.equal(lines[5], '… and 995 more joined, 3 more lost in the last 10 s (not said one by one; the latest: worker w2 lost: connection closed (1006)); 997 workers, 3988 threads');
  churn.flush(20_000);
  t.equal(lines.length, 6, 'said once');
  churn.event(20_001, 'left', 'worker w7 left: it closed');
  t.equal(lines.at(-1), 'worker w7 left: it closed; 997 workers, 3988 threads', 'a new window: said at once');
});
