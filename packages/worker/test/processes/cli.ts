import t from 'tap';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** gluon-worker's own flags as a user gives them (the shared flag kinds are tested in @gluon/protocol). */
const cli = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'cli.js');

/** Runs gluon-worker to its exit (it exits before connecting when a flag is bad or --help is asked). */
function run(args: string[]): Promise<{ code: number | string; out: string }> {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } });
  let out = '';
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { out += d; });
  return new Promise((res) => child.on('close', (c, s) => res({ code: c ?? s ?? -1, out })));
}

t.test('--max-send-backlog: listed with its default, and a bad value exits 2 naming the flag, the range or form, and the value', async (t) => {
  const help = await run(['--help']);
  t.equal(help.code, 0);
  t.match(help.out, /--max-send-backlog SIZE .*not reading: drop it \(4010\) \(default 256MiB\)/);
  const zero = await run(['ws://127.0.0.1:1', '--max-send-backlog', '0']);
  t.equal(zero.code, 2);
  t.match(zero.out, /--max-send-backlog must be from 1MiB to 64GiB, got "0"/);
  const notSize = await run(['ws://127.0.0.1:1', '--max-send-backlog', 'lots']);
  t.equal(notSize.code, 2);
  t.match(notSize.out, /--max-send-backlog must be a size like 64MiB or 2GB \(a number of bytes, or a number and a unit; KB, MB, GB, TB are powers of 1000 and KiB, MiB, GiB, TiB of 1024\), got "lots"/);
});

t.test('a --listen-host that does not resolve exits 1 naming the flag and the name (not only "getaddrinfo ENOTFOUND"), without the --help pointer', async (t) => {
  // .invalid never resolves (RFC 6761). The worker listens before it dials the scheduler. A start
  // failure as an address not on this machine is: it exited 2 with the --help pointer.
  const r = await run(['ws://127.0.0.1:1', '--listen-host', 'no-such-host.invalid', '--token', 'x']);
  t.equal(r.code, 1);
  t.match(r.out, /^gluon-worker: cannot start: --listen-host no-such-host\.invalid is not a name this machine can resolve \((ENOTFOUND|EAI_AGAIN)\): give one of its addresses, which the other workers and the clients can reach\n$/);
  t.notMatch(r.out, /--help/, 'no --help pointer');
});

/** Runs gluon-worker until it exits, or until its output matches `started` (then stops it): 'started'. */
function runUntil(args: string[], started: RegExp): Promise<{ code: number | string; out: string }> {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } });
  let out = '';
  let seen = false;
  const look = (d: Buffer) => { out += d; if (!seen && started.test(out)) { seen = true; child.kill('SIGKILL'); } };
  child.stdout!.on('data', look);
  child.stderr!.on('data', look);
  return new Promise((res) => child.on('close', (c, s) => res({ code: seen ? 'started' : c ?? s ?? -1, out })));
}

t.test('--listen-host 0.0.0.0 with a scheduler on another host exits 2: peers would dial wss://0.0.0.0:PORT, their own host', async (t) => {
  // It started, registered and advertised ws://0.0.0.0:PORT (found by the across-hosts trial).
  // The scheduler address is never dialled: 10.0.0.1 is not reached from here.
  const r = await runUntil(['ws://10.0.0.1:8786', '--listen-host', '0.0.0.0', '--token', 'x'], /waiting for the scheduler|connected to/);
  t.equal(r.code, 2, r.out);
  t.match(r.out, /^gluon-worker: --listen-host 0\.0\.0\.0 would be advertised to the other workers and the clients as ws:\/\/0\.0\.0\.0:PORT, which they cannot dial \(on their hosts it names themselves\): give the address of this host they reach it by, e\.g\. --listen-host "\$\(hostname -i\)"$/m);
  const v6 = await runUntil(['ws://sched.example:8786', '--listen-host', '::', '--token', 'x'], /waiting for the scheduler|connected to/);
  t.equal(v6.code, 2, v6.out);
  // On one machine it still works: the scheduler on loopback is dialled as usual.
  const local = await runUntil(['ws://127.0.0.1:1', '--listen-host', '0.0.0.0', '--token', 'x'], /waiting for the scheduler/);
  t.equal(local.code, 'started', local.out);
});

t.test('--lifetime and --lifetime-stagger: listed, checked, and a stagger without a lifetime is refused', async (t) => {
  const help = await run(['--help']);
  t.match(help.out, /--lifetime DURATION +retire after this long/);
  t.match(help.out, /--lifetime-stagger DURATION +vary --lifetime/);
  const bad = await run(['ws://127.0.0.1:1', '--lifetime', 'soon']);
  t.equal(bad.code, 2);
  t.match(bad.out, /--lifetime must be a duration like 500ms, 30s, 2m or 8h, got "soon"/);
  const alone = await run(['ws://127.0.0.1:1', '--lifetime-stagger', '4m']);
  t.equal(alone.code, 2);
  t.match(alone.out, /--lifetime-stagger varies --lifetime: give --lifetime too/);
  // Accepted before: a worker's lifetime is moved by up to the stagger either way, never below 0, so some retired at once.
  const wide = await run(['ws://127.0.0.1:1', '--lifetime', '1m', '--lifetime-stagger', '90s']);
  t.equal(wide.code, 2);
  t.match(wide.out, /gluon-worker: --lifetime-stagger 90s is not below --lifetime 1m: each worker retires at the lifetime moved at random by up to the stagger either way, so some would retire as soon as they start/);
});

t.test('lifetimeDelay: the lifetime moved by up to the stagger either way, never below zero', async (t) => {
  const { lifetimeDelay } = await import('@gluon/worker');
  t.equal(lifetimeDelay(60_000), 60_000, 'no stagger: the lifetime');
  t.equal(lifetimeDelay(60_000, 10_000, 0), 50_000);
  t.equal(lifetimeDelay(60_000, 10_000, 0.5), 60_000);
  t.ok(lifetimeDelay(60_000, 10_000, 0.999999) < 70_000);
  t.equal(lifetimeDelay(1000, 5000, 0), 0);
  const { GluonWorker } = await import('@gluon/worker');
  t.throws(() => new GluonWorker({ scheduler: 'ws://127.0.0.1:1', lifetimeMs: -1 }), /GluonWorker: lifetimeMs must be a number of milliseconds ≥ 0, got -1/);
  t.throws(() => new GluonWorker({ scheduler: 'ws://127.0.0.1:1', lifetimeStaggerMs: Number.NaN }), /lifetimeStaggerMs must be/);
  t.throws(() => new GluonWorker({ scheduler: 'ws://127.0.0.1:1', lifetimeMs: 60_000, lifetimeStaggerMs: 60_000 }), /^GluonWorker: lifetimeStaggerMs 1m is not below lifetimeMs 1m: /);
});

t.test('a SIGTERM sent as soon as the worker prints its first line (an --allow-module warning) stops it cleanly, exit 0', async (t) => {
  // The handlers went in after the worker was made, which is where it prints the warning: a
  // SIGTERM sent on seeing it killed the process by the signal (7 of 12 at load 20). Ten at once,
  // each with its V8 flags (no supervisor between), so that the line and the signal race.
  const { WORKER_V8_FLAGS } = await import('@gluon/worker/v8-flags');
  const once = () => new Promise<number | string>((res) => {
    const child = spawn(process.execPath, [...WORKER_V8_FLAGS, cli, 'ws://127.0.0.1:1', '--nthreads', '1', '--allow-module', './no-such-tasks.mjs'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const look = (d: Buffer) => { out += d; if (/its tasks are refused until it exists/.test(out)) child.kill('SIGTERM'); };
    child.stdout!.on('data', look);
    child.stderr!.on('data', look);
    child.on('exit', (c, s) => res(c ?? s ?? -1));
  });
  const ends = await Promise.all(Array.from({ length: 10 }, once));
  t.same(ends, ends.map(() => 0), `every worker exited 0 (${ends.join(', ')})`);
});

t.test('a --name the scheduler refuses (a control character, over 256 characters): the worker says why and exits 1 (not a usage error: no --help), not retrying', async (t) => {
  const { startScheduler: start, endAfter } = await import('../procs.js');
  const { procs } = endAfter(t);
  const s = await start();
  procs.push(s.proc);
  // Bounded by what it prints: before, it retried for ever ("waiting for the scheduler").
  const forged = await runUntil([s.address, '--name', 'evil\n2026-01-01T00:00:00.000Z scheduler: worker admin registered'], /waiting for the scheduler/);
  t.equal(forged.code, 1, forged.out);
  t.notMatch(forged.out, /--help/);
  t.match(forged.out, /^gluon-worker: cannot start: the scheduler refused this worker's hello: name must have no control characters, got U\+000A at character 5 of "evil\\n2026-01-01T00:00:00\.000Z scheduler:…" \(give another --name\)$/m);
  const long = await runUntil([s.address, '--name', 'n'.repeat(300)], /waiting for the scheduler/);
  t.equal(long.code, 1, long.out);
  t.match(long.out, /the scheduler refused this worker's hello: name must be at most 256 characters, got 300: "n{40}…" \(give another --name\)/);
  await s.proc.waitFor(/refused connection from .*: hello refused: name must be at most 256/);
  t.match(s.proc.output(), /hello refused: name must have no control characters, got U\+000A at character 5 of "evil\\n2026/, 'the scheduler logs it on one line, escaped');
  t.notMatch(s.proc.output(), /^2026-01-01T00:00:00\.000Z scheduler: worker admin registered/m, 'no forged line');
});

t.test('a wrong token is a start-up failure, not a usage error: exit 1, the reason, no pointer to --help', async (t) => {
  const { startScheduler: start, endAfter } = await import('../procs.js');
  const { procs } = endAfter(t);
  const s = await start(0, ['--token', 'the-right-one']);
  procs.push(s.proc);
  const r = await runUntil([s.address, '--token', 'a-wrong-one'], /waiting for the scheduler/);
  t.equal(r.code, 1, r.out);
  t.match(r.out, /^gluon-worker: cannot start: bad token: /m);
  t.notMatch(r.out, /--help/);
});

t.test('a --token-file or TLS file that cannot be read or holds the wrong thing: exit 1 naming the file, no --help pointer (as gluon-scheduler)', async (t) => {
  // They exited 2 with "(gluon-worker --help lists the options)", as if the command line were mistyped.
  const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'gluon-worker-files-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'junk.pem'), 'not a certificate\n');
  writeFileSync(join(dir, 'empty'), '');
  const cases: [string[], string][] = [
    [['--token-file', join(dir, 'nope')], `gluon-worker: --token-file ${join(dir, 'nope')}: cannot read it (ENOENT)\n`],
    [['--token-file', join(dir, 'empty')], `gluon-worker: --token-file ${join(dir, 'empty')} is empty; put the cluster's token in it, or leave --token-file out to run without a token\n`],
    [['--tls-cert', dir, '--tls-key', dir], `gluon-worker: --tls-cert ${dir}: cannot read it (EISDIR)\n`],
    [['--tls-cert', join(dir, 'junk.pem'), '--tls-key', join(dir, 'junk.pem')], `gluon-worker: --tls-cert ${join(dir, 'junk.pem')}: not a PEM certificate (error:0480006C:PEM routines::no start line)\n`],
  ];
  for (const [args, out] of cases) {
    const r = await run(['ws://127.0.0.1:1', '--v8-flags', '', ...args]);
    t.equal(r.code, 1, args.join(' '));
    t.equal(r.out, out, 'the file named, no --help pointer');
  }
  const both = await run(['ws://127.0.0.1:1', '--v8-flags', '', '--token', 'a', '--token-file', join(dir, 'nope')]);
  t.equal(both.code, 2, 'two flags that exclude each other: a usage error');
  t.match(both.out, /\(gluon-worker --help lists the options\)\n$/);
});
