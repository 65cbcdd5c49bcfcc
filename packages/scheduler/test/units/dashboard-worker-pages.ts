/** What a worker's page is built from: events kept per worker (bounded), records read on request. */
import t from 'tap';
import { WorkerPages } from '../../src/dashboard/worker-view.js';
import type { ClusterProbe, ClusterSnapshot, ProbeTask, ProbeWorker, WorkerRow } from '../../src/dashboard/source.js';

const T0 = 1_700_000_000_000;
const snap = (workers: WorkerRow[] = []): ClusterSnapshot => ({ time: T0, schedulerAddress: 'ws://x', workers, groups: [], failures: [], topics: {}, log: [] });
const row = (name: string): WorkerRow => ({ id: `id-${name}`, name, address: 'ws://127.0.0.1:1', host: 'h', nthreads: 1, cpu: 0, rss: 0, memoryLimit: 0, executing: 0, queued: 0, stored: 0, storedBytes: 0, lastSeen: T0, alive: true });
const task = (key: string, group: string, nbytes = 0): ProbeTask => ({ key, group, state: 'memory', deps: [], nbytes });

t.test('tasks, results by group and the largest, from the scheduler\'s records', async (t) => {
  const has = new Set([task('a-1', 'a', 100), task('a-2', 'a', 300), task('b-1', 'b', 1000)]);
  const w: ProbeWorker = { id: 'id-w1', name: 'w1', nthreads: 1, processing: new Set([task('c-1', 'c')]), has, storedBytes: 0 };
  const probe: ClusterProbe = { tasks: new Map(), workers: new Map([['id-w1', w]]), meanMs: () => NaN };
  const p = new WorkerPages(snap([row('w1')]), probe);
  const d = p.detail('id-w1')!;
  t.same(d.tasks, [['c-1', 'c']]);
  t.equal(d.tasksTotal, 1);
  t.same(d.stored, [['b', 1, 1000], ['a', 2, 400]], 'by group, largest first');
  t.same(d.largest.map((x) => x[0]), ['b-1', 'a-2', 'a-1']);
  t.equal(d.row?.name, 'w1');
  t.equal(p.detail('nobody'), undefined, 'an unknown id has no page');
  // Only the 20 largest results are listed, whatever the worker holds.
  for (let i = 0; i < 500; i++) has.add(task(`z-${i}`, 'z', i));
  const many = p.detail('id-w1')!;
  t.equal(many.largest.length, 20);
  t.same(many.largest.slice(0, 3).map((x) => x[2]), [1000, 499, 498]);
});

t.test('transfers on both ends, log lines; bounded per worker', async (t) => {
  const p = new WorkerPages(snap());
  p.apply({ kind: 'transfer', keys: ['k'], from: 'w1', to: 'w2', start: T0, stop: T0 + 7, bytes: 64 });
  t.same(p.detail('w2')!.transfers, [{ time: T0 + 7, keys: ['k'], bytes: 64, ms: 7, direction: 'in', peer: 'w1' }]);
  t.same(p.detail('w1')!.transfers, [{ time: T0 + 7, keys: ['k'], bytes: 64, ms: 7, direction: 'out', peer: 'w2' }]);
  for (let i = 0; i < 300; i++) p.apply({ kind: 'worker-log', worker: 'w1', time: T0 + i, text: `line ${i}` });
  const log = p.detail('w1')!.log;
  t.equal(log.length, 200, 'the last 200 lines');
  t.same(log.at(-1), { time: T0 + 299, text: 'line 299' });
  for (let i = 0; i < 150; i++) p.apply({ kind: 'transfer', keys: ['k'], from: 'w3', to: 'w1', start: T0, stop: T0 + i, bytes: 1 });
  const tr = p.detail('w1')!.transfers;
  t.equal(tr.length, 100, 'the last 100 transfers');
  t.equal(tr[0]!.time, T0 + 149, 'newest first');
  for (let i = 0; i < 600; i++) p.apply({ kind: 'worker-log', worker: `x${i}`, time: T0, text: 'hi' });
  t.equal(p.detail('w1'), undefined, 'at most 500 workers remembered: the longest unseen are forgotten');
});

t.test('served: the page behind the login, api/worker by name', async (t) => {
  // The replies' JSON is cast: units.test.ts brings this file into the type check without the DOM lib, where json() is unknown.
  const { startDashboard } = await import('../../src/dashboard/server.js');
  const { MemorySource } = await import('../fixtures/memory-source.js');
  const source = new MemorySource();
  const d = await startDashboard(source, { host: '127.0.0.1', port: 0, token: 'secret-token' });
  t.teardown(() => d.close());
  const auth = { headers: { Authorization: 'Bearer secret-token' } };
  let r = await fetch(`${d.url}worker?name=w9`);
  t.equal(r.status, 200, 'no session: the login form, a page to show');
  const form = await r.text();
  t.match(form, /name="token"/, 'the login form');
  t.notMatch(form, /worker-page\.js/, 'not the page');
  r = await fetch(`${d.url}api/worker?name=w9`);
  t.equal(r.status, 401, 'nor its data');
  r = await fetch(`${d.url}worker?name=w9`, auth);
  t.equal(r.status, 200);
  t.match(await r.text(), /worker-page\.js/);
  r = await fetch(`${d.url}api/worker`, auth);
  t.equal(r.status, 400);
  t.match(await r.text(), /needs \?id=<worker id> \(or \?name=<worker name>\)/);
  r = await fetch(`${d.url}api/worker?name=w9`, auth);
  t.equal(r.status, 404);
  t.match(await r.text(), /no worker named "w9"/);
  source.emit({ kind: 'worker-log', worker: 'w9', time: T0, text: 'hello from w9' });
  r = await fetch(`${d.url}api/worker?name=w9`, auth);
  t.equal(r.status, 200);
  t.same(((await r.json()) as { log: unknown }).log, [{ time: T0, text: 'hello from w9' }]);
});

t.test('two workers under one name: a page each, by id; a link by name lists them', async (t) => {
  const a: WorkerRow = { ...row('dup'), id: 'w1', address: 'ws://10.0.0.1:4000', host: 'node-a' };
  const b: WorkerRow = { ...row('dup'), id: 'w2', address: 'ws://10.0.0.2:4000', host: 'node-b' };
  const solo: WorkerRow = { ...row('solo'), id: 'w3' };
  const probe: ClusterProbe = {
    tasks: new Map(),
    workers: new Map([
      ['w1', { id: 'w1', name: 'dup', nthreads: 1, processing: new Set([task('on-a', 'x')]), has: new Set([task('r-a', 'x', 10)]), storedBytes: 10 }],
      ['w2', { id: 'w2', name: 'dup', nthreads: 1, processing: new Set([task('on-b', 'y')]), has: new Set(), storedBytes: 0 }],
    ]),
    meanMs: () => NaN,
  };
  const p = new WorkerPages(snap([a, b, solo]), probe);
  p.apply({ kind: 'worker-log', worker: 'dup', workerId: 'w1', time: T0, text: 'from a' });
  p.apply({ kind: 'worker-log', worker: 'dup', workerId: 'w2', time: T0, text: 'from b' });
  p.apply({ kind: 'transfer', keys: ['r-a'], from: 'dup', fromId: 'w1', to: 'dup', toId: 'w2', start: T0, stop: T0 + 3, bytes: 10 });
  const da = p.detail('w1')!;
  const db = p.detail('w2')!;
  t.same([da.id, da.name, da.row?.address], ['w1', 'dup', 'ws://10.0.0.1:4000']);
  t.same([db.id, db.name, db.row?.address], ['w2', 'dup', 'ws://10.0.0.2:4000']);
  t.same(da.tasks, [['on-a', 'x']], 'its own tasks');
  t.same(db.tasks, [['on-b', 'y']]);
  t.same(da.stored, [['x', 1, 10]], 'its own results');
  t.same(db.stored, []);
  t.same(da.log.map((l) => l.text), ['from a'], 'its own log');
  t.same(db.log.map((l) => l.text), ['from b']);
  // The peer's name is shared: it is named with its id too, as the dashboard labels it.
  t.same(da.transfers.map((x) => [x.direction, x.peer, x.peerId]), [['out', 'dup (id w2)', 'w2']], 'the transfer on both ends, the peer by id');
  t.same(db.transfers.map((x) => [x.direction, x.peer, x.peerId]), [['in', 'dup (id w1)', 'w1']]);
  t.same(p.named('dup'), [
    { id: 'w1', name: 'dup', address: 'ws://10.0.0.1:4000', host: 'node-a', alive: true },
    { id: 'w2', name: 'dup', address: 'ws://10.0.0.2:4000', host: 'node-b', alive: true },
  ]);
  t.same(p.named('solo').map((m) => m.id), ['w3']);
  // A gone worker of that name is listed after the live ones.
  p.apply({ kind: 'worker', row: { ...a, alive: false } });
  t.same(p.named('dup').map((m) => [m.id, m.alive]), [['w2', true], ['w1', false]]);

  const { startDashboard } = await import('../../src/dashboard/server.js');
  const { MemorySource } = await import('../fixtures/memory-source.js');
  const source = new MemorySource({ workers: [a, b, solo] });
  const d = await startDashboard(source, { host: '127.0.0.1', port: 0 });
  t.teardown(() => d.close());
  source.emit({ kind: 'worker-log', worker: 'dup', workerId: 'w2', time: T0, text: 'from b' });
  let r = await fetch(`${d.url}api/worker?id=w2`);
  t.equal(r.status, 200);
  const byId = (await r.json()) as { id: string; row: { address: string }; log: unknown[] };
  t.same([byId.id, byId.row.address, byId.log.length], ['w2', 'ws://10.0.0.2:4000', 1], 'by id: that worker');
  t.same(((await (await fetch(`${d.url}api/worker?id=w1`)).json()) as { log: unknown }).log, [], 'and not the other\'s log');
  r = await fetch(`${d.url}api/worker?id=w9`);
  t.equal(r.status, 404);
  t.match(await r.text(), /no worker with id "w9"/);
  r = await fetch(`${d.url}api/worker?name=dup`);
  t.equal(r.status, 200);
  t.same(await r.json(), { name: 'dup', matches: [
    { id: 'w1', name: 'dup', address: 'ws://10.0.0.1:4000', host: 'node-a', alive: true },
    { id: 'w2', name: 'dup', address: 'ws://10.0.0.2:4000', host: 'node-b', alive: true },
  ] }, 'by a name two workers have: both listed');
  r = await fetch(`${d.url}api/worker?name=solo`);
  t.equal(((await r.json()) as { id: string }).id, 'w3', 'by a name one worker has: its page, as old links expect');
});
