/**
 * A client given a token (the `token` option, GLUON_TOKEN) that joins a scheduler requiring none:
 * before protocol 22 nothing said so, and its user believed the cluster protected while anyone who
 * reached the scheduler could submit work and read its results. Now the welcome says whether the
 * scheduler requires a token, and the client warns once on stderr and keeps a warning of kind
 * `token-not-checked` in `client.warnings` (and tells `onWarning` listeners across a reconnect).
 * It carries on: its user is at hand to read it. LocalCluster's own clients do not send (nor warn
 * of) a GLUON_TOKEN its processes were not given. Real scheduler processes.
 */
import t, { type Test } from 'tap';
import { Client, LocalCluster, type ClusterWarning } from '@gluon/client';
import { startScheduler, type Proc } from '../../worker/test/procs.js';
import { until } from '../../../test/helpers/until.js';

// The schedulers started here inherit this environment; each case gives the client its token.
delete process.env.GLUON_TOKEN;
const procs: Proc[] = [];
t.teardown(() => { for (const p of procs) p.kill('SIGKILL'); });

/** What the client writes on stderr while `t` runs (and still passes it on). */
function stderrOf(t: Test): () => string {
  let out = '';
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
    out += String(chunk);
    return write(chunk, ...rest);
  }) as typeof process.stderr.write;
  t.teardown(() => { process.stderr.write = write; });
  return () => out;
}

const warningText = (address: string, help: string) => `the scheduler at ${address} requires no token: the token this client gave (${help}) was not checked, `
  + 'and anyone who can reach the scheduler can submit work to this cluster (tasks are code run on the workers) and read its results; '
  + 'start the scheduler with the same token (--token-file PATH or GLUON_TOKEN) to require it, or connect without a token if an open scheduler is meant';
const LIBRARY_HELP = 'the token option of Client.connect ({ token }) or GLUON_TOKEN';

t.test('a client with a token warns once that a scheduler requiring none did not check it, and keeps the warning while connected', async (t) => {
  const s = await startScheduler(0);
  procs.push(s.proc);
  const stderr = stderrOf(t);
  const client = await Client.connect(s.address, { token: 'sesame-0123', reconnectTimeoutMs: 120_000 });
  t.teardown(() => client.close());
  const text = warningText(s.address, LIBRARY_HELP);
  t.equal(stderr(), `gluon client: warning: ${text}\n`, 'said on stderr at connecting, once');
  t.same(client.warnings.map((w) => [w.kind, w.text]), [['token-not-checked', text]], 'and in force in client.warnings');
  const heard: Array<ClusterWarning & { active: boolean }> = [];
  client.onWarning((w) => heard.push(w));

  // The scheduler restarts, still without a token: the loss ends the warning for listeners (as
  // every warning: not known while away), the new welcome brings it back; stderr said it already.
  const port = Number(new URL(s.address).port);
  s.proc.kill('SIGTERM');
  await s.proc.exited();
  await until(() => !client.connected, 'the client noticing the scheduler gone', 60_000);
  const again = await startScheduler(port);
  procs.push(again.proc);
  await until(() => client.connected, 'the client reconnecting', 120_000);
  t.same(heard.map((w) => [w.kind, w.active]), [['token-not-checked', false], ['token-not-checked', true]], 'listeners heard it end at the loss and begin again');
  t.same(client.warnings.map((w) => w.kind), ['token-not-checked']);
  t.equal(stderr().split(text).length - 1, 1, 'stderr said it once in all');
});

t.test('the token from GLUON_TOKEN and a caller\'s tokenHelp are named; no token, or a scheduler that checks it, says nothing', async (t) => {
  const open = await startScheduler(0);
  procs.push(open.proc);
  const guarded = await startScheduler(0, ['--token', 'sesame-0123']);
  procs.push(guarded.proc);
  const stderr = stderrOf(t);

  const none = await Client.connect(open.address);
  t.same(none.warnings, [], 'no token given: nothing to warn of');
  await none.close();
  const checked = await Client.connect(guarded.address, { token: 'sesame-0123' });
  t.same(checked.warnings, [], 'a scheduler that checked the token');
  await checked.close();
  t.equal(stderr(), '', 'nothing said');

  process.env.GLUON_TOKEN = 'sesame-0123';
  t.teardown(() => { delete process.env.GLUON_TOKEN; });
  const fromEnv = await Client.connect(open.address);
  t.same(fromEnv.warnings.map((w) => w.text), [warningText(open.address, LIBRARY_HELP)]);
  await fromEnv.close();
  const analysis = await Client.connect(open.address, { tokenHelp: 'the GLUON_TOKEN environment variable' });
  t.same(analysis.warnings.map((w) => w.text), [warningText(open.address, 'the GLUON_TOKEN environment variable')], 'a CLI\'s own words for where the token came from');
  await analysis.close();
});

t.test('a LocalCluster started without a token: its clients neither send nor warn of a GLUON_TOKEN set for another cluster', async (t) => {
  process.env.GLUON_TOKEN = 'another-clusters-token';
  t.teardown(() => { delete process.env.GLUON_TOKEN; });
  const cluster = await LocalCluster.start({ nWorkers: 1 });
  t.teardown(() => cluster.close());
  const stderr = stderrOf(t);
  const client = await cluster.client();
  t.same(client.warnings, [], 'no warning');
  t.notMatch(stderr(), /token/);
});
