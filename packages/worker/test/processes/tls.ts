/**
 * gluon-scheduler and gluon-worker with --tls-cert/--tls-key/--tls-ca/--require-client-cert as
 * processes: a run over mutual TLS, the dashboard over HTTPS, a worker whose CA does not match
 * stopping at once with the reason, and flag mistakes exiting 2 with a message.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { makeCa, makeCert, readTlsMaterial, type CertFiles, type TlsOptions } from '@gluon/protocol';
import { ALLOW_FIXTURES, fixture, RawClient, schedulerCli, start, workerCli, type Proc, endWithCase } from '../procs.js';
import { SCHEDULER_V8_FLAGS } from '@gluon/scheduler/v8-flags';
import { WORKER_V8_FLAGS } from '@gluon/worker/v8-flags';
import { pathToFileURL } from 'node:url';

const dir = mkdtempSync(join(tmpdir(), 'gluon-tls-cli-'));
const procs: Proc[] = [];
t.teardown(() => {
  for (const p of procs) p.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});
let ca: CertFiles;
let node: CertFiles;
let stranger: CertFiles;
let otherCa: CertFiles;
t.before(async () => {
  ca = await makeCa(dir, 'ca');
  otherCa = await makeCa(dir, 'other');
  node = await makeCert(dir, ca, 'node', ['127.0.0.1']);
  stranger = await makeCert(dir, otherCa, 'stranger', ['127.0.0.1']);
});

const tlsArgs = (c: CertFiles, trust: CertFiles, mutual = true) => ['--tls-cert', c.cert, '--tls-key', c.key, '--tls-ca', trust.cert, ...(mutual ? ['--require-client-cert'] : [])];

async function scheduler(extra: string[]): Promise<{ proc: Proc; address: string; dashboard?: string }> {
  const proc = start(schedulerCli, ['--port', '0', ...extra], {}, SCHEDULER_V8_FLAGS);
  procs.push(proc);
  const m = await proc.waitFor(/^scheduler at (wss?:\/\/\S+)$/m);
  const d = /^dashboard at (\S+)$/m.exec(proc.output());
  return { proc, address: m[1]!, ...(d ? { dashboard: d[1]! } : {}) };
}

t.test('a run over mutual TLS; the dashboard over HTTPS', async (t) => {
  endWithCase(t, { procs });
  const s = await scheduler(['--dashboard-port', '0', ...tlsArgs(node, ca)]);
  t.match(s.address, /^wss:\/\//);
  t.match(s.dashboard, /^https:\/\/127\.0\.0\.1:\d+\/$/);
  const workers = [];
  for (const name of ['a', 'b']) {
    const w = start(workerCli, [s.address, '--nthreads', '1', '--name', name, ...ALLOW_FIXTURES, ...tlsArgs(node, ca)], {}, WORKER_V8_FLAGS);
    procs.push(w);
    workers.push(w);
    await w.waitFor(new RegExp(`^worker ${name} at wss://127\\.0\\.0\\.1:\\d+ connected to wss://`, 'm'));
  }
  const tls: TlsOptions = readTlsMaterial({ cert: node.cert, key: node.key, ca: ca.cert });
  const client = await RawClient.connect(s.address, undefined, tls);
  t.teardown(() => client.close());
  const mod = pathToFileURL(fixture).href;
  // A chain across both workers: the second task's dependency travels worker to worker over TLS.
  const tasks = [
    { key: 'inc-1', fn: { module: mod, export: 'inc' }, args: [1], deps: [] },
    { key: 'inc-2', fn: { module: mod, export: 'inc' }, args: [{ __gluonRef: 'inc-1' }], deps: ['inc-1'] },
  ];
  client.conn.send({ op: 'update-graph', tasks, wants: ['inc-2'] });
  const res = await client.results(['inc-2']);
  t.equal(res.get('inc-2')!.value, 3);

  const status = (opts: https.RequestOptions) => new Promise<number>((resolve, reject) => {
    const req = https.get(`${s.dashboard}api/state`, { ca: tls.ca, ...opts }, (res) => { res.resume(); resolve(res.statusCode ?? 0); });
    req.on('error', reject);
  });
  t.equal(await status({ cert: tls.cert, key: tls.key }), 200, 'the dashboard with the cluster\'s certificate');
  t.equal(await status({}), 403, 'and without one: refused (mutual TLS holds on every listener)');
  // A browser has no --tls-cert: the refusal says how a browser (and curl) presents one.
  const body = await new Promise<string>((resolve, reject) => {
    https.get(`${s.dashboard}`, { ca: tls.ca }, (res) => { let b = ''; res.setEncoding('utf8').on('data', (c: string) => { b += c; }).on('end', () => resolve(b)); }).on('error', reject);
  });
  t.equal(body, 'client certificate required: the dashboard requires a certificate signed by its CA (a browser: import the certificate and its key, made into one file with '
    + '`openssl pkcs12 -export -in client.pem -inkey client.key -out client.p12`, in its certificate settings; curl: --cert client.pem --key client.key; '
    + 'docs/across-hosts.md#host-names-and-browsers)\n');
});

t.test('a worker whose CA does not match stops at once, saying so; flag mistakes exit 2', async (t) => {
  endWithCase(t, { procs });
  const s = await scheduler(['--no-dashboard', ...tlsArgs(node, ca)]);
  const w = start(workerCli, [s.address, '--nthreads', '1', ...tlsArgs(node, otherCa, false)], {}, WORKER_V8_FLAGS);
  procs.push(w);
  // Not a usage error: exit 1 (2 is for flags), no pointer to --help, and the CA is named by the
  // flag the user gave, not the library's option (tls.ca).
  t.equal(await w.exited(), 1, 'it exits 1 instead of retrying forever');
  t.match(w.output(), /cannot start: unknown CA: the certificate of scheduler wss:\/\/\S+ is not signed by a CA this side trusts; give the cluster's CA \(--tls-ca\)/);
  t.notMatch(w.output(), /tls\.ca|--help/);

  // The library names its own option, which is what its user wrote.
  const { startWorker } = await import('@gluon/worker');
  await t.rejects(startWorker({ scheduler: s.address, nthreads: 1, tls: { cert: node.cert, key: node.key, ca: otherCa.cert }, log: () => {} }), {
    message: /unknown CA: the certificate of scheduler wss:\/\/\S+ is not signed by a CA this side trusts; give the cluster's CA \(tls\.ca\)/,
  });

  const foreign = start(workerCli, [s.address, '--nthreads', '1', ...tlsArgs(stranger, ca, false)], {}, WORKER_V8_FLAGS);
  procs.push(foreign);
  t.equal(await foreign.exited(), 1);
  t.notMatch(foreign.output(), /--help/);
  t.match(foreign.output(), /client certificate from an unknown CA: scheduler wss:\/\/\S+: scheduler accepts only certificates signed by its --tls-ca/);
  // Its own start says which side is wrong (found by the hosts trial: only the refusal above, which
  // sends the user to the scheduler's CA, was said); the scheduler's likewise, while it serves.
  t.match(foreign.output(), `gluon-worker: warning: --tls-cert ${stranger.cert} was not issued by the CA of --tls-ca ${ca.cert} (it was issued by `);
  t.notMatch(s.proc.output(), /warning/, 'a scheduler whose certificate its CA issued says nothing');
  const foreignScheduler = await scheduler(['--no-dashboard', ...tlsArgs(stranger, ca)]);
  t.match((await foreignScheduler.proc.waitFor(/^gluon-scheduler: warning: .*$/m))[0], `gluon-scheduler: warning: --tls-cert ${stranger.cert} was not issued by the CA of --tls-ca ${ca.cert} (it was issued by `);
  foreignScheduler.proc.kill('SIGTERM');

  const plain = start(workerCli, [s.address, '--nthreads', '1'], {}, WORKER_V8_FLAGS);
  procs.push(plain);
  t.equal(await plain.exited(), 2);
  t.match(plain.output(), /the scheduler speaks TLS \(wss:\/\/\): give --tls-cert and --tls-key/);
  // The reverse (a typo of the scheme): refused as the analyses refuse it. Found by the hosts
  // trial: against a plain scheduler such a worker joined, its token sent in clear.
  const typo = s.address.replace('wss:', 'ws:');
  const tlsToWs = start(workerCli, [typo, '--nthreads', '1', ...tlsArgs(node, ca, false)], {}, WORKER_V8_FLAGS);
  procs.push(tlsToWs);
  t.equal(await tlsToWs.exited(), 2, 'a usage error: the command line cannot work as written');
  t.match(tlsToWs.output(), `gluon-worker: --tls-cert ${node.cert}, --tls-key ${node.key}, --tls-ca ${ca.cert} given, but the scheduler ${typo} is plain ws://, which speaks no TLS: this worker's token and results would cross to it unencrypted; give its wss:// address`);
  t.notMatch(tlsToWs.output(), /connected to/);

  const noCa = start(schedulerCli, ['--port', '0', '--no-dashboard', '--tls-cert', node.cert, '--tls-key', node.key, '--require-client-cert'], {}, SCHEDULER_V8_FLAGS);
  procs.push(noCa);
  t.equal(await noCa.exited(), 2);
  t.match(noCa.output(), /gluon-scheduler: --require-client-cert needs --tls-ca/);
  const wrongKey = start(schedulerCli, ['--port', '0', '--tls-cert', node.cert, '--tls-key', stranger.key], {}, SCHEDULER_V8_FLAGS);
  procs.push(wrongKey);
  t.equal(await wrongKey.exited(), 1, 'a file holding the wrong thing: not a usage error');
  t.match(wrongKey.output(), /--tls-key \S+stranger\.key is not the key of --tls-cert \S+node\.pem/);

  // Another host's certificate (found by the new-user trial: w1's on the host of --listen-host
  // 10.77.0.12): the worker joined, and every fetch from it failed in its peers with 'wrong host
  // name'. Refused at start, naming the flags; the scheduler address is never dialled.
  const elsewhere = await makeCert(dir, ca, 'elsewhere', ['10.9.8.7', 'w7.example']);
  const misnamed = start(workerCli, [s.address, '--nthreads', '1', ...tlsArgs(elsewhere, ca)], {}, WORKER_V8_FLAGS);
  procs.push(misnamed);
  t.equal(await misnamed.exited(), 1);
  t.match(misnamed.output(), /^gluon-worker: --tls-cert \S+elsewhere\.pem does not name --listen-host 127\.0\.0\.1 \(it names IP Address:10\.9\.8\.7, DNS:w7\.example\): other workers and clients dial this worker at wss:\/\/127\.0\.0\.1:PORT and would refuse it; reissue it with IP:127\.0\.0\.1 in its subjectAltName, or give the --listen-host it names$/m);
  const byName = start(workerCli, [s.address, '--nthreads', '1', '--listen-host', 'localhost', ...tlsArgs(node, ca)], {}, WORKER_V8_FLAGS);
  procs.push(byName);
  t.equal(await byName.exited(), 1, 'a name the certificate lacks is refused too');
  t.match(byName.output(), /does not name --listen-host localhost \(it names IP Address:127\.0\.0\.1\): .*reissue it with DNS:localhost/);
});

t.test('gluon-scheduler refuses a certificate that names neither --host nor an --allowed-host, naming the flags', async (t) => {
  endWithCase(t, { procs });
  // Found by the across-hosts trial: a scheduler given a certificate without its address started
  // fine, and every worker then stopped with 'wrong host name'. Refused at start now.
  const elsewhere = await makeCert(dir, ca, 'sched-elsewhere', ['10.9.8.7', 'sched7.example']);
  const misnamed = start(schedulerCli, ['--port', '0', '--no-dashboard', ...tlsArgs(elsewhere, ca)], {}, SCHEDULER_V8_FLAGS);
  procs.push(misnamed);
  t.equal(await misnamed.exited(), 1);
  t.match(misnamed.output(), /^gluon-scheduler: --tls-cert \S+sched-elsewhere\.pem does not name --host 127\.0\.0\.1 \(it names IP Address:10\.9\.8\.7, DNS:sched7\.example\): workers and clients dial wss:\/\/127\.0\.0\.1:PORT and would refuse it \("wrong host name"\); reissue it with IP:127\.0\.0\.1 in its subjectAltName, or give the --host it names$/m);
  const other = start(schedulerCli, ['--port', '0', '--no-dashboard', '--allowed-host', 'w9.example', ...tlsArgs(elsewhere, ca)], {}, SCHEDULER_V8_FLAGS);
  procs.push(other);
  t.equal(await other.exited(), 1);
  t.match(other.output(), /does not name --host 127\.0\.0\.1 or any --allowed-host \(w9\.example\) \(it names/);
  // A certificate naming an --allowed-host is usable (clients dial that name): it starts.
  const byName = start(schedulerCli, ['--port', '0', '--no-dashboard', '--allowed-host', 'sched7.example', ...tlsArgs(elsewhere, ca)], {}, SCHEDULER_V8_FLAGS);
  procs.push(byName);
  await byName.waitFor(/^scheduler at wss:\/\/\S+$/m);
  byName.kill('SIGTERM');
  // On loopback the loopback names are dialled too: a certificate naming only localhost starts.
  const local = await makeCert(dir, ca, 'sched-localhost', ['localhost']);
  const loop = start(schedulerCli, ['--port', '0', '--no-dashboard', ...tlsArgs(local, ca)], {}, SCHEDULER_V8_FLAGS);
  procs.push(loop);
  await loop.waitFor(/^scheduler at wss:\/\/\S+$/m);
  loop.kill('SIGTERM');
  // Found by the new-user trial (two "hosts" on 127.0.0.1 and 127.0.0.2): bound to 127.0.0.2 with
  // a certificate naming only 127.0.0.1, it started, since any loopback --host let the loopback
  // names pass; but they do not reach 127.0.0.2, so every worker dialling wss://127.0.0.2:PORT
  // then stopped with 'wrong host name'.
  const second = start(schedulerCli, ['--host', '127.0.0.2', '--port', '0', '--no-dashboard', ...tlsArgs(node, ca)], {}, SCHEDULER_V8_FLAGS);
  procs.push(second);
  t.equal(await second.exited(), 1);
  t.match(second.output(), /^gluon-scheduler: --tls-cert \S+node\.pem does not name --host 127\.0\.0\.2 \(it names IP Address:127\.0\.0\.1\): workers and clients dial wss:\/\/127\.0\.0\.2:PORT/m);
});
