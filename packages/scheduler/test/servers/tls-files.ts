import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeCa, makeCert } from '@gluon/protocol';
import { Scheduler } from '../../src/server.js';
import { startWorker } from '@gluon/worker';
import { until } from '../../../../test/helpers/until.js';

t.test('Scheduler.start and startWorker take their TLS files as paths, as Client.connect does', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gluon-tls-files-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const ca = await makeCa(dir);
  const node = await makeCert(dir, ca, 'node', ['127.0.0.1']);
  // Passed on as they were, the paths failed in OpenSSL: 'PEM routines::no start line'.
  const s = await Scheduler.start({ port: 0, dashboard: false, log: () => {}, tls: { cert: node.cert, key: node.key, ca: ca.cert } });
  t.teardown(() => s.close());
  t.match(s.address, /^wss:\/\//, 'it listens with TLS');
  const w = await startWorker({ scheduler: s.address, nthreads: 1, log: () => {}, tls: { cert: node.cert, key: node.key, ca: ca.cert } });
  t.teardown(() => w.close());
  await until(() => s.snapshot().workers.some((x) => x.alive), 'the worker registers over TLS');
  await t.rejects(Scheduler.start({ port: 0, dashboard: false, log: () => {}, tls: { cert: join(dir, 'nope.pem'), key: node.key } }), /Scheduler\.start: tls\.cert .*nope\.pem: cannot read it \(ENOENT\)/, 'a missing file is named');
});
