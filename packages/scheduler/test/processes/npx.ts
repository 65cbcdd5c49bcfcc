import t from 'tap';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * `npx gluon-scheduler` as a user runs it, stopped by a Ctrl-C (SIGINT to its process group, as a
 * terminal sends it) or a SIGTERM to npm: the scheduler stops, and the status the shell sees is
 * npm's, which ends by the same signal (130, 143 in a shell), not the scheduler's 0. The README
 * said exit 0 with no word of npm's.
 */
const repo = join(dirname(fileURLToPath(import.meta.url)), '../../../..');
/** A bound on a process that hangs, not a budget. */
const BOUND_MS = 300_000;

const groupAlive = (pgid: number) => { try { process.kill(-pgid, 0); return true; } catch { return false; } };

for (const [to, sig] of [['the process group (Ctrl-C)', 'SIGINT'], ['npm', 'SIGTERM']] as const) {
  t.test(`${sig} to ${to} of npx gluon-scheduler: the scheduler stops; npm ends by the ${sig}`, async (t) => {
    // Its own process group, as a shell runs a command.
    const npx = spawn('npm', ['exec', '--offline', '--', 'gluon-scheduler', '--port', '0', '--dashboard-port', '0'], { cwd: repo, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const pgid = npx.pid!;
    t.teardown(() => { try { process.kill(-pgid, 'SIGKILL'); } catch { /* gone */ } });
    let out = '';
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => npx.once('exit', (code, signal) => resolve({ code, signal })));
    const listening = new Promise<boolean>((resolve) => {
      const look = (d: Buffer) => { out += d; if (/^scheduler at /m.test(out)) resolve(true); };
      npx.stdout!.on('data', look);
      npx.stderr!.on('data', look);
      void exited.then(() => resolve(false));
    });
    const bound = setTimeout(() => { out += '\n[the test stopped it: still running]'; try { process.kill(-pgid, 'SIGKILL'); } catch { /* gone */ } }, BOUND_MS);
    t.ok(await listening, `the scheduler listens:\n${out}`);
    if (sig === 'SIGINT') process.kill(-pgid, sig);
    else npx.kill(sig);
    const end = await exited;
    t.same(end, { code: null, signal: sig }, `npm ended by the ${sig} (a shell shows ${sig === 'SIGINT' ? 130 : 143}):\n${out}`);
    // The scheduler under npm's sh stops too (a SIGTERM to npm reaches only the sh: the scheduler sees it gone).
    for (let i = 0; i < 1200 && groupAlive(pgid); i++) await new Promise((r) => setTimeout(r, 100));
    clearTimeout(bound);
    t.notOk(groupAlive(pgid), 'nothing npm started is left running (120 s bound)');
  });
}
