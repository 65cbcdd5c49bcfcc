/**
 * A LocalCluster over mutual TLS with a temporary CA (like Dask's `Security.temporary()`):
 * tasks run, a large result comes from a worker's data listener over wss://, and a client or
 * peer without the cluster's certificate is refused with a message that says why.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { Client, HandshakeError, LocalCluster, remoteFrom } from '@gluon/client';
import { CloseCode, connect, readTlsMaterial } from '@gluon/protocol';
import type * as local from '@gluon/examples/tasks';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const { inc, add, histogram } = remoteFrom<typeof local>('@gluon/examples/tasks');

t.test('LocalCluster({tls: true}): mutual TLS everywhere, the temporary CA removed on close', async (t) => {
  const cluster = await LocalCluster.start({ nWorkers: 2, nthreads: 1, cwd: repo, tls: true, dashboard: false });
  let closed = false;
  t.teardown(() => (closed ? undefined : cluster.close()));
  t.match(cluster.schedulerAddress, /^wss:\/\/127\.0\.0\.1:\d+$/);
  for (const w of cluster.workers) t.match(w.address, /^wss:\/\/127\.0\.0\.1:\d+$/, `worker ${w.name} serves its data over TLS`);
  const files = cluster.tls!;
  t.ok(files.requireClientCert, 'client certificates are required');

  const client = await cluster.client();
  const xs = client.map(inc, [1, 2, 3, 4, 5]);
  t.equal(await client.submit(add, ...xs).result(), 20);
  // 4000 bins of float64: 32 KB, over the inline limit, so the client fetches it from the worker.
  const big = await client.submit(histogram, 7, 1000, 4000).result();
  t.equal(big.length, 4000);
  t.equal(big.reduce((a, b) => a + b, 0), 1000, 'a large result fetched from a worker over wss://');

  const plain = await Client.connect(cluster.schedulerAddress.replace('wss:', 'ws:'), { timeoutMs: 15_000 }).catch((e) => e);
  t.type(plain, HandshakeError);
  t.match(plain.message, /plain connection to a TLS listener: scheduler ws:\/\/\S+ speaks TLS; connect with wss:\/\//);
  // The cluster's files with a ws:// address (a typo): refused before dialling, as the analyses
  // refuse --tls-* with a ws:// --scheduler. Found by the hosts trial: against a plain scheduler it
  // connected, the certificates ignored and the token sent in clear.
  const typo = cluster.schedulerAddress.replace('wss:', 'ws:');
  const tlsToWs = await Client.connect(typo, { tls: { ca: files.ca!, cert: files.cert!, key: files.key! }, timeoutMs: 15_000 }).catch((e) => e);
  t.type(tlsToWs, TypeError);
  t.equal(tlsToWs.message, `Client.connect: tls is given, but the scheduler address ${typo} is plain ws://, which speaks no TLS: the token and the results would cross the network unencrypted; give its wss:// address (a scheduler started with --tls-cert prints "scheduler at wss://…")`);
  const noCa = await Client.connect(cluster.schedulerAddress, { timeoutMs: 15_000 }).catch((e) => e);
  t.match(noCa.message, /unknown CA: the certificate of scheduler wss:\/\/\S+ is not signed by a CA this side trusts/);
  const noCert = await Client.connect(cluster.schedulerAddress, { tls: { ca: files.ca! }, timeoutMs: 15_000 }).catch((e) => e);
  t.match(noCert.message, /client certificate required: scheduler wss:\/\/\S+: scheduler requires a certificate signed by its CA/);

  // A worker serves no data to a peer that has not proven the cluster's certificate.
  const worker = cluster.workers[0]!.address;
  const peer = await connect(worker, { role: 'peer' }, { tls: readTlsMaterial({ ca: files.ca! }), timeoutMs: 15_000, log: () => {} }).catch((e) => e);
  t.equal(peer.code, CloseCode.tls);
  t.match(peer.message, /client certificate required: /);

  await cluster.close();
  closed = true;
  t.notOk(existsSync(files.ca!), 'the temporary CA is deleted with the cluster');
});
