/**
 * Graceful retirement with real processes: a worker holding results that is stopped mid-run
 * (SIGTERM, or its --lifetime ending) has them copied to the other worker before it leaves, and
 * the run completes with every task executed once. Each task run writes a line in a file of its
 * own, so a task run twice shows as two lines; before retirement kept results, the stopped
 * worker's results were computed again.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import t from 'tap';
import type { TaskSpec } from '@gluon/protocol';
import { endAfter, fixture, RawClient, startScheduler, startWorker, endWithCase } from '../procs.js';

const mod = pathToFileURL(fixture).href;
const { procs, clients } = endAfter(t);
const N = 8;
/** Float64s per leaf result: 32 KiB, over the 16 KiB that travel inline (an inline copy would survive its worker anyway). */
const LEN = 4096;

/** Waits, bounded, until `pred` holds; it checks a file or asks the scheduler, paced at 50 ms. */
async function until<T>(what: string, pred: () => Promise<T | undefined> | T | undefined, ms = 120_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await pred();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`never ${what} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function whoHas(client: RawClient, keys: string[]): Promise<Record<string, string[]>> {
  const reply = await client.conn.request({ op: 'who-has', keys }, 120_000);
  return (reply.whoHas ?? {}) as Record<string, string[]>;
}

/** The lines each task's file has: one per run. */
function runsOf(dir: string, keys: string[]): Record<string, number> {
  return Object.fromEntries(keys.map((k) => [k, existsSync(join(dir, k)) ? readFileSync(join(dir, k), 'utf8').trim().split('\n').length : 0]));
}

function graph(dir: string): { gate: TaskSpec; leaves: TaskSpec[]; total: TaskSpec } {
  const gate: TaskSpec = { key: 'gate-1', fn: { module: mod, export: 'fileGated' }, args: [join(dir, 'gate-1'), join(dir, 'open'), 1], deps: [] };
  const leaves = Array.from({ length: N }, (_, i): TaskSpec => ({ key: `ramp-${i}`, fn: { module: mod, export: 'countedRampPid' }, args: [join(dir, `ramp-${i}`), LEN], deps: [] }));
  const total: TaskSpec = {
    key: 'total-1', fn: { module: mod, export: 'totalLengthPlus' },
    args: [{ __gluonRef: 'gate-1' }, ...leaves.map((l) => ({ __gluonRef: l.key }))], deps: ['gate-1', ...leaves.map((l) => l.key)],
  };
  return { gate, leaves, total };
}

t.test('SIGTERM to a worker holding results mid-run: they are copied to the other worker, and no task runs twice', async (t) => {
  endWithCase(t, { procs, clients });
  const dir = mkdtempSync(join(tmpdir(), 'gluon-retire-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const s = await startScheduler(0);
  procs.push(s.proc);
  const a = await startWorker(s.address, ['--nthreads', '1', '--name', 'a']);
  const b = await startWorker(s.address, ['--nthreads', '1', '--name', 'b']);
  procs.push(a.proc, b.proc);
  const client = await RawClient.connect(s.address);
  clients.push(client);
  const { gate, leaves, total } = graph(dir);
  // The gate after every leaf (it takes them as arguments it ignores): no leaf waits behind it on its worker.
  const afterLeaves = { ...gate, args: [...gate.args, 300_000, ...leaves.map((l) => ({ __gluonRef: l.key }))], deps: leaves.map((l) => l.key) };
  client.conn.send({ op: 'update-graph', tasks: [...leaves, afterLeaves, total], wants: ['total-1'] });
  const keys = leaves.map((l) => l.key);
  const held = await until('every leaf held', async () => {
    const h = await whoHas(client, keys);
    return keys.every((k) => (h[k] ?? []).length > 0) ? h : undefined;
  });
  const gatePid = Number(await until('the gate started', () => /^ran (\d+)/.exec(existsSync(join(dir, 'gate-1')) ? readFileSync(join(dir, 'gate-1'), 'utf8') : '')?.[1]));
  // The worker not held by the gate is stopped; the other is still there to take its results.
  const [victim, gateWorker] = gatePid === a.proc.child.pid ? [b, a] : [a, b];
  t.equal(gateWorker.proc.child.pid, gatePid, 'the gate runs on one of the two workers');
  const onVictim = keys.filter((k) => held[k]!.includes(victim.address)).length;
  t.ok(onVictim > 0, `the victim holds ${onVictim} of the ${N} leaves`);

  victim.proc.kill('SIGTERM');
  t.equal(await victim.proc.exited(), 0, 'the victim exits cleanly');
  const m = /the scheduler says: retired: (\d+) result\(s\) copied to 1 other worker\(s\)/.exec(victim.proc.output());
  t.ok(m, `the victim waited for its results to be copied; its log:\n${victim.proc.output()}`);
  t.equal(Number(m?.[1]), onVictim, 'every leaf it held was copied');
  t.match(s.proc.output(), new RegExp(`worker ${victim.name} retired: ${onVictim} result\\(s\\) copied to 1 other worker\\(s\\)`), 'the scheduler\'s log says so too');
  const after = await whoHas(client, keys);
  t.ok(keys.every((k) => (after[k] ?? []).includes(gateWorker.address)), 'the gatekeeper holds every leaf now');

  writeFileSync(join(dir, 'open'), '');
  const r = (await client.results(['total-1'])).get('total-1')!;
  t.equal(r.op, 'key-in-memory');
  t.same(runsOf(dir, [...keys, 'gate-1']), Object.fromEntries([...keys, 'gate-1'].map((k) => [k, 1])), 'every task ran exactly once');
  t.equal(r.value, N * LEN + 1, 'the total is right');
});

t.test('a worker with --lifetime retires by itself, its results copied, and the run completes with no task run twice', async (t) => {
  endWithCase(t, { procs, clients });
  const dir = mkdtempSync(join(tmpdir(), 'gluon-lifetime-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const s = await startScheduler(0);
  procs.push(s.proc);
  const gateWorker = await startWorker(s.address, ['--nthreads', '1', '--name', 'gatekeeper']);
  procs.push(gateWorker.proc);
  const client = await RawClient.connect(s.address);
  clients.push(client);
  const { gate, leaves, total } = graph(dir);
  client.conn.send({ op: 'update-graph', tasks: [gate], wants: ['gate-1'] });
  await until('the gate started', () => (existsSync(join(dir, 'gate-1')) ? true : undefined));
  const mortal = await startWorker(s.address, ['--nthreads', '1', '--name', 'mortal', '--lifetime', '8s', '--lifetime-stagger', '2s']);
  procs.push(mortal.proc);
  client.conn.send({ op: 'update-graph', tasks: [...leaves, total], wants: ['total-1'] });
  const said = await mortal.proc.waitFor(/lifetime: retiring in ([\d.]+) s/);
  const planned = Number(said[1]);
  t.ok(planned >= 6 && planned <= 10, `its lifetime of 8 s ± 2 s came out as ${planned} s`);
  // Nothing is sent to it: it leaves by itself when its lifetime ends.
  t.equal(await mortal.proc.exited(), 0, 'it exits cleanly');
  t.match(mortal.proc.output(), /lifetime of [\d.]+ s reached: handing back queued work/);
  const m = /the scheduler says: retired: (\d+) result\(s\) copied/.exec(mortal.proc.output()) ?? /the scheduler says: retired: nothing to move/.exec(mortal.proc.output());
  t.ok(m, `it waited for the scheduler's word before leaving; its log:\n${mortal.proc.output()}`);
  t.comment(`it had ${m?.[1] ?? 0} result(s) copied`);
  writeFileSync(join(dir, 'open'), '');
  const r = (await client.results(['total-1'])).get('total-1')!;
  t.equal(r.value, N * LEN + 1, 'the total is right');
  const keys = [...leaves.map((l) => l.key), 'gate-1'];
  t.same(runsOf(dir, keys), Object.fromEntries(keys.map((k) => [k, 1])), 'every task ran exactly once');
});

t.test('the last worker retiring at the end of its lifetime waits for a worker to join, copies its results to it, and no task runs twice', async (t) => {
  endWithCase(t, { procs, clients });
  const dir = mkdtempSync(join(tmpdir(), 'gluon-lifetime-wait-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const s = await startScheduler(0);
  procs.push(s.proc);
  const mortal = await startWorker(s.address, ['--nthreads', '1', '--name', 'mortal', '--lifetime', '5s']);
  procs.push(mortal.proc);
  const client = await RawClient.connect(s.address);
  clients.push(client);
  const { leaves } = graph(dir);
  const keys = leaves.map((l) => l.key);
  // The client wants the leaves and has not fetched them (32 KiB each, not inline): they are needed from their holder.
  client.conn.send({ op: 'update-graph', tasks: leaves, wants: keys });
  await client.results(keys);
  // Its lifetime ends with no other worker: the scheduler holds it and says what for.
  await s.proc.waitFor(/worker mortal retires at the end of its lifetime holding (\d+) needed result\(s\) and no other worker is running to take them: waiting for a worker to join/);
  t.equal(mortal.proc.child.exitCode, null, 'it is still there, waiting');
  const heir = await startWorker(s.address, ['--nthreads', '1', '--name', 'heir']);
  procs.push(heir.proc);
  t.equal(await mortal.proc.exited(), 0, 'it exits cleanly');
  const m = /the scheduler says: retired: (\d+) result\(s\) copied to 1 other worker\(s\)/.exec(mortal.proc.output());
  t.ok(m, `it waited for the heir and had its results copied; its log:\n${mortal.proc.output()}`);
  t.equal(Number(m?.[1]), N, 'every leaf was copied');
  t.match(s.proc.output(), /worker mortal waited [\d.]+ s for a worker to take its results; heir joined/);
  const after = await whoHas(client, keys);
  t.ok(keys.every((k) => (after[k] ?? []).includes(heir.address)), 'the heir holds every leaf');
  // A dependent of every leaf, submitted once the mortal has gone: it runs on the heir's copies.
  const total: TaskSpec = { key: 'total-1', fn: { module: mod, export: 'totalLength' }, args: keys.map((k) => ({ __gluonRef: k })), deps: keys };
  client.conn.send({ op: 'update-graph', tasks: [total], wants: ['total-1'] });
  const r = (await client.results(['total-1'])).get('total-1')!;
  t.equal(r.value, N * LEN, 'the total is right');
  t.same(runsOf(dir, keys), Object.fromEntries(keys.map((k) => [k, 1])), 'every leaf ran exactly once');
});

t.test('a user\'s SIGTERM to the last worker stays prompt: with no one to take its results it leaves at once', async (t) => {
  endWithCase(t, { procs, clients });
  const dir = mkdtempSync(join(tmpdir(), 'gluon-sigterm-last-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const s = await startScheduler(0);
  procs.push(s.proc);
  const only = await startWorker(s.address, ['--nthreads', '1', '--name', 'only']);
  procs.push(only.proc);
  const client = await RawClient.connect(s.address);
  clients.push(client);
  const keys = graph(dir).leaves.map((l) => l.key);
  client.conn.send({ op: 'update-graph', tasks: graph(dir).leaves, wants: keys });
  await client.results(keys);
  only.proc.kill('SIGTERM');
  t.equal(await only.proc.exited(), 0, 'it exits cleanly');
  t.match(only.proc.output(), /the scheduler says: retired: no other worker to move its results to/, 'told to close at once, not held');
});
