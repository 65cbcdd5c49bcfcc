/**
 * A script that forgets `await cluster.close()` (and its client's close()) ends on its own once
 * its work is done, and its cluster's processes end with it. It hung for ever, silently: the
 * scheduler connection and the cluster's processes kept Node's event loop going. The script runs
 * as a real child process; the test waits (bounded) for it to exit by itself.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { until } from '../../../../test/helpers/until.js';

const script = join(dirname(fileURLToPath(import.meta.url)), '../fixtures', 'forgot-close.mjs');
const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };

async function run(mode: string): Promise<{ status: number | string; out: string; pids: number[] }> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('npm_')));
  const child = spawn(process.execPath, [script, mode], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let pids: number[] = [];
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const p of pids) if (alive(p)) process.kill(p, 'SIGKILL');
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | string>((r) => child.on('close', (code, sig) => r(code ?? sig ?? -1)));
  let status: number | string | undefined;
  void exited.then((s) => (status = s));
  // Bounded: a script that hangs fails here, naming what it printed.
  await until(() => status !== undefined, `the script exits by itself (it printed:\n${out})`, 120_000);
  pids = JSON.parse(/^pids (.*)$/m.exec(out)?.[1] ?? '[]') as number[];
  return { status: status!, out, pids };
}

for (const mode of ['cluster', 'connect']) {
  t.test(`a script that never closes its client (${mode === 'cluster' ? 'cluster.client()' : 'Client.connect'}) or its LocalCluster ends by itself once done`, async (t) => {
    const r = await run(mode);
    t.equal(r.status, 0, `exit code 0\n${r.out}`);
    t.match(r.out, /^slow 42$/m, 'a task that outlasts the idle check was waited for');
    t.match(r.out, /^big 100000$/m, 'a result fetched from the worker after an idle spell was waited for');
    t.match(r.out, /^done; not closing$/m);
    t.equal(r.pids.length, 2, 'the scheduler and a worker were started');
    // Closed at beforeExit, waited for: gone when the script is (reaped by it).
    t.same(r.pids.filter(alive), [], 'none of its processes is left running');
    t.notMatch(r.out, /lost the scheduler|reconnecting/, 'nothing was cut off');
  });
}
