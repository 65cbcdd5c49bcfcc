/**
 * A worker with tasks that goes silent (its host frozen, cut off) is said once it has been silent
 * a third of the heartbeat TTL (at least memoryStallMs), to the log and every client, naming it,
 * its tasks, when the TTL drops it and what follows; the end is said once: heard from again, or
 * removed with its tasks placed again (silent-workers.ts on the state machine; the rule alone below).
 * Before, a frozen worker held the run for the TTL with nothing said to anyone.
 */
import t from 'tap';
import type { WorkerMetrics } from '@gluon/protocol';
import { ops, Sim, task } from '../sim.js';
import { SilentWorkers, silenceHoldMs } from '../../src/silent-workers.js';

const TTL = 30_000;

function metrics(now: number, executing = 1): WorkerMetrics {
  return { cpu: 0, rss: 0, memoryLimit: 0, executing, ready: 0, stored: 0, storedBytes: 0, time: now };
}

/** w1 and w2 with a thread each and two tasks each; the clock ticks each second, and only `alive` send heartbeats. */
function setup(): Sim {
  const sim = new Sim({ memoryStallMs: 10_000, heartbeatTtlMs: TTL });
  sim.addWorker('w1', 1);
  sim.addWorker('w2', 1);
  sim.addClient('c');
  sim.submit('c', [task('a-1'), task('a-2'), task('a-3'), task('a-4')]);
  sim.tick(0);
  return sim;
}

/** Ticks each second from `from` to `to`; returns what the ticks gave the scheduler's own log of silences. */
function run(sim: Sim, from: number, to: number, alive: string[]): string[] {
  const logged: string[] = [];
  for (let now = from; now <= to; now += 1000) {
    sim.now = now;
    for (const w of alive) sim.apply(sim.state.heartbeat(w, metrics(now), now));
    const { commands, silent } = sim.state.tick(now);
    sim.apply(commands);
    logged.push(...silent);
  }
  return logged;
}

const said = (sim: Sim, client = 'c') => ops(sim.log, 'warning', client).filter((m) => m.kind === 'silent-worker');

t.test('a silent worker with tasks: said once at a third of the TTL, naming it, its tasks and when it is dropped; heard again, the end', async (t) => {
  const sim = setup();
  t.equal(sim.inbox.get('w1')!.length, 2, 'w1 has two tasks');
  run(sim, 1000, 9000, ['w2']);
  t.same(said(sim), [], 'not before 10 s of silence');
  const logged = run(sim, 10_000, 20_000, ['w2']);
  const first = said(sim);
  t.equal(first.length, 1, 'said once');
  t.match(first[0], {
    active: true, about: 'ws://w1',
    text: /^worker w1 \(ws:\/\/w1\) has not been heard from for 10\.0 s and has 2 task\(s\) of the run: its host may be frozen \(SIGSTOP, a paused VM, swapping\), cut off from this scheduler, or overloaded\. .*silent for the heartbeat TTL \(30\.0 s, --heartbeat-ttl\), at 00:00:30 UTC, it is dropped and they go to other workers .*Nothing to do unless it stays away/,
  });
  t.same(logged, [first[0]!.text], 'the scheduler\'s own log says it too, once');
  // Thawed: its heartbeat comes at 21 s.
  run(sim, 21_000, 23_000, ['w1', 'w2']);
  const all = said(sim);
  t.equal(all.length, 2, 'the end, once');
  t.same([all[1]!.active, all[1]!.about, all[1]!.text], [false, 'ws://w1', 'worker w1 (ws://w1) was heard from again after 21.0 s of silence; its tasks go on there']);
  t.same(sim.inbox.get('w1'), ['a-1', 'a-3'], 'nothing was taken from it');
});

t.test('silent for the TTL: the end says it was removed and its tasks went to other workers', async (t) => {
  const sim = setup();
  const logged = run(sim, 1000, 35_000, ['w2']);
  const all = said(sim);
  t.equal(all.length, 2);
  t.same(logged, all.map((m) => m.text), 'its log has both');
  t.same([all[1]!.active, all[1]!.about], [false, 'ws://w1']);
  t.equal(all[1]!.text, 'worker w1 (ws://w1) was removed after 31.0 s of silence (no heartbeat for more than 30000 ms): its 2 task(s) go to other workers; '
    + 'if it comes back, it registers again and what it finished is taken back');
  for (const key of ['a-2', 'a-4', 'a-1']) sim.finish('w2', key);
  t.same(sim.inbox.get('w2'), ['a-3'], 'its tasks went to w2: it ran a-1 and runs a-3');
});

t.test('a silent worker with no task is not said; a client that connects during a silence is told of it', async (t) => {
  const sim = new Sim({ memoryStallMs: 10_000, heartbeatTtlMs: TTL });
  sim.addWorker('idle', 1);
  sim.addWorker('w2', 1);
  sim.addClient('c');
  sim.tick(0);
  run(sim, 1000, 15_000, ['w2']);
  t.same(said(sim), [], 'idle holds nothing up');
  sim.submit('c', [task('b-1'), task('b-2')]);
  run(sim, 16_000, 17_000, ['w2']);
  t.equal(said(sim).length, 1, 'once it has a task, it is said');
  sim.addClient('late');
  t.match(said(sim, 'late'), [{ active: true, about: 'ws://idle', text: /^worker idle \(ws:\/\/idle\) has not been heard from/ }]);
});

t.test('the scheduler frozen itself is not a silence of its workers', async (t) => {
  const sim = setup();
  run(sim, 1000, 3000, ['w1', 'w2']);
  // Nothing ticks for 20 s (the scheduler stopped); the workers' heartbeats wait in its sockets.
  run(sim, 23_000, 26_000, ['w1', 'w2']);
  t.same(said(sim), []);
});

t.test('the rule alone: the hold, one notice per worker, the end once', async (t) => {
  t.equal(silenceHoldMs(30_000, 10_000), 10_000);
  t.equal(silenceHoldMs(60_000, 10_000), 20_000);
  // A short TTL: at most half of it, so that the silence is said before the TTL drops the worker
  // (it was the 10 s hold, never shorter than the TTL: never said).
  t.equal(silenceHoldMs(20_000, 10_000), 10_000);
  t.equal(silenceHoldMs(10_000, 10_000), 5_000);
  t.equal(silenceHoldMs(5_000, 10_000), 2_500);
  for (const ttl of [1_000, 3_000, 10_000, 15_000, 29_999]) t.ok(silenceHoldMs(ttl, 10_000) < ttl, `below a TTL of ${ttl} ms`);
  const rule = new SilentWorkers(10_000, 30_000);
  const f = (id: string, silentMs: number, tasks = 1) => ({ id, name: id, address: `ws://${id}`, silentMs, tasks });
  t.same(rule.step([f('a', 9_999), f('b', 10_000, 0)], 50_000), []);
  const on = rule.step([f('a', 10_000), f('b', 12_000, 3)], 50_000);
  t.same(on.map((n) => [n.active, n.about]), [[true, 'ws://a'], [true, 'ws://b']]);
  t.match(on[1]!.text, /has 3 task\(s\) of the run.* at 00:01:08 UTC, it is dropped/);
  t.same(rule.step([f('a', 11_000), f('b', 13_000, 3)], 51_000), [], 'said once each');
  t.equal(rule.current.length, 2);
  t.equal(rule.gone('a', 'killed', 0, 52_000)?.text,
    'worker a (ws://a) was removed after 12.0 s of silence (killed): none of its tasks was left to place again; if it comes back, it registers again and what it finished is taken back');
  t.equal(rule.gone('a', 'killed', 0, 52_000), undefined, 'ended once');
  t.equal(rule.step([f('b', 0, 3)], 53_000)[0]?.text, 'worker b (ws://b) was heard from again after 15.0 s of silence; its tasks go on there');
  t.equal(rule.size, 0);
});

t.test('--heartbeat-ttl 10s (below the stall hold): the silence is said at 5 s, and its removal at the TTL', async (t) => {
  const sim = new Sim({ memoryStallMs: 10_000, heartbeatTtlMs: 10_000 });
  sim.addWorker('w1', 1);
  sim.addWorker('w2', 1);
  sim.addClient('c');
  sim.submit('c', [task('a-1'), task('a-2'), task('a-3'), task('a-4')]);
  sim.tick(0);
  const logged = run(sim, 1000, 12_000, ['w2']);
  const all = said(sim);
  t.equal(all.length, 2, 'its silence and its removal (before: nothing at all)');
  t.match(all[0], { active: true, about: 'ws://w1', text: /^worker w1 \(ws:\/\/w1\) has not been heard from for 5\.0 s and has 2 task\(s\) of the run: .*silent for the heartbeat TTL \(10\.0 s, --heartbeat-ttl\), at 00:00:10 UTC, it is dropped/ });
  t.match(all[1], { active: false, about: 'ws://w1', text: /^worker w1 \(ws:\/\/w1\) was removed after 11\.0 s of silence \(no heartbeat for more than 10000 ms\): its 2 task\(s\) go to other workers/ });
  t.same(logged, all.map((m) => m.text), 'the scheduler\'s log has both');
});

t.test('a worker dropped by the TTL with tasks of the run is said even when its silence was not said first', async (t) => {
  // w1 is silent from the start with nothing to do (nothing to say); the tasks come at 9.5 s and
  // two go to it; the next tick, at 10.5 s, drops it before the hold was ever seen passed with its tasks.
  const sim = new Sim({ memoryStallMs: 10_000, heartbeatTtlMs: 10_000 });
  sim.addWorker('w1', 1);
  sim.addWorker('w2', 1);
  sim.addClient('c');
  sim.tick(0);
  run(sim, 1000, 9000, ['w2']);
  sim.now = 9500;
  sim.submit('c', [task('a-1'), task('a-2'), task('a-3'), task('a-4')]);
  t.equal(sim.inbox.get('w1')?.length, 2, 'w1 was given two tasks');
  t.same(said(sim), [], 'nothing said yet: it had no task while silent');
  const logged = run(sim, 10_500, 10_500, ['w2']);
  const all = said(sim);
  t.equal(all.length, 1, 'said once (before: nothing at all)');
  t.same([all[0]?.active, all[0]?.about], [false, 'ws://w1']);
  t.equal(all[0]?.text, 'worker w1 (ws://w1) was removed after 10.5 s of silence with 2 task(s) of the run (no heartbeat for more than 10000 ms): '
    + 'its host may be frozen, cut off from this scheduler, or overloaded; its 2 task(s) go to other workers; if it comes back, it registers again and what it finished is taken back');
  t.same(logged, [all[0]!.text], 'and in the scheduler\'s log');
});

t.test('the rule alone: a removal not said silent is said only when it was dropped for silence with tasks', async (t) => {
  const rule = new SilentWorkers(5_000, 10_000);
  const removed = { name: 'a', address: 'ws://a', silentMs: 10_200 };
  t.equal(rule.gone('a', 'left', 2, 1_000), undefined, 'no figure: a clean removal');
  t.equal(rule.gone('a', 'connection closed', 2, 1_000, { ...removed, silentMs: 300 }), undefined, 'heard from lately: its connection closed, not its silence');
  t.equal(rule.gone('a', 'no heartbeat', 0, 1_000, removed), undefined, 'no task of the run');
  t.match(rule.gone('a', 'no heartbeat', 2, 1_000, removed), { active: false, about: 'ws://a', text: /^worker a \(ws:\/\/a\) was removed after 10\.2 s of silence with 2 task\(s\) of the run \(no heartbeat\)/ });
});
