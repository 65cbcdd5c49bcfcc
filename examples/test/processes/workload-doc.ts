/**
 * docs/writing-a-workload.md run as it stands: its code blocks (named by their first line,
 * `// lepton-tasks.mjs`, `// leading-pt.mjs`) are written to a new directory and the script is
 * run with node on the ATLAS 4ℓ data files; its count must equal the task module's own functions
 * called in-process. Skips, saying why, when ../shared/data is not beside the checkout. The log
 * workload (`// log-tasks.mjs`, `// log-report.mjs`) runs on logs the test writes.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';
import { temporaryTls } from '@gluon/protocol';
import { SCHEDULER_V8_FLAGS } from '@gluon/scheduler/v8-flags';
import { WORKER_V8_FLAGS } from '@gluon/worker/v8-flags';
import { schedulerCli, start, workerCli, type Proc } from '../../../packages/worker/test/procs.js';

const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const data = join(root, '..', 'shared', 'data', 'atlas-opendata-13tev-2020-4lep', 'Data');

/** The doc's ```js blocks by the file name on their first line. */
function blocks(md: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of md.matchAll(/```js\n([\s\S]*?)```/g)) {
    const name = /^\/\/ ([\w.-]+\.mjs)/.exec(m[1]!)?.[1];
    if (name) out.set(name, m[1]!);
  }
  return out;
}

/** What the page's task functions count in this process, file by file (no cluster). */
async function inProcessCount(dir: string, roots: string[]): Promise<number> {
  const tasks = await import(pathToFileURL(join(dir, 'lepton-tasks.mjs')).href) as {
    leadingPt(c: { file: string; entryStart: number; entryStop: number }): Promise<Float64Array>; addHistograms(p: Float64Array[]): Float64Array;
  };
  const { openRootFile } = await import('@gluon/rootio');
  const parts: Float64Array[] = [];
  for (const file of roots) {
    const f = await openRootFile(file);
    const n = (await f.tree('mini')).numEntries;
    await f.close();
    parts.push(await tasks.leadingPt({ file, entryStart: 0, entryStop: n }));
  }
  return tasks.addHistograms(parts).reduce((a, b) => a + b, 0);
}

if (!existsSync(data)) {
  t.skip(`docs/writing-a-workload.md: ${data} is absent (the 4ℓ open-data files)`, () => {});
} else {
  t.test('the workload page\'s task module and script run as written and agree with an in-process run', async (t) => {
    const files = blocks(readFileSync(join(root, 'docs', 'writing-a-workload.md'), 'utf8'));
    t.same([...files.keys()].filter((f) => !f.startsWith('log-')).sort(), ['leading-pt-remote.mjs', 'leading-pt.mjs', 'lepton-tasks.mjs'], 'the page has its three ROOT files');
    // A new directory, as the page's user has; its node_modules are this checkout's.
    const dir = mkdtempSync(join(tmpdir(), 'gluon-workload-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
    writeFileSync(join(dir, 'package.json'), '{ "name": "my-workload", "version": "1.0.0", "type": "commonjs" }\n');
    for (const [name, text] of files) writeFileSync(join(dir, name), text);
    const roots = readdirSync(data).filter((f) => f.endsWith('.root')).sort().map((f) => join(data, f));
    const { stdout } = await run(process.execPath, ['leading-pt.mjs', ...roots], { cwd: dir, timeout: 120_000 });
    t.match(stdout, /^dashboard: https?:\/\/127\.0\.0\.1:\d+\/$/m);
    const counted = Number(/^(\d+) events with a leading lepton below 200 GeV$/m.exec(stdout)?.[1]);
    // The same functions in this process, file by file (no cluster).
    const expected = await inProcessCount(dir, roots);
    t.ok(expected > 0, 'the files have leptons');
    t.equal(counted, expected, 'the cluster counted what the functions count in-process');
  });

  // The page said only "the same script runs against a cluster started elsewhere with
  // Client.connect(…) instead of LocalCluster.start": three more lines change (the client, its
  // close, the dashboard line) and the workers need the module allowed, which a new user found by
  // trial across hosts. Its script for that case runs here against a scheduler and a worker that
  // speak mutual TLS with a token, the worker started as the page says.
  t.test('the page\'s script across hosts runs as written against a TLS scheduler and worker', async (t) => {
    const files = blocks(readFileSync(join(root, 'docs', 'writing-a-workload.md'), 'utf8'));
    const dir = mkdtempSync(join(tmpdir(), 'gluon-workload-remote-'));
    const tls = await temporaryTls(['127.0.0.1']);
    const procs: Proc[] = [];
    t.teardown(async () => {
      for (const p of procs) p.kill('SIGKILL');
      await Promise.all(procs.map((p) => p.exited(30_000).catch(() => undefined)));
      await tls.remove();
      rmSync(dir, { recursive: true, force: true });
    });
    symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
    writeFileSync(join(dir, 'package.json'), '{ "name": "my-workload", "version": "1.0.0", "type": "commonjs" }\n');
    for (const [name, text] of files) writeFileSync(join(dir, name), text ?? '');
    const env = { GLUON_TOKEN: 'workload-doc-token' };
    const tlsArgs = ['--tls-cert', tls.cert, '--tls-key', tls.key, '--tls-ca', tls.ca, '--require-client-cert'];
    const scheduler = start(schedulerCli, ['--port', '0', '--no-dashboard', ...tlsArgs], env, SCHEDULER_V8_FLAGS);
    procs.push(scheduler);
    const address = (await scheduler.waitFor(/^scheduler at (wss:\/\/\S+)$/m, 120_000))[1]!;
    // The worker command of the page: the task module allowed by its path.
    const allow = /^gluon-worker wss:\/\/\S+ .*--allow-module (\S+)/m.exec(readFileSync(join(root, 'docs', 'writing-a-workload.md'), 'utf8'))?.[1];
    t.equal(allow, '/shared/work/lepton-tasks.mjs', 'the page allows the task module by its path');
    const worker = start(workerCli, [address, '--nthreads', '2', '--allow-module', join(dir, 'lepton-tasks.mjs'), ...tlsArgs], env, WORKER_V8_FLAGS);
    procs.push(worker);
    await worker.waitFor(/^worker \S+ at wss:\/\/\S+ connected to /m, 120_000);
    const roots = readdirSync(data).filter((f) => f.endsWith('.root')).sort().map((f) => join(data, f));
    const { stdout } = await run(process.execPath, ['leading-pt-remote.mjs', address, ...roots], {
      cwd: dir, timeout: 120_000, env: { ...process.env, ...env, GLUON_TLS_CA: tls.ca, GLUON_TLS_CERT: tls.cert, GLUON_TLS_KEY: tls.key },
    });
    const counted = Number(/^(\d+) events with a leading lepton below 200 GeV$/m.exec(stdout)?.[1]);
    t.equal(counted, await inProcessCount(dir, roots), 'the cluster across TLS counted what the functions count in-process');
  });
}

// The page's only workload read ROOT files; a data engineer with logs had to work out from it and
// the client README what a non-physics one looks like (Maps, Sets, Dates, BigInts as results, a
// bad input file). Its log workload runs here on logs written for it, one file with a bad line.
t.test('the page\'s log-file workload runs as written: the bad file skipped and said, the rest counted as in-process', async (t) => {
  const files = blocks(readFileSync(join(root, 'docs', 'writing-a-workload.md'), 'utf8'));
  t.ok(files.has('log-tasks.mjs') && files.has('log-report.mjs'), 'the page has the log workload\'s two files');
  const dir = mkdtempSync(join(tmpdir(), 'gluon-workload-logs-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  writeFileSync(join(dir, 'package.json'), '{ "name": "my-logs", "version": "1.0.0", "type": "commonjs" }\n');
  for (const name of ['log-tasks.mjs', 'log-report.mjs']) writeFileSync(join(dir, name), files.get(name) ?? '');
  const logs = join(dir, 'logs');
  mkdirSync(logs);
  const statuses = [200, 200, 200, 301, 404, 500, 503];
  for (let f = 0; f < 12; f++) {
    const lines: string[] = [];
    for (let i = 0; i < 400; i++) {
      const time = new Date(Date.UTC(2026, 11, 1) + (f * 400 + i) * 1000 + f * 7).toISOString();
      // bytes near 2^50 a line: the sum passes 2^53, where a Number would lose the last digits
      lines.push(`${time} status=${statuses[(f * 5 + i * 3) % statuses.length]} user=u${(i * 31 + f) % 53} bytes=${2 ** 50 + i * 977 + f}`);
    }
    if (f === 7) lines.splice(123, 0, 'garbage here, not a log line');
    writeFileSync(join(logs, `access-${String(f).padStart(2, '0')}.log`), `${lines.join('\n')}\n`);
  }
  const { stdout, stderr } = await run(process.execPath, ['log-report.mjs', logs], { cwd: dir, timeout: 120_000 });
  const bad = join(logs, 'access-07.log');
  t.match(stderr, new RegExp(`^skipped: task fileStats-[0-9a-f]{16} failed on worker \\S+: Error: ${bad}:124: not a log line: garbage here`, 'm'), 'the bad file is said, with its line');
  // The page's functions in this process, over the good files.
  type Stats = { byStatus: Map<number, number>; users: Set<string>; first: Date; last: Date; bytes: bigint };
  const tasks = await import(pathToFileURL(join(dir, 'log-tasks.mjs')).href) as {
    fileStats(path: string): Promise<Stats>; mergeStats(parts: Stats[]): Stats; errorRate(s: Stats): number;
  };
  const good = readdirSync(logs).sort().map((f) => join(logs, f)).filter((p) => p !== bad);
  const want = tasks.mergeStats(await Promise.all(good.map((p) => tasks.fileStats(p))));
  t.ok(want.bytes > BigInt(Number.MAX_SAFE_INTEGER), 'the bytes pass 2^53');
  const m = /^(\d+) of (\d+) files: (\d+) users, (\S+) to (\S+), (\d+) bytes$/m.exec(stdout);
  t.ok(m, `the summary line (${stdout})`);
  t.same(m?.slice(1), [String(good.length), '12', String(want.users.size), want.first.toISOString(), want.last.toISOString(), String(want.bytes)], 'files, users, times and bytes as counted in-process');
  const byStatus = /^by status: ([\d= ]+); 5xx: ([\d.]+)%$/m.exec(stdout);
  t.same(byStatus?.[1]?.split(' ').map((p) => p.split('=').map(Number)), [...want.byStatus].sort((a, b) => a[0] - b[0]), 'requests by status');
  t.equal(byStatus?.[2], (100 * tasks.errorRate(want)).toFixed(2), 'the 5xx share');
});

t.test('the page\'s tarball install packs every @gluon package that client and rootio need', async (t) => {
  // It said "npm install @gluon/client @gluon/rootio … (their dependencies come with them)" for the
  // tarballs too; from two tarballs npm fetched @gluon/protocol from the registry: E404.
  const md = readFileSync(join(root, 'docs', 'writing-a-workload.md'), 'utf8');
  const loop = /^for p in ([\w ]+); do npm pack -w @gluon\/\$p --ignore-scripts=false --pack-destination (\S+); done$/m.exec(md);
  t.ok(loop, 'the page packs the packages in one loop');
  const packed = new Set((loop?.[1] ?? '').trim().split(/\s+/).map((p) => `@gluon/${p}`));
  const needed = new Set<string>();
  const visit = (name: string) => {
    if (needed.has(name)) return;
    needed.add(name);
    const pj = JSON.parse(readFileSync(join(root, 'packages', name.slice('@gluon/'.length), 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    for (const d of Object.keys(pj.dependencies ?? {})) if (d.startsWith('@gluon/')) visit(d);
  };
  visit('@gluon/client');
  visit('@gluon/rootio');
  t.same([...needed].filter((n) => !packed.has(n)).sort(), [], `every needed package is packed (${[...needed].sort().join(', ')})`);
  t.match(md, `npm install --ignore-scripts ${loop?.[2]}/*.tgz`, 'and every tarball goes to one install');
});

t.test('the page\'s packing lines run as written in a checkout, into a folder that does not exist yet', async (t) => {
  // Run verbatim on a fresh machine, `npm pack --pack-destination /tmp/gluon-tgz` failed with
  // `npm error enoent` for every package: npm does not make the folder, and the page did not either.
  const md = readFileSync(join(root, 'docs', 'writing-a-workload.md'), 'utf8');
  const block = /```sh\n([\s\S]*?)```/.exec(md)?.[1] ?? '';
  const [inCheckout] = block.split(/^# in your directory.*$/m);
  // On a fresh clone the loop failed with "sh: 1: tsc: not found" (each prepack builds with the
  // checkout's TypeScript), and nothing on the page said to run npm ci there first.
  t.match(inCheckout, /^# in the checkout, after its `npm ci`/m, 'the page says the checkout needs its npm ci first');
  const loop = /--pack-destination (\S+);/.exec(inCheckout ?? '');
  t.ok(loop, 'the page packs into one folder');
  const dir = mkdtempSync(join(tmpdir(), 'gluon-workload-pack-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const dest = join(dir, 'tgz'); // not made: as on a machine where the page's folder does not exist
  const script = (inCheckout ?? '').split(loop![1]!).join(dest);
  await run('bash', ['-e', '-c', script], { cwd: root, timeout: 600_000 });
  const packed = /^for p in ([\w ]+);/m.exec(script)?.[1]?.trim().split(/\s+/) ?? [];
  t.ok(packed.length >= 5, `the page packs ${packed.join(', ')}`);
  const version = (JSON.parse(readFileSync(join(root, 'packages', 'client', 'package.json'), 'utf8')) as { version: string }).version;
  t.same(packed.filter((p) => !existsSync(join(dest, `gluon-${p}-${version}.tgz`))), [], `every tarball is in ${dest}`);
});

t.test('the page installs Gluon from tarballs only: its packages are not on the npm registry', async (t) => {
  // It opened with "install the packages from the registry with `npm install --ignore-scripts
  // @gluon/client @gluon/rootio`": run as written, `npm error 404 … '@gluon/client@*' could not be
  // found` (docs/across-hosts.md says they are not published). A name with no tarball path is a
  // registry lookup.
  const md = readFileSync(join(root, 'docs', 'writing-a-workload.md'), 'utf8');
  const installs = [...md.matchAll(/npm (?:install|i|add)\b[^`]*/g)].map((m) => m[0].replace(/\s+/g, ' ')); // a code span may wrap
  t.ok(installs.length > 0, 'the page says how to install');
  t.same(installs.filter((cmd) => /(^|\s)@gluon\/[\w-]+(@\S*)?(\s|$)/.test(cmd)), [], 'no npm install names a @gluon package from the registry');
  t.notMatch(md, /from the registry with/, 'and the page does not offer the registry as a way');
});
