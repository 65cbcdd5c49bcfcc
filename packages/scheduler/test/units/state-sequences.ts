/**
 * Seeded sequences of events from two clients and three workers, over a few keys, fed to the
 * state machine as the server feeds it: graphs (dependencies named twice, or unknown), releases,
 * cancels and retries of any key by either client, results and failures (of tasks given or not),
 * missing-data reports, handbacks, workers retiring (their results copied to others, answered
 * when the recipient next reads its messages), leaving and joining, clients leaving. After each
 * event the books must agree with themselves (who holds what and its bytes, who runs what,
 * what each task waits for, the clients' references) and with what each worker stores (the
 * results it kept, minus those it was told to free; kept across its leaving and joining again,
 * as a reconnecting worker's are): no result the scheduler counts on a worker is missing there.
 * At the end, with the workers left running everything, every key a client holds must come to a
 * result or an error (nothing waits for ever), and once unclaimed orphans have expired each
 * worker stores exactly what the scheduler counts (no copy it forgot to free).
 */
import fc from 'fast-check';
import t from 'tap';
import type { TaskRecord } from '@gluon/scheduler';
import { Sim, task } from '../sim.js';

const KEYS = Array.from({ length: 7 }, (_, i) => `k-${i}`);
const CLIENTS = ['a', 'b'];
const WORKERS = ['w1', 'w2', 'w3'];

type Action =
  | { t: 'submit'; c: string; specs: Array<{ key: number; deps: number[] }>; wants: number[] }
  | { t: 'release' | 'cancel' | 'retry'; c: string; keys: number[] }
  | { t: 'finish' | 'inline' | 'err' | 'handback'; w: string; pick: number }
  | { t: 'report'; w: string; key: number }
  | { t: 'missing'; w: string; pick: number; errant: string }
  | { t: 'steals' }
  | { t: 'leave' | 'join' | 'closing' | 'retire' | 'mail'; w: string }
  | { t: 'drop' | 'connect'; c: string };

const key = fc.nat({ max: KEYS.length - 1 });
const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ t: fc.constant('submit' as const), c: fc.constantFrom(...CLIENTS), specs: fc.array(fc.record({ key, deps: fc.array(key, { maxLength: 3 }) }), { minLength: 1, maxLength: 3 }), wants: fc.array(key, { maxLength: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constantFrom('release' as const, 'cancel' as const, 'retry' as const), c: fc.constantFrom(...CLIENTS), keys: fc.array(key, { minLength: 1, maxLength: 2 }) }) },
  { weight: 5, arbitrary: fc.record({ t: fc.constantFrom('finish' as const, 'finish' as const, 'inline' as const, 'err' as const, 'handback' as const), w: fc.constantFrom(...WORKERS), pick: fc.nat({ max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('report' as const), w: fc.constantFrom(...WORKERS), key }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('missing' as const), w: fc.constantFrom(...WORKERS), pick: fc.nat({ max: 3 }), errant: fc.constantFrom('holder', ...WORKERS) }) },
  { weight: 1, arbitrary: fc.constant({ t: 'steals' as const }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constantFrom('leave' as const, 'join' as const, 'closing' as const), w: fc.constantFrom(...WORKERS) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constantFrom('retire' as const, 'mail' as const, 'mail' as const), w: fc.constantFrom(...WORKERS) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constantFrom('drop' as const, 'connect' as const), c: fc.constantFrom(...CLIENTS) }) },
);

/** What each worker stores: the results it kept, minus those it was told to free. */
type Stored = Map<string, Map<string, number>>;

/** A Sim whose workers' stores are followed (every free-keys it delivers empties them). */
/** What each worker was sent and has not read yet: `acquire` and `close` (retirement). */
const mail = new Map<string, Array<Record<string, unknown>>>();
function simWithStores(): { sim: Sim; stored: Stored } {
  const sim = new Sim({ orphanGraceMs: 50 }, false);
  const stored: Stored = new Map(WORKERS.map((w) => [w, new Map()]));
  mail.clear();
  const apply = sim.apply.bind(sim);
  sim.apply = (cmds) => {
    for (const c of cmds) {
      if (!('worker' in c.to)) continue;
      if (c.msg.op === 'free-keys') for (const k of c.msg.keys as string[]) stored.get(c.to.worker)?.delete(k);
      if (c.msg.op === 'acquire' || c.msg.op === 'close') { const box = mail.get(c.to.worker) ?? []; box.push(c.msg); mail.set(c.to.worker, box); }
    }
    return apply(cmds);
  };
  return { sim, stored };
}

/** What is wrong with the books now (empty when they agree). */
function problems(sim: Sim, stored: Stored): string[] {
  const s = sim.state;
  const out: string[] = [];
  for (const ts of s.tasks.values()) {
    const k = ts.key;
    if (ts.state === 'processing') {
      const on = ts.processingOn;
      if (!on || s.workers.get(on.id) !== on) out.push(`${k} processing on a worker not registered`);
      else if (![...on.processing].includes(ts)) out.push(`${k} processing on ${on.id}, which does not list it`);
    } else if (ts.processingOn) out.push(`${k} is ${ts.state} with processingOn ${ts.processingOn.id}`);
    if (ts.state === 'memory') {
      if (ts.holders.length === 0 && !ts.inline) out.push(`${k} in memory, held nowhere`);
      for (const h of ts.holders) if (!h.has.has(ts) || s.workers.get(h.id) !== h) out.push(`${k} held by ${h.id}, which does not have it`);
    } else if (ts.holders.length) out.push(`${k} is ${ts.state} with holders`);
    if (ts.state === 'waiting') {
      const n = ts.deps.filter((d) => d.state !== 'memory').length;
      if (n !== ts.waitingOn) out.push(`${k} waits on ${ts.waitingOn}, but ${n} of its deps are not in memory`);
      if (n === 0) out.push(`${k} waiting with every dep in memory`);
    }
    for (const d of ts.deps) if (s.tasks.get(d.key) !== d) out.push(`${k} depends on a forgotten ${d.key}`);
    let refs = 0;
    for (const c of s.clients.values()) refs += c.refsOn(ts);
    if (refs !== ts.clientRefs) out.push(`${k}: clientRefs ${ts.clientRefs}, the clients hold ${refs}`);
  }
  for (const ws of s.workers.values()) {
    let bytes = 0;
    for (const ts of ws.has) {
      bytes += ts.nbytes;
      if (ts.state !== 'memory' || !ts.holders.includes(ws)) out.push(`${ws.id} has ${ts.key} (${ts.state}), not among its holders`);
    }
    if (bytes !== ws.storedBytes) out.push(`${ws.id} storedBytes ${ws.storedBytes}, its results ${bytes}`);
    for (const ts of ws.has) if (!stored.get(ws.id)!.has(ts.key)) out.push(`${ws.id} is counted holding ${ts.key}, which it does not store`);
    for (const ts of ws.processing) if (ts.processingOn !== ws || ts.state !== 'processing') out.push(`${ws.id} lists ${ts.key} (${ts.state}) as running`);
  }
  return out;
}

/** Takes the `pick`-th task from a worker's inbox (the worker dropped or finished it), if any. */
function take(sim: Sim, w: string, pick: number): string | undefined {
  const inbox = sim.inbox.get(w);
  if (!inbox || inbox.length === 0) return undefined;
  return inbox[pick % inbox.length];
}

function step(sim: Sim, stored: Stored, a: Action): void {
  const s = sim.state;
  sim.now++;
  switch (a.t) {
    case 'submit':
      if (!s.clients.has(a.c)) return;
      // In key order, each naming keys before its own (some perhaps twice, or not known here).
      sim.submit(a.c, [...a.specs].sort((x, y) => x.key - y.key).map((x) => task(KEYS[x.key]!, x.deps.filter((d) => d < x.key || d === KEYS.length - 1).map((d) => KEYS[d]!))), a.wants.map((i) => KEYS[i]!));
      return;
    case 'release': sim.apply(s.releaseKeys(a.c, a.keys.map((i) => KEYS[i]!))); return;
    case 'cancel': sim.apply(s.cancel(a.c, a.keys.map((i) => KEYS[i]!), sim.now)); return;
    case 'retry': sim.apply(s.retry(a.keys.map((i) => KEYS[i]!), sim.now)); return;
    case 'finish':
    case 'inline': {
      const k = take(sim, a.w, a.pick);
      if (!k) return;
      const nbytes = 10 + KEYS.indexOf(k);
      stored.get(a.w)!.set(k, nbytes);
      sim.finish(a.w, k, { nbytes, ...(a.t === 'inline' ? { value: nbytes } : {}) });
      return;
    }
    case 'err': {
      const k = take(sim, a.w, a.pick);
      if (k) sim.err(a.w, k);
      return;
    }
    case 'handback': {
      const k = take(sim, a.w, a.pick);
      if (!k) return;
      sim.inbox.get(a.w)!.splice(sim.inbox.get(a.w)!.indexOf(k), 1);
      sim.apply(s.handback(a.w, [k]));
      return;
    }
    case 'report':
      // A result of any key, given to it or not.
      if (s.workers.has(a.w)) stored.get(a.w)!.set(KEYS[a.key]!, 7);
      if (s.workers.has(a.w)) sim.apply(s.taskFinished(a.w, { key: KEYS[a.key]!, nbytes: 7, typeName: 'number', start: sim.now, stop: sim.now, thread: 0 }, sim.now));
      return;
    case 'missing': {
      // The worker could not fetch a dependency of a task it has from `errant` (or from the
      // dependency's first holder), and dropped the task.
      const k = take(sim, a.w, a.pick);
      const ts = k === undefined ? undefined : s.tasks.get(k);
      if (!k || !ts || ts.deps.length === 0) return;
      const errant = a.errant === 'holder' ? ts.deps[0]!.holders[0]?.id ?? a.w : a.errant;
      sim.inbox.get(a.w)!.splice(sim.inbox.get(a.w)!.indexOf(k), 1);
      sim.apply(s.missingData(a.w, ts.deps[0]!.key, `ws://${errant}`, k, sim.now));
      return;
    }
    case 'steals': sim.answerSteals(); return;
    case 'leave': if (s.workers.has(a.w) && s.workers.size > 1) sim.removeWorker(a.w); return;
    // Back with what it stores, as a reconnecting worker says in its holding.
    case 'join': if (!s.workers.has(a.w)) sim.addWorker(a.w, 2, Object.fromEntries(stored.get(a.w)!)); return;
    case 'closing': if (s.workers.size > 1) sim.apply(s.workerClosing(a.w)); return;
    case 'retire': if (s.workers.has(a.w) && s.workers.size > 1) { sim.apply(s.workerClosing(a.w)); sim.apply(s.workerRetiring(a.w, sim.now)); } return;
    // The worker reads its mail: copies acquired from a retiring peer (if the peer still stores
    // them; sized its own way, as an acquired copy is estimated), or it closes as told.
    case 'mail': {
      const box = mail.get(a.w) ?? [];
      mail.set(a.w, []);
      for (const m of box) {
        if (!s.workers.has(a.w)) break;
        if (m.op === 'close') { sim.removeWorker(a.w, 'retired', true); break; }
        const from = String(m.from).replace('ws://', '');
        const have: Record<string, number> = {};
        const missing: string[] = [];
        for (const k of m.keys as string[]) {
          const size = stored.get(from)?.get(k);
          if (size === undefined) missing.push(k);
          else { have[k] = size + 3; stored.get(a.w)!.set(k, size + 3); }
        }
        sim.apply(s.acquired(a.w, have, missing, sim.now));
      }
      return;
    }
    case 'drop': if (s.clients.has(a.c)) sim.apply(s.clientDisconnected(a.c, sim.now)); return;
    case 'connect': if (!s.clients.has(a.c)) sim.addClient(a.c); return;
  }
}

/** Runs every worker's tasks (answering steals) until nothing moves; then what clients hold that never finished. */
function stuck(sim: Sim, stored: Stored): string[] {
  for (let round = 0; round < 100; round++) {
    let moved = 0;
    for (const [w, inbox] of sim.inbox) {
      for (const k of [...inbox]) {
        stored.get(w)?.set(k, 10 + KEYS.indexOf(k));
        sim.finish(w, k, { nbytes: 10 + KEYS.indexOf(k) });
        moved++;
      }
    }
    sim.answerSteals();
    if (moved === 0) break;
  }
  const out: string[] = [];
  for (const ts of sim.state.tasks.values() as Iterable<TaskRecord>) {
    // A result the clients got inline may be let go once no dependent needs it (lineage.ts).
    if (ts.clientRefs > 0 && ts.state !== 'memory' && ts.state !== 'erred' && !(ts.state === 'released' && ts.valueWithClients)) out.push(`${ts.key} held by a client, ${ts.state}${ts.state === 'waiting' ? ` on ${ts.waitingOn}` : ''}`);
  }
  return out;
}

t.test('sequences of events keep the books consistent, and nothing a client holds waits for ever', async (t) => {
  let cases = 0;
  fc.assert(fc.property(fc.array(action, { minLength: 1, maxLength: 60, size: 'max' }), (actions) => {
    const { sim, stored } = simWithStores();
    for (const c of CLIENTS) sim.addClient(c);
    for (const w of WORKERS) sim.addWorker(w, 2);
    for (const [i, a] of actions.entries()) {
      step(sim, stored, a);
      const bad = problems(sim, stored);
      if (bad.length) throw new Error(`after action ${i} (${JSON.stringify(a)}): ${bad.join('; ')}`);
    }
    // Every worker runs again (one closing takes no new task), so nothing waits for a worker.
    for (const w of WORKERS) if (!sim.state.workers.has(w)) sim.addWorker(w, 2, Object.fromEntries(stored.get(w)!));
    sim.addWorker('fresh', 2);
    stored.set('fresh', new Map());
    for (const w of [...sim.state.workers.keys()]) step(sim, stored, { t: 'mail', w });
    for (const w of WORKERS) if (!sim.state.workers.has(w)) sim.addWorker(w, 2, Object.fromEntries(stored.get(w)!));
    const left = stuck(sim, stored);
    if (left.length) throw new Error(`never finished: ${left.join('; ')}`);
    sim.tick(sim.now + 1000);
    const bad = problems(sim, stored);
    for (const ws of sim.state.workers.values()) {
      const counted = new Set([...ws.has].map((ts) => ts.key));
      for (const k of stored.get(ws.id)!.keys()) if (!counted.has(k)) bad.push(`${ws.id} stores ${k}, which the scheduler does not count`);
    }
    if (bad.length) throw new Error(`after draining: ${bad.join('; ')}`);
    cases++;
  }), { numRuns: 2000, seed: 20261205 });
  t.equal(cases, 2000, 'every case holds');
});
