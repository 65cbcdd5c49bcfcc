/**
 * Clients' references on tasks (client-refs.ts): one client keeps them as a list, the others count
 * per task. A client connecting costs O(1) whatever the others hold; counts stay exact through
 * any mix of holds, drops, connects and disconnects.
 */
import t from 'tap';
import { ClientRecord, RefLedger, TaskRecord } from '../../src/records.js';
import { ops, Sim, task } from '../sim.js';

t.test('clients connecting while one holds 5,000 results walk none of them', async (t) => {
  const sim = new Sim();
  sim.addClient('a');
  sim.addWorker('w1', 4);
  const specs = Array.from({ length: 5000 }, (_, i) => task(`x-${i}`));
  sim.submit('a', specs);
  sim.drain(20_000);
  const held = specs.map((s) => sim.state.tasks.get(s.key)!);
  // Every write of a held task's fields from here on is counted: connecting must make none.
  let writes = 0;
  for (const ts of held) {
    let listedAt = ts.listedAt;
    let clientRefs = ts.clientRefs;
    Object.defineProperty(ts, 'listedAt', { get: () => listedAt, set: (v: number) => { writes++; listedAt = v; }, configurable: true });
    Object.defineProperty(ts, 'clientRefs', { get: () => clientRefs, set: (v: number) => { writes++; clientRefs = v; }, configurable: true });
  }
  for (let i = 0; i < 50; i++) sim.addClient(`c${i}`);
  t.equal(writes, 0, 'no held task was touched by 50 clients connecting');
  t.equal(sim.state.clients.get('a')!.isListed, true, 'the first client keeps its list');
  t.equal(sim.state.clients.get('c0')!.isListed, false, 'the others count per task');
  // The counts are still right: c0 holds one of a's keys, a releases everything, c0's stays.
  sim.submit('c0', [task('x-7')]);
  sim.apply(sim.state.releaseKeys('a', specs.map((s) => s.key)));
  t.same([...sim.state.tasks.keys()], ['x-7'], "only c0's key is left");
  t.equal(sim.state.tasks.get('x-7')!.clientRefs, 1);
  const out = sim.apply(sim.state.clientDisconnected('c0', 0));
  t.same(ops(out, 'free-keys', 'w1').flatMap((m) => m.keys as string[]), ['x-7'], 'freed when its last holder leaves');
});

t.test('the listed client leaving: the one client left is listed, a new one is counted until then', async (t) => {
  const sim = new Sim();
  sim.addClient('a');
  sim.addClient('b');
  sim.addWorker('w1', 2);
  sim.submit('b', [task('k-1'), task('k-2')]);
  sim.submit('a', [task('k-1')]);
  sim.drain();
  sim.apply(sim.state.clientDisconnected('a', 0));
  const b = sim.state.clients.get('b')!;
  t.equal(b.isListed, true, 'b, alone, is listed');
  t.equal(b.refsOn(sim.state.tasks.get('k-1')!), 1);
  t.equal(b.heldCount, 2);
  sim.addClient('c');
  t.equal(sim.state.clients.get('c')!.isListed, false);
  sim.apply(sim.state.releaseKeys('b', ['k-1', 'k-2']));
  t.equal(sim.state.tasks.size, 0, 'all forgotten');
});

/** Seeded: a failure replays. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

t.test('counts match a plain per-client model through random holds, drops, connects and leaves', async (t) => {
  for (let seed = 1; seed <= 40; seed++) {
    const rand = rng(seed);
    const ledger = new RefLedger();
    const tasks = Array.from({ length: 12 }, (_, i) => new TaskRecord(`t-${i}`, 't', { module: 'm', export: 'f' }, [], [], 0, 1, 0, i));
    const model = new Map<ClientRecord, Map<TaskRecord, number>>();
    let next = 0;
    const connect = () => model.set(new ClientRecord(`c${next}`, `c${next++}`, ledger), new Map());
    connect();
    for (let step = 0; step < 400; step++) {
      const clients = [...model.keys()];
      const r = rand();
      if (r < 0.06 || clients.length === 0) {
        connect();
        continue;
      }
      const c = clients[Math.floor(rand() * clients.length)]!;
      const ts = tasks[Math.floor(rand() * tasks.length)]!;
      const counts = model.get(c)!;
      if (r < 0.1) {
        // c leaves, dropping all it holds, as clientDisconnected does
        for (const held of c.heldTasks()) c.drop(held);
        model.delete(c);
        c.leave(model.size === 1 ? model.keys().next().value : undefined);
      } else if (r < 0.55) {
        c.hold(ts);
        counts.set(ts, (counts.get(ts) ?? 0) + 1);
      } else {
        const n = 1 + Math.floor(rand() * 2);
        const want = Math.min(n, counts.get(ts) ?? 0);
        if (c.drop(ts, n) !== want) t.fail(`seed ${seed} step ${step}: ${c.id} dropped the wrong count of ${ts.key}`);
        if ((counts.get(ts) ?? 0) - want > 0) counts.set(ts, counts.get(ts)! - want);
        else counts.delete(ts);
      }
      for (const x of tasks) {
        let sum = 0;
        for (const [cl, m] of model) {
          const n = m.get(x) ?? 0;
          sum += n;
          if (cl.refsOn(x) !== n) return t.fail(`seed ${seed} step ${step}: ${cl.id} has ${cl.refsOn(x)} on ${x.key}, the model ${n}`);
        }
        if (x.clientRefs !== sum) return t.fail(`seed ${seed} step ${step}: ${x.key}.clientRefs ${x.clientRefs}, the model ${sum}`);
      }
      for (const [cl, m] of model) if (cl.heldCount !== m.size) return t.fail(`seed ${seed} step ${step}: ${cl.id} holds ${cl.heldCount} tasks, the model ${m.size}`);
      if ([...model.keys()].filter((cl) => cl.isListed).length > 1) return t.fail(`seed ${seed}: two clients listed`);
    }
  }
  t.pass('40 seeds × 400 steps agree with the model');
});

t.test('a client leaving with 10,000 results held is forgotten a slice at a time', async (t) => {
  const sim = new Sim();
  sim.addClient('big');
  sim.addClient('other');
  sim.addWorker('w1', 4);
  const specs = Array.from({ length: 10_000 }, (_, i) => task(`r-${i}`));
  sim.submit('big', specs);
  sim.drain(40_000);
  const freed = (out: ReturnType<Sim['apply']>) => ops(out, 'free-keys', 'w1').reduce((n, m) => n + (m.keys as string[]).length, 0);
  const first = sim.state.forgetClient('big', 0, 1000);
  t.equal(first.left, 9000, '1,000 dropped, 9,000 still held');
  t.equal(freed(sim.apply(first.commands)), 1000, 'their results freed on the worker');
  t.equal(sim.state.tasks.size, 9000);
  t.ok(sim.state.clients.has('big'), 'not forgotten yet: its references still hold the rest');
  // Between slices: another client takes one of its keys, which outlives it.
  sim.submit('other', [task('r-10')]);
  let slices = 1;
  let freedAll = 1000;
  for (let left = first.left; left > 0 && slices < 100; slices++) {
    const r = sim.state.forgetClient('big', 0, 1000);
    t.ok(r.left < left, 'each slice drops some');
    left = r.left;
    freedAll += freed(sim.apply(r.commands));
  }
  t.equal(slices, 10);
  t.equal(freedAll, 9999, "all but the key the other client holds");
  t.same([...sim.state.tasks.keys()], ['r-10']);
  t.notOk(sim.state.clients.has('big'), 'forgotten after its last slice');
  t.match(sim.state.log.at(-1)?.text, /^client big disconnected; released 10000 keys$/);
  t.same(sim.state.forgetClient('big', 0, 1000).left, 0, 'a client already forgotten: nothing left');
});
