/**
 * The worker as a real process against a real scheduler process, driven by a raw protocol
 * client (update-graph in, key-in-memory / task-erred out) and raw peers on its data listener.
 */
import { pathToFileURL } from 'node:url';
import t, { type Test } from 'tap';
import { CloseCode, connect, isPermanentRefusal, type Message, type TaskSpec } from '@gluon/protocol';
import { ALLOW_FIXTURES, fixture, getData, RawClient, startScheduler, startWorker, type Proc, endWithCase } from '../procs.js';
import { until } from '../../../../test/helpers/until.js';

const mod = pathToFileURL(fixture).href;
const procs: Proc[] = [];
const clients: RawClient[] = [];
t.teardown(async () => {
  for (const c of clients) c.close();
  for (const p of procs) p.kill('SIGKILL');
});
const ref = (key: string) => ({ __gluonRef: key });
let seq = 0;
/** A task spec with a unique key in group `group`. */
function spec(group: string, exp: string, args: unknown[], deps: string[] = [], module = mod): TaskSpec {
  return { key: `${group}-${++seq}`, fn: { module, export: exp }, args, deps };
}

async function cluster(nWorkers: number, workerArgs: string[] = []) {
  const s = await startScheduler();
  procs.push(s.proc);
  const workers = [];
  for (let i = 0; i < nWorkers; i++) {
    const w = await startWorker(s.address, ['--nthreads', '1', ...workerArgs]);
    procs.push(w.proc);
    workers.push(w);
  }
  const client = await RawClient.connect(s.address);
  clients.push(client);
  return { s, workers, client };
}

t.test('one scheduler, two workers: a chain and a fan-in across workers, results served to raw peers', async (t) => {
  endWithCase(t, { procs, clients });
  const { workers, client } = await cluster(2);
  const leaves = Array.from({ length: 20 }, (_, i) => spec('inc', 'inc', [i]));
  const ramp = spec('ramp', 'ramp', [5000, 1]);
  const total = spec('sum', 'sum', [ref(ramp.key)], [ramp.key]);
  const nested = spec('nested', 'nested', [{ xs: [ref(leaves[0]!.key), ref(leaves[1]!.key)], y: { z: ref(leaves[2]!.key) } }], leaves.slice(0, 3).map((l) => l.key));
  const all = [...leaves, ramp, total, nested];
  client.conn.send({ op: 'update-graph', tasks: all, wants: all.map((x) => x.key) });
  const res = await client.results(all.map((x) => x.key));
  for (let i = 0; i < 20; i++) t.equal(res.get(leaves[i]!.key)!.value, i + 1);
  t.equal(res.get(total.key)!.value, (4999 * 5000) / 2, 'the typed-array dependency arrived whole');
  t.equal(res.get(nested.key)!.value, 1 + 2 + 3, 'nested refs substituted');
  const big = res.get(ramp.key)!;
  t.equal(big.hasValue, undefined, 'a 40 kB result is not inlined');
  t.equal(big.typeName, 'Float64Array');
  const holder = (big.workers as string[])[0]!;
  t.ok(workers.some((w) => w.address === holder), 'key-in-memory names a worker data address');
  const reply = await getData(holder, [ramp.key, 'nope-1']);
  const arr = (reply.data as Record<string, unknown>)[ramp.key] as Float64Array;
  t.ok(arr instanceof Float64Array);
  t.equal(arr.length, 5000);
  t.same(reply.missing, ['nope-1']);
});

t.test('task errors: exceptions with remote stacks, disallowed and built-in modules, process.exit', async (t) => {
  endWithCase(t, { procs, clients });
  const { workers, client } = await cluster(1, ['--name', 'wx']);
  const boom = spec('explode', 'explode', ['now']);
  const denied = spec('f', 'f', [], [], 'file:///etc/gluon-not-here.mjs');
  const builtin = spec('exec', 'execSync', ['echo hi'], [], 'node:child_process');
  const uninstalled = spec('g', 'g', [], [], 'some-uninstalled-package-xyz');
  const exit = spec('exitNow', 'exitNow', [7]);
  const all = [boom, denied, builtin, uninstalled, exit];
  client.conn.send({ op: 'update-graph', tasks: all, wants: all.map((x) => x.key) });
  const res = await client.results(all.map((x) => x.key), 120_000);
  const err = (k: TaskSpec) => res.get(k.key)!.error as Record<string, unknown>;
  t.match(err(boom), { name: 'RangeError', message: 'boom: now', kind: 'exception', worker: 'wx', stack: /at explode \(.*tasks\.mjs/ });
  // Refused by the only worker, for good (nothing absent that could still appear): they fail at once.
  t.match(err(denied), { kind: 'not-allowed', message: /^no connected worker accepts module file:\/\/\/etc\/gluon-not-here\.mjs: worker wx: file \/etc\/gluon-not-here\.mjs does not exist on this worker, and is not under any --allow-module directory/ });
  t.match(err(builtin), { kind: 'not-allowed', message: /^no connected worker accepts module node:child_process: worker wx: Node built-in/ });
  t.match(err(uninstalled), { kind: 'not-allowed', message: /^no connected worker accepts module some-uninstalled-package-xyz: worker wx: package some-uninstalled-package-xyz is not installed where the worker runs/ });
  t.match(err(exit), { kind: 'worker-died', name: 'KilledWorker', message: /ended 3 worker threads .*exit code 7/ });
  // The worker process survived all of it and still computes.
  const after = spec('inc', 'inc', [1]);
  client.conn.send({ op: 'update-graph', tasks: [after], wants: [after.key] });
  t.equal((await client.results([after.key])).get(after.key)!.value, 2);
  t.equal(workers[0]!.proc.child.exitCode, null);
});

t.test('the data listener checks the token and answers only get-data', async (t) => {
  endWithCase(t, { procs, clients });
  const s = await startScheduler(0, ['--token', 'sekrit']);
  procs.push(s.proc);
  const w = await startWorker(s.address, ['--token', 'sekrit', '--nthreads', '1']);
  procs.push(w.proc);
  await t.rejects(connect(w.address, { role: 'peer' }, { token: 'wrong', log: () => {} }), { code: 4001 });
  await t.rejects(connect(w.address, { role: 'peer' }, { log: () => {} }), { code: 4001 });
  const reply = await getData(w.address, ['x-1'], 'sekrit');
  t.same(reply.data, {});
  t.same(reply.missing, ['x-1']);
  const { conn } = await connect(w.address, { role: 'peer' }, { token: 'sekrit', log: () => {} });
  const closed = new Promise<[number, string]>((r) => conn.on('close', (code: number, reason: string) => r([code, reason])));
  conn.send({ op: 'compute-task', key: 'evil-1' });
  const [code, reason] = await closed;
  t.equal(code, 4003);
  t.match(reason, /op "compute-task" is not accepted from a peer \(it is sent by the scheduler to the worker\)/);
  t.equal(w.proc.child.exitCode, null, 'the worker keeps running');
});

t.test('a scheduler restart: the worker reconnects, re-registers its results and computes again', async (t) => {
  endWithCase(t, { procs, clients });
  const { s, workers, client } = await cluster(1);
  const a = spec('inc', 'inc', [10]);
  client.conn.send({ op: 'update-graph', tasks: [a], wants: [a.key] });
  t.equal((await client.results([a.key])).get(a.key)!.value, 11);
  const port = new URL(s.address).port;
  s.proc.kill('SIGTERM');
  t.equal(await s.proc.exited(), 0);
  await workers[0]!.proc.waitFor(/lost the scheduler/);
  const s2 = await startScheduler(Number(port));
  procs.push(s2.proc);
  await workers[0]!.proc.waitFor(/re-registered with ws:\/\/\S+ holding 1 result/, 120_000);
  const c2 = await RawClient.connect(s2.address);
  clients.push(c2);
  const b = spec('inc', 'inc', [20]);
  c2.conn.send({ op: 'update-graph', tasks: [b], wants: [b.key] });
  const r = (await c2.results([b.key])).get(b.key)!;
  t.equal(r.value, 21);
  t.same(r.workers, [workers[0]!.address]);
});

t.test('SIGTERM: queued tasks are handed back, the running one finishes, exit 0', async (t) => {
  endWithCase(t, { procs, clients });
  const { workers, client } = await cluster(2);
  const [w1, w2] = workers as [typeof workers[0], typeof workers[0]];
  const tasks = Array.from({ length: 12 }, (_, i) => spec('sleep', 'sleep', [300, i]));
  client.conn.send({ op: 'update-graph', tasks, wants: tasks.map((x) => x.key) });
  // Once w1 has started something, stop it.
  await client.waitFor((m: Message) => m.op === 'key-in-memory', 120_000, 'a first result');
  w1.proc.kill('SIGTERM');
  t.equal(await w1.proc.exited(120_000), 0, 'exit code 0');
  t.match(w1.proc.output(), /SIGTERM: handing back queued work/);
  const res = await client.results(tasks.map((x) => x.key), 120_000);
  for (let i = 0; i < tasks.length; i++) t.equal(res.get(tasks[i]!.key)!.value, i, `task ${i}`);
  t.equal(w2.proc.child.exitCode, null);
});

t.test('--nworkers starts several worker processes and stops them together', async (t) => {
  endWithCase(t, { procs, clients });
  const s = await startScheduler();
  procs.push(s.proc);
  const { start, workerCli } = await import('../procs.js');
  const sup = start(workerCli, [s.address, '--nworkers', '2', '--nthreads', '1', '--name', 'pair', ...ALLOW_FIXTURES]);
  procs.push(sup);
  await sup.waitFor(/^worker pair-0 at /m);
  await sup.waitFor(/^worker pair-1 at /m);
  const client = await RawClient.connect(s.address);
  clients.push(client);
  const tasks = Array.from({ length: 10 }, (_, i) => spec('inc', 'inc', [i]));
  client.conn.send({ op: 'update-graph', tasks, wants: tasks.map((x) => x.key) });
  const res = await client.results(tasks.map((x) => x.key));
  t.equal(res.size, 10);
  sup.kill('SIGTERM');
  t.equal(await sup.exited(120_000), 0);
});

t.test('the token is on no command line of a worker or its --nworkers children (--token, --token-file)', async (t) => {
  endWithCase(t, { procs, clients });
  const { execFileSync } = await import('node:child_process');
  const { mkdtempSync, readFileSync, rmSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const secret = `tok-${Math.random().toString(36).slice(2)}-w`;
  const dir = mkdtempSync(join(tmpdir(), 'gluon-token-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'token'), secret, { mode: 0o600 });
  const s = await startScheduler(0, ['--token-file', join(dir, 'token')]);
  procs.push(s.proc);
  const { start, workerCli } = await import('../procs.js');
  const cmdline = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  const kids = (pid: number) => execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' }).split('\n').map(Number).filter(Boolean);
  t.notMatch(cmdline(s.proc.child.pid!), secret, 'scheduler');
  for (const args of [['--token', secret], ['--token-file', join(dir, 'token')]]) {
    const name = `sec${args[0]!.length}`;
    const sup = start(workerCli, [s.address, '--nworkers', '2', '--nthreads', '1', '--name', name, ...args]);
    procs.push(sup);
    await sup.waitFor(new RegExp(`^worker ${name}-0 at `, 'm'));
    await sup.waitFor(new RegExp(`^worker ${name}-1 at `, 'm'));
    const children = kids(sup.child.pid!);
    t.equal(children.length, 2, `${args[0]}: two worker processes`);
    for (const pid of [sup.child.pid!, ...children]) t.notMatch(cmdline(pid), secret, `${args[0]}: not in /proc/${pid}/cmdline`);
    sup.kill('SIGTERM');
    t.equal(await sup.exited(120_000), 0);
  }
  // The children used the token they were given through their environment: they registered.
  const client = await RawClient.connect(s.address, secret);
  clients.push(client);
});

/**
 * A scheduler and one gluon-worker started as a user would (node without flags, plus `args`);
 * runs `processInfo` on it and returns the worker's pid and node flags with the started process.
 */
async function plainWorker(name: string, args: string[] = []) {
  const s = await startScheduler();
  procs.push(s.proc);
  const { start, workerCli } = await import('../procs.js');
  const proc = start(workerCli, [s.address, '--nthreads', '1', '--name', name, ...ALLOW_FIXTURES, ...args]);
  procs.push(proc);
  await proc.waitFor(new RegExp(`^worker ${name} at `, 'm'));
  const client = await RawClient.connect(s.address);
  clients.push(client);
  const info = spec('info', 'processInfo', []);
  client.conn.send({ op: 'update-graph', tasks: [info], wants: [info.key] });
  const v = (await client.results([info.key])).get(info.key)!.value as { pid: number; execArgv: string[] };
  return { s, proc, start, workerCli, info: v };
}

t.test('started without its V8 flags, gluon-worker runs under a supervisor that adds them', async (t) => {
  endWithCase(t, { procs, clients });
  const { proc: sup, info: v } = await plainWorker('plain');
  t.not(v.pid, sup.child.pid, 'the task ran in a child of the started process');
  t.ok(v.execArgv.includes('--single-threaded-gc'), `the child runs with --single-threaded-gc (${v.execArgv.join(' ')})`);

  // kill -9 of the supervisor must not leave its worker running.
  sup.kill('SIGKILL');
  const alive = () => { try { process.kill(v.pid, 0); return true; } catch { return false; } };
  await until(() => !alive(), 'the processes exit');
  t.notOk(alive(), 'the worker process exited after its supervisor');
  // Said on the supervisor's stderr (the worker's, inherited). It said "its supervisor process
  // exited": which process, and how it ended, not.
  const gone = `its supervisor gluon-worker \\(pid ${sup.child.pid}\\) ended without stopping it: killed \\(kill -9, the kernel's out-of-memory killer\\) or crashed, not a clean stop`;
  await until(() => new RegExp(gone).test(sup.output()), `the worker's line; output:\n${sup.output()}`);
  t.match(sup.output(), new RegExp(`${gone}: handing back queued work and finishing running tasks`), 'which process, how it ended, what the worker does');
});

t.test('its supervised worker killed outright (kill -9 of the pid that ran the task, the OOM killer): the supervisor says so and exits 1', async (t) => {
  endWithCase(t, { procs, clients });
  const { proc: sup, info: v } = await plainWorker('oom');
  process.kill(v.pid, 'SIGKILL');
  t.equal(await sup.exited(), 1, 'exit 1');
  t.match(sup.output(), new RegExp(`^gluon-worker: the worker \\(pid ${v.pid}\\) was killed by SIGKILL \\(the kernel's out-of-memory killer sends SIGKILL; [^\\n]*\\); exiting 1$`, 'm'),
    'the terminal that started it says what ended it');
});

t.test('--v8-flags "" runs the worker in the started process; a malformed flag exits 2', async (t) => {
  endWithCase(t, { procs, clients });
  const { s, proc: w, start, workerCli, info: v } = await plainWorker('bare', ['--v8-flags', '']);
  t.equal(v.pid, w.child.pid, 'no supervisor');
  t.notOk(v.execArgv.includes('--single-threaded-gc'));
  const bad = start(workerCli, [s.address, '--v8-flags=--ok single-threaded']);
  t.equal(await bad.exited(), 2);
  t.match(bad.output(), /--v8-flags: "single-threaded" is not a V8 flag/);
});

t.test('a worker still waiting for its scheduler stops cleanly on SIGTERM', async (t) => {
  endWithCase(t, { procs, clients });
  const { start, workerCli } = await import('../procs.js');
  const w = start(workerCli, ['ws://127.0.0.1:1', '--nthreads', '1']);
  procs.push(w);
  await w.waitFor(/waiting for the scheduler at ws:\/\/127\.0\.0\.1:1/);
  w.kill('SIGTERM');
  t.equal(await w.exited(), 0);
  t.notMatch(w.output(), /connected to/);
});

/** A plain HTTP server on loopback answering every request (a WebSocket upgrade too) with `status` and `body`; its port. */
async function plainServer(t: Test, status: number, type: string, body: string): Promise<number> {
  const { createServer } = await import('node:http');
  const http = createServer((_req, res) => { res.writeHead(status, { 'Content-Type': type }).end(body); });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => http.close(() => r())));
  return (http.address() as { port: number }).port;
}

t.test('a worker pointed at something that is not a Gluon scheduler (the dashboard\'s port: HTTP 404) stops at once saying so', async (t) => {
  endWithCase(t, { procs, clients });
  const { start, workerCli } = await import('../procs.js');
  // What a dashboard port answers a WebSocket upgrade with: a plain 404.
  const port = await plainServer(t, 404, 'text/plain', 'not found: /\n');
  const w = start(workerCli, [`ws://127.0.0.1:${port}`, '--nthreads', '1']);
  procs.push(w);
  // Before, it logged "waiting for the scheduler" and retried for ever: whichever comes first.
  const first = await Promise.race([w.exited(), w.waitFor(/waiting for the scheduler/).then(() => 'retrying', () => 'exited')]);
  t.equal(first, 1, 'exits at once (1, as for a bad token; 2 is for usage errors) instead of retrying for ever');
  t.notMatch(w.output(), /--help/);
  t.match(w.output(), new RegExp(`scheduler ws://127\\.0\\.0\\.1:${port} refused the connection \\(HTTP 404\\): not found: /; no Gluon scheduler listens at this address \\(is it the dashboard's port\\?`));
  t.notMatch(w.output(), /connected to/);
});

t.test('a worker or a client given a worker\'s data address instead of the scheduler\'s stops at once, saying it is a worker\'s data port', async (t) => {
  endWithCase(t, { procs, clients });
  const { start, workerCli } = await import('../procs.js');
  const s = await startScheduler();
  procs.push(s.proc);
  const w1 = await startWorker(s.address, ['--nthreads', '1']);
  procs.push(w1.proc);
  const w = start(workerCli, [w1.address, '--nthreads', '1']);
  procs.push(w);
  // Found by the hosts trial: it logged "waiting for the scheduler at …: role "worker" is not
  // served here; worker … accepts peer, client" and retried for ever. Whichever comes first.
  const first = await Promise.race([w.exited(), w.waitFor(/waiting for the scheduler/).then(() => 'retrying', () => 'exited')]);
  t.equal(first, 1, 'exits at once (1, as for a bad token) instead of retrying for ever');
  t.match(w.output(), `cannot start: ${w1.address} refused this worker: role "worker" is not served here; worker ${w1.name} accepts peer, client (this is a worker's data port: a worker registers with the scheduler, at the address it prints as "scheduler at ws://HOST:PORT"`);
  t.notMatch(w.output(), /connected to|--help/);
  // A client (a script, gluon-h4l --scheduler) given it was told "sent a malformed welcome:
  // welcome: clientId is missing".
  const err = await connect(w1.address, { role: 'client' }, { log: () => {} }).catch((e: unknown) => e);
  t.match(err, { code: CloseCode.wrongRole, message: `${w1.address} is a worker's data port, not a scheduler's (it welcomed this client as a worker welcomes one fetching results): give the address the scheduler prints as "scheduler at ws://HOST:PORT"` });
  t.ok(isPermanentRefusal((err as { code: number }).code), 'which retrying cannot fix');
});

t.test('a worker pointed at a plain web server (HTTP 200, a directory listing) stops at once, naming the page by its title', async (t) => {
  endWithCase(t, { procs, clients });
  const { start, workerCli } = await import('../procs.js');
  // What `python3 -m http.server` answers (found by the new-user trial): before, the worker
  // logged the whole HTML page as its reason and retried for ever.
  const page = '<!DOCTYPE HTML>\n<html lang="en">\n<head>\n<title>Directory listing for /</title>\n</head>\n<body><ul><li>data_A.4lep.root</li></ul></body>\n</html>\n';
  const port = await plainServer(t, 200, 'text/html; charset=utf-8', page);
  const w = start(workerCli, [`ws://127.0.0.1:${port}`, '--nthreads', '1']);
  procs.push(w);
  const first = await Promise.race([w.exited(), w.waitFor(/waiting for the scheduler/).then(() => 'retrying', () => 'exited')]);
  t.equal(first, 1, 'exits at once (1) instead of retrying for ever');
  t.match(w.output(), new RegExp(`scheduler ws://127\\.0\\.0\\.1:${port} refused the connection \\(HTTP 200\\): an HTML page titled "Directory listing for /"; no Gluon scheduler listens at this address`));
  t.notMatch(w.output(), /<html|data_A/i, 'the page itself is not logged');
});

t.test('bad flags exit 2 naming the flag', async (t) => {
  endWithCase(t, { procs, clients });
  const { start, workerCli } = await import('../procs.js');
  const a = start(workerCli, ['ws://127.0.0.1:1', '--nthreads', 'zero']);
  t.equal(await a.exited(), 2);
  t.match(a.output(), /--nthreads must be an integer from 1 to 1024, got "zero"/);
  const b = start(workerCli, ['http://127.0.0.1:1']);
  t.equal(await b.exited(), 2);
  t.match(b.output(), /must look like ws:\/\/host:8786/);
  const c = start(workerCli, ['ws://127.0.0.1:1', '--memory-limit', 'lots']);
  t.equal(await c.exited(), 2);
  t.match(c.output(), /--memory-limit must be a size/);
});

t.test('an --allow-module path that names nothing is reported when the worker starts', async (t) => {
  endWithCase(t, { procs, clients });
  const { start, workerCli } = await import('../procs.js');
  const d = start(workerCli, ['ws://127.0.0.1:1', '--nthreads', '1', '--allow-module', './no-such-tasks.mjs']);
  procs.push(d);
  await d.waitFor(/warning: --allow-module \.\/no-such-tasks\.mjs: no such file or directory \(\/\S*no-such-tasks\.mjs\); its tasks are refused until it exists/);
  d.kill('SIGTERM');
  t.equal(await d.exited(), 0);
});

t.test('over --memory-limit a worker pauses; on SIGTERM its queued work goes to another worker', async (t) => {
  endWithCase(t, { procs, clients });
  const { s, workers, client } = await cluster(1, ['--memory-limit', '1MiB', '--name', 'tiny']);
  await workers[0]!.proc.waitFor(/paused: RSS \d+ MiB is over the memory limit of 1 MiB/);
  const tasks = Array.from({ length: 3 }, (_, i) => spec('inc', 'inc', [100 + i]));
  client.conn.send({ op: 'update-graph', tasks, wants: tasks.map((x) => x.key) });
  const big = await startWorker(s.address, ['--nthreads', '1', '--name', 'roomy']);
  procs.push(big.proc);
  workers[0]!.proc.kill('SIGTERM');
  t.equal(await workers[0]!.proc.exited(), 0);
  const res = await client.results(tasks.map((x) => x.key)).catch((err: Error) => {
    throw new Error(`${err.message}\n--- tiny\n${workers[0]!.proc.output()}--- roomy\n${big.proc.output()}--- scheduler\n${s.proc.output()}`);
  });
  for (let i = 0; i < 3; i++) t.equal(res.get(tasks[i]!.key)!.value, 101 + i);
  for (const r of res.values()) t.same(r.workers, [big.address], 'computed by the worker with room');
});

t.test('a worker joining a scheduler that already has queued work receives and runs all of it', async (t) => {
  endWithCase(t, { procs, clients });
  // The scheduler sends compute-tasks right behind the welcome, often in the same TCP chunk.
  const { s, client } = await cluster(0);
  const tasks = Array.from({ length: 20 }, (_, i) => spec('inc', 'inc', [i]));
  client.conn.send({ op: 'update-graph', tasks, wants: tasks.map((x) => x.key) });
  await client.conn.request({ op: 'who-has', keys: [] });
  const w = await startWorker(s.address, ['--nthreads', '1']);
  procs.push(w.proc);
  const res = await client.results(tasks.map((x) => x.key));
  for (let i = 0; i < 20; i++) t.equal(res.get(tasks[i]!.key)!.value, i + 1);
});

t.test('a get-data answer over the frame limit arrives in chunks; one over the message budget is refused with the reason', async (t) => {
  endWithCase(t, { procs, clients });
  const { workers, client } = await cluster(1, ['--max-frame-bytes', '64KiB', '--max-message-bytes', '512KiB']);
  const big = spec('ramp', 'ramp', [20_000]);
  const huge = spec('ramp', 'ramp', [100_000]);
  client.conn.send({ op: 'update-graph', tasks: [big, huge], wants: [big.key, huge.key] });
  await client.results([big.key, huge.key]);
  const one = await getData(workers[0]!.address, [big.key]);
  t.equal((one.data as Record<string, Float64Array>)[big.key]!.length, 20_000, '160 KB over 64 KiB frames');
  const two = await getData(workers[0]!.address, [huge.key]);
  t.same(two.data, {});
  t.match((two.tooLarge as Record<string, string>)[huge.key], new RegExp(`the result of ${huge.key} on worker \\S+ encodes to 781\\.\\d KiB \\(\\d+ bytes\\), over this worker \\S+'s message limit of 512\\.0 KiB`));
  // three 200 KB results: two fit in one answer, the third is left for a request of its own
  const parts = [1, 2, 3].map((k) => spec('ramp', 'ramp', [25_000, k]));
  client.conn.send({ op: 'update-graph', tasks: parts, wants: parts.map((p) => p.key) });
  await client.results(parts.map((p) => p.key));
  const three = await getData(workers[0]!.address, parts.map((p) => p.key));
  t.same(Object.keys(three.data as object), [parts[0]!.key, parts[1]!.key]);
  t.same(three.later, [parts[2]!.key]);
  t.equal(workers[0]!.proc.child.exitCode, null);
});
