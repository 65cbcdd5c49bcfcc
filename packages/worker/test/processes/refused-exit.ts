/**
 * A worker whose scheduler comes back refusing it (restarted with another token) gives up: its
 * process must then exit, non-zero, instead of living on connected to nothing. Run as a user runs
 * it: without its V8 flags, under the supervisor that adds them (whose IPC channel would keep a
 * finished worker alive), and with its flags, in the started process.
 */
import t from 'tap';
import { WORKER_V8_FLAGS } from '@gluon/worker/v8-flags';
import { ALLOW_FIXTURES, endAfter, start, startScheduler, workerCli, endWithCase } from '../procs.js';

const { procs } = endAfter(t);

for (const [how, nodeArgs] of [['under its supervisor', []], ['with its V8 flags', WORKER_V8_FLAGS]] as const) {
  t.test(`a worker refused by a restarted scheduler (another token) exits 1 (${how})`, async (t) => {
    endWithCase(t, { procs });
    const s = await startScheduler(0, ['--token', 'first']);
    procs.push(s.proc);
    const w = start(workerCli, [s.address, ...ALLOW_FIXTURES, '--token', 'first'], {}, nodeArgs);
    procs.push(w);
    await w.waitFor(/^worker \S+ at ws:\/\/\S+ connected to /m);
    const port = new URL(s.address).port;
    s.proc.kill('SIGTERM');
    t.equal(await s.proc.exited(), 0);
    await w.waitFor(/lost the scheduler/);
    const s2 = await startScheduler(Number(port), ['--token', 'second']);
    procs.push(s2.proc);
    // It says how this worker was given its token, as a refusal at start does (it said only 'bad token: …').
    const [line] = await w.waitFor(/giving up on the scheduler: bad token: scheduler refused the token the worker sent.*/);
    t.match(line, /; give the scheduler's token with --token T$/);
    t.equal(await w.exited(), 1, 'the process exits 1 once it has given up');
  });
}
