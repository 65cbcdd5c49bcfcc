/**
 * TLS for an SSHCluster, made on the user's machine: a CA for this cluster only and one
 * certificate per host address (server and client use, naming that address, as gluon-scheduler's
 * `--host` and gluon-worker's `--listen-host` need). The host keys travel to their hosts over the
 * ssh session's stdin (ssh.ts), so they are kept here in memory only; the CA's key is deleted as
 * soon as the certificates are signed (no further certificate can be made from it), and the one
 * file left here is the CA's certificate, which clients of the cluster trust (`--tls-ca`).
 */
import { rmSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeCa, makeCert, onProcessEnd } from '@gluon/protocol/tools';

/** What one host receives: the CA's certificate, its own certificate and key (PEM). */
export interface HostTls {
  ca: string;
  cert: string;
  key: string;
}

/** A cluster's TLS material. */
export interface SSHClusterTls {
  /** The CA's certificate, a file in a private directory here: what clients trust. */
  caFile: string;
  /** The CA's certificate (PEM). */
  ca: string;
  /** The material for the host with this address (one of those it was made for). */
  forAddress(address: string): HostTls;
  /** Deletes the directory of `caFile` (the end of the process does too, when this is not called). */
  remove(): Promise<void>;
}

/**
 * Makes the CA and a certificate for each of `addresses` (IP addresses or DNS names; repeats are
 * made once) with the `openssl` command, in a new private (0700) directory under the system's
 * temporary directory. Valid for `days`. The directory goes at `remove()` or, failing that, when
 * the process ends (a SIGHUP to gluon-cluster ssh, a script that throws or exits without close()):
 * its hosts' processes stop then as their sessions close, and it was left behind.
 */
export async function makeSSHClusterTls(addresses: readonly string[], days = 30): Promise<SSHClusterTls> {
  const dir = await mkdtemp(join(tmpdir(), 'gluon-ssh-ca-'));
  // At the process's end only: a CLI that handles the signal itself still closes the cluster.
  const stopWatching = onProcessEnd(() => rmSync(dir, { recursive: true, force: true }), { onlyAtEnd: true });
  try {
    const ca = await makeCa(dir, 'ca', days);
    const hosts = new Map<string, { cert: string; key: string }>();
    let n = 0;
    for (const address of new Set(addresses)) {
      const files = await makeCert(dir, ca, `host-${++n}`, [address], days);
      hosts.set(address, { cert: await readFile(files.cert, 'utf8'), key: await readFile(files.key, 'utf8') });
      await Promise.all([rm(files.cert), rm(files.key)]);
    }
    // Only the CA's certificate stays: its key and serial file go now.
    await Promise.all([rm(ca.key), rm(join(dir, 'ca.srl'), { force: true })]);
    const caPem = await readFile(ca.cert, 'utf8');
    return {
      caFile: ca.cert,
      ca: caPem,
      forAddress(address) {
        const h = hosts.get(address);
        if (!h) throw new Error(`ssh cluster: no certificate was made for ${address} (made for ${[...hosts.keys()].join(', ')})`);
        return { ca: caPem, ...h };
      },
      remove: async () => {
        await rm(dir, { recursive: true, force: true });
        stopWatching();
      },
    };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    stopWatching();
    throw err;
  }
}

/**
 * The shell lines that read a host's material from the session's stdin (after the token line)
 * into a private directory on the host, `$GLUON_TLS`: made by mktemp (0700) under umask 077, so
 * each file is 0600; removed when the script exits (its process stopped, the session closed or
 * hung up). Each file is one PEM block, read up to its END line.
 */
export const READ_TLS_LINES: readonly string[] = [
  'umask 077',
  'GLUON_TLS=$(mktemp -d "${TMPDIR:-/tmp}/gluon-ssh-tls-XXXXXX")',
  'trap \'rm -rf "$GLUON_TLS"\' EXIT',
  // A hang-up or SIGTERM ends the script through exit, so the EXIT trap runs.
  'trap \'exit 129\' HUP',
  'trap \'exit 143\' TERM',
  'for f in ca.pem node.pem node.key; do',
  '  while IFS= read -r l; do printf \'%s\\n\' "$l"; case $l in -----END*) break ;; esac; done >"$GLUON_TLS/$f"',
  'done',
];

/** The TLS flags of gluon-scheduler and gluon-worker for the files READ_TLS_LINES wrote. */
export const HOST_TLS_ARGS: readonly string[] = ['--tls-cert', '$GLUON_TLS/node.pem', '--tls-key', '$GLUON_TLS/node.key', '--tls-ca', '$GLUON_TLS/ca.pem'];

/** What follows the token line on a host's stdin: its three PEM blocks, in READ_TLS_LINES' order. */
export function hostTlsInput(h: HostTls): string {
  return [h.ca, h.cert, h.key].map((p) => (p.endsWith('\n') ? p : `${p}\n`)).join('');
}
