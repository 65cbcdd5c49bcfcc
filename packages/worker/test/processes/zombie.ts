/**
 * A worker frozen (SIGSTOP) for longer than the scheduler's heartbeat TTL, then resumed: the
 * scheduler must close its expired connection, so the worker registers anew with what it holds
 * and takes new work. Before that fix the worker stayed connected as a zombie whose heartbeats
 * were ignored, and work submitted meanwhile waited forever.
 */
import { pathToFileURL } from 'node:url';
import t from 'tap';
import type { TaskSpec } from '@gluon/protocol';
import { endAfter, fixture, RawClient, startScheduler, startWorker, endWithCase } from '../procs.js';
import { until } from '../../../../test/helpers/until.js';

const mod = pathToFileURL(fixture).href;
const { procs, clients } = endAfter(t);
/** The worker's line once it has registered again holding inc-1. */
const REREGISTERED = /re-registered with ws:\/\/\S+ holding 1 result/;
const inc = (key: string, x: number): TaskSpec => ({ key, fn: { module: mod, export: 'inc' }, args: [x], deps: [] });

/** Asks who-has until `pred` holds for the holders of `key`; bounded in count and time. */
async function whoHasUntil(client: RawClient, key: string, pred: (holders: string[]) => boolean, what: string): Promise<string[]> {
  const deadline = Date.now() + 120_000;
  for (let i = 0; i < 2400 && Date.now() < deadline; i++) {
    const reply = await client.conn.request({ op: 'who-has', keys: [key] }, 120_000);
    const holders = ((reply.whoHas ?? {}) as Record<string, string[]>)[key] ?? [];
    if (pred(holders)) return holders;
    // Paced polling of the scheduler's answer, not a guess at how long anything takes.
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`who-has ${key}: never ${what}`);
}

t.test('a worker frozen past the heartbeat TTL is closed, re-registers with its results, and takes new work', async (t) => {
  endWithCase(t, { procs, clients });
  const s = await startScheduler(0, ['--heartbeat-ttl', '1s']);
  procs.push(s.proc);
  const w = await startWorker(s.address, ['--nthreads', '1']);
  procs.push(w.proc);
  const client = await RawClient.connect(s.address);
  clients.push(client);

  client.conn.send({ op: 'update-graph', tasks: [inc('inc-1', 1)], wants: ['inc-1'] });
  t.equal((await client.results(['inc-1'])).get('inc-1')!.value, 2);

  // What the worker says from its stop on: on a loaded machine the 1 s TTL can already have
  // dropped it, or it the scheduler (either process not run for that long), and it said so then
  // and registered again with inc-1; the whole output, matched, took those lines for the stop's.
  // Stopped only once no such registration is under way: one frozen half done came back after
  // the stop as a plain re-registration, with nothing to say of the stop.
  const count = (re: RegExp) => (w.proc.output().match(re) ?? []).length;
  await until(() => count(/lost the scheduler \(|presumed this worker dead/g) === count(/re-registered with /g), 'the worker registered, no reconnection under way');
  const mark = w.proc.output().length;
  const since = () => w.proc.output().slice(mark);
  w.proc.kill('SIGSTOP');
  // The scheduler expires it: its only result has no holder any more.
  await whoHasUntil(client, 'inc-1', (h) => h.length === 0, 'lost its holder after the TTL');
  // New work while no worker is registered: it waits in the scheduler's queue.
  client.conn.send({ op: 'update-graph', tasks: [inc('inc-2', 2)], wants: ['inc-2'] });
  w.proc.kill('SIGCONT');

  await until(() => REREGISTERED.test(since()), 'the worker registered again after its stop', 120_000);
  // Said as what happened: it said "lost the scheduler (4007 …)", which was there all along.
  t.match(since(), /the scheduler presumed this worker dead and dropped it \(4007: no heartbeat within 1000 ms; register again\): this process did not run for \d+\.\d s \(stopped: SIGSTOP, a paused VM, swapping\)\. It gave this worker's tasks to other workers; the ones still running here finish\. Registering again, offering back the 1 result\(s\) held here\n/, 'the worker says it was dropped as dead for its own stop, and what follows');
  t.notMatch(since(), /lost the scheduler/, 'not that it lost the scheduler');
  const r2 = await client.waitFor((m) => m.op === 'key-in-memory' && m.key === 'inc-2', 120_000, 'inc-2 computed by the resumed worker');
  t.equal(r2.value, 3, 'new work runs on the worker that came back');
  const holders = await whoHasUntil(client, 'inc-1', (h) => h.length > 0, 'came back');
  t.same(holders, [w.address], 'its stored result is taken back from it, not recomputed elsewhere');
  const notices = client.messages.filter((m) => m.op === 'key-in-memory' && m.key === 'inc-1');
  const registrations = 1 + (w.proc.output().match(new RegExp(REREGISTERED, 'g')) ?? []).length;
  t.ok(notices.length >= 1 && notices.length <= registrations, `inc-1 announced ${notices.length} time(s): first run, then at most once per registration holding it (${registrations})`);
});
