import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Every Gluon CLI as a user calls it through its bin: --version, --help, and values out of range. */
const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bins = {
  'gluon-scheduler': 'packages/scheduler',
  'gluon-worker': 'packages/worker',
  'gluon-cluster': 'packages/deploy',
  'gluon-h4l': 'packages/analysis-h4l',
  'gluon-finalstates': 'packages/analysis-finalstates',
} as const;

function run(bin: keyof typeof bins, args: string[]) {
  const r = spawnSync(process.execPath, [join(repo, bins[bin], 'bin', `${bin}.js`), ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, GLUON_TOKEN: undefined } }); // unset (empty is refused)
  return { code: r.status, out: r.stdout, err: r.stderr };
}

t.test('--version prints the package version and exits 0', async (t) => {
  for (const [bin, dir] of Object.entries(bins)) {
    const { version } = JSON.parse(readFileSync(join(repo, dir, 'package.json'), 'utf8')) as { version: string };
    const r = run(bin as keyof typeof bins, ['--version']);
    t.equal(r.code, 0, `${bin} --version exits 0`);
    t.equal(r.out.trim(), `${bin} ${version}`);
  }
});

t.test('--help says what every flag does', async (t) => {
  const s = run('gluon-scheduler', ['--help']);
  t.equal(s.code, 0);
  for (const re of [/--heartbeat-ttl DURATION +a worker silent this long is declared dead \(default 30s\)/, /--no-dashboard +serve no dashboard/,
    /--token-file PATH +.*\(or \$GLUON_TOKEN\)/, /--version +print the version/]) t.match(s.out, re);
  const w = run('gluon-worker', ['--help']);
  t.equal(w.code, 0);
  for (const re of [/^usage: gluon-worker ws:\/\/HOST:8786 \[options\]/, /--nthreads N +task threads per worker process \(default 1\)/,
    /--memory-limit SIZE +RSS above which/, /--allow-module SPEC +.*\(repeatable\)/]) t.match(w.out, re);
  // Each says how a connection authenticates on its own listeners: a worker serves no dashboard.
  t.match(s.out, /connections held at once per listener before they authenticate \(hello with the token, TLS handshake, dashboard login\)/);
  t.match(w.out, /connections held at once per listener before they authenticate \(hello with the token, TLS handshake\)/, 'gluon-worker: no dashboard login');
  for (const line of [...s.out.split('\n'), ...w.out.split('\n')].filter((l) => /^\s+-/.test(l))) {
    t.ok(/^\s+\S.*\S\s{2,}\S/.test(line) || /^\s{10,}\S/.test(line) || /^\s+--\S+( \S+)?$/.test(line), `described: ${line.trim()}`);
  }
});

t.test('values out of range exit 2 naming the flag and the value', async (t) => {
  const cases: [keyof typeof bins, string[], RegExp][] = [
    ['gluon-scheduler', ['--heartbeat-ttl', '0'], /--heartbeat-ttl must be from 100ms to 24h, got "0"/],
    ['gluon-scheduler', ['--heartbeat-ttl=-5s'], /--heartbeat-ttl must be a duration .* got "-5s"/],
    ['gluon-scheduler', ['--port', '70000'], /--port must be an integer from 0 to 65535, got "70000"/],
    ['gluon-scheduler', ['--dashboard-port', 'x'], /--dashboard-port must be an integer from 0 to 65535, got "x"/],
    ['gluon-scheduler', ['--allowed-failures', '0'], /--allowed-failures must be an integer from 1 to 1000, got "0"/],
    ['gluon-scheduler', ['--max-frame-bytes', '0'], /--max-frame-bytes must be from 1KiB to 2GiB, got "0"/],
    ['gluon-scheduler', ['--max-frame-bytes', '3GiB'], /--max-frame-bytes must be from 1KiB to 2GiB, got "3GiB"/],
    ['gluon-scheduler', ['--dashboard-prefix', 'dash'], /--dashboard-prefix must start with \/, got "dash"/],
    ['gluon-worker', ['ws://127.0.0.1:1', '--nthreads', '0'], /--nthreads must be an integer from 1 to 1024, got "0"/],
    ['gluon-worker', ['ws://127.0.0.1:1', '--nworkers', '2000'], /--nworkers must be an integer from 1 to 1024, got "2000"/],
    ['gluon-worker', ['ws://127.0.0.1:1', '--memory-limit', '0'], /--memory-limit must be from 1MiB to 1024TiB, got "0"/],
    ['gluon-worker', ['ws://127.0.0.1:1', '--max-frame-bytes', '1'], /--max-frame-bytes must be from 1KiB to 2GiB, got "1"/],
    // A size with a unit says what it came to, and that KB is 1000 bytes where the range is in KiB.
    ['gluon-scheduler', ['--max-frame-bytes', '1KB'], /--max-frame-bytes must be from 1KiB to 2GiB, got "1KB" \(1000 bytes; KB, MB, GB, TB are powers of 1000 and KiB, MiB, GiB, TiB of 1024\)\n/],
    ['gluon-worker', ['ws://127.0.0.1:1', '--max-message-bytes', '0.01MiB'], /--max-message-bytes must be from 64KiB to 4GiB, got "0\.01MiB" \(10486 bytes\)\n/],
    // Not a size at all: the accepted forms are listed.
    ['gluon-scheduler', ['--max-frame-bytes', '1K'], /--max-frame-bytes must be a size like 64MiB or 2GB \(a number of bytes, or a number and a unit; KB, MB, GB, TB are powers of 1000 and KiB, MiB, GiB, TiB of 1024\), got "1K"\n/],
    ['gluon-worker', ['ws://127.0.0.1:1', '--memory-limit', '2 gigs'], /--memory-limit must be a size like 64MiB or 2GB \(a number of bytes, or a number and a unit; .*\), got "2 gigs"/],
  ];
  for (const [bin, args, re] of cases) {
    const r = run(bin, args);
    t.equal(r.code, 2, `${bin} ${args.join(' ')} exits 2`);
    t.match(r.err, re);
    t.match(r.err, new RegExp(`\\(${bin} --help lists the options\\)`));
  }
});

t.test("README's table of the CLIs lists every flag --help lists, with --help's defaults", async (t) => {
  const readme = readFileSync(join(repo, 'README.md'), 'utf8').split('\n');
  for (const bin of ['gluon-scheduler', 'gluon-worker', 'gluon-cluster'] as const) {
    const help = run(bin, ['--help']).out;
    const defaults = new Map<string, string | undefined>();
    let flag: string | undefined;
    for (const line of help.split('\n')) {
      flag = /^\s+(--[\w-]+)/.exec(line)?.[1] ?? flag;
      if (flag && !defaults.has(flag)) defaults.set(flag, undefined);
      const d = /\(default ([^)]*)\)\s*$/.exec(line);
      if (flag && d) defaults.set(flag, d[1]);
    }
    defaults.delete('--help');
    defaults.delete('--version');
    const row = readme.find((l) => l.startsWith(`| \`${bin}`));
    if (!row) { t.fail(`README.md has a table row for ${bin}`); continue; }
    const listed = new Map([...row.matchAll(/`(--[\w-]+)(?:[ =]"?([^`"]*)"?)?`/g)].map((m) => [m[1]!, m[2]]));
    t.same([...listed.keys()].sort(), [...defaults.keys()].sort(), `${bin}: README.md lists exactly the flags of --help`);
    // A value in capitals (`--nthreads N`) is a placeholder, not a default.
    const shown = (f: string) => { const v = listed.get(f); return v !== undefined && !/^[A-Z]+…?$/.test(v); };
    for (const [f, d] of defaults) if (d !== undefined && shown(f)) t.equal(listed.get(f), d, `${bin} ${f}: README.md shows the default --help gives`);
  }
});
