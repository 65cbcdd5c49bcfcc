/**
 * Throw-away certificates made with the `openssl` command (Node can verify X.509 but not issue
 * it): a CA, and certificates it signs, for `LocalCluster({tls: true})` (like Dask's
 * `Security.temporary()`) and for tests. Keys are EC P-256; files are written mode 600 into a
 * directory the caller owns.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TlsFiles } from './tls.js';

/** A certificate and its key, as file paths. */
export interface CertFiles {
  cert: string;
  key: string;
}

function openssl(args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('openssl', args, { cwd, timeout: 30_000 }, (err, _out, stderr) => {
      if (!err) return resolve();
      const why = (err as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'the openssl command is not installed (it makes the temporary certificates; install it, or pass certificate files)'
        : `openssl ${args[0]} failed: ${String(stderr).trim() || err.message}`;
      reject(new Error(why));
    });
  });
}

const KEY_ARGS = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

/** A self-signed CA in `dir` (`<name>.pem`, `<name>.key`), valid for `days`. */
export async function makeCa(dir: string, name = 'ca', days = 2): Promise<CertFiles> {
  const files = { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) };
  await openssl(['req', '-x509', ...KEY_ARGS, '-keyout', files.key, '-out', files.cert, '-days', String(days),
    '-subj', `/CN=Gluon temporary CA ${name}`, '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  return files;
}

/**
 * A certificate signed by `ca` for `hosts` (IP addresses and DNS names, in its subjectAltName),
 * usable as server and as client certificate. `days` may be negative: an already expired one.
 */
export async function makeCert(dir: string, ca: CertFiles, name: string, hosts: readonly string[], days = 2): Promise<CertFiles> {
  const files = { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) };
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  const san = hosts.map((h) => (isIP(h) ? `IP:${h}` : `DNS:${h}`)).join(',');
  await writeFile(ext, `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n`
    + `extendedKeyUsage=serverAuth,clientAuth\n${san ? `subjectAltName=${san}\n` : ''}`, { mode: 0o600 });
  await openssl(['req', ...KEY_ARGS, '-keyout', files.key, '-out', csr, '-subj', `/CN=${name}`], dir);
  await openssl(['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-days', String(days),
    '-extfile', ext, '-out', files.cert], dir);
  await Promise.all([rm(csr, { force: true }), rm(ext, { force: true })]);
  return files;
}

/** A temporary CA and one certificate for this machine's loopback names; `remove()` deletes them. */
export interface TemporaryTls extends Required<Pick<TlsFiles, 'cert' | 'key' | 'ca'>> {
  dir: string;
  remove(): Promise<void>;
}

/**
 * Makes a temporary CA and a certificate it signs for `127.0.0.1`, `::1` and `localhost`
 * (or `hosts`) in a new private directory under the system's temp directory.
 */
export async function temporaryTls(hosts: readonly string[] = ['127.0.0.1', '::1', 'localhost']): Promise<TemporaryTls> {
  const dir = await mkdtemp(join(tmpdir(), 'gluon-tls-'));
  try {
    const ca = await makeCa(dir);
    const leaf = await makeCert(dir, ca, 'node', hosts);
    return { dir, ca: ca.cert, cert: leaf.cert, key: leaf.key, remove: () => rm(dir, { recursive: true, force: true }) };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
