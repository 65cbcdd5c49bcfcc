/**
 * LocalCluster's `tls` files: a relative path is taken from the script's working directory, as
 * `allowModules` entries are (and as a script's own `fs` calls take it), whatever the cluster's
 * `cwd` (the processes' working directory) is, and passed on absolute. start() checked a relative
 * path from the script's directory and then handed it as it was to processes running in `cwd`,
 * where it named another file or none (`--tls-cert …: cannot read it` in the scheduler's stderr).
 * A file that cannot be read is refused by start(), naming the absolute path it looked at.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import t from 'tap';
import { LocalCluster, remote } from '@gluon/client';
import { temporaryTls } from '@gluon/protocol';
import { tlsFilePaths } from '../../src/local-cluster-values.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '../fixtures');
const incAfter = remote(pathToFileURL(join(fixtures, 'tasks.mjs')), 'incAfter');

t.test('relative tls files are the script\'s: a cluster whose cwd is elsewhere serves wss:// with them', async (t) => {
  const made = await temporaryTls();
  t.teardown(() => made.remove());
  const top = mkdtempSync(join(tmpdir(), 'lc-tls-cwd-'));
  t.teardown(() => rmSync(top, { recursive: true, force: true }));
  // Deeper than the script's directory: its `../..`s stop at / from there, not from here.
  const elsewhere = join(top, 'a', 'b', 'c', 'd', 'e', 'f');
  mkdirSync(elsewhere, { recursive: true });
  const rel = (p: string) => relative(process.cwd(), p);
  const given = { cert: rel(made.cert), key: rel(made.key), ca: rel(made.ca), requireClientCert: true };
  t.notOk(isAbsolute(given.cert), `given relative: ${given.cert}`);
  t.notOk(existsSync(resolve(elsewhere, given.cert)), 'and from the cluster\'s cwd it names nothing');
  const cluster = await LocalCluster.start({ nWorkers: 1, dashboard: false, cwd: elsewhere, allowModules: [fixtures], tls: given });
  t.teardown(() => cluster.close());
  t.same(cluster.tls, { cert: made.cert, key: made.key, ca: made.ca, requireClientCert: true }, 'cluster.tls holds them absolute');
  t.match(cluster.schedulerAddress, /^wss:\/\//);
  const client = await cluster.client();
  t.equal(await client.submit(incAfter, 1, 0).result(), 2, 'a task ran over TLS');
});

t.test('a tls file that cannot be read: refused before anything starts, naming the absolute path', async (t) => {
  const base = process.cwd();
  await t.rejects(LocalCluster.start({ nWorkers: 1, tls: { cert: './no-such-cert.pem', key: '/nonexistent.key' } }), {
    name: 'RangeError',
    message: `LocalCluster: tls.cert "./no-such-cert.pem" cannot be read: no such file: ${join(base, 'no-such-cert.pem')} (a relative path is taken from this script's working directory, ${base})`,
  });
  t.throws(() => tlsFilePaths({ cert: 'certs/c.pem', key: '/k' }, '/nowhere-gluon'), {
    name: 'RangeError',
    message: 'LocalCluster: tls.cert "certs/c.pem" cannot be read: no such file: /nowhere-gluon/certs/c.pem (a relative path is taken from this script\'s working directory, /nowhere-gluon)',
  });
  t.throws(() => tlsFilePaths({ cert: tmpdir(), key: '/k' }), { message: `LocalCluster: tls.cert ${tmpdir()} cannot be read: it is a directory` });
});
