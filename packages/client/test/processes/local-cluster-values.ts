/**
 * LocalCluster.start() with option values it cannot use: refused at once with a RangeError naming
 * the option and value, instead of a wait for the whole start-up timeout ending in "the scheduler
 * did not start (no stderr output)". A process that cannot be spawned fails start() at once too.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { Client, LocalCluster } from '@gluon/client';

t.test('unusable option values are refused up front, naming the option and the value', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lc-values-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'a-file');
  writeFileSync(file, '');
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ cwd: join(dir, 'missing') }, /^LocalCluster: cwd \S+missing cannot be the processes' working directory: no such directory$/],
    [{ cwd: file }, /^LocalCluster: cwd \S+a-file cannot be the processes' working directory: it is not a directory$/],
    [{ timeoutMs: -5 }, /^LocalCluster: timeoutMs must be a number of milliseconds > 0, got -5$/],
    [{ timeoutMs: Number.NaN }, /timeoutMs must be a number of milliseconds > 0, got NaN/],
    [{ dashboard: 'yes' }, /^LocalCluster: dashboard must be true, false or a port number from 0 to 65535, got "yes"$/],
    [{ dashboard: 70000 }, /dashboard must be true, false or a port number from 0 to 65535, got 70000/],
  ];
  for (const [opts, message] of cases) {
    await t.rejects(LocalCluster.start({ nWorkers: 1, ...opts }), { name: 'RangeError', message }, JSON.stringify(opts));
  }
});

t.test('values passed on as CLI flags are checked with the CLIs\' ranges and name the option, not the flag', async (t) => {
  // Before: each started the processes and failed with a child's stderr naming
  // `gluon-worker: --max-frame-bytes` (or --memory-limit, --heartbeat-ttl, --allowed-failures).
  const cases: [Record<string, unknown>, string, RegExp][] = [
    [{ maxFrameBytes: '1KB' }, 'RangeError', /^LocalCluster: maxFrameBytes must be from 1KiB to 2GiB, got "1KB" \(1000 bytes; KB, MB, GB, TB are powers of 1000 and KiB, MiB, GiB, TiB of 1024\)$/],
    [{ maxFrameBytes: 'lots' }, 'RangeError', /^LocalCluster: maxFrameBytes must be a size like 64MiB or 2GB .*got "lots"$/],
    [{ maxMessageBytes: -5 }, 'RangeError', /^LocalCluster: maxMessageBytes must be a size like 64MiB or 2GB .*got "-5"$/],
    [{ maxMessageBytes: 1024 }, 'RangeError', /^LocalCluster: maxMessageBytes must be from 64KiB to 4GiB, got "1024"$/],
    [{ memoryLimit: '4 gigs' }, 'RangeError', /^LocalCluster: memoryLimit must be a size like 64MiB or 2GB .*got "4 gigs"$/],
    [{ memoryLimit: 4 * 1024 ** 3 }, 'TypeError', /^LocalCluster: memoryLimit must be a size like '4GiB', got 4294967296$/],
    [{ heartbeatTtl: 'soon' }, 'RangeError', /^LocalCluster: heartbeatTtl must be a duration like 500ms, 30s, 2m or 8h, got "soon"$/],
    [{ heartbeatTtl: '10ms' }, 'RangeError', /^LocalCluster: heartbeatTtl must be from 100ms to 24h, got "10ms"$/],
    [{ allowedFailures: -1 }, 'RangeError', /^LocalCluster: allowedFailures must be an integer from 1 to 1000, got "-1"$/],
    // Spread character by character before: '--allow-module f', 'o', 'o'; env { 0: 'x' }.
    [{ allowModules: 'foo' }, 'TypeError', /^LocalCluster: allowModules must be an array of module specifiers \(\['@me\/tasks'\]\), got "foo"$/],
    // An element that is not a specifier is named; a URL object is one (below). The whole array
    // was shown as JSON, so a refused [new URL(…)] read 'got ["file:///…"]', an array of strings.
    [{ allowModules: ['@me/tasks', 5] }, 'TypeError', /^LocalCluster: allowModules\[1\] must be a module specifier \(a string, or a file URL as remote\(\) takes\), got the number 5$/],
    [{ allowModules: [{ href: 'file:///x.mjs' }] }, 'TypeError', /^LocalCluster: allowModules\[0\] must be a module specifier .*, got an object \{"href":"file:\/\/\/x\.mjs"\}$/],
    [{ env: 'x' }, 'TypeError', /^LocalCluster: env must be an object of strings \(\{ NAME: 'value' \}\), got "x"$/],
    [{ env: { N: 2 } }, 'TypeError', /^LocalCluster: env must be an object of strings .*got \{"N":2\}$/],
    // "got 2" before: the string did not show as one.
    [{ nWorkers: '2' }, 'RangeError', /^LocalCluster: nWorkers must be an integer ≥ 0, got "2"$/],
    [{ nthreads: 0 }, 'RangeError', /^LocalCluster: nthreads must be an integer ≥ 1, got 0$/],
  ];
  for (const [opts, name, message] of cases) {
    await t.rejects(LocalCluster.start({ nWorkers: 1, ...opts }), { name, message }, JSON.stringify(opts));
  }
});

t.test('the nested tls options refuse unknown keys and missing files up front', async (t) => {
  // Before: `cet` was ignored, and the worker failed to start saying "give --tls-cert and --tls-key".
  await t.rejects(LocalCluster.start({ nWorkers: 1, tls: { cet: '/x', key: '/y' } as never }), {
    name: 'TypeError', message: /^LocalCluster\.start: tls: unknown TLS option "cet" \(did you mean "cert"\?\); the TLS options are cert, key, ca, requireClientCert$/,
  });
  await t.rejects(LocalCluster.start({ nWorkers: 1, tls: { key: '/y' } }), {
    name: 'TypeError', message: /^LocalCluster: tls needs cert and key \(file paths, used by every process\); cert missing \(tls: true makes a temporary CA\)$/,
  });
  await t.rejects(LocalCluster.start({ nWorkers: 1, tls: { cert: '/x', key: '/y', requireClientCert: true } }), {
    name: 'TypeError', message: /^LocalCluster: tls needs cert and key, and ca with requireClientCert .*; ca missing/,
  });
  // A file that cannot be read: the scheduler said `--tls-cert /nonexistent.pem: cannot read it`.
  await t.rejects(LocalCluster.start({ nWorkers: 1, tls: { cert: '/nonexistent.pem', key: '/nonexistent.key' } }), {
    name: 'RangeError', message: 'LocalCluster: tls.cert /nonexistent.pem cannot be read: no such file',
  });
  await t.rejects(LocalCluster.start({ nWorkers: 1, tls: { cert: tmpdir(), key: '/nonexistent.key' } }), {
    name: 'RangeError', message: `LocalCluster: tls.cert ${tmpdir()} cannot be read: it is a directory`,
  });
  // Client.connect: refused before any connection is tried (port 1 would say ECONNREFUSED).
  await t.rejects(Client.connect('wss://127.0.0.1:1', { tls: { caa: '/etc/gluon/ca.pem' } as never }), {
    name: 'TypeError', message: /^Client\.connect: tls: unknown TLS option "caa" \(did you mean "ca"\?\); the TLS options are cert, key, ca$/,
  });
  // requireClientCert only means something for a listener: a client given it was left believing
  // it demanded the scheduler's certificate while the key was ignored. TypeScript refuses it too
  // (ConnectOptions.tls is ClientTlsOptions; `npm run typecheck` reports this directive as unused
  // if the key type-checks, as it did while the option was the listeners' TlsOptions); the
  // run-time check stays for JavaScript callers.
  // @ts-expect-error requireClientCert is not a client's TLS option
  await t.rejects(Client.connect('wss://127.0.0.1:1', { tls: { ca: '/etc/gluon/ca.pem', requireClientCert: true } }), {
    name: 'TypeError',
    message: /^Client\.connect: tls: requireClientCert is a listener's option \(the scheduler's or a worker's, --require-client-cert\), not a client's: .*the client's TLS options are cert, key, ca$/,
  });
});

t.test('a process that cannot be spawned fails start() at once with the reason, not at the timeout', async (t) => {
  // The directory passes the check in start() (before its first await) and is gone when the
  // processes are spawned: spawn emits 'error' and no 'exit'.
  const dir = mkdtempSync(join(tmpdir(), 'lc-gone-'));
  const started = LocalCluster.start({ nWorkers: 1, cwd: dir, dashboard: false, timeoutMs: 60_000 });
  rmSync(dir, { recursive: true, force: true });
  await t.rejects(started, { message: /^LocalCluster: the (scheduler|worker local-0) could not be started: spawn \S+ ENOENT/ });
});

t.test('a start-up failure that names a CLI flag says which LocalCluster option it is', async (t) => {
  // Two clusters asking for one dashboard port: the second's scheduler said only "pick another
  // --dashboard-port", a flag its user never gave.
  const a = await LocalCluster.start({ nWorkers: 0, dashboard: 0 });
  t.teardown(() => a.close());
  const port = Number(new URL(a.dashboardUrl!).port);
  await t.rejects(LocalCluster.start({ nWorkers: 0, dashboard: port }), {
    message: new RegExp(`^LocalCluster: the scheduler exited during start-up \\(code 1\\); its stderr:\\n[\\s\\S]*dashboard cannot listen on 127\\.0\\.0\\.1:${port}[\\s\\S]*\\n\\(the flags LocalCluster sets from its options: --dashboard-port and --no-dashboard from dashboard\\)$`),
  });
});
