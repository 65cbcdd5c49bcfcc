/**
 * Tasks that misbehave, against a real worker process: a runaway loop that is cancelled or
 * times out (its thread is replaced, the tasks behind it run, SIGTERM does not wait for it), and
 * one that grows past --memory-limit (stopped, failing with the limit named).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import t, { type Test } from 'tap';
import type { TaskSpec } from '@gluon/protocol';
import { startScheduler as startInProcess } from '@gluon/scheduler';
import { fixture, RawClient, startScheduler, startWorker, type Proc, endWithCase } from '../procs.js';

const procs: Proc[] = [];
const clients: RawClient[] = [];
t.teardown(async () => {
  for (const c of clients) c.close();
  for (const p of procs) p.kill('SIGKILL');
});
let seq = 0;
const spec = (group: string, exp: string, args: unknown[]): TaskSpec => ({ key: `${group}-${++seq}`, fn: { module: pathToFileURL(fixture).href, export: exp }, args, deps: [] });

/** A scheduler, one single-threaded worker (with `workerArgs`) and a raw client. */
async function cluster(workerArgs: string[] = [], schedulerArgs: string[] = []) {
  const s = await startScheduler(0, schedulerArgs);
  procs.push(s.proc);
  const w = await startWorker(s.address, ['--nthreads', '1', ...workerArgs]);
  procs.push(w.proc);
  const client = await RawClient.connect(s.address);
  clients.push(client);
  return { s, workers: [w], client };
}

/** Resolves once `cond()` holds, checking every 20 ms; rejects after `ms`. */
async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A scratch directory for a runaway task's "started" mark. */
function markFile(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'gluon-spin-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'started');
}

t.test('a cancelled runaway task: its thread is replaced, tasks behind it run, SIGTERM exits promptly', async (t) => {
  endWithCase(t, { procs, clients });
  const { workers, client } = await cluster();
  const mark = markFile(t);
  const spinner = spec('spin', 'spin', [mark]);
  client.conn.send({ op: 'update-graph', tasks: [spinner], wants: [spinner.key] });
  await until(() => existsSync(mark), 120_000, 'the runaway task started');
  // Queued behind it on the worker's only thread: before, these never ran.
  const after = Array.from({ length: 5 }, (_, i) => spec('inc', 'inc', [i]));
  client.conn.send({ op: 'update-graph', tasks: after, wants: after.map((x) => x.key) });
  client.conn.send({ op: 'cancel', keys: [spinner.key] });
  const res = await client.results(after.map((x) => x.key));
  for (let i = 0; i < 5; i++) t.equal(res.get(after[i]!.key)!.value, i + 1);
  t.notOk(client.messages.some((m) => m.op === 'task-erred' && m.key === spinner.key), 'a cancelled task reports nothing');
  // Nothing runs any more, so SIGTERM has nothing to wait for (it waited its whole 30 s grace).
  workers[0]!.proc.kill('SIGTERM');
  t.equal(await workers[0]!.proc.exited(20_000), 0);
});

t.test("a cancelled runaway task's stop is said in the worker's log and counted in the scheduler's /metrics", async (t) => {
  endWithCase(t, { procs, clients });
  // In process, for its /metrics (its dashboard on a free port); the worker is a real process.
  const s = await startInProcess({ port: 0, dashboardPort: 0, log: () => {} });
  t.teardown(() => s.close());
  const w = await startWorker(s.address, ['--nthreads', '1', '--name', 'stopper']);
  procs.push(w.proc);
  const client = await RawClient.connect(s.address);
  clients.push(client);
  const mark = markFile(t);
  const spinner = spec('spin', 'spin', [mark]);
  client.conn.send({ op: 'update-graph', tasks: [spinner], wants: [spinner.key] });
  await until(() => existsSync(mark), 120_000, 'the runaway task started');
  client.conn.send({ op: 'cancel', keys: [spinner.key] });
  // Before, the worker said nothing: the runaway loop and its thread went without a trace.
  const [line] = await w.proc.waitFor(new RegExp(`stopped task ${spinner.key} after it ran (\\d+ ms|\\d+\\.\\d s): it was cancelled and still ran 500 ms later; its thread was terminated and replaced`), 60_000);
  const ran = /after it ran (\d+(?:\.\d)?) (ms|s)/.exec(line)!;
  t.ok(Number(ran[1]) * (ran[2] === 's' ? 1000 : 1) >= 500, `it ran at least the 500 ms grace: ${line}`);
  const metrics = new URL('metrics', s.dashboardUrl).href;
  const stopped = async () => /^gluon_worker_cancelled_tasks_stopped_total\{worker="stopper",[^}]*\} (\d+)$/m.exec(await (await fetch(metrics)).text())?.[1];
  let value: string | undefined;
  const deadline = Date.now() + 120_000;
  while ((value = await stopped()) !== '1' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  t.equal(value, '1', "the worker's next heartbeat counts it, and /metrics shows it");
});

t.test('timeoutMs stops a runaway task and fails it with a clear error; the worker runs on', async (t) => {
  endWithCase(t, { procs, clients });
  const { s, client } = await cluster();
  const spinner = { ...spec('spin', 'spin', []), timeoutMs: 300, retries: 1 };
  const next = spec('inc', 'inc', [41]);
  client.conn.send({ op: 'update-graph', tasks: [spinner, next], wants: [spinner.key, next.key] });
  const res = await client.results([spinner.key, next.key], 120_000);
  const err = res.get(spinner.key)!;
  t.equal(err.op, 'task-erred');
  t.match(err.error, { name: 'TaskTimeoutError', message: /ran longer than its timeoutMs of 300 ms; its thread was stopped/, kind: 'exception', retriesUsed: 1 });
  t.equal(res.get(next.key)!.value, 42);
  // A bad timeout is refused at the scheduler, naming the field.
  const bad = await RawClient.connect(s.address);
  clients.push(bad);
  const closed = new Promise<[number, string]>((r) => bad.conn.on('close', (code: number, why: string) => r([code, why])));
  bad.conn.send({ op: 'update-graph', tasks: [{ ...spec('inc', 'inc', [1]), timeoutMs: -5 }], wants: [] });
  const [code, why] = await closed;
  t.equal(code, 4003);
  t.match(why, /update-graph: tasks\[0\]\.timeoutMs \(task inc-\d+\) must be a finite number ≥ 1 ≤ 2147483647, got number -5/);
});

t.test('--memory-limit is enforced: a task that grows past it is stopped and fails naming the limit', async (t) => {
  endWithCase(t, { procs, clients });
  const { workers: [w], client } = await cluster(['--memory-limit', '300MiB', '--name', 'capped'], ['--allowed-failures', '1']);
  // Typed arrays live outside V8's heap: only the RSS monitor sees them (before, this returned 1024).
  const hog = spec('hog', 'hogBuffers', [1024]);
  client.conn.send({ op: 'update-graph', tasks: [hog], wants: [hog.key] });
  const res = (await client.results([hog.key])).get(hog.key)!;
  t.equal(res.op, 'task-erred', `the task failed (got ${JSON.stringify(res).slice(0, 200)})`);
  t.match(res.error, { kind: 'worker-died', name: 'KilledWorker', message: /memory limit exceeded: the worker's RSS of \d+ MiB is over its memory limit of 300 MiB; task hog-\d+ was running longest/ });
  t.match(w!.proc.output(), /over its memory limit of 300 MiB: stopped task hog-\d+/);
  const next = spec('inc', 'inc', [1]);
  client.conn.send({ op: 'update-graph', tasks: [next], wants: [next.key] });
  t.equal((await client.results([next.key], 120_000)).get(next.key)!.value, 2, 'the worker runs on once its RSS is back under the limit');
  t.equal(w!.proc.child.exitCode, null);
});
