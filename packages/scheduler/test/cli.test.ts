import t from 'tap';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import WebSocket from 'ws';
import { SCHEDULER_ENV, SCHEDULER_V8_FLAGS, withSchedulerEnv } from '@gluon/scheduler/v8-flags';
import { until } from '../../../test/helpers/until.js';

/** gluon-scheduler as a user starts it: its V8 flags, a supervisor when they are missing, bad flags. */
const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli.js');
const live = new Set<ChildProcess>();
t.teardown(() => { for (const c of live) c.kill('SIGKILL'); });

function start(nodeArgs: string[], args: string[]): { child: ChildProcess; out: () => string; line: (re: RegExp) => Promise<RegExpMatchArray>; exit: () => Promise<number | string> } {
  const child = spawn(process.execPath, [...nodeArgs, cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } });
  live.add(child);
  let out = '';
  let closed = false;
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { out += d; });
  const exited = new Promise<number | string>((res) => child.on('close', (c, s) => { closed = true; live.delete(child); res(c ?? s ?? -1); }));
  return {
    child, out: () => out, exit: () => exited,
    // Ends with the process: a wait for a line the process never printed (raced with its exit)
    // polled on for its whole 120 s bound after the test had passed, and held the file open.
    async line(re) {
      let m: RegExpExecArray | null = null;
      await until(() => (m = re.exec(out)) !== null || closed, `no ${re} in the output:\n${out}`);
      if (!m) throw new Error(`exited before printing ${re}; output:\n${out}`);
      return m;
    },
  };
}

function childrenOf(pid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' }).split('\n').map((s) => Number(s.trim())).filter(Boolean);
  } catch {
    return [];
  }
}

const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };

t.test('started without its V8 flags it runs as a supervised child that has them; kill -9 of the supervisor stops it', async (t) => {
  const s = start([], ['--port', '0', '--no-dashboard']);
  await s.line(/^scheduler at ws:\/\/127\.0\.0\.1:\d+$/m);
  const kids = childrenOf(s.child.pid!);
  t.equal(kids.length, 1, 'one child process');
  const cmdline = readFileSync(`/proc/${kids[0]}/cmdline`, 'utf8').split('\0');
  t.ok(cmdline.includes('--max-semi-space-size=8'), `the child has the flag (${cmdline.join(' ')})`);
  const environ = readFileSync(`/proc/${kids[0]}/environ`, 'utf8').split('\0');
  for (const [k, v] of Object.entries(SCHEDULER_ENV)) t.ok(environ.includes(`${k}=${v}`), `the child's environment has ${k}=${v}`);
  s.child.kill('SIGKILL');
  await until(() => !alive(kids[0]!), 'the scheduler exits after its supervisor');
  t.notOk(alive(kids[0]!), 'the scheduler exited after its supervisor');
  // Its stderr is the supervisor's (inherited): what it said before it went is read there. It
  // said only "parent exited": no pid, nothing of how it ended or what the scheduler does.
  await until(() => /scheduler: its supervisor/.test(s.out()), 'the scheduler\'s line')
    .catch((e: Error) => { throw new Error(`${e.message}; output:\n${s.out()}`); });
  t.match(s.out(), new RegExp(`^scheduler: its supervisor gluon-scheduler \\(pid ${s.child.pid}\\) ended without stopping it: killed \\(kill -9, the kernel's out-of-memory killer\\) or crashed, not a clean stop; `
    + 'shutting down: its workers and clients are told, and the port is let go$', 'm'), 'which process, how it ended, what the scheduler does');
});

t.test('its supervised scheduler killed outright (kill -9 of its pid, the OOM killer): the supervisor says so and exits 1', async (t) => {
  const s = start([], ['--port', '0', '--no-dashboard']);
  await s.line(/^scheduler at /m);
  const [kid] = childrenOf(s.child.pid!);
  process.kill(kid!, 'SIGKILL');
  t.equal(await s.exit(), 1, 'exit 1');
  t.match(s.out(), new RegExp(`^gluon-scheduler: the scheduler \\(pid ${kid}\\) was killed by SIGKILL \\(the kernel's out-of-memory killer sends SIGKILL; \`dmesg\` or \`journalctl -k\` says whether it did\\); exiting 1$`, 'm'),
    'the terminal that started it says what ended it');
});

t.test('a supervised scheduler stopped with SIGTERM: exit 0, nothing said of a signal', async (t) => {
  const s = start([], ['--port', '0', '--no-dashboard']);
  await s.line(/^scheduler at /m);
  s.child.kill('SIGTERM');
  t.equal(await s.exit(), 0);
  t.notMatch(s.out(), /was killed by/);
});

t.test('the malloc settings are added only where the environment sets nothing', async (t) => {
  const env = withSchedulerEnv({ MALLOC_MMAP_THRESHOLD_: '65536', PATH: '/bin' });
  t.equal(env.MALLOC_MMAP_THRESHOLD_, '65536', 'a value set by hand wins');
  t.equal(env.MALLOC_TRIM_THRESHOLD_, SCHEDULER_ENV.MALLOC_TRIM_THRESHOLD_, 'a missing one is added');
  t.equal(env.PATH, '/bin', 'the rest is kept');
});

t.test('its V8 flags let the nursery grow past 1 MiB semi-spaces as records survive (a big graph pays per scavenge), up to 8 MiB (RSS)', async (t) => {
  // What the flags do to a busy process's new space (the allocation is the worker tests' fixture).
  const fixture = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'worker', 'test', 'fixtures', 'tasks.mjs')).href;
  const out = execFileSync(process.execPath, [...SCHEDULER_V8_FLAGS, '--input-type=module', '-e',
    `const { nurseryMiB } = await import(${JSON.stringify(fixture)}); console.log(await nurseryMiB());`], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  t.ok(Number(out) > 2, `${Number(out)} MiB of new space: grown past two 1 MiB semi-spaces`);
  t.ok(Number(out) <= 16, `${Number(out)} MiB of new space: two 8 MiB semi-spaces at most`);
});

t.test('with its flags on node\'s command line it runs in the started process and stops on SIGTERM', async (t) => {
  const s = start([...SCHEDULER_V8_FLAGS], ['--port', '0', '--no-dashboard']);
  await s.line(/^scheduler at /m);
  t.same(childrenOf(s.child.pid!), [], 'no supervisor');
  s.child.kill('SIGTERM');
  t.equal(await s.exit(), 0);
});

t.test('a flag of the same name set by hand wins; a malformed --v8-flags exits 2 naming it', async (t) => {
  const s = start(['--max-semi-space-size=2', '--expose-gc'], ['--port', '0', '--no-dashboard']);
  await s.line(/^scheduler at /m);
  t.same(childrenOf(s.child.pid!), [], 'the hand-set value is kept, no relaunch');
  s.child.kill('SIGTERM');
  await s.exit();
  const bad = start([], ['--port', '0', '--v8-flags=--ok semi']);
  t.equal(await bad.exit(), 2);
  t.match(bad.out(), /--v8-flags: "semi" is not a V8 flag/);
});

t.test('--allowed-host: the named host reaches the scheduler and its dashboard, others get 403; a bad name exits 2', async (t) => {
  const s = start([...SCHEDULER_V8_FLAGS], ['--port', '0', '--dashboard-port', '0', '--allowed-host', 'sched.example', '--allowed-host', '10.20.30.40']);
  const [, address] = await s.line(/^scheduler at (ws:\/\/\S+)$/m);
  const [, dashboard] = await s.line(/^dashboard at (http:\/\/\S+)$/m);
  const port = new URL(address!).port;
  const status = (url: string, host: string) => new Promise<number>((resolve, reject) => {
    const ws = new WebSocket(url, { headers: { host } });
    ws.on('open', () => { ws.terminate(); resolve(101); });
    ws.on('unexpected-response', (_q, res) => { res.resume(); resolve(res.statusCode ?? 0); });
    ws.on('error', reject);
  });
  t.equal(await status(address!, `sched.example:${port}`), 101, 'a configured name');
  t.equal(await status(address!, `10.20.30.40:${port}`), 101, 'a configured address');
  t.equal(await status(address!, `other.example:${port}`), 403, 'any other name');
  t.equal(await status(`${dashboard!.replace(/^http/, 'ws')}live`, 'sched.example'), 101, 'the dashboard takes the same names');
  t.equal(await status(`${dashboard!.replace(/^http/, 'ws')}live`, 'other.example'), 403);
  s.child.kill('SIGTERM');
  await s.exit();
  const bad = start([], ['--port', '0', '--allowed-host', 'http://x.example']);
  t.equal(await bad.exit(), 2);
  t.match(bad.out(), /--allowed-host must be a host name or an IP address \(no scheme, port or path\), got "http:\/\/x\.example"/);
});

t.test('the token is on no command line: --token-file, and a --token is masked and not passed to the child', async (t) => {
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { connect } = await import('@gluon/protocol');
  const dir = mkdtempSync(join(tmpdir(), 'gluon-token-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const secret = `tok-${Math.random().toString(36).slice(2)}-file`;
  const file = join(dir, 'token');
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  const cmdline = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8');

  for (const [how, args] of [['--token-file', ['--token-file', file]], ['--token', ['--token', secret]], ['--token=', [`--token=${secret}`]]] as const) {
    const s = start([], ['--port', '0', '--no-dashboard', ...args]);
    const [, address] = await s.line(/^scheduler at (ws:\/\/\S+)$/m);
    const kids = childrenOf(s.child.pid!);
    t.equal(kids.length, 1, `${how}: one child (the scheduler with its V8 flags)`);
    t.notMatch(cmdline(s.child.pid!), secret, `${how}: not in the supervisor's command line`);
    t.notMatch(cmdline(kids[0]!), secret, `${how}: not in the child's command line`);
    t.notMatch(execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }), secret, `${how}: not in ps`);
    const ok = await connect(address!, { role: 'client' }, { token: secret, log: () => {} });
    ok.conn.close();
    await t.rejects(connect(address!, { role: 'client' }, { token: 'wrong', log: () => {} }), { code: 4001 }, `${how}: the token is enforced`);
    s.child.kill('SIGTERM');
    t.equal(await s.exit(), 0);
  }
});

t.test('token flags: errors name the flag and the file; a file others can read is warned about', async (t) => {
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'gluon-token-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // A file that cannot be read, or holds no token, is not a usage error: exit 1, no --help pointer.
  const missing = start([], ['--port', '0', '--token-file', join(dir, 'nope')]);
  t.equal(await missing.exit(), 1);
  t.equal(missing.out(), `gluon-scheduler: --token-file ${join(dir, 'nope')}: cannot read it (ENOENT)\n`);
  writeFileSync(join(dir, 'empty'), '\n');
  const empty = start([], ['--port', '0', '--token-file', join(dir, 'empty')]);
  t.equal(await empty.exit(), 1);
  t.match(empty.out(), /--token-file \S+empty is empty/);
  t.notMatch(empty.out(), /--help/);
  const both = start([], ['--port', '0', '--token', 'a', '--token-file', join(dir, 'empty')]);
  t.equal(await both.exit(), 2);
  t.match(both.out(), /--token and --token-file are both given: use one/);
  writeFileSync(join(dir, 'open'), 'abc\n', { mode: 0o644 });
  const open = start([...SCHEDULER_V8_FLAGS], ['--port', '0', '--no-dashboard', '--token-file', join(dir, 'open')]);
  await open.line(/^scheduler at /m);
  t.match(open.out(), /warning: --token-file \S+open is readable by other users \(mode 0644\); chmod 600 it/);
  open.child.kill('SIGTERM');
  await open.exit();
});

t.test('--dashboard-session-ttl sets the login cookie\'s lifetime; a bad one exits 2', async (t) => {
  const withToken = spawn(process.execPath, ['--max-semi-space-size=4', cli, '--port', '0', '--dashboard-port', '0', '--dashboard-session-ttl', '90s'],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '', GLUON_TOKEN: 'tk' } });
  live.add(withToken);
  t.teardown(() => withToken.kill('SIGKILL'));
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no dashboard line within 120 s: ${out}`)), 120_000);
    withToken.stdout!.on('data', (d) => {
      out += d;
      const m = /^dashboard at (\S+)$/m.exec(out);
      if (m) { clearTimeout(timer); resolve(m[1]!); }
    });
  });
  const res = await fetch(`${url}login`, { method: 'POST', body: 'token=tk', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  t.equal(res.status, 303);
  t.match(res.headers.getSetCookie().find((c) => c.startsWith('gluon_dashboard_')), /Max-Age=90(;|$)/);
  const bad = start([], ['--port', '0', '--dashboard-session-ttl', '0s']);
  t.equal(await bad.exit(), 2);
  t.match(bad.out(), /--dashboard-session-ttl must be from 1s to 8760h, got "0s"/);
});

// The total cap and the per-address cap: the second feed refused with a log line naming the cap,
// and a bad value (or either with --no-dashboard) exits 2.
for (const cap of [
  { flag: '--dashboard-max-feeds', refused: /refused a live feed of the dashboard from 127\.0\.0\.1: the dashboard serves at most 1 live feeds at once \(--dashboard-max-feeds\) and 1 are open/ },
  { flag: '--dashboard-max-feeds-per-address', refused: /refused a live feed of the dashboard from 127\.0\.0\.1: the dashboard serves at most 1 live feeds at once to one address \(--dashboard-max-feeds-per-address\) and 127\.0\.0\.1 holds 1/ },
]) {
  t.test(`${cap.flag} caps the live feeds the dashboard serves; a bad one exits 2, and so does it with --no-dashboard`, async (t) => {
    const s = start([], ['--port', '0', '--dashboard-port', '0', cap.flag, '1']);
    t.teardown(() => s.child.kill('SIGKILL'));
    const [, url] = await s.line(/^dashboard at (\S+)$/m);
    const live = new URL('live', url).href.replace(/^http/, 'ws');
    const first = new WebSocket(live);
    t.teardown(() => first.terminate());
    await new Promise((r, no) => { first.once('message', r); first.once('error', no); });
    const second = new WebSocket(live);
    second.on('error', () => {});
    const status = await new Promise<number>((r, no) => { second.once('unexpected-response', (_q, res) => r(res.statusCode ?? 0)); second.once('open', () => no(new Error('a second feed opened'))); });
    second.terminate();
    t.equal(status, 503, 'the second feed (from the same address) is refused');
    await s.line(cap.refused);
    const zero = start([], ['--port', '0', cap.flag, '0']);
    t.equal(await zero.exit(), 2);
    t.match(zero.out(), new RegExp(`${cap.flag} must be an integer from 1 to 100000, got "0"`));
    const without = start([], ['--port', '0', '--no-dashboard', cap.flag, '5']);
    t.equal(await without.exit(), 2);
    t.match(without.out(), new RegExp(`${cap.flag} does nothing with --no-dashboard`));
  });
}

t.test('--max-send-backlog and gluon-worker\'s --peer-timeout refuse bad values, naming the flag and the value (exit 2)', async (t) => {
  const backlog = start([], ['--port', '0', '--no-dashboard', '--max-send-backlog', '0']);
  t.equal(await backlog.exit(), 2);
  t.match(backlog.out(), /--max-send-backlog must be from 1MiB to 64GiB, got "0"/);
  const notSize = start([], ['--port', '0', '--no-dashboard', '--max-send-backlog', 'lots']);
  t.equal(await notSize.exit(), 2);
  t.match(notSize.out(), /--max-send-backlog must be a size like 64MiB or 2GB \(a number of bytes, or a number and a unit; KB, MB, GB, TB are powers of 1000 and KiB, MiB, GiB, TiB of 1024\), got "lots"/);
  const workerCli = join(dirname(cli), '..', '..', 'worker', 'dist', 'cli.js');
  const worker = spawn(process.execPath, [workerCli, 'ws://127.0.0.1:1', '--peer-timeout', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(worker);
  let out = '';
  worker.stderr!.on('data', (d) => { out += d; });
  const code = await new Promise<number | null>((res) => worker.on('close', (c) => { live.delete(worker); res(c); }));
  t.equal(code, 2);
  t.match(out, /--peer-timeout must be from 100ms to 24h, got "0"/);
});

t.test('a --host that does not resolve exits 1 naming the flag and the name (not only "getaddrinfo ENOTFOUND"), without the --help pointer', async (t) => {
  // .invalid never resolves (RFC 6761). A start failure as an address not on this machine is: it
  // exited 2 with the --help pointer, as if the command line were wrong.
  const s = start([], ['--host', 'no-such-host.invalid', '--port', '0', '--no-dashboard', '--token', 'x']);
  t.equal(await s.exit(), 1);
  t.match(s.out(), /^gluon-scheduler: cannot start: --host no-such-host\.invalid is not a name this machine can resolve \((ENOTFOUND|EAI_AGAIN)\): give one of its addresses or host names, or 0\.0\.0\.0 for all of them\n$/);
  t.notMatch(s.out(), /--help/, 'no --help pointer');
});

t.test('--dashboard-port equal to --port exits 2 saying so (not a bare EADDRINUSE)', async (t) => {
  const s = start([], ['--port', '18795', '--dashboard-port', '18795', '--token', 'x']);
  t.equal(await s.exit(), 2);
  t.match(s.out(), /gluon-scheduler: --dashboard-port 18795 is the scheduler's --port: give the dashboard another port \(default 8787\), or --no-dashboard/);
});

t.test('--no-dashboard with a dashboard flag typed beside it exits 2 naming it; $GLUON_DASHBOARD_LINK is only said to be unused', async (t) => {
  // Before: both were dropped unsaid (clients were never given the proxy's link).
  for (const [flag, value] of [['--dashboard-link', 'https://gluon.example.org/{port}/'], ['--dashboard-prefix', '/gluon'], ['--dashboard-port', '8799']]) {
    const s = start([], ['--port', '0', '--no-dashboard', '--token', 'x', `${flag}=${value}`]);
    const ended = await Promise.race([s.exit(), s.line(/scheduler at /).then(() => 'started instead')]);
    s.child.kill('SIGKILL');
    t.equal(ended, 2, flag);
    t.match(s.out(), new RegExp(`gluon-scheduler: ${flag} does nothing with --no-dashboard \\(no dashboard is served\\): leave one of them out`), flag);
  }
  const child = spawn(process.execPath, [cli, '--port', '0', '--no-dashboard', '--token', 'x'],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '', GLUON_DASHBOARD_LINK: 'https://gluon.example.org/{port}/' } });
  live.add(child);
  let out = '';
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { out += d; });
  await until(() => /scheduler at ws:/.test(out), `no address line:\n${out}`);
  child.kill('SIGTERM');
  await new Promise((res) => child.on('close', res));
  const said = out.match(/\$GLUON_DASHBOARD_LINK is not used: --no-dashboard serves no dashboard, so clients are given no dashboard link/g) ?? [];
  t.equal(said.length, 1, 'said once (by the process that listens, not also by its supervisor)');
  t.notMatch(out, /dashboard at/, 'and no dashboard line');
});

t.test('--unix-socket: also listens there and says so; a file already at the path exits 1 naming the flag and the path', { skip: process.platform === 'win32' && 'no Unix sockets on Windows' }, async (t) => {
  const { mkdtempSync, rmSync, writeFileSync, existsSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'gluon-unix-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 's.sock');
  const s = start([], ['--port', '0', '--no-dashboard', '--token', 'x', '--unix-socket', path]);
  t.teardown(() => s.child.kill('SIGKILL'));
  await s.line(/scheduler at ws:\/\/127\.0\.0\.1:\d+\n/);
  t.match(s.out(), new RegExp(`scheduler also at ws\\+unix:${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:/\\n`));
  t.ok(existsSync(path));
  s.child.kill('SIGTERM');
  await s.exit();
  t.notOk(existsSync(path), 'the socket file is removed at shutdown');

  const taken = join(dir, 'taken');
  writeFileSync(taken, '');
  const s2 = start([], ['--port', '0', '--no-dashboard', '--token', 'x', '--unix-socket', taken]);
  t.equal(await s2.exit(), 1, 'not a usage error: the path is taken');
  t.match(s2.out(), `gluon-scheduler: cannot start: --unix-socket: cannot listen on the Unix socket ${taken}: a file is already there`);
  t.notMatch(s2.out(), /--help/);
});

t.test('start failures that are not usage errors exit 1 naming the resource, without the --help pointer; usage errors exit 2 with it', async (t) => {
  // Every start failure exited 2 with "(gluon-scheduler --help lists the options)": a port in use
  // or an unreadable certificate read as a mistyped command line.
  const { createServer } = await import('node:net');
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'gluon-start-fail-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const held = createServer();
  await new Promise<void>((r) => held.listen(0, '127.0.0.1', r));
  t.teardown(() => held.close());
  const port = (held.address() as { port: number }).port;
  const runtime: [string[], string][] = [
    [['--port', String(port), '--no-dashboard'], `gluon-scheduler: cannot listen on 127.0.0.1:${port}: the port is in use (choose another with --port, or 0 for any free port)\n`],
    [['--port', '0', '--dashboard-port', String(port)], `gluon-scheduler: cannot start: dashboard cannot listen on 127.0.0.1:${port}: listen EADDRINUSE: address already in use 127.0.0.1:${port} (pick another --dashboard-port, or --no-dashboard)\n`],
    [['--port', '0', '--no-dashboard', '--tls-cert', join(dir, 'no.pem'), '--tls-key', join(dir, 'no.key')], `gluon-scheduler: --tls-cert ${join(dir, 'no.pem')}: cannot read it (ENOENT)\n`],
    [['--port', '0', '--no-dashboard', '--tls-cert', dir, '--tls-key', dir], `gluon-scheduler: --tls-cert ${dir}: cannot read it (EISDIR)\n`],
    // Permission denied on the socket path (under /proc nothing may be created, even by root).
    [['--port', '0', '--no-dashboard', '--token', 'x', '--unix-socket', '/proc/gluon-no-such-dir/s.sock'], 'gluon-scheduler: cannot start: --unix-socket: cannot listen on the Unix socket /proc/gluon-no-such-dir/s.sock: listen EACCES: permission denied /proc/gluon-no-such-dir/s.sock\n'],
  ];
  for (const [args, out] of runtime) {
    const s = start([...SCHEDULER_V8_FLAGS], args);
    t.equal(await s.exit(), 1, args.join(' '));
    t.equal(s.out(), out, 'the resource named, no --help pointer');
  }
  const usage: string[][] = [['--port', 'x'], ['--port', '0', '--token', 'a', '--token-file', join(dir, 'no')], ['--port', '0', '--tls-cert', join(dir, 'no.pem')]];
  for (const args of usage) {
    const s = start([...SCHEDULER_V8_FLAGS], args);
    t.equal(await s.exit(), 2, args.join(' '));
    t.match(s.out(), /\n\(gluon-scheduler --help lists the options\)\n$/, 'a usage error points to --help');
  }
});
