import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { LocalCluster } from '@gluon/client';
import { StartupDeadline, SYSTEM_CLOCK, WALL_CAP, type DeadlineClock } from '../../src/startup-deadline.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');

/** A clock the test moves by hand: wall time, and each process's time waiting for a CPU. */
function fakeClock(delays: Record<number, number | undefined>) {
  const clock: DeadlineClock & { wall: number; delays: typeof delays } = { wall: 0, delays, now: () => clock.wall, runDelayMs: (pid) => clock.delays[pid] };
  return clock;
}

t.test('on an idle machine the budget is wall time', async (t) => {
  const c = fakeClock({ 1: 0, 2: 0 });
  const d = new StartupDeadline(1000, [1, 2], c);
  c.wall = 999;
  t.equal(d.expired(), undefined);
  c.wall = 1000;
  t.equal(d.expired(), 'did not start within 1000 ms');
});

t.test('time spent waiting for a CPU does not count against the budget', async (t) => {
  // The failure this fixes: at load 100+ on 2 cores the scheduler took > 30 s of wall time to
  // print its address, almost all of it runnable but not running, and start() gave up.
  const c = fakeClock({ 10: 200, 11: 0 });
  const d = new StartupDeadline(1000, [10, 11], c);
  c.wall = 5500;
  c.delays[10] = 200 + 5000; // the scheduler waited 5 s for a CPU
  t.equal(d.expired(), undefined, '5.5 s of wall time, 0.5 s of it running: within a 1 s budget');
  c.wall = 6000;
  t.equal(d.expired(), 'did not start within 1000 ms (6000 ms of wall time, of which 5000 ms waiting for a CPU on a busy machine)');
});

t.test('the largest wait among the processes counts, not their sum (they wait side by side)', async (t) => {
  const c = fakeClock({ 1: 0, 2: 0 });
  const d = new StartupDeadline(1000, [1, 2], c);
  c.wall = 3900;
  c.delays[1] = 3000;
  c.delays[2] = 2000;
  t.same(d.elapsed(), { wallMs: 3900, waitedMs: 3000 });
  t.equal(d.expired(), undefined);
  c.wall = 4000;
  t.match(d.expired(), /did not start within 1000 ms \(4000 ms of wall time, of which 3000 ms/);
});

t.test('a process that exited keeps its last reading; an unreadable one counts as wall time', async (t) => {
  const c = fakeClock({ 1: 0, 2: undefined });
  const d = new StartupDeadline(1000, [1, 2], c);
  c.wall = 2500;
  c.delays[1] = 2000;
  t.equal(d.expired(), undefined);
  delete c.delays[1]; // gone: /proc/1/schedstat no longer there
  t.same(d.elapsed(), { wallMs: 2500, waitedMs: 2000 });
  const wallOnly = new StartupDeadline(1000, [2, undefined], c);
  c.wall += 1000;
  t.equal(wallOnly.expired(), 'did not start within 1000 ms');
});

t.test('however busy the machine stays, the wait ends at the wall-time cap', async (t) => {
  const c = fakeClock({ 1: 0 });
  const d = new StartupDeadline(1000, [1], c);
  c.wall = WALL_CAP * 1000 - 1;
  c.delays[1] = c.wall - 10; // nearly all of it waiting for a CPU
  t.equal(d.expired(), undefined);
  t.ok(d.nextCheckMs() >= 1 && d.nextCheckMs() <= 500, 'checks at least every 500 ms, never in a busy loop');
  c.wall = WALL_CAP * 1000;
  c.delays[1] = c.wall - 10;
  t.equal(d.expired(), `did not start within ${WALL_CAP * 1000} ms of wall time (${WALL_CAP}× its 1000 ms budget: the machine stayed too busy; ${WALL_CAP * 1000 - 10} ms waiting for a CPU)`);
});

t.test('a wait counted when it ends, begun before the deadline, never exceeds the wall time', async (t) => {
  const c = fakeClock({ 1: 0 });
  const d = new StartupDeadline(1000, [1], c);
  c.wall = 17;
  c.delays[1] = 28; // Linux adds a wait to run_delay when the thread gets its CPU back
  t.same(d.elapsed(), { wallMs: 17, waitedMs: 17 });
});

t.test('processes started later are watched from then on', async (t) => {
  const c = fakeClock({ 1: 0, 2: 700 });
  const d = new StartupDeadline(1000, [1], c);
  d.watch(2);
  d.watch(2); // twice is once
  c.wall = 1500;
  c.delays[2] = 700 + 600;
  t.same(d.elapsed(), { wallMs: 1500, waitedMs: 600 });
  t.equal(d.expired(), undefined);
});

t.test('Linux /proc: this process\'s run delay is read; a process that does not exist has none', { skip: existsSync('/proc/self/schedstat') ? false : 'no /proc/PID/schedstat here (not Linux): the deadline is wall time' }, async (t) => {
  const delay = SYSTEM_CLOCK.runDelayMs(process.pid);
  t.type(delay, 'number');
  t.ok(Number.isFinite(delay) && delay! >= 0, `run delay ${delay} ms`);
  t.equal(SYSTEM_CLOCK.runDelayMs(2 ** 22 + 1), undefined, 'a pid above pid_max');
});

t.test('LocalCluster.start still gives up, naming the process, when the budget passes', async (t) => {
  await t.rejects(
    LocalCluster.start({ nWorkers: 1, dashboard: false, cwd: repo, timeoutMs: 1 }),
    // On a busy machine the 1 ms may have been stretched up to its wall-time cap: either wording names the process.
    { message: /^LocalCluster: the (scheduler|worker local-0) did not start within (1 ms|\d+ ms of wall time \(10× its 1 ms budget)/ },
  );
});
