import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCommand, type Proc } from '../packages/worker/test/procs.js';
import { writeOfflineInstall, type Packed } from '../test/helpers/offline-install.js';

/**
 * Gluon as a new user gets it, twice:
 * 1. a fresh clone of this repository (`git clone`; `npm ci` offline from the local npm cache;
 *    `npm run build`), then the README's "Running a cluster by hand" commands verbatim (ports made
 *    free ones) and a client script against that cluster, and its first commands (both demos);
 * 2. every public package packed (`prepack` builds), the tarballs installed with npm into a
 *    directory outside the repository (offline, from the cache), and from there the scheduler,
 *    the workers, a client script, `gluon-h4l run` on a small generated dataset, and the
 *    dashboard page with its assets.
 * The committed state is what is tested (a clone), as CI tests it.
 */
t.setTimeout(25 * 60_000);

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const work = mkdtempSync(join(tmpdir(), 'gluon-install-'));
const clone = join(work, 'gluon');
const procs: Proc[] = [];
t.teardown(async () => {
  for (const p of procs) p.kill('SIGTERM');
  await Promise.all(procs.map((p) => p.exited(20_000).catch(() => p.kill('SIGKILL'))));
  rmSync(work, { recursive: true, force: true });
});

/** The environment of a user's shell: none of the npm_* variables of the `npm test` running us. */
const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('npm_') || k === 'npm_config_cache'));
const unset = Object.fromEntries(Object.keys(process.env).filter((k) => !(k in env)).map((k) => [k, undefined]));

/** Runs a command to its end (bounded), resolving with its output; rejects on a non-zero exit. */
function run(cmd: string, args: string[], cwd: string, ms = 10 * 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], timeout: ms, killSignal: 'SIGKILL' });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code, sig) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')} (in ${cwd}) exited ${code ?? sig}:\n${out}`))));
  });
}

/** Starts a long-running command as a user would, kept for teardown. */
function launch(line: string[], cwd: string): Proc {
  const p = startCommand(line[0]!, line.slice(1), unset, cwd);
  procs.push(p);
  return p;
}

/** Stops an npx-started process as a user would (SIGTERM to npm) and waits for it. */
async function stop(t: { ok(v: unknown, m: string): void }, p: Proc, what: string): Promise<void> {
  p.kill('SIGTERM');
  t.ok(['SIGTERM', 0, 143].includes(await p.exited()), `${what} stopped on SIGTERM`);
}

/** A scheduler and two workers started with `npx` in `cwd`; resolves with their processes and addresses. */
async function cluster(cwd: string, schedulerLine: string[], workerLine: (address: string) => string[]) {
  const sched = launch(schedulerLine, cwd);
  const [, address] = await sched.waitFor(/^scheduler at (ws:\/\/\S+)$/m, 120_000);
  const dashboard = /^dashboard at (http:\/\/\S+)$/m.exec(sched.output())?.[1];
  const workers = launch(workerLine(address!), cwd);
  await workers.waitFor(/^worker \S+ at \S+ connected to[\s\S]*^worker \S+ at \S+ connected to/m, 120_000);
  return { sched, workers, address: address!, dashboard };
}

/** The public workspace packages, from the root package.json. */
/**
 * The relative links of a README that stay inside its package (not URLs, not ../ out of it),
 * normalised, without their #fragment.
 */
function readmeLinksInside(readme: string): string[] {
  const out = new Set<string>();
  for (const m of readme.matchAll(/\]\(([^)\s#]+)(?:#[^)\s]*)?\)/g)) {
    const target = m[1]!;
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
    const norm = posix.normalize(target).replace(/^\.\//, '');
    // Tests are not packed (checked above): a link into test/ is for readers of the repository.
    if (norm.startsWith('..') || norm.startsWith('/') || norm.startsWith('test/')) continue;
    out.add(norm);
  }
  return [...out];
}

function publicPackages(root: string): { name: string; repoPath: string }[] {
  const { workspaces } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { workspaces: string[] };
  return workspaces.map((w) => ({ repoPath: w, pj: JSON.parse(readFileSync(join(root, w, 'package.json'), 'utf8')) as { name: string; private?: boolean } }))
    .filter((w) => !w.pj.private).map((w) => ({ name: w.pj.name, repoPath: w.repoPath }));
}

t.test('a fresh clone: npm ci, npm run build, then the README cluster commands and a client script', async (t) => {
  await run('git', ['clone', '--quiet', '--no-hardlinks', repo, clone], work);
  await run('npm', ['ci', '--ignore-scripts', '--offline', '--no-audit', '--no-fund'], clone);
  const bins = publicPackages(clone).flatMap((p) => Object.keys((JSON.parse(readFileSync(join(clone, p.repoPath, 'package.json'), 'utf8')) as { bin?: object }).bin ?? {}));
  t.ok(['gluon-scheduler', 'gluon-worker', 'gluon-h4l'].every((b) => bins.includes(b)), `the packages declare their bins (${bins.join(', ')})`);
  for (const bin of bins) t.ok(existsSync(join(clone, 'node_modules', '.bin', bin)), `npm ci linked ${bin} before any build`);
  await run('npm', ['run', 'build'], clone);

  const readme = readFileSync(join(clone, 'README.md'), 'utf8');
  const block = /## Running a cluster by hand\n[^#]*?```sh\n([\s\S]*?)```/.exec(readme)?.[1];
  t.ok(block, 'the README has its cluster commands');
  const lines = block!.split('\n').map((l) => l.replace(/\s+#.*$/, '').trim()).filter(Boolean);
  t.same(lines.map((l) => l.split(' ').slice(0, 2).join(' ')), ['npx gluon-scheduler', 'npx gluon-worker'], 'scheduler then workers, with npx');
  const schedLine = [...lines[0]!.split(' '), '--port', '0', '--dashboard-port', '0']; // free ports instead of 8786/8787
  const c = await cluster(clone, schedLine, (a) => lines[1]!.replace('ws://127.0.0.1:8786', a).split(' '));
  const out = await run(process.execPath, ['examples/dist/remote-scheduler.js', c.address], clone, 120_000);
  t.match(out, /sum of inc\(1\.\.5\) = 20/, 'the example client script ran on the cluster');
  await stop(t, c.workers, 'npx gluon-worker');
  await stop(t, c.sched, 'npx gluon-scheduler');
});

/** The tarballs of the test below, for the installed run after it. */
const packed: Packed[] = [];

t.test('every public package packed, with what its README links to, its launchers and its LICENSE', async (t) => {
  if (!existsSync(join(clone, 'node_modules'))) return t.skip('the fresh clone did not install; see the test before', () => {});
  const tarballs = join(work, 'tarballs');
  mkdirSync(tarballs);
  // prepack builds: after a clean, the packed protocol must still carry dist/.
  await run('npx', ['tsc', '-b', 'packages/protocol', '--clean'], clone);
  const pkgs = publicPackages(clone);
  const names = pkgs.map((p) => p.name);
  t.ok(['@gluon/analysis-h4l', '@gluon/client', '@gluon/protocol', '@gluon/rootio', '@gluon/scheduler', '@gluon/worker'].every((n) => names.includes(n)), `every public package is packed: ${names.join(', ')}`);
  await run('npm', ['pack', '--ignore-scripts=false', '--pack-destination', tarballs, ...pkgs.flatMap((p) => ['-w', p.name])], clone);
  for (const p of pkgs) {
    const { version } = JSON.parse(readFileSync(join(clone, p.repoPath, 'package.json'), 'utf8')) as { version: string };
    const tarball = join(tarballs, `${p.name.slice(1).replace('/', '-')}-${version}.tgz`);
    const files = (await run('tar', ['-tzf', tarball], work)).split('\n').filter(Boolean);
    const has = (f: string) => files.includes(`package/${f}`);
    t.ok(has('LICENSE') && has('package.json') && has('README.md') && has('dist/index.js') && has('dist/index.d.ts'), `${p.name}: LICENSE, README, dist`);
    t.notOk(files.some((f) => f.endsWith('.tsbuildinfo') || f.includes('/test/')), `${p.name}: no .tsbuildinfo, no tests`);
    // What its README links to inside the package is in the tarball, as the README is: a package's
    // own docs/ were left out of it (the scheduler's dashboard.md, the analysis's synthetic-samples.md).
    const inside = readmeLinksInside(readFileSync(join(clone, p.repoPath, 'README.md'), 'utf8'));
    const absent = inside.filter((l) => !has(l) && !files.some((f) => f.startsWith(`package/${l.replace(/\/$/, '')}/`)));
    t.same(absent, [], `${p.name}: the links of its README inside the package (${inside.length}) are packed`);
    const manifest = JSON.parse(readFileSync(join(clone, p.repoPath, 'package.json'), 'utf8')) as { bin?: Record<string, string>; engines?: { node?: string }; scripts?: { prepack?: string } };
    for (const [bin, target] of Object.entries(manifest.bin ?? {})) t.ok(has(target.replace(/^\.\//, '')), `${p.name}: carries its ${bin} launcher`);
    t.equal(manifest.engines?.node, '>=20', `${p.name}: declares engines`);
    t.equal(manifest.scripts?.prepack, 'tsc -b', `${p.name}: builds before packing`);
    t.equal(readFileSync(join(clone, p.repoPath, 'LICENSE'), 'utf8'), readFileSync(join(clone, 'LICENSE'), 'utf8'), `${p.name}: its LICENSE is the root's Apache-2.0 text`);
    packed.push({ ...p, tarball });
  }
  const list = async (name: string) => (await run('tar', ['-tzf', packed.find((p) => p.name === name)!.tarball], work)).split('\n');
  t.ok((await list('@gluon/scheduler')).includes('package/assets/index.html'), 'the scheduler carries the dashboard assets');
});

// The demos only read the clone, and the installed run only its tarballs and a directory of its
// own, so they run at once: this file starts among the suite's last (tap starts files in name
// order) and runs on alone after them, and one after the other they left a core idle. Both come
// after the packing above, whose clean of packages/protocol the demos would have raced.
t.test('then at once: the README\'s first commands in the clone, and the packed packages installed and run', async (t) => {
  t.jobs = 2;
  t.test('a fresh clone: the README\'s first commands, both demos, verbatim', async (t) => {
    if (!existsSync(join(clone, 'node_modules'))) return t.skip('the fresh clone above did not install', () => {});
    const readme = readFileSync(join(clone, 'README.md'), 'utf8');
    const block = /## First commands\n[^#]*?```sh\n([\s\S]*?)```/.exec(readme)?.[1];
    t.ok(block, 'the README has its first commands');
    const commands = block!.split('\n').map((l) => l.replace(/\s+#.*$/, '').trim()).filter(Boolean).flatMap((l) => l.split(' && '));
    t.same(commands, ['npm ci', 'npm run demo', 'npm run demo:finalstates', 'npm test'], 'install, the two demos, the suite');
    // `npm ci` ran above (offline, from the cache); `npm test` is this suite.
    const demo = await run('npm', ['run', 'demo'], clone);
    const plot = /^The ATLAS-style plot: (\S+)$/m.exec(demo)?.[1];
    t.ok(plot && existsSync(plot), `npm run demo wrote its plot (${plot})`);
    t.match(demo, /generating a synthetic dataset \(scale 0\.2, seed 1\)/, 'the first demo generates the dataset');
    const finalstates = await run('npm', ['run', 'demo:finalstates'], clone);
    t.match(finalstates, /synthetic dataset: \S+synthetic-4lep\/scale-0\.2-seed-1 \(cached\)/, 'the second demo reuses it');
    const root = /^Histograms: (\S+)$/m.exec(finalstates)?.[1];
    t.ok(root && existsSync(root), `npm run demo:finalstates wrote its ROOT file (${root})`);
    t.notOk(existsSync(join(clone, '.cache', 'finalstates-demo')) || existsSync(join(clone, '.cache', 'h4l-demo')), 'no second copy of the dataset');
  });
  t.test('the packed packages installed offline outside the repository, and run from there', async (t) => {
    if (packed.length === 0) return t.skip('nothing was packed; see the test before', () => {});
    const app = join(work, 'app');
    mkdirSync(app);
    writeOfflineInstall(clone, app, packed);
    await run('npm', ['ci', '--offline', '--no-audit', '--no-fund'], app);
    t.notOk(existsSync(join(app, 'node_modules', 'jsroot')) || existsSync(join(app, 'node_modules', 'canvas')), 'neither jsroot nor canvas is installed');

    const c = await cluster(app, ['npx', 'gluon-scheduler', '--port', '0', '--dashboard-port', '0'], (a) => ['npx', 'gluon-worker', a, '--nworkers', '2', '--allow-module', join(app, 'tasks.mjs')]);
    writeFileSync(join(app, 'tasks.mjs'), 'export const square = (x) => x * x;\nexport const sum = (...xs) => xs.reduce((a, b) => a + b, 0);\n');
    writeFileSync(join(app, 'client.mjs'), [
      "import { Client, remoteFrom } from '@gluon/client';",
      "const { square, sum } = remoteFrom(new URL('./tasks.mjs', import.meta.url));",
      'const client = await Client.connect(process.argv[2]);',
      'try { console.log(`total ${await client.submit(sum, ...client.map(square, [1, 2, 3, 4])).result()}`); } finally { await client.close(); }',
    ].join('\n'));
    t.match(await run(process.execPath, ['client.mjs', c.address], app, 120_000), /^total 30$/m, 'a client script ran on the installed cluster');

    // The dashboard page and everything it loads.
    t.ok(c.dashboard, 'the scheduler serves a dashboard');
    const page = await fetch(c.dashboard!);
    t.equal(page.status, 200);
    const html = await page.text();
    t.match(html, /<title>Gluon scheduler dashboard<\/title>/);
    const refs = [...html.matchAll(/(?:src|href)="([^"#:]+)"/g)].map((m) => m[1]!);
    t.ok(refs.length >= 4, `the page loads ${refs.length} files`);
    for (const ref of refs) {
      const r = await fetch(new URL(ref, c.dashboard!));
      t.equal(r.status, 200, `GET ${ref}`);
      t.ok((await r.arrayBuffer()).byteLength > 0, `${ref} is not empty`);
    }

    await run('npx', ['gluon-h4l', 'generate', '--out', 'data', '--scale', '0.02', '--seed', '1'], app, 300_000);
    const h4l = await run('npx', ['gluon-h4l', 'run', '--data-dir', 'data', '--scheduler', c.address, '--out', 'out'], app, 300_000);
    t.match(h4l, /progress: (\d+)\/\1 chunks/, 'gluon-h4l run went through the cluster, every chunk done');
    const hists = JSON.parse(readFileSync(join(app, 'out', 'histograms.json'), 'utf8')) as Record<string, unknown>;
    t.ok(Object.keys(hists).length > 0, 'histograms.json written');
    t.ok(existsSync(join(app, 'out', 'm4l.png')), 'the plot was rendered');
    await stop(t, c.workers, 'npx gluon-worker');
    await stop(t, c.sched, 'npx gluon-scheduler');
  });
});
