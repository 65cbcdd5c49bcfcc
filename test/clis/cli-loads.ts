/**
 * What each CLI's light paths load: its --help, a usage error and a printed job script load
 * neither the wire (ws, msgpackr through @gluon/protocol's codec), the ROOT reader, the scheduler,
 * the worker, the client nor the YAML parser. Every CLI process paid all of them before anything
 * ran (`gluon-h4l --help` 0.44 s against 0.10 s for bare node); they are imported by the paths that
 * use them (bench/cli-startup.ts measures what that saves). The modules loaded are read from the
 * process itself (test/helpers/record-loads.mjs, on the ES module loader's hooks), not timed.
 *
 * A scheduler or worker started without its V8 flags is a supervisor and a child: the supervisor
 * loads none of the scheduler or worker, the child that listens or connects does (which also shows
 * that the recording sees them), and it takes ws with require(), not through ws's ES module
 * wrapper (which cost every such process ~30 ms of CPU: @gluon/protocol's ws.ts).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import t from 'tap';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const recorder = pathToFileURL(join(root, 'test/helpers/record-loads.mjs')).href;
const tmp = mkdtempSync(join(tmpdir(), 'gluon-cli-loads-'));
t.teardown(() => rmSync(tmp, { recursive: true, force: true }));

const bins = {
  'gluon-h4l': 'packages/analysis-h4l/bin/gluon-h4l.js',
  'gluon-finalstates': 'packages/analysis-finalstates/bin/gluon-finalstates.js',
  'gluon-cluster': 'packages/deploy/bin/gluon-cluster.js',
  'gluon-scheduler': 'packages/scheduler/bin/gluon-scheduler.js',
  'gluon-worker': 'packages/worker/bin/gluon-worker.js',
} as const;

/** The heavy modules, by a piece of their URL (workspace packages load from packages/X, installs from node_modules/@gluon/X). */
const HEAVY: Record<string, string> = {
  ws: '/node_modules/ws/',
  'msgpackr (@gluon/protocol\'s codec)': '/protocol/dist/codec.js',
  'the ROOT reader (@gluon/rootio)': '/rootio/dist/',
  'the scheduler': '/scheduler/dist/server.js',
  'the worker': '/worker/dist/worker.js',
  'the client': '/client/dist/client.js',
  'the YAML parser': '/node_modules/yaml/',
};

/** ws's ES module wrapper among `urls`: `import 'ws'` loads it, `require('ws')` does not. */
const throughWsWrapper = (urls: readonly string[]) => urls.filter((u) => u.endsWith('/node_modules/ws/wrapper.mjs'));

let n = 0;

/**
 * Runs `bin args` with the recorder; resolves once it exits (or, with `until`, once its output
 * matches, when it is sent SIGTERM and waited for) with its pid, exit code, output and the
 * modules loaded, by pid.
 */
function run(bin: keyof typeof bins, args: string[], until?: RegExp): Promise<{ pid: number; code: number | null; out: string; loads: Map<number, string[]> }> {
  const file = join(tmp, `loads-${n++}.txt`);
  const env: NodeJS.ProcessEnv = { ...process.env, GLUON_RECORD_LOADS: file };
  delete env.GLUON_TOKEN;
  const child = spawn(process.execPath, [`--import=${recorder}`, join(root, bins[bin]), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const onData = (d: Buffer) => {
    out += d;
    if (until?.test(out)) child.kill('SIGTERM');
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      const loads = new Map<number, string[]>();
      let text = '';
      try { text = readFileSync(file, 'utf8'); } catch { /* nothing loaded through the hooks: an empty map, and the checks below fail */ }
      for (const line of text.split('\n').filter(Boolean)) {
        const [pid, url] = [Number(line.slice(0, line.indexOf(' '))), line.slice(line.indexOf(' ') + 1)];
        loads.set(pid, [...(loads.get(pid) ?? []), url]);
      }
      resolve({ pid: child.pid!, code, out, loads });
    });
  });
}

/** The heavy modules among `urls`, by name. */
const heavyIn = (urls: readonly string[]) => Object.entries(HEAVY).filter(([, piece]) => urls.some((u) => u.includes(piece))).map(([name]) => name);

const LIGHT: [keyof typeof bins, string[], number][] = [
  ['gluon-h4l', ['--help'], 0],
  ['gluon-h4l', ['run', '--help'], 0],
  ['gluon-h4l', ['run', '--no-such-flag'], 2],
  ['gluon-h4l', ['run', '--no-config', '--cluster', 'slurm', '--print-job-script'], 0],
  ['gluon-finalstates', ['--help'], 0],
  ['gluon-finalstates', ['--no-such-flag'], 2],
  ['gluon-finalstates', ['--cluster', 'slurm', '--print-job-script'], 0],
  ['gluon-cluster', ['--help'], 0],
  ['gluon-cluster', ['slurm', '--no-such-flag'], 2],
  ['gluon-cluster', ['slurm', '--print-job-script'], 0],
  ['gluon-scheduler', ['--help'], 0],
  ['gluon-scheduler', ['--no-such-flag'], 2],
  ['gluon-worker', ['--help'], 0],
  ['gluon-worker', ['--no-such-flag'], 2],
];

for (const [bin, args, code] of LIGHT) {
  t.test(`${bin} ${args.join(' ')}`, async (t) => {
    const r = await run(bin, args);
    t.equal(r.code, code, `exits ${code}`, { output: r.out });
    const urls = r.loads.get(r.pid) ?? [];
    // The recording saw the process: its launcher and its CLI are among what it loaded.
    t.ok(urls.some((u) => u.endsWith(`/${bins[bin].split('/').slice(-2).join('/')}`)) && urls.some((u) => u.endsWith('/dist/cli.js')), `the recording has ${bin}'s launcher and its dist/cli.js (${urls.length} modules)`);
    t.same(heavyIn(urls), [], 'loads none of the heavy modules');
  });
}

t.test('gluon-scheduler started without its V8 flags: the supervisor loads none of the scheduler, its child does', async (t) => {
  const r = await run('gluon-scheduler', ['--port', '0', '--no-dashboard'], /^scheduler at /m);
  t.equal(r.code, 0, 'stopped by SIGTERM, exits 0', { output: r.out });
  const supervisor = r.loads.get(r.pid) ?? [];
  const children = [...r.loads.keys()].filter((pid) => pid !== r.pid);
  t.equal(children.length, 1, 'one child recorded');
  t.same(heavyIn(supervisor), [], 'the supervisor loads none of the heavy modules');
  t.ok(heavyIn(r.loads.get(children[0]!) ?? []).includes('the scheduler'), 'the child that listens loads the scheduler');
  t.ok(heavyIn(r.loads.get(children[0]!) ?? []).includes('ws'), 'and ws');
  t.same(throughWsWrapper(r.loads.get(children[0]!) ?? []), [], 'not through ws\'s ES module wrapper');
});

t.test('gluon-worker started without its V8 flags: the supervisor loads none of the worker, its child does, and ws with require()', async (t) => {
  const { startScheduler, endAfter } = await import('../../packages/worker/test/procs.js');
  const { procs } = endAfter(t);
  const s = await startScheduler();
  procs.push(s.proc);
  const r = await run('gluon-worker', [s.address, '--name', 'loads'], / connected to /m);
  t.equal(r.code, 0, 'stopped by SIGTERM, exits 0', { output: r.out });
  const supervisor = r.loads.get(r.pid) ?? [];
  const children = [...r.loads.keys()].filter((pid) => pid !== r.pid);
  t.equal(children.length, 1, 'one child recorded');
  t.same(heavyIn(supervisor), [], 'the supervisor loads none of the heavy modules');
  const child = r.loads.get(children[0]!) ?? [];
  t.ok(heavyIn(child).includes('the worker') && heavyIn(child).includes('ws'), 'the child that connects loads the worker and ws');
  t.same(throughWsWrapper(child), [], 'not through ws\'s ES module wrapper');
});
