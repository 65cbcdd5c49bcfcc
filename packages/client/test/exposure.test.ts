/**
 * gluon-scheduler (--host) and gluon-worker (--listen-host) refuse to listen beyond loopback
 * without a token unless --insecure says so, and then warn loudly. The address used, 192.0.2.1
 * (TEST-NET-1), is on no interface here: a run that gets past the check fails to bind, so
 * nothing ever listens off loopback.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { bin, repo } from './procs.js';

const PROGRAMS = [
  { name: 'gluon-scheduler', flag: '--host', argv: [bin('@gluon/scheduler'), '--port', '0', '--no-dashboard', '--v8-flags='] },
  { name: 'gluon-worker', flag: '--listen-host', argv: [bin('@gluon/worker'), 'ws://127.0.0.1:1', '--v8-flags='] },
];

/**
 * Runs a CLI until it exits or prints `until` (then it is killed), bounded. Resolves with
 * the exit code (null when killed) and everything it printed. Bounded at 120 s, as the other
 * waits on this machine's processes: 20 s failed at load ~70 (a gluon-worker that had not started).
 */
function run(argv: string[], env: Record<string, string> = {}, until?: RegExp): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, GLUON_TOKEN: undefined, ...env } }); // unset: no token (empty is refused)
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      if (until?.test(out)) child.kill('SIGKILL');
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`neither exited nor printed ${until} within 120 s; output:\n${out}`));
    }, 120_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

for (const p of PROGRAMS) {
  t.test(`${p.name}: ${p.flag} beyond loopback without a token is refused, naming the flag and the ways out`, async (t) => {
    for (const host of ['0.0.0.0', '::', '192.0.2.1', 'example.invalid']) {
      const r = await run([...p.argv, p.flag, host]);
      t.equal(r.code, 2, `${host}: exit 2`);
      t.match(r.out, `${p.name}: ${p.flag} ${host} listens beyond this machine without a token`);
      t.match(r.out, /--token-file PATH or GLUON_TOKEN.*--insecure/);
    }
  });

  t.test(`${p.name}: --insecure listens anyway, with a loud warning; a token needs neither`, async (t) => {
    const insecure = await run([...p.argv, p.flag, '192.0.2.1', '--insecure']);
    t.match(insecure.out, `WARNING: --insecure: ${p.flag} 192.0.2.1 listens beyond this machine without a token`);
    t.match(insecure.out, /cannot start: .*EADDRNOTAVAIL/, 'it went on to listen');
    const withToken = await run([...p.argv, p.flag, '192.0.2.1'], { GLUON_TOKEN: 'sekrit' });
    t.notMatch(withToken.out, /WARNING|without a token/);
    t.match(withToken.out, /cannot start: .*EADDRNOTAVAIL/);
    // It said only "cannot start: listen EADDRNOTAVAIL: address not available 192.0.2.1".
    t.match(withToken.out, `${p.name}: cannot start: ${p.flag} 192.0.2.1 is not an address of this machine (EADDRNOTAVAIL): give one of its addresses`);
    // A host problem, not a usage error: exit 1 and no --help pointer (it was 2, with the pointer).
    t.equal(withToken.code, 1, 'an address not on this machine: exit 1');
    t.notMatch(withToken.out, /--help lists the options/, 'no --help pointer');
    // Listening on another loopback address works without a token (the worker then waits for
    // its scheduler, the scheduler prints its address: either line ends the run).
    const loopback = await run([...p.argv, p.flag, '127.0.0.2'], {}, /scheduler at|waiting for the scheduler/);
    t.notMatch(loopback.out, /WARNING|without a token|cannot start/, 'any loopback address needs no token');
  });
}
