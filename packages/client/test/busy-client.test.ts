/**
 * A busy client (a long synchronous computation: its event loop cannot answer the scheduler's
 * pings) is dropped after the heartbeat TTL, and comes back when the computation ends. It is told
 * that it was dropped and what that cost: within the scheduler's session grace its keys were
 * kept (nothing lost); with no grace they were released, and its results are computed again.
 * Before, both said only `reconnected …; re-sent 4 held key(s)`. A real scheduler and worker, and
 * the client in a process of its own (fixtures/busy-client.mjs), busy until the test lets it go.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { startCommand, startScheduler, startWorker, type Proc } from '../../worker/test/procs.js';
import { until } from '../../../test/helpers/until.js';

const here = dirname(fileURLToPath(import.meta.url));
const procs: Proc[] = [];
t.teardown(() => {
  for (const p of procs) p.kill('SIGKILL');
});

/** Runs the busy client against a scheduler with `grace`; returns its output once it is done. */
async function busyClient(t: Test, grace: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'gluon-busy-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const s = await startScheduler(0, ['--heartbeat-ttl', '2s', '--session-grace', grace]);
  procs.push(s.proc);
  procs.push((await startWorker(s.address, ['--nthreads', '1', '--allow-module', join(here, 'fixtures')])).proc);
  const go = join(dir, 'go');
  const client = startCommand(process.execPath, [join(here, 'fixtures/busy-client.mjs'), s.address, go]);
  procs.push(client);
  await client.waitFor(/^busy$/m);
  // The scheduler dropped it, and kept or released its keys: then the computation ends.
  await s.proc.waitFor(/client \S+ \(.*\) lost: connection closed \(4009[^\n]*(keeping its keys|releasing its keys)/, 120_000);
  writeFileSync(go, '');
  await client.waitFor(/^sum 12$/m, 120_000);
  t.equal(await client.exited(), 0, 'the client finished its work and exited 0');
  return client.output();
}

t.test('dropped while busy, back within the session grace: told so, and that nothing was lost', async (t) => {
  const out = await busyClient(t, '60s');
  t.match(out, /gluon client: the scheduler dropped this client \(4009: nothing heard from this side for \d+ ms [^\n]*\): this process answered nothing for that long \(busy: a long synchronous computation, or stopped\); reconnecting/, 'the drop, the scheduler\'s reason and what it means');
  t.match(out, /gluon client: reconnected to ws:\/\/\S+ after [^;]+; back within the scheduler's --session-grace: it kept this client's 4 held key\(s\), nothing was lost or is computed again/, 'and what it cost');
});

t.test('dropped while busy with no session grace: told that its keys were released and results are computed again', async (t) => {
  const out = await busyClient(t, '0');
  t.match(out, /gluon client: reconnected to ws:\/\/\S+ after [^;]+; the scheduler had released this client's keys meanwhile \(back after its --session-grace\): re-sent 4 held key\(s\); results no other client held are computed again/);
});

t.test('a scheduler gone silent (stopped) is dropped by this client: told it lost the scheduler, not that the scheduler dropped it', async (t) => {
  // The client's own watchdog closes with the same code (4009) as a scheduler dropping a silent
  // client; 231e89f took one for the other, and across-hosts-restarts' cut link said "the scheduler
  // dropped this client … this process answered nothing" of a client that had answered everything.
  const dir = mkdtempSync(join(tmpdir(), 'gluon-busy-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const s = await startScheduler(0, ['--heartbeat-ttl', '2s', '--session-grace', '60s']);
  procs.push(s.proc);
  procs.push((await startWorker(s.address, ['--nthreads', '1', '--allow-module', join(here, 'fixtures')])).proc);
  const go = join(dir, 'go');
  const client = startCommand(process.execPath, [join(here, 'fixtures/busy-client.mjs'), s.address, go, 'idle']);
  procs.push(client);
  await client.waitFor(/^waiting$/m);
  // What the client says from the stop on: on a loaded machine the 2 s TTL can have dropped it
  // (its process or the scheduler's stalled that long) before, and it said so then, and
  // reconnected; what is tested is what it says of the scheduler stopped.
  const before = client.output().length;
  s.proc.kill('SIGSTOP');
  t.teardown(() => s.proc.kill('SIGCONT'));
  await until(() => /gluon client: lost the scheduler connection \(4009: nothing heard for \d+ ms \(limit \d+ ms\)\); reconnecting/.test(client.output().slice(before)), 'the client dropping the stopped scheduler', 120_000);
  t.notMatch(client.output().slice(before), /the scheduler dropped this client/, 'not blamed on this client');
  s.proc.kill('SIGCONT');
  writeFileSync(go, '');
  await client.waitFor(/^sum 12$/m, 120_000);
  t.equal(await client.exited(), 0, 'the client reconnected, finished its work and exited 0');
});
