/**
 * --death-timeout (deathTimeoutMs), Dask's option: a worker with no scheduler connected for that
 * long, at start or after losing it, says so on one line naming the address and the wait, closes
 * (its data listener with it) and exits 1. Without it a worker waits for ever (documented).
 */
import { connect } from '@gluon/protocol';
import t from 'tap';
import { startWorker as startWorkerLib } from '@gluon/worker';
import { endAfter, start, startScheduler, startWorker, workerCli } from '../procs.js';

/** The worker's own way of saying a wait (`2.0 s`). */
const fmt = (ms: number) => (ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`);

/**
 * A worker registered with a death timeout as short as these tests like to wait out after its
 * scheduler is gone. The timeout also runs from the worker's start until it has registered (its
 * hello to a scheduler that is up), which a loaded machine took longer than 1 s for: a start that
 * ran out of it is tried again with twice the timeout, so the test waits out one that fits this
 * machine. Each such start must have ended as exactly that, nothing else.
 */
async function registeredWithin<W>(firstMs: number, startOne: (ms: number) => Promise<W>): Promise<{ worker: W; ms: number }> {
  for (let ms = firstMs; ; ms *= 2) {
    try {
      return { worker: await startOne(ms), ms };
    } catch (err) {
      const startWindow = new RegExp(`no scheduler at \\S+ for ${fmt(ms).replace('.', '\\.')} since it started \\(death timeout\\); giving up`);
      if (ms >= 64_000 || !startWindow.test((err as Error).message)) throw err;
    }
  }
}

t.test('gluon-worker --death-timeout: a scheduler stopped and never restarted ends the worker, exit 1, one line saying so', async (t) => {
  const { procs } = endAfter(t);
  const s = await startScheduler();
  procs.push(s.proc);
  const { worker: w, ms } = await registeredWithin(2000, async (ms) => {
    const w = await startWorker(s.address, ['--nthreads', '1', '--death-timeout', `${ms / 1000}s`]);
    procs.push(w.proc);
    return w;
  });
  s.proc.kill('SIGKILL');
  t.equal(await w.proc.exited(120_000), 1, w.proc.output());
  const esc = s.address.replace(/[.:/]/g, '\\$&');
  t.match(w.proc.output(), new RegExp(`^\\S+ worker \\S+: no scheduler at ${esc} for ${fmt(ms).replace('.', '\\.')} since it lost it \\(death timeout\\); giving up: the scheduler is gone .*leaving now$`, 'm'));
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
  t.equal(await bad.exited(), 2, 'a bad value is a usage error');
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
  const { worker: w, ms } = await registeredWithin(1000, (ms) => startWorkerLib({ scheduler: s.address, nthreads: 1, deathTimeoutMs: ms, log: (l) => lines.push(l) }));
  const address = w.address;
  s.proc.kill('SIGKILL');
  t.same(await w.closedBy(), { refused: false, deathTimeout: true });
  t.match(lines.join('\n'), `no scheduler at ${s.address} for ${fmt(ms)} since it lost it (death timeout); giving up`);
  await t.rejects(connect(address, { role: 'peer', name: 'probe' }, { log: () => {}, timeoutMs: 30_000 }), { message: /ECONNREFUSED/ }, 'its data listener is closed');
});
