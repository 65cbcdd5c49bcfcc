/**
 * The scheduler's log says workers joining and leaving (`worker a joined from node17 (…, 2
 * threads); 2 workers, 3 threads`, `… left: …`), one line each for the first few of a window and
 * one summary for the rest, so a 1,000-worker farm starting says 6 lines, not 1,000. It said
 * nothing when a worker joined or left cleanly.
 */
import t from 'tap';
import { hostname } from 'node:os';
import { startWorker } from '@gluon/worker';
import { until } from '../../../test/helpers/until.js';
import { WorkerChurn } from '../src/worker-churn.js';
import { startCli } from './scheduler-proc.js';

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
  t.match(s.stderr(), /scheduler: worker churn-a \(\S+\) left: it closed \(stopped: SIGTERM, close\(\) or its --lifetime\); 1 worker, 1 thread\n/);
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
