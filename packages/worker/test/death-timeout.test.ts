/**
 * --death-timeout (deathTimeoutMs), Dask's option: a worker with no scheduler connected for that
 * long, at start or after losing it, says so on one line naming the address and the wait, closes
 * (its data listener with it) and exits 1. Without it a worker waits for ever (documented).
 */
import { connect } from '@gluon/protocol';
import t from 'tap';
import { startWorker as startWorkerLib } from '@gluon/worker';
import { endAfter, start, startScheduler, startWorker, workerCli } from './procs.js';

t.test('gluon-worker --death-timeout: a scheduler stopped and never restarted ends the worker, exit 1, one line saying so', async (t) => {
  const { procs } = endAfter(t);
  const s = await startScheduler();
  procs.push(s.proc);
  const w = await startWorker(s.address, ['--nthreads', '1', '--death-timeout', '2s']);
  procs.push(w.proc);
  s.proc.kill('SIGKILL');
  t.equal(await w.proc.exited(120_000), 1, w.proc.output());
  const esc = s.address.replace(/[.:/]/g, '\\$&');
  t.match(w.proc.output(), new RegExp(`^\\S+ worker \\S+: no scheduler at ${esc} for 2\\.0 s since it lost it \\(death timeout\\); giving up: the scheduler is gone .*leaving now$`, 'm'));
  t.notMatch(w.proc.output(), /--help/);
});

t.test('gluon-worker --death-timeout with no scheduler at start: exit 1 naming the address and the wait', async (t) => {
  const { procs } = endAfter(t);
  const w = start(workerCli, ['ws://127.0.0.1:1', '--nthreads', '1', '--death-timeout', '1']);
  procs.push(w);
  t.equal(await w.exited(120_000), 1, w.output());
  t.match(w.output(), /no scheduler at ws:\/\/127\.0\.0\.1:1 for 1\.0 s since it started \(death timeout\); giving up/);
  t.notMatch(w.output(), /cannot start|--help/, 'one account of it, not a second "cannot start" line');
  const bad = start(workerCli, ['ws://127.0.0.1:1', '--death-timeout', '0']);
  procs.push(bad);
  t.equal(await bad.exited(60_000), 2, 'a bad value is a usage error');
  t.match(bad.output(), /--death-timeout/);
});

t.test('deathTimeoutMs: startWorker rejects saying why; a registered worker closes, releasing its data listener, closedBy() says so', async (t) => {
  const { procs } = endAfter(t);
  await t.rejects(startWorkerLib({ scheduler: 'ws://127.0.0.1:1', nthreads: 1, deathTimeoutMs: 500, log: () => {} }), {
    message: /^no scheduler at ws:\/\/127\.0\.0\.1:1 for 500 ms since it started \(death timeout\); giving up$/,
  });
  await t.rejects(startWorkerLib({ scheduler: 'ws://127.0.0.1:1', deathTimeoutMs: 0 }), { name: 'RangeError', message: /deathTimeoutMs must be a number of milliseconds > 0/ });

  const s = await startScheduler();
  procs.push(s.proc);
  const lines: string[] = [];
  const w = await startWorkerLib({ scheduler: s.address, nthreads: 1, deathTimeoutMs: 1000, log: (l) => lines.push(l) });
  const address = w.address;
  s.proc.kill('SIGKILL');
  t.same(await w.closedBy(), { refused: false, deathTimeout: true });
  t.match(lines.join('\n'), /no scheduler at \S+ for 1\.0 s since it lost it \(death timeout\); giving up/);
  await t.rejects(connect(address, { role: 'peer', name: 'probe' }, { log: () => {}, timeoutMs: 30_000 }), { message: /ECONNREFUSED/ }, 'its data listener is closed');
});
