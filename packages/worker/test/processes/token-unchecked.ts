/**
 * A worker given a token (--token, --token-file, GLUON_TOKEN) means to serve a cluster only the
 * token's holders can use. Before protocol 22 it joined a scheduler that had no token without a
 * word: its user believed the cluster protected while anyone who reached the scheduler's port could
 * run tasks (code) on it. Now the scheduler's welcome says whether it requires a token and such a
 * worker refuses it: exit 1 naming the scheduler and what to change, at start and when a scheduler
 * comes back without a token; the scheduler's own log says why the worker left. The converse (no
 * token to a token scheduler, a wrong one) was already refused by the scheduler (cli.test.ts,
 * test/clis/missing-token.ts). Real scheduler and worker processes.
 */
import t, { type Test } from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WORKER_V8_FLAGS } from '@gluon/worker/v8-flags';
import { ALLOW_FIXTURES, endAfter, endWithCase, start, startScheduler, startWorker, workerCli } from '../procs.js';

const { procs } = endAfter(t);
const dir = mkdtempSync(join(tmpdir(), 'gluon-token-unchecked-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const tokenFile = join(dir, 'token');
writeFileSync(tokenFile, 'sesame-0123\n', { mode: 0o600 });
/**
 * The processes a case starts inherit this process's environment: no token but the ones the case
 * gives. GLUON_TOKEN is put back when the case ends (the modules after it in processes.test.ts
 * run with the environment as it was).
 */
function withoutTokenVariable(t: Test): void {
  const saved = process.env.GLUON_TOKEN;
  delete process.env.GLUON_TOKEN;
  t.teardown(() => {
    if (saved !== undefined) process.env.GLUON_TOKEN = saved;
  });
}

function refusal(address: string, help: string): string {
  return `refusing the scheduler at ${address}: it requires no token, so the token this worker was given (${help}) was not checked, `
    + 'and anyone who can reach the scheduler could run tasks (code) on this worker; '
    + 'start the scheduler with the same token (--token-file PATH or GLUON_TOKEN), or start the worker without a token if an open scheduler is meant';
}

t.test('a worker with a token refuses a scheduler that requires none: exit 1, said by both', async (t) => {
  withoutTokenVariable(t);
  endWithCase(t, { procs });
  const s = await startScheduler(0);
  procs.push(s.proc);
  // Each names the one way the token was given (it listed all three, whichever was used).
  const cases = [['--token T', ['--token', 'sesame-0123'], {}], ['GLUON_TOKEN', [], { GLUON_TOKEN: 'sesame-0123' }],
    [`--token-file ${tokenFile}`, ['--token-file', tokenFile], {}]] as const;
  for (const [i, [how, args, env]] of cases.entries()) {
    const w = start(workerCli, [s.address, ...ALLOW_FIXTURES, '--name', `tok-${i}`, ...args], env, WORKER_V8_FLAGS);
    procs.push(w);
    t.equal(await w.exited(), 1, `${how}: exit 1`);
    t.equal(w.output(), `gluon-worker: cannot start: ${refusal(s.address, how)}\n`, `${how}: its reason, once, and nothing else`);
    t.notMatch(w.output(), /connected to/, `${how}: it never served`);
    await s.proc.waitFor(new RegExp(`worker tok-${i} \\(127\\.0\\.0\\.1:\\d+\\) would not serve this scheduler: the worker holds a token and this scheduler requires none \\(give it one: --token-file PATH or GLUON_TOKEN\\)`));
  }
  t.notMatch(s.proc.output(), /registered/, 'no worker was registered');
  // Without a token the same scheduler is joined as before.
  const open = await startWorker(s.address, ['--nthreads', '1']);
  procs.push(open.proc);
  t.notMatch(open.proc.output(), /refusing|token/);
});

t.test('a worker with a token whose scheduler comes back without one gives up on it and exits 1', async (t) => {
  withoutTokenVariable(t);
  endWithCase(t, { procs });
  const s = await startScheduler(0, ['--token', 'first']);
  procs.push(s.proc);
  const w = start(workerCli, [s.address, ...ALLOW_FIXTURES, '--token', 'first'], {}, WORKER_V8_FLAGS);
  procs.push(w);
  await w.waitFor(/^worker \S+ at ws:\/\/\S+ connected to /m);
  t.notMatch(w.output(), /refusing/, 'a scheduler with the same token is served');
  const port = new URL(s.address).port;
  s.proc.kill('SIGTERM');
  t.equal(await s.proc.exited(), 0);
  await w.waitFor(/lost the scheduler/);
  const open = await startScheduler(Number(port));
  procs.push(open.proc);
  const [line] = await w.waitFor(/giving up on the scheduler: .*/);
  t.equal(line, `giving up on the scheduler: ${refusal(s.address, '--token T')}`);
  t.equal(await w.exited(), 1, 'the process exits 1 once it has given up');
  await open.proc.waitFor(/would not serve this scheduler: the worker holds a token and this scheduler requires none/);
});

t.test('the processes of --nworkers (and the V8-flags child) name the way the user gave the token, not the variable they got it in', async (t) => {
  withoutTokenVariable(t);
  endWithCase(t, { procs });
  // They get the token in GLUON_TOKEN whatever the user used, and listed all three ways.
  const open = await startScheduler(0);
  procs.push(open.proc);
  for (const [how, args, env] of [[`--token-file ${tokenFile}`, ['--token-file', tokenFile], {}], ['--token T', ['--token', 'sesame-0123'], {}]] as const) {
    const w = start(workerCli, [open.address, ...ALLOW_FIXTURES, '--nworkers', '2', ...args], env);
    procs.push(w);
    t.equal(await w.exited(), 1, `${how}: exit 1`);
    t.equal(w.output(), `gluon-worker: cannot start: ${refusal(open.address, how)}\n`.repeat(2), `${how}: each process names it`);
    t.notMatch(w.output(), /sesame/, `${how}: never the token itself`);
  }
  const guarded = await startScheduler(0, ['--token', 'the-right-one']);
  procs.push(guarded.proc);
  for (const [how, args, env] of [['GLUON_TOKEN', [], { GLUON_TOKEN: 'a-wrong-one' }], [`--token-file ${tokenFile}`, ['--token-file', tokenFile], {}]] as const) {
    // Without its V8 flags: one child, under the supervisor.
    const w = start(workerCli, [guarded.address, ...ALLOW_FIXTURES, ...args], env);
    procs.push(w);
    t.equal(await w.exited(), 1, `${how}: exit 1`);
    t.equal(w.output(), `gluon-worker: cannot start: bad token: scheduler refused the token the worker sent; give the scheduler's token with ${how}\n`, `wrong token by ${how}`);
  }
  // With no token every way is named: the user has yet to choose one.
  const none = start(workerCli, [guarded.address, ...ALLOW_FIXTURES, '--nworkers', '2'], { GLUON_TOKEN_SOURCE: '--token T' });
  procs.push(none);
  t.equal(await none.exited(), 1);
  t.equal(none.output(), 'gluon-worker: cannot start: missing token: scheduler requires a token; give the scheduler\'s token with GLUON_TOKEN, --token-file PATH or --token T\n'.repeat(2));
});
